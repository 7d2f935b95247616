//===- CostModel.h - gradient-boosted trees that rank schedules -*- C++ -*-===//
//
// Predicts how good a schedule is for a dispatch from `features()` (the
// dispatch's loop sizes and the schedule's tiles; SearchSpace.h), so the
// search measures only candidates the model ranks high. XGBoost through its C
// API (Debian's libxgboost-dev), trained from scratch on every valid record of
// the target whenever new measurements arrive; records of other shapes and
// models teach it from the start.
//
// The label is a relative score: log2(task's best time / this time), so 0 is
// the best schedule of its task and -1 is twice as slow. Scores from different
// shapes are then comparable, which is what lets the model transfer. The
// default objective ranks pairwise within each task (one query group each).
//
// Training takes a few thousand rows in tens of milliseconds, so the model is
// simply retrained after every round rather than updated.
//
// Example:
//   CostModel model;
//   model.add(signature, features(shape, schedule, target, threads), timeUs);
//   model.train(error);
//   std::vector<float> s = model.predict(rows); // higher is better
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_COSTMODEL_H
#define TILEC_AUTOTUNE_COSTMODEL_H

#include <map>
#include <string>
#include <vector>

namespace tilec::autotune {

class CostModel {
public:
  CostModel() = default;
  ~CostModel();
  CostModel(const CostModel &) = delete;
  CostModel &operator=(const CostModel &) = delete;

  /// One valid measurement of task `taskKey` (its signature): the schedule's
  /// feature row and its time.
  void add(const std::string &taskKey, std::vector<float> row, double timeUs);
  size_t size() const { return rows.size(); }

  /// Retrains on everything added. Below `minRows` it stays untrained and
  /// predict() returns zeros (the search then samples at random).
  bool train(std::string &error, size_t minRows = 16, int rounds = 60);
  bool trained() const { return booster != nullptr; }
  /// XGBoost's objective: "rank:pairwise" (default: only the order within a
  /// task matters to the search) or "reg:squarederror" on the same labels.
  std::string objective = "rank:pairwise";

  /// Scores for feature rows (higher is better).
  std::vector<float> predict(const std::vector<std::vector<float>> &rows) const;

private:
  struct Row {
    std::string task;
    std::vector<float> x;
    double timeUs;
  };
  std::vector<Row> rows;
  void *booster = nullptr;
};

/// Ranking quality of predictions on one task: the share of the true `k` best
/// (by measured time, lower is better) among the `k` predicted best.
double topKRecall(const std::vector<double> &timesUs, const std::vector<float> &scores, size_t k);

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_COSTMODEL_H
