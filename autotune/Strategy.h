//===- Strategy.h - which schedules of a task to measure next ---*- C++ -*-===//
//
// A strategy proposes the next batch of unmeasured schedules for one task from
// what has been measured so far:
//   random        uniform draws from the search space (the baseline)
//   evolutionary  (TVM's meta_schedule idea) a population of the best measured
//                 schedules is mutated and crossed for a few generations *on
//                 the cost model*; the model's top picks are measured, plus a
//                 quarter drawn at random so that a wrong model cannot trap
//                 the search. Until the model has data it behaves like random.
// Both measure the task's seeds first (schedules tuned for the nearest shapes).
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_STRATEGY_H
#define TILEC_AUTOTUNE_STRATEGY_H

#include "autotune/CostModel.h"
#include "autotune/SearchSpace.h"
#include "autotune/Task.h"

#include <memory>
#include <random>
#include <set>
#include <vector>

namespace tilec::autotune {

/// What the search knows about one task.
struct TaskSearchState {
  TaskSearchState(const Task &task, const codegen::Target &target)
      : task(&task), space(task.shape, target) {}
  const Task *task;
  SearchSpace space;
  std::set<std::string> measured;                          ///< schedules tried (valid or not)
  std::vector<std::pair<codegen::Schedule, double>> valid; ///< with their median times
  std::vector<codegen::Schedule> seeds;                    ///< to try before anything else
};

class Strategy {
public:
  virtual ~Strategy() = default;
  /// Up to `n` distinct schedules not measured yet (fewer when the space is
  /// nearly exhausted, none when it is).
  virtual std::vector<codegen::Schedule> propose(TaskSearchState &state, int n,
                                                 std::mt19937 &rng) = 0;
};

std::unique_ptr<Strategy> makeRandomStrategy();
/// `model` is shared with the task scheduler, which trains it as results arrive.
std::unique_ptr<Strategy> makeEvolutionaryStrategy(const CostModel &model,
                                                   const codegen::Target &target, int threads);

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_STRATEGY_H
