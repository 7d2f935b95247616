//===- CostModelEval.cpp - how well the cost model ranks unseen dispatches -===//
//
// Leave-one-task-out on a tuning database: for every dispatch with enough
// valid measurements, train the cost model on every *other* dispatch's records
// (as the tuner would when it meets a new shape), predict this dispatch's
// schedules, and report top-k recall (the share of the k truly fastest among
// the k predicted fastest) next to what a random ranking gets (k/n).
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
#include <map>

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
  std::printf("%-50s %7s %12s %12s\n", "held-out dispatch", "records",
              ("top-" + std::to_string(k) + " recall").c_str(), "random");
  double sumRecall = 0, sumRandom = 0;
  int evaluated = 0;
  for (const auto &[heldOut, rows] : byTask) {
    if (rows.size() < minRecords)
      continue;
    CostModel model;
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
    double recall = topKRecall(times, model.predict(x), k);
    double chance = double(std::min(k, rows.size())) / double(rows.size());
    std::printf("%-50s %7zu %12.2f %12.2f\n", heldOut.substr(0, 50).c_str(), rows.size(), recall,
                chance);
    sumRecall += recall;
    sumRandom += chance;
    ++evaluated;
  }
  if (evaluated == 0) {
    std::printf("no dispatch has %zu valid records; tune longer\n", minRecords);
    return 1;
  }
  std::printf("\nmean over %d held-out dispatches: top-%zu recall %.2f (random ranking %.2f)\n",
              evaluated, k, sumRecall / evaluated, sumRandom / evaluated);
  return 0;
}
