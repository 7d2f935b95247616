//===- FuseLayerNorm.cpp - decomposed layer norm as one op ----------------===//
//
// Assumes: the decomposition ONNX exporters emit below opset 17 (see Passes.td),
// reductions over the trailing dims with keepdims.
// Guarantees: the same values; anything else (other axes, a non-constant eps,
// an intermediate with another use, an affine part that is not per-element of
// the normalized shape) is left alone.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Weights.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_FUSELAYERNORMPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

/// First axis of a keepdims mean over the trailing dims of its input, or nullopt.
std::optional<int64_t> trailingMeanAxis(ReduceMeanOp mean) {
  if (!mean || !mean.getKeepdims())
    return std::nullopt;
  int64_t rank = mean.getInput().getType().getRank();
  SmallVector<int64_t> axes;
  for (int64_t a : mean.getAxes())
    axes.push_back(a < 0 ? a + rank : a);
  llvm::sort(axes);
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != rank - int64_t(axes.size()) + int64_t(i))
      return std::nullopt;
  return axes.empty() ? std::nullopt : std::optional<int64_t>(axes.front());
}


/// The other operand of a binary op, if `v` is one of its operands.
Value other(Operation *op, Value v) {
  return op->getOperand(0) == v ? op->getOperand(1) : op->getOperand(0);
}

struct FuseLayerNormPass : public tilec::impl::FuseLayerNormPassBase<FuseLayerNormPass> {
  void runOnOperation() override {
    SmallVector<DivOp> divs;
    getOperation().walk([&](DivOp op) { divs.push_back(op); });
    for (DivOp div : divs)
      (void)fuse(div);
  }

  LogicalResult fuse(DivOp div) {
    // 1. div(d, sqrt(mean(d * d) + eps)) with d = x - mean(x).
    Value d = div.getLhs();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    auto addEps = sqrt ? sqrt.getInput().getDefiningOp<AddOp>() : AddOp();
    if (!addEps || !sqrt->hasOneUse() || !addEps->hasOneUse())
      return failure();
    auto var = addEps.getLhs().getDefiningOp<ReduceMeanOp>();
    std::optional<double> eps = scalarConstantValue(addEps.getRhs());
    if (!var) {
      var = addEps.getRhs().getDefiningOp<ReduceMeanOp>();
      eps = scalarConstantValue(addEps.getLhs());
    }
    auto square = var ? var.getInput().getDefiningOp<MulOp>() : MulOp();
    auto sub = d.getDefiningOp<SubOp>();
    if (!eps || !square || square.getLhs() != d || square.getRhs() != d || !sub ||
        !var->hasOneUse() || !square->hasOneUse())
      return failure();
    auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
    Value x = sub.getLhs();
    std::optional<int64_t> axis = trailingMeanAxis(mean);
    if (!mean || mean.getInput() != x || !axis || trailingMeanAxis(var) != axis ||
        !mean->hasOneUse())
      return failure();
    // d is read by the square (twice) and the div only.
    if (llvm::any_of(d.getUsers(), [&](Operation *u) { return u != square && u != div; }))
      return failure();
    // 2. Optional affine part: * gamma, + beta, constants of the normalized shape.
    ArrayRef<int64_t> normalized = cast<ShapedType>(x.getType()).getShape().drop_front(*axis);
    auto affine = [&](Value v) -> Value {
      auto c = v.getDefiningOp<ConstantOp>();
      return c && cast<ShapedType>(v.getType()).getShape() == normalized ? v : Value();
    };
    Operation *last = div, *scaleOp = nullptr, *shiftOp = nullptr;
    Value gamma, beta;
    if (div->hasOneUse())
      if (auto mul = dyn_cast<MulOp>(*div->getUsers().begin()))
        if ((gamma = affine(other(mul, div.getOutput()))))
          last = scaleOp = mul;
    if (last->hasOneUse())
      if (auto add = dyn_cast<AddOp>(*last->getUsers().begin()))
        if ((beta = affine(other(add, last->getResult(0)))))
          last = shiftOp = add;
    // 3. Replace, then erase the chain from its end.
    OpBuilder b(last);
    auto filled = [&](float value) {
      auto type = RankedTensorType::get(normalized, b.getF32Type());
      return b.create<ConstantOp>(div.getLoc(), DenseElementsAttr::get(type, value), StringAttr());
    };
    Value fused = b.create<LayerNormOp>(div.getLoc(), x, gamma ? gamma : filled(1.0f),
                                        beta ? beta : filled(0.0f), b.getI64IntegerAttr(*axis),
                                        b.getF64FloatAttr(*eps));
    last->getResult(0).replaceAllUsesWith(fused);
    for (Operation *op : {shiftOp, scaleOp, div.getOperation(), sqrt.getOperation(),
                          addEps.getOperation(), var.getOperation(), square.getOperation(),
                          sub.getOperation(), mean.getOperation()})
      if (op)
        op->erase();
    return success();
  }
};

} // namespace
