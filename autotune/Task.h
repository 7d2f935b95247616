//===- Task.h - what the tuner tunes: one distinct dispatch -----*- C++ -*-===//
//
// A model's dispatches with the same signature share one kernel, so they are
// one tuning task. `extractTasks` turns an optimized graph (passes/ ran) into
// its tasks, each with a standalone module that holds only that dispatch: its
// operands (weights included) become arguments of `@main`, so a worker can
// compile it with any schedule, feed it random inputs, and check it against the
// reference interpreter without the rest of the model.
//
// Example: ResNet-50 has 73 dispatches and 25 tasks; the 3x3 convolution on
// 1x64x56x56 runs 3 times, so its task has count 3.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_TASK_H
#define TILEC_AUTOTUNE_TASK_H

#include "codegen/common/Schedule.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <vector>

namespace tilec::autotune {

struct Task {
  std::string signature;
  std::string kind;       ///< the dispatch kind ("conv2d", "matmul", ...)
  int count = 0;          ///< how many dispatches of the model run this kernel
  std::string moduleText; ///< the standalone module (MLIR text)
  codegen::DispatchShape shape;
  codegen::Schedule defaultSchedule;
  double flops = 0; ///< 2 x the root's loop volume (an estimate for GFLOP/s)
};

/// The tasks of `module`'s @main, in the order their first dispatch runs.
/// Fails with `error` set if a dispatch cannot be lowered.
bool extractTasks(mlir::ModuleOp module, const codegen::Target &target, std::vector<Task> &tasks,
                  std::string &error);

/// The workload part of a record: "kind result=AxB loops=AxBxC red=0011 1x1=0",
/// stored with each record so that nearby shapes can be found and the cost
/// model can featurize records of tasks it never saw.
std::string encodeShape(const codegen::DispatchShape &shape);
std::optional<codegen::DispatchShape> decodeShape(const std::string &text);

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_TASK_H
