//===- GraphStats.h - what the graph pipeline changed -----------*- C++ -*-===//
//
// Counts for a function before or after the graph pipeline: compute ops,
// kernels (dispatches, or one per compute op before dispatch formation), the
// activation bytes those kernels read and write (weights excluded: they are read
// once either way), and the memory plan's arena size against the naive sum.
//
// Example (resnet50): 176 ops -> 70 dispatches after fusion.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_PASSES_GRAPHSTATS_H
#define TILEC_PASSES_GRAPHSTATS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace tilec {

struct GraphStats {
  int64_t computeOps = 0;     ///< tilec ops other than constants and views
  int64_t kernels = 0;        ///< dispatches, or compute ops outside dispatches
  int64_t trafficBytes = 0;   ///< activation bytes read + written by the kernels
  int64_t naiveBytes = 0;     ///< sum of all activation buffers (after plan-memory)
  int64_t arenaBytes = 0;     ///< planned arena size (after plan-memory)
};

GraphStats computeGraphStats(mlir::func::FuncOp function);

} // namespace tilec

#endif // TILEC_PASSES_GRAPHSTATS_H
