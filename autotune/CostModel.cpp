//===- CostModel.cpp - XGBoost regression on relative schedule scores -----===//

#include "autotune/CostModel.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace tilec::autotune;

namespace {

/// A DMatrix from dense rows; null on failure.
DMatrixHandle matrix(const std::vector<std::vector<float>> &rows) {
  if (rows.empty())
    return nullptr;
  size_t columns = rows.front().size();
  std::vector<float> flat;
  flat.reserve(rows.size() * columns);
  for (const auto &r : rows)
    flat.insert(flat.end(), r.begin(), r.end());
  DMatrixHandle handle = nullptr;
  if (XGDMatrixCreateFromMat(flat.data(), rows.size(), columns, NAN, &handle) != 0)
    return nullptr;
  return handle;
}

} // namespace

CostModel::~CostModel() {
  if (booster)
    XGBoosterFree(booster);
}

void CostModel::add(const std::string &taskKey, std::vector<float> row, double timeUs) {
  rows.push_back({taskKey, std::move(row), timeUs});
}

bool CostModel::train(std::string &error, size_t minRows, int rounds) {
  if (rows.size() < minRows)
    return true;
  // Labels relative to each task's best: transferable across shapes.
  std::map<std::string, double> best;
  for (const Row &r : rows) {
    auto [it, fresh] = best.try_emplace(r.task, r.timeUs);
    if (!fresh)
      it->second = std::min(it->second, r.timeUs);
  }
  // Rows grouped by task: the pairwise ranking objective compares schedules
  // of the same task only (their order is what the search needs).
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a].task < rows[b].task; });
  std::vector<std::vector<float>> x;
  std::vector<float> y;
  std::vector<unsigned> groups;
  for (size_t k = 0; k < order.size(); ++k) {
    const Row &r = rows[order[k]];
    x.push_back(r.x);
    y.push_back(float(std::log2(best[r.task] / r.timeUs)));
    if (k == 0 || rows[order[k - 1]].task != r.task)
      groups.push_back(0);
    ++groups.back();
  }
  bool ranking = objective == "rank:pairwise";
  DMatrixHandle train = matrix(x);
  if (!train || XGDMatrixSetFloatInfo(train, "label", y.data(), y.size()) != 0 ||
      (ranking && XGDMatrixSetUIntInfo(train, "group", groups.data(), groups.size()) != 0)) {
    error = std::string("cost model: ") + XGBGetLastError();
    if (train)
      XGDMatrixFree(train);
    return false;
  }
  BoosterHandle fresh = nullptr;
  bool ok = XGBoosterCreate(&train, 1, &fresh) == 0;
  // Small trees, a modest learning rate: a few hundred noisy rows must not be
  // memorized. One thread: the machine's cores are busy measuring.
  const char *params[][2] = {{"objective", objective.c_str()},
                             {"max_depth", "6"},
                             {"eta", "0.2"},
                             {"min_child_weight", "2"},
                             {"subsample", "0.9"},
                             {"nthread", "1"},
                             {"verbosity", "0"}};
  for (auto &p : params)
    ok = ok && XGBoosterSetParam(fresh, p[0], p[1]) == 0;
  for (int i = 0; ok && i < rounds; ++i)
    ok = XGBoosterUpdateOneIter(fresh, i, train) == 0;
  XGDMatrixFree(train);
  if (!ok) {
    error = std::string("cost model training: ") + XGBGetLastError();
    if (fresh)
      XGBoosterFree(fresh);
    return false;
  }
  if (booster)
    XGBoosterFree(booster);
  booster = fresh;
  return true;
}

std::vector<float> CostModel::predict(const std::vector<std::vector<float>> &x) const {
  std::vector<float> scores(x.size(), 0.f);
  if (!booster || x.empty())
    return scores;
  DMatrixHandle m = matrix(x);
  bst_ulong n = 0;
  const float *out = nullptr;
  if (m && XGBoosterPredict(booster, m, 0, 0, 0, &n, &out) == 0 && n == x.size())
    scores.assign(out, out + n);
  if (m)
    XGDMatrixFree(m);
  return scores;
}

double tilec::autotune::topKRecall(const std::vector<double> &timesUs,
                                   const std::vector<float> &scores, size_t k) {
  size_t n = timesUs.size();
  k = std::min(k, n);
  if (k == 0)
    return 0;
  std::vector<size_t> byTime(n), byScore(n);
  std::iota(byTime.begin(), byTime.end(), 0);
  std::iota(byScore.begin(), byScore.end(), 0);
  std::sort(byTime.begin(), byTime.end(),
            [&](size_t a, size_t b) { return timesUs[a] < timesUs[b]; });
  std::sort(byScore.begin(), byScore.end(),
            [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  size_t hits = 0;
  for (size_t i = 0; i < k; ++i)
    hits += std::find(byScore.begin(), byScore.begin() + k, byTime[i]) != byScore.begin() + k;
  return double(hits) / double(k);
}
