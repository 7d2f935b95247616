//===- PackWeights.cpp - weights in the layout the kernels read -----------===//
//
// Assumes: f32 constant weights (fold-batch-norm already rewrote them).
// Guarantees: same values. `linear(x, W, b)` with a constant `W` ([N, K],
// PyTorch's layout) becomes `add(matmul(x, W^T), b)` with `W^T` ([K, N]) a new
// constant, transposed here at compile time: the GEMM kernels stream rows of
// the right-hand side, which in [N, K] order would be a column gather on every
// step. A weight that is not a constant (computed, or an input) is left alone.
//
//===----------------------------------------------------------------------===//

#include "ir/Weights.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_PACKWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

struct PackWeightsPass : public tilec::impl::PackWeightsPassBase<PackWeightsPass> {
  void runOnOperation() override {
    getOperation().walk([&](LinearOp linear) {
      auto weight = linear.getWeight().getDefiningOp<ConstantOp>();
      auto type = cast<RankedTensorType>(linear.getWeight().getType());
      if (!weight || type.getRank() != 2)
        return;
      // 1. W^T as a new constant (the original may have other users).
      OpBuilder b(linear);
      int64_t n = type.getDimSize(0), k = type.getDimSize(1);
      Value constant = permutedWeight(b, weight, {n, k}, {1, 0}, ".packed_kn");
      if (!constant)
        return; // not f32 or unreadable: left as a linear
      // 2. matmul (+ bias), the linear's value.
      auto resultType = cast<RankedTensorType>(linear.getType());
      Value y = b.create<MatmulOp>(linear.getLoc(), resultType, linear.getInput(), constant);
      if (Value bias = linear.getBias())
        y = b.create<AddOp>(linear.getLoc(), resultType, y, bias);
      linear.replaceAllUsesWith(y);
      linear.erase();
      if (weight->use_empty())
        weight.erase();
    });
  }
};

} // namespace
