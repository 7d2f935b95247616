//===- Analysis.cpp - parameter and MAC counts of a graph -----------------===//

#include "ir/Analysis.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tilec;

namespace {
int64_t numElements(Value v) { return cast<ShapedType>(v.getType()).getNumElements(); }
} // namespace

bool tilec::isBuffer(ConstantOp constant) {
  Value value = constant.getOutput();
  if (value.use_empty())
    return false;
  return llvm::all_of(value.getUses(), [](OpOperand &use) {
    auto bn = dyn_cast<BatchNormOp>(use.getOwner());
    return bn && (use.get() == bn.getMean() || use.get() == bn.getVariance());
  });
}

bool tilec::isParameter(ConstantOp constant) {
  return constant.getName().has_value() && !isBuffer(constant);
}

int64_t tilec::countOperandParameters(Operation *op) {
  int64_t total = 0;
  for (Value operand : op->getOperands())
    if (auto constant = operand.getDefiningOp<ConstantOp>(); constant && isParameter(constant))
      total += numElements(operand);
  return total;
}

int64_t tilec::countParameters(Operation *root) {
  int64_t total = 0;
  root->walk([&](ConstantOp constant) {
    if (isParameter(constant))
      total += numElements(constant.getOutput());
  });
  return total;
}

int64_t tilec::countMacs(Operation *op) {
  return llvm::TypeSwitch<Operation *, int64_t>(op)
      .Case([](Conv2DOp conv) {
        ArrayRef<int64_t> w = cast<ShapedType>(conv.getWeight().getType()).getShape();
        // Each output element reduces over (C_in / groups) * KH * KW inputs:
        // the weight's elements per output channel (OIHW or HWIO).
        int64_t outChannels = conv.isChannelsLast() ? w[3] : w[0];
        return numElements(conv.getOutput()) * (numElements(conv.getWeight()) / outChannels);
      })
      .Case([](MatmulOp mm) {
        return numElements(mm.getOutput()) *
               cast<ShapedType>(mm.getLhs().getType()).getShape().back();
      })
      .Case([](AttentionOp a) {
        // q k^T: S x T x D per batch, then p v: S x T x Dv.
        ArrayRef<int64_t> q = cast<ShapedType>(a.getQuery().getType()).getShape();
        ArrayRef<int64_t> k = cast<ShapedType>(a.getKey().getType()).getShape();
        int64_t t = k[k.size() - 2], dv = cast<ShapedType>(a.getValue().getType()).getShape().back();
        return numElements(a.getQuery()) / q.back() * t * (q.back() + dv);
      })
      .Case([](LinearOp linear) {
        return numElements(linear.getOutput()) *
               cast<ShapedType>(linear.getInput().getType()).getShape().back();
      })
      .Case([](DispatchOp d) {
        int64_t total = 0;
        for (Operation &inner : d.getBody().front())
          total += countMacs(&inner);
        return total;
      })
      .Default([](Operation *) { return int64_t(0); });
}

int64_t tilec::countTotalMacs(Operation *root) {
  int64_t total = 0;
  root->walk([&](Operation *op) {
    if (!op->getParentOfType<DispatchOp>()) // a dispatch counts its body once
      total += countMacs(op);
  });
  return total;
}
