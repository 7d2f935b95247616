//===- GraphStats.cpp - what the graph pipeline changed -------------------===//

#include "passes/GraphStats.h"

#include "ir/TilecDialect.h"
#include "passes/OpClasses.h"

using namespace mlir;
using namespace tilec;

namespace {

/// True if `v` is (a view of) a constant: weights are not activation traffic.
bool isConstant(Value v) {
  Operation *def = v.getDefiningOp();
  while (def && isView(def))
    def = def->getOperand(0).getDefiningOp();
  return def && isa<ConstantOp>(def);
}

int64_t bytes(Value v) {
  auto type = cast<ShapedType>(v.getType());
  return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
}

int64_t kernelTraffic(Operation *op) {
  int64_t total = 0;
  for (Value operand : op->getOperands())
    if (!isConstant(operand))
      total += bytes(operand);
  for (Value result : op->getResults())
    total += bytes(result);
  return total;
}

} // namespace

GraphStats tilec::computeGraphStats(func::FuncOp function) {
  GraphStats stats;
  for (Operation &op : function.getBody().front().without_terminator()) {
    if (isa<ConstantOp>(op) || isView(&op))
      continue;
    if (!op.hasAttr("in_place")) { // an in-place concat runs no kernel, moves no bytes
      stats.kernels++;
      stats.trafficBytes += kernelTraffic(&op);
    }
    if (auto dispatch = dyn_cast<DispatchOp>(op)) {
      for (Operation &inner : dispatch.getBody().front().without_terminator())
        stats.computeOps += !isa<ConstantOp>(inner) && !isView(&inner);
    } else {
      stats.computeOps++;
    }
  }
  if (auto a = function->getAttrOfType<IntegerAttr>("tilec.arena_bytes"))
    stats.arenaBytes = a.getInt();
  if (auto n = function->getAttrOfType<IntegerAttr>("tilec.naive_activation_bytes"))
    stats.naiveBytes = n.getInt();
  return stats;
}
