//===- CostModelEval.cpp - how well the cost model ranks unseen dispatches -===//
//
// Leave-one-task-out on a tuning database: for every dispatch with enough
// valid measurements, train the cost model on every *other* dispatch's records
// (as the tuner would when it meets a new shape), predict this dispatch's
// schedules, and report top-k recall (the share of the k truly fastest among
// the k predicted fastest) next to what a random ranking gets (k/n), and the
// regret: the best time among the k predicted fastest over the true best (what
// measuring the model's top k would find), next to a random k's expectation.
// TILEC_COSTMODEL_OBJECTIVE=rank:pairwise evaluates the ranking objective.
//
// Usage: tilec-costmodel-eval tuning.db [k=5] [min-records=20]
//
//===----------------------------------------------------------------------===//

#include "autotune/CostModel.h"
#include "autotune/Database.h"
#include "autotune/SearchSpace.h"
#include "autotune/Task.h"
#include "codegen/common/Target.h"

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <map>
#include <numeric>

using namespace tilec;
using namespace tilec::autotune;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s tuning.db [k=5] [min-records=20]\n", argv[0]);
    return 2;
  }
  size_t k = argc > 2 ? size_t(std::atoi(argv[2])) : 5;
  size_t minRecords = argc > 3 ? size_t(std::atoi(argv[3])) : 20;
  std::string error;
  std::unique_ptr<Database> db = Database::open(argv[1], error);
  if (!db) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  // The machine with the most records; the host's target for features.
  Database::Stats stats = db->stats();
  if (stats.byFingerprint.empty()) {
    std::fprintf(stderr, "error: the database is empty\n");
    return 1;
  }
  std::string fingerprint = stats.byFingerprint.front().first;
  codegen::Target target = codegen::hostTarget();
  int threads = std::atoi(fingerprint.substr(fingerprint.rfind("|t") + 2).c_str());
  struct Row {
    std::vector<float> x;
    double us;
  };
  std::map<std::string, std::vector<Row>> byTask;
  for (const Record &r : db->validRecords(fingerprint, codegen::kCodegenVersion)) {
    std::optional<codegen::DispatchShape> shape = decodeShape(r.loops);
    std::optional<codegen::Schedule> s = codegen::parseSchedule(r.schedule, error);
    if (shape && s)
      byTask[r.key.signature].push_back({features(*shape, *s, target, threads), r.medianUs});
  }
  std::printf("%s: %zu dispatches measured on %s\n\n", argv[1], byTask.size(), fingerprint.c_str());
  std::printf("%-50s %7s %12s %12s %10s %10s\n", "held-out dispatch", "records",
              ("top-" + std::to_string(k) + " recall").c_str(), "random", "regret", "random");
  double sumRecall = 0, sumRandom = 0, sumRegret = 0, sumRandomRegret = 0;
  int evaluated = 0;
  for (const auto &[heldOut, rows] : byTask) {
    if (rows.size() < minRecords)
      continue;
    CostModel model;
    if (const char *objective = std::getenv("TILEC_COSTMODEL_OBJECTIVE"))
      model.objective = objective;
    for (const auto &[task, others] : byTask)
      if (task != heldOut)
        for (const Row &row : others)
          model.add(task, row.x, row.us);
    if (!model.train(error) || !model.trained())
      continue;
    std::vector<std::vector<float>> x;
    std::vector<double> times;
    for (const Row &row : rows) {
      x.push_back(row.x);
      times.push_back(row.us);
    }
    std::vector<float> scores = model.predict(x);
    double recall = topKRecall(times, scores, k);
    // Regret: how far the best of the model's top k is from the true best.
    std::vector<size_t> order(times.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    double picked = times[order[0]];
    for (size_t i = 1; i < std::min(k, order.size()); ++i)
      picked = std::min(picked, times[order[i]]);
    double regret = picked / *std::min_element(times.begin(), times.end());
    // What a random pick of k gets on average: E[min of k of n] by ranks.
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    double randomPick = 0, n = double(sorted.size());
    for (size_t r = 0; r < sorted.size(); ++r) {
      // P(the best of a random k-subset has rank r) = C(n-r-1, k-1) / C(n, k).
      double p = double(std::min(k, sorted.size())) / (n - double(r));
      for (size_t j = 0; j < r; ++j)
        p *= (n - double(j) - double(std::min(k, sorted.size()))) / (n - double(j));
      randomPick += p * sorted[r];
    }
    double randomRegret = randomPick / sorted.front();
    double chance = double(std::min(k, rows.size())) / double(rows.size());
    std::printf("%-50s %7zu %12.2f %12.2f %10.3f %10.3f\n", heldOut.substr(0, 50).c_str(),
                rows.size(), recall, chance, regret, randomRegret);
    sumRecall += recall;
    sumRandom += chance;
    sumRegret += regret;
    sumRandomRegret += randomRegret;
    ++evaluated;
  }
  if (evaluated == 0) {
    std::printf("no dispatch has %zu valid records; tune longer\n", minRecords);
    return 1;
  }
  std::printf("\nmean over %d held-out dispatches: top-%zu recall %.2f (random ranking %.2f); "
              "best of the top %zu / true best %.3f (random %zu: %.3f)\n",
              evaluated, k, sumRecall / evaluated, sumRandom / evaluated, k,
              sumRegret / evaluated, k, sumRandomRegret / evaluated);
  return 0;
}
