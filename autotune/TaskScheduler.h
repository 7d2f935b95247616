//===- TaskScheduler.h - tuning a whole model within a budget ---*- C++ -*-===//
//
// Spreads a trial budget over a model's tasks (Ansor's task scheduler, in
// short):
//   1. tasks with a valid record for this machine and code generator are
//      reused, not re-tuned (ResNet-101 after ResNet-50 tunes only its new
//      shapes); `retune` measures them again;
//   2. every other task's default schedule is measured first (the baseline
//      every speed-up is against), and the schedules tuned for the nearest
//      shapes of the same kind are queued as its first candidates;
//   3. then, batch by batch, the task with the largest
//        dispatch count x best time x (recent relative gain + 0.5 / (1 + trials / 8))
//      gets the next batch: time goes where the model spends its time and
//      where tuning still pays, and no task is starved once gains level off;
//   4. every result is stored at once; the cost model retrains after each
//      batch on all valid records of this machine (earlier runs included).
// It stops at the trial budget, the time budget, or when every task's space
// is exhausted. A failed candidate costs +inf and the search goes on.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_TASKSCHEDULER_H
#define TILEC_AUTOTUNE_TASKSCHEDULER_H

#include "autotune/Database.h"
#include "autotune/Measure.h"
#include "autotune/Task.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace tilec::autotune {

struct TuneOptions {
  codegen::Target target;
  std::string fingerprint;
  int threads = 0;                       ///< runtime threads the worker measures with
  std::string strategy = "evolutionary"; ///< evolutionary | random
  int trials = 0;                        ///< total measurements (0: 32 per task)
  double timeBudgetS = 0;                ///< 0: no time limit
  int batch = 8;
  unsigned seed = 0;
  bool retune = false;
};

struct TaskOutcome {
  double defaultUs = std::numeric_limits<double>::infinity();
  double bestUs = std::numeric_limits<double>::infinity();
  std::string bestSchedule;
  int trials = 0, failures = 0;
  bool reused = false;
};

struct Progress {
  size_t task = 0; ///< index of the task being tuned
  int trials = 0, budget = 0;
  double elapsedS = 0, etaS = 0;
  double modelUs = 0, defaultModelUs = 0; ///< sum over tasks of count x time
};

struct TuneSummary {
  std::vector<TaskOutcome> tasks; ///< parallel to the task list
  int trials = 0, failures = 0;
  double seconds = 0;
  /// (elapsed seconds, estimated model time in us) after each batch.
  std::vector<std::pair<double, double>> curve;
  double secondsToWithin5Percent = 0; ///< of the final estimate
  std::string costModelNote;
};

/// Tunes `tasks` and stores every measurement in `db`. Returns false only on a
/// database error (measurement failures are results, not errors).
bool tuneTasks(const std::vector<Task> &tasks, Database &db, Measurer &measurer,
               const TuneOptions &options, const std::function<void(const Progress &)> &progress,
               TuneSummary &summary, std::string &error);

/// A short stable id of a task for the worker's cache.
std::string taskId(const Task &task);

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_TASKSCHEDULER_H
