//===- FoldBatchNorm.cpp - batch norm into conv / linear weights ----------===//
//
// Assumes: batch_norm parameters and the producer's weight and bias are
// constants (tilec.constant); the producer has no other use.
// Guarantees: the graph computes the same function; folded weights keep the
// producer's parameter names, so tuning records and weight attachment by name
// still line up. A batch norm that cannot fold becomes mul + add by per-channel
// constants ([C, 1, ...]), which form-dispatches can fuse.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Weights.h"

#include "mlir/IR/Builders.h"

#include <cmath>
#include <cstring>

namespace tilec {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

/// The floats of `v` if it is produced by a tilec.constant.
std::optional<std::vector<float>> constantData(Value v) {
  auto constant = v ? v.getDefiningOp<ConstantOp>() : ConstantOp();
  if (!constant)
    return std::nullopt;
  std::vector<float> data;
  std::string error;
  if (failed(readAsFloats(constant.getValue(), data, error)))
    return std::nullopt;
  return data;
}

/// A new f32 weight constant named like `like` (or `fallback`), before `anchor`.
Value makeWeight(OpBuilder &b, Operation *anchor, Value like, StringRef fallback,
                 ArrayRef<int64_t> shape, ArrayRef<float> data) {
  std::string name = fallback.str();
  if (auto c = like ? like.getDefiningOp<ConstantOp>() : ConstantOp(); c && c.getName())
    name = c.getName()->str();
  auto type = RankedTensorType::get(shape, b.getF32Type());
  AsmResourceBlob blob = allocateF32Blob(data.size(), /*zeroed=*/false);
  std::memcpy(blob.getMutableData().data(), data.data(), data.size() * sizeof(float));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(anchor);
  return b.create<ConstantOp>(anchor->getLoc(), makeF32Weight(type, name, std::move(blob)),
                              b.getStringAttr(name));
}

struct FoldBatchNormPass : public tilec::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  void runOnOperation() override {
    // 1. Collect first: folding erases ops.
    SmallVector<BatchNormOp> norms;
    getOperation().walk([&](BatchNormOp bn) { norms.push_back(bn); });
    // 2. Fold each into its producer, or lower it to scale and shift.
    for (BatchNormOp bn : norms)
      if (failed(foldIntoProducer(bn)))
        lowerToScaleShift(bn);
  }

  /// Per-channel scale s = gamma / sqrt(var + eps) and shift beta - mean * s.
  static bool scaleShift(BatchNormOp bn, std::vector<float> &scale, std::vector<float> &shift) {
    auto g = constantData(bn.getScale()), b = constantData(bn.getBias()),
         m = constantData(bn.getMean()), v = constantData(bn.getVariance());
    if (!g || !b || !m || !v)
      return false;
    double eps = bn.getEpsilon().convertToDouble();
    scale.resize(g->size());
    shift.resize(g->size());
    for (size_t c = 0; c < g->size(); ++c) {
      double s = (*g)[c] / std::sqrt(double((*v)[c]) + eps);
      scale[c] = float(s);
      shift[c] = float((*b)[c] - (*m)[c] * s);
    }
    return true;
  }

  LogicalResult foldIntoProducer(BatchNormOp bn) {
    Operation *producer = bn.getInput().getDefiningOp();
    if (!producer || !producer->hasOneUse() || !isa<Conv2DOp, LinearOp>(producer))
      return failure();
    if (isa<LinearOp>(producer) && bn.getInput().getType().getRank() != 2)
      return failure(); // batch norm's channel dim 1 is linear's feature dim only at rank 2
    Value weight = producer->getOperand(1);
    Value bias = producer->getNumOperands() > 2 ? producer->getOperand(2) : Value();
    auto w = constantData(weight);
    std::optional<std::vector<float>> b = bias ? constantData(bias) : std::vector<float>();
    std::vector<float> scale, shift;
    if (!w || !b || !scaleShift(bn, scale, shift))
      return failure();
    int64_t channels = scale.size(), perChannel = w->size() / channels;
    std::vector<float> newBias(channels);
    for (int64_t o = 0; o < channels; ++o) {
      for (int64_t i = 0; i < perChannel; ++i)
        (*w)[o * perChannel + i] *= scale[o];
      newBias[o] = ((b->empty() ? 0.0f : (*b)[o]) * scale[o]) + shift[o];
    }
    OpBuilder builder(producer);
    ArrayRef<int64_t> wShape = cast<ShapedType>(weight.getType()).getShape();
    std::string layer = "folded";
    if (auto c = weight.getDefiningOp<ConstantOp>(); c && c.getName())
      layer = StringRef(*c.getName()).rsplit('.').first.str();
    Value newWeight = makeWeight(builder, producer, weight, layer + ".weight", wShape, *w);
    Value newBiasValue = makeWeight(builder, producer, bias, layer + ".bias", {channels}, newBias);
    producer->setOperand(1, newWeight);
    if (bias) {
      producer->setOperand(2, newBiasValue);
    } else if (auto conv = dyn_cast<Conv2DOp>(producer)) {
      conv.getBiasMutable().assign(newBiasValue);
    } else {
      cast<LinearOp>(producer).getBiasMutable().assign(newBiasValue);
    }
    bn.getOutput().replaceAllUsesWith(bn.getInput());
    bn.erase();
    return success();
  }

  void lowerToScaleShift(BatchNormOp bn) {
    std::vector<float> scale, shift;
    if (!scaleShift(bn, scale, shift))
      return; // non-constant statistics: leave the op (it still gets a dispatch)
    SmallVector<int64_t> shape(bn.getInput().getType().getRank() - 1, 1);
    shape[0] = scale.size(); // [C, 1, 1]: broadcasts over N and the spatial dims
    OpBuilder b(bn);
    auto literal = [&](ArrayRef<float> data) {
      auto type = RankedTensorType::get(shape, b.getF32Type());
      return b.create<ConstantOp>(bn.getLoc(), DenseElementsAttr::get(type, data), StringAttr());
    };
    Value scaled = b.create<MulOp>(bn.getLoc(), bn.getInput(), literal(scale));
    Value shifted = b.create<AddOp>(bn.getLoc(), scaled, literal(shift));
    bn.getOutput().replaceAllUsesWith(shifted);
    bn.erase();
  }
};

} // namespace
