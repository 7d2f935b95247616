//===- OpClasses.h - classes of graph ops the passes agree on ---*- C++ -*-===//
//
// One definition each of the op classes that several passes decide on, so that
// fusion (form-dispatches), the memory plan (plan-memory) and the statistics
// (GraphStats) never disagree about them.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_PASSES_OPCLASSES_H
#define TILEC_PASSES_OPCLASSES_H

#include "ir/TilecDialect.h"

namespace tilec {

/// Ops that only reinterpret their operand's bytes (no kernel, no copy).
inline bool isView(mlir::Operation *op) { return mlir::isa<ReshapeOp, FlattenOp>(op); }

/// Ops that compute each output element from the same element of their
/// operands (after broadcasting).
inline bool isElementwise(mlir::Operation *op) {
  return mlir::isa<AddOp, SubOp, MulOp, DivOp, ReluOp, LeakyReluOp, ClipOp, SigmoidOp, TanhOp,
                   SiluOp, HardswishOp, HardsigmoidOp, GeluOp, ExpOp, SqrtOp, ReciprocalOp, ErfOp,
                   NegOp, DropoutOp, ConvertOp>(op);
}

/// A concat whose operands are contiguous slices of its result: static shape,
/// every dim before the axis is 1 (channel concats at batch 1 in NCHW). Its
/// operands can be written in place (plan-memory).
inline bool isContiguousConcat(mlir::Operation *op) {
  auto concat = mlir::dyn_cast<ConcatOp>(op);
  if (!concat)
    return false;
  auto type = mlir::cast<mlir::ShapedType>(concat.getType());
  std::optional<int64_t> axis = normalizeAxis(concat.getAxis(), type.getRank());
  if (!type.hasStaticShape() || !axis)
    return false;
  for (int64_t d = 0; d < *axis; ++d)
    if (type.getDimSize(d) != 1)
      return false;
  return true;
}

} // namespace tilec

#endif // TILEC_PASSES_OPCLASSES_H
