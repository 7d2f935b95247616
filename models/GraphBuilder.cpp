//===- GraphBuilder.cpp - layer-level helpers for zoo builders ------------===//

#include "models/GraphBuilder.h"

#include "ir/TilecDialect.h"
#include "ir/Weights.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/Hashing.h"

#include <cmath>

using namespace mlir;
using namespace tilec;
using namespace tilec::models;

namespace {

/// splitmix64: a small, well-mixed generator; one stream per parameter.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform01() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
};

void fillParameter(MutableArrayRef<float> data, Init init, uint64_t seed) {
  Rng rng{seed};
  switch (init.kind) {
  case Init::Zeros:
    std::fill(data.begin(), data.end(), 0.0f);
    return;
  case Init::Ones:
    std::fill(data.begin(), data.end(), 1.0f);
    return;
  case Init::Uniform:
    for (float &v : data)
      v = static_cast<float>((2.0 * rng.uniform01() - 1.0) * init.scale);
    return;
  case Init::Normal:
    // Box-Muller, two values per pair of uniforms.
    for (size_t i = 0; i < data.size(); i += 2) {
      double u1 = std::max(rng.uniform01(), 1e-300), u2 = rng.uniform01();
      double r = std::sqrt(-2.0 * std::log(u1)) * init.scale;
      data[i] = static_cast<float>(r * std::cos(2 * M_PI * u2));
      if (i + 1 < data.size())
        data[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2));
    }
    return;
  }
}

} // namespace

int64_t tilec::models::makeDivisible(double value, int64_t divisor) {
  int64_t rounded = std::max(divisor, int64_t(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value)
    rounded += divisor;
  return rounded;
}

GraphBuilder::GraphBuilder(MLIRContext &context, StringRef modelName,
                           const ModelOptions &options, ArrayRef<int64_t> inputShape)
    : opts(options), module(ModuleOp::create(UnknownLoc::get(&context))), b(&context) {
  loadZooDialects(context);
  module->getOperation()->setAttr("tilec.model", b.getStringAttr(modelName));
  b.setInsertionPointToEnd(module->getBody());
  auto inputType = RankedTensorType::get(inputShape, b.getF32Type());
  function = b.create<func::FuncOp>(loc("main"), "main",
                                    b.getFunctionType({inputType}, {}));
  Block *entry = function.addEntryBlock();
  inputValue = entry->getArgument(0);
  b.setInsertionPointToEnd(entry);
}

ArrayRef<int64_t> GraphBuilder::shape(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

Location GraphBuilder::loc(StringRef name) {
  return NameLoc::get(b.getStringAttr(name.empty() ? StringRef(currentName) : name));
}

Value GraphBuilder::parameter(StringRef name, ArrayRef<int64_t> shape, Init init) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  bool zeroed = opts.weights == WeightInit::Zeros || init.kind == Init::Zeros;
  AsmResourceBlob blob = allocateF32Blob(type.getNumElements(), zeroed);
  if (!zeroed) {
    auto *data = reinterpret_cast<float *>(blob.getMutableData().data());
    uint64_t seed = llvm::hash_combine(opts.seed, name);
    fillParameter(MutableArrayRef<float>(data, type.getNumElements()), init, seed);
  }
  return b.create<ConstantOp>(loc(name), makeF32Weight(type, name, std::move(blob)),
                              b.getStringAttr(name));
}

Value GraphBuilder::conv(Value x, StringRef name, int64_t outChannels, int64_t kernel,
                         int64_t stride, int64_t pad, int64_t groups, bool bias) {
  currentName = name.str();
  int64_t inPerGroup = shape(x)[1] / groups;
  // Kaiming normal, fan-in mode (He et al. 2015; PyTorch's default mode), ReLU
  // gain: std = sqrt(2 / (in / groups * k * k)). It keeps activations at unit
  // scale with depth when batch norm is the identity (fresh running statistics);
  // torchvision's fan-out mode makes MobileNet/EfficientNet signals vanish and
  // DenseNet's explode, which would leave random-weight numerical tests blind.
  double std = std::sqrt(2.0 / double(inPerGroup * kernel * kernel));
  Value w = parameter((name + ".weight").str(), {outChannels, inPerGroup, kernel, kernel},
                      Init::normal(std));
  Value bv = bias ? parameter((name + ".bias").str(), {outChannels}, Init::zeros()) : Value();
  return b.create<Conv2DOp>(loc(name), x, w, bv, b.getDenseI64ArrayAttr({stride, stride}),
                            b.getDenseI64ArrayAttr({pad, pad, pad, pad}),
                            b.getDenseI64ArrayAttr({1, 1}), b.getI64IntegerAttr(groups), /*layout=*/StringAttr());
}

Value GraphBuilder::batchNorm(Value x, StringRef name, double eps) {
  currentName = name.str();
  int64_t c = shape(x)[1];
  auto p = [&](StringRef suffix, Init init) {
    return parameter((name + suffix).str(), {c}, init);
  };
  Value scale = p(".weight", Init::ones()), shift = p(".bias", Init::zeros());
  Value mean = p(".running_mean", Init::zeros()), var = p(".running_var", Init::ones());
  return b.create<BatchNormOp>(loc(name), x, scale, shift, mean, var, b.getF64FloatAttr(eps));
}

Value GraphBuilder::linear(Value x, StringRef name, int64_t outFeatures, bool bias) {
  currentName = name.str();
  int64_t in = shape(x).back();
  Init init = Init::uniform(1.0 / std::sqrt(double(in)));
  Value w = parameter((name + ".weight").str(), {outFeatures, in}, init);
  Value bv = bias ? parameter((name + ".bias").str(), {outFeatures}, init) : Value();
  return b.create<LinearOp>(loc(name), x, w, bv);
}

Value GraphBuilder::linear(Value x, Value weight, Value bias) {
  return b.create<LinearOp>(loc(""), x, weight, bias);
}

Value GraphBuilder::literal(ArrayRef<int64_t> shape, float value) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return b.create<ConstantOp>(loc(""), DenseElementsAttr::get(type, value), StringAttr());
}

Value GraphBuilder::layerNorm(Value x, StringRef name, double eps) {
  currentName = name.str();
  int64_t d = shape(x).back();
  Value w = parameter((name + ".weight").str(), {d}, Init::ones());
  Value bv = parameter((name + ".bias").str(), {d}, Init::zeros());
  return b.create<LayerNormOp>(loc(name), x, w, bv, b.getI64IntegerAttr(-1),
                               b.getF64FloatAttr(eps));
}

Value GraphBuilder::relu(Value x) { return b.create<ReluOp>(loc(""), x); }
Value GraphBuilder::relu6(Value x) {
  return b.create<ClipOp>(loc(""), x, b.getF64FloatAttr(0.0), b.getF64FloatAttr(6.0));
}
Value GraphBuilder::tanh(Value x) { return b.create<TanhOp>(loc(""), x); }
Value GraphBuilder::sigmoid(Value x) { return b.create<SigmoidOp>(loc(""), x); }
Value GraphBuilder::silu(Value x) { return b.create<SiluOp>(loc(""), x); }
Value GraphBuilder::hardswish(Value x) { return b.create<HardswishOp>(loc(""), x); }
Value GraphBuilder::hardsigmoid(Value x) {
  return b.create<HardsigmoidOp>(loc(""), x, b.getF64FloatAttr(1.0 / 6.0),
                                 b.getF64FloatAttr(0.5));
}
Value GraphBuilder::gelu(Value x) {
  return b.create<GeluOp>(loc(""), x, b.getStringAttr("none"));
}
Value GraphBuilder::dropout(Value x, double ratio) {
  return b.create<DropoutOp>(loc(""), x, b.getF64FloatAttr(ratio));
}
Value GraphBuilder::add(Value a, Value c) { return b.create<AddOp>(loc(""), a, c); }
Value GraphBuilder::mul(Value a, Value c) { return b.create<MulOp>(loc(""), a, c); }
Value GraphBuilder::matmul(Value a, Value c) { return b.create<MatmulOp>(loc(""), a, c); }
Value GraphBuilder::softmax(Value x, int64_t axis) {
  return b.create<SoftmaxOp>(loc(""), x, b.getI64IntegerAttr(axis));
}
Value GraphBuilder::lrn(Value x, int64_t size, double alpha, double beta, double bias) {
  return b.create<LrnOp>(loc(""), x, b.getI64IntegerAttr(size), b.getF64FloatAttr(alpha),
                         b.getF64FloatAttr(beta), b.getF64FloatAttr(bias));
}

Value GraphBuilder::maxPool(Value x, int64_t kernel, int64_t stride, int64_t pad,
                            bool ceilMode) {
  return b.create<MaxPool2DOp>(loc(""), x, b.getDenseI64ArrayAttr({kernel, kernel}),
                               b.getDenseI64ArrayAttr({stride, stride}),
                               b.getDenseI64ArrayAttr({pad, pad, pad, pad}),
                               b.getDenseI64ArrayAttr({1, 1}), b.getBoolAttr(ceilMode),
                               /*layout=*/StringAttr());
}

Value GraphBuilder::avgPool(Value x, int64_t kernel, int64_t stride, int64_t pad,
                            bool ceilMode, bool countIncludePad) {
  return b.create<AvgPool2DOp>(loc(""), x, b.getDenseI64ArrayAttr({kernel, kernel}),
                               b.getDenseI64ArrayAttr({stride, stride}),
                               b.getDenseI64ArrayAttr({pad, pad, pad, pad}),
                               b.getBoolAttr(ceilMode), b.getBoolAttr(countIncludePad),
                               /*layout=*/StringAttr());
}

Value GraphBuilder::adaptiveAvgPool(Value x, int64_t outH, int64_t outW) {
  return b.create<AdaptiveAvgPool2DOp>(loc(""), x, b.getDenseI64ArrayAttr({outH, outW}));
}

Value GraphBuilder::flatten(Value x, int64_t startDim) {
  return b.create<FlattenOp>(loc(""), x, b.getI64IntegerAttr(startDim),
                             b.getI64IntegerAttr(-1));
}

Value GraphBuilder::concat(ArrayRef<Value> xs, int64_t axis) {
  return b.create<ConcatOp>(loc(""), xs, b.getI64IntegerAttr(axis));
}

Value GraphBuilder::reshape(Value x, ArrayRef<int64_t> newShape) {
  return b.create<ReshapeOp>(loc(""), x, b.getDenseI64ArrayAttr(newShape));
}

Value GraphBuilder::broadcast(Value x, ArrayRef<int64_t> newShape) {
  return b.create<BroadcastOp>(loc(""), x, b.getDenseI64ArrayAttr(newShape));
}

Value GraphBuilder::transpose(Value x, ArrayRef<int64_t> permutation) {
  return b.create<TransposeOp>(loc(""), x, b.getDenseI64ArrayAttr(permutation));
}

Value GraphBuilder::slice(Value x, int64_t axis, int64_t start, int64_t end) {
  return b.create<SliceOp>(loc(""), x, b.getDenseI64ArrayAttr({axis}),
                           b.getDenseI64ArrayAttr({start}), b.getDenseI64ArrayAttr({end}),
                           b.getDenseI64ArrayAttr({1}));
}

FailureOr<OwningOpRef<ModuleOp>> GraphBuilder::finish(Value output) {
  b.create<func::ReturnOp>(loc("output"), output);
  function.setFunctionType(b.getFunctionType(function.getArgumentTypes(), {output.getType()}));
  if (failed(verify(*module)))
    return failure();
  return std::move(module);
}
