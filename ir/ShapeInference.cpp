//===- ShapeInference.cpp - result types of the shape-changing ops --------===//
//
// Each `inferReturnTypes` here is both the shape function and the verifier of
// its op: the InferTypeOpInterface verifier re-runs it and compares the result
// with the declared type. Every failure names the op and says what is wrong;
// nothing here asserts on user input.
//
//===----------------------------------------------------------------------===//

#include "ir/ShapeUtils.h"
#include "ir/TilecDialect.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace tilec;

namespace {

/// Emits "'<op>' op <message...>" at `loc` (when inference runs without a
/// location, e.g. from a builder probing types, nothing is emitted) and fails.
template <typename OpT, typename... Args>
LogicalResult fail(std::optional<Location> loc, Args &&...args) {
  return emitOptionalError(loc, "'", OpT::getOperationName(), "' op ",
                           std::forward<Args>(args)...);
}

/// The shape of `v` if it is a statically shaped ranked tensor.
FailureOr<ArrayRef<int64_t>> staticShape(Value v) {
  auto type = dyn_cast_if_present<RankedTensorType>(v ? v.getType() : Type());
  if (!type || !type.hasStaticShape())
    return failure();
  return type.getShape();
}

Type elementType(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }

/// Gathers the static shapes of `values` (null values are skipped), failing with
/// a diagnostic if one is not a static tensor.
template <typename OpT>
LogicalResult getShapes(std::optional<Location> loc, ArrayRef<Value> values,
                        SmallVectorImpl<ArrayRef<int64_t>> &shapes) {
  for (auto [i, v] : llvm::enumerate(values)) {
    if (!v) {
      shapes.push_back({});
      continue;
    }
    FailureOr<ArrayRef<int64_t>> shape = staticShape(v);
    if (failed(shape))
      return fail<OpT>(loc, "operand #", i, " must be a statically shaped tensor, got ",
                       v.getType());
    shapes.push_back(*shape);
  }
  return success();
}

template <typename OpT>
LogicalResult sameElementTypes(std::optional<Location> loc, ArrayRef<Value> values) {
  Type first;
  for (Value v : values) {
    if (!v)
      continue;
    if (!first)
      first = elementType(v);
    else if (elementType(v) != first)
      return fail<OpT>(loc, "operands must share one element type, got ", first,
                       " and ", elementType(v));
  }
  return success();
}

/// Contractions (conv2d, matmul, linear, attention) take their input and
/// weight (query, key, value) in one element type: f32, or bf16 / f16
/// (`tilec-set-precision`). 16-bit products are accumulated in f32, so the
/// result (and the bias) is f32 then.
Type accumulatorType(Type operand) {
  return operand.isBF16() || operand.isF16() ? Float32Type::get(operand.getContext()) : operand;
}

template <typename OpT>
LogicalResult checkContractionTypes(std::optional<Location> loc, Value input, Value weight,
                                    Value bias) {
  if (failed(sameElementTypes<OpT>(loc, {input, weight})))
    return failure();
  Type acc = accumulatorType(elementType(input));
  if (bias && elementType(bias) != acc)
    return fail<OpT>(loc, "bias must be ", acc, " (the accumulator type), got ",
                     bias.getType());
  return success();
}

template <typename OpT>
LogicalResult checkAllPositive(std::optional<Location> loc, ArrayRef<int64_t> values,
                               size_t size, StringRef name, int64_t min = 1) {
  if (values.size() != size)
    return fail<OpT>(loc, name, " must have ", size, " entries, got ", values.size());
  for (int64_t v : values)
    if (v < min)
      return fail<OpT>(loc, name, " entries must be >= ", min, ", got ", v);
  return success();
}

/// Output length of a sliding window (convolution or pooling) along one dim.
/// PyTorch's rule: with ceil_mode the last window must start inside the input
/// or its leading padding. Returns <= 0 when no window fits.
int64_t windowOutputSize(int64_t in, int64_t padBegin, int64_t padEnd, int64_t kernel,
                         int64_t stride, int64_t dilation, bool ceilMode) {
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

/// Shared by convolution and pooling: checks the window attributes and computes
/// [N, C, OH, OW] for an input [N, C, H, W].
template <typename OpT>
FailureOr<SmallVector<int64_t>>
inferWindowShape(std::optional<Location> loc, ArrayRef<int64_t> input, int64_t channels,
                 ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> padding, ArrayRef<int64_t> dilations, bool ceilMode) {
  if (input.size() != 4)
    return fail<OpT>(loc, "expects a 4-D NCHW input, got rank ", input.size());
  if (failed(checkAllPositive<OpT>(loc, kernel, 2, "kernel")) ||
      failed(checkAllPositive<OpT>(loc, strides, 2, "strides")) ||
      failed(checkAllPositive<OpT>(loc, padding, 4, "padding [top, left, bottom, right]",
                                   /*min=*/0)) ||
      failed(checkAllPositive<OpT>(loc, dilations, 2, "dilations")))
    return failure();
  SmallVector<int64_t> result = {input[0], channels, 0, 0};
  for (int d = 0; d < 2; ++d) {
    result[2 + d] = windowOutputSize(input[2 + d], padding[d], padding[2 + d], kernel[d],
                                     strides[d], dilations[d], ceilMode);
    if (result[2 + d] <= 0)
      return fail<OpT>(loc, "window of ", kernel[d], " (dilation ", dilations[d],
                       ") does not fit input dimension ", input[2 + d], " padded by ",
                       padding[d], " + ", padding[2 + d]);
  }
  return result;
}

/// Checks an optional `layout` attribute; on success `channelsLast` says NHWC.
template <typename OpT>
LogicalResult checkLayout(std::optional<Location> loc, std::optional<StringRef> layout,
                          bool &channelsLast) {
  if (layout && *layout != "nchw" && *layout != "nhwc")
    return fail<OpT>(loc, "layout must be \"nchw\" or \"nhwc\", got \"", *layout, "\"");
  channelsLast = isChannelsLast(layout);
  return success();
}

/// [N, H, W, C] <-> [N, C, H, W] (rank 4; other ranks are returned as they are).
SmallVector<int64_t> nhwcToNchw(ArrayRef<int64_t> s) {
  if (s.size() != 4)
    return SmallVector<int64_t>(s);
  return {s[0], s[3], s[1], s[2]};
}
SmallVector<int64_t> nchwToNhwc(ArrayRef<int64_t> s) {
  if (s.size() != 4)
    return SmallVector<int64_t>(s);
  return {s[0], s[2], s[3], s[1]};
}

void pushTensor(SmallVectorImpl<Type> &inferred, ArrayRef<int64_t> shape, Type element) {
  inferred.push_back(RankedTensorType::get(shape, element));
}

/// Shape inference of the four broadcasting binary ops.
template <typename OpT>
LogicalResult inferBinary(std::optional<Location> loc, Value lhs, Value rhs,
                          SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<OpT>(loc, {lhs, rhs}, s)) ||
      failed(sameElementTypes<OpT>(loc, {lhs, rhs})))
    return failure();
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(s[0], s[1]);
  if (!shape)
    return fail<OpT>(loc, "operand shapes ", lhs.getType(), " and ", rhs.getType(),
                     " do not broadcast");
  pushTensor(inferred, *shape, elementType(lhs));
  return success();
}

/// Shape inference of the reductions.
template <typename OpT>
LogicalResult inferReduce(std::optional<Location> loc, typename OpT::Adaptor adaptor,
                          SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<OpT>(loc, {adaptor.getInput()}, s)))
    return failure();
  int64_t rank = s[0].size();
  if (adaptor.getAxes().empty())
    return fail<OpT>(loc, "needs at least one axis to reduce");
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : adaptor.getAxes()) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a)
      return fail<OpT>(loc, "axis ", axis, " is out of range for rank ", rank);
    if (reduced[*a])
      return fail<OpT>(loc, "axis ", axis, " is listed twice");
    reduced[*a] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      shape.push_back(s[0][d]);
    else if (adaptor.getKeepdims())
      shape.push_back(1);
  }
  pushTensor(inferred, shape, elementType(adaptor.getInput()));
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Convolution and matrix products
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  Value input = adaptor.getInput(), weight = adaptor.getWeight(), bias = adaptor.getBias();
  if (failed(getShapes<Conv2DOp>(loc, {input, weight, bias}, s)) ||
      failed(checkContractionTypes<Conv2DOp>(loc, input, weight, bias)))
    return failure();
  bool channelsLast = false;
  if (failed(checkLayout<Conv2DOp>(loc, adaptor.getLayout(), channelsLast)))
    return failure();
  int64_t groups = adaptor.getGroups();
  if (s[1].size() != 4)
    return fail<Conv2DOp>(loc, "expects a 4-D ", channelsLast ? "HWIO" : "OIHW",
                          " weight, got rank ", s[1].size());
  if (s[0].size() != 4)
    return fail<Conv2DOp>(loc, "expects a 4-D ", channelsLast ? "NHWC" : "NCHW",
                          " input, got rank ", s[0].size());
  // Checked in NCHW / OIHW terms; an HWIO weight is [KH, KW, I, O].
  SmallVector<int64_t> in = channelsLast ? nhwcToNchw(s[0]) : SmallVector<int64_t>(s[0]);
  SmallVector<int64_t> w(s[1]);
  if (channelsLast)
    w = {s[1][3], s[1][2], s[1][0], s[1][1]};
  if (channelsLast && groups != 1 && !(groups == in[1] && w[0] == in[1]))
    return fail<Conv2DOp>(loc, "layout \"nhwc\" takes groups = 1 or a depthwise convolution, "
                          "got groups = ", groups);
  if (groups < 1 || in[1] % groups != 0 || w[0] % groups != 0)
    return fail<Conv2DOp>(loc, "groups = ", groups, " must divide input channels (", in[1],
                          ") and output channels (", w[0], ")");
  if (w[1] * groups != in[1])
    return fail<Conv2DOp>(loc, "weight has ", w[1], " input channels per group but input has ",
                          in[1], " channels in ", groups, " group(s)");
  if (bias && (s[2].size() != 1 || s[2][0] != w[0]))
    return fail<Conv2DOp>(loc, "bias must be [", w[0], "], got ", bias.getType());
  FailureOr<SmallVector<int64_t>> shape = inferWindowShape<Conv2DOp>(
      loc, in, w[0], ArrayRef<int64_t>(w).drop_front(2), adaptor.getStrides(),
      adaptor.getPadding(), adaptor.getDilations(), /*ceilMode=*/false);
  if (failed(shape))
    return failure();
  pushTensor(inferred, channelsLast ? nchwToNhwc(*shape) : *shape,
             accumulatorType(elementType(input)));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
  if (failed(getShapes<MatmulOp>(loc, {lhs, rhs}, s)) ||
      failed(checkContractionTypes<MatmulOp>(loc, lhs, rhs, Value())))
    return failure();
  ArrayRef<int64_t> a = s[0], b = s[1];
  if (a.size() < 2 || b.size() < 2)
    return fail<MatmulOp>(loc, "operands must have rank >= 2, got ", a.size(), " and ",
                          b.size());
  if (a.back() != b[b.size() - 2])
    return fail<MatmulOp>(loc, "contraction sizes differ: lhs has K = ", a.back(),
                          ", rhs has K = ", b[b.size() - 2]);
  std::optional<SmallVector<int64_t>> batch =
      broadcastShapes(a.drop_back(2), b.drop_back(2));
  if (!batch)
    return fail<MatmulOp>(loc, "batch dimensions of ", lhs.getType(), " and ",
                          rhs.getType(), " do not broadcast");
  batch->push_back(a[a.size() - 2]);
  batch->push_back(b.back());
  pushTensor(inferred, *batch, accumulatorType(elementType(lhs)));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  Value input = adaptor.getInput(), weight = adaptor.getWeight(), bias = adaptor.getBias();
  if (failed(getShapes<LinearOp>(loc, {input, weight, bias}, s)) ||
      failed(checkContractionTypes<LinearOp>(loc, input, weight, bias)))
    return failure();
  if (s[0].empty() || s[1].size() != 2)
    return fail<LinearOp>(loc, "expects input [..., K] and weight [N, K], got ",
                          input.getType(), " and ", weight.getType());
  if (s[0].back() != s[1][1])
    return fail<LinearOp>(loc, "input has K = ", s[0].back(), " but weight has K = ", s[1][1]);
  if (bias && (s[2].size() != 1 || s[2][0] != s[1][0]))
    return fail<LinearOp>(loc, "bias must be [", s[1][0], "], got ", bias.getType());
  SmallVector<int64_t> shape(s[0]);
  shape.back() = s[1][0];
  pushTensor(inferred, shape, accumulatorType(elementType(input)));
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  Value q = adaptor.getQuery(), k = adaptor.getKey(), v = adaptor.getValue();
  if (failed(getShapes<AttentionOp>(loc, {q, k, v}, s)) ||
      failed(sameElementTypes<AttentionOp>(loc, {q, k, v})))
    return failure();
  size_t rank = s[0].size();
  if (rank < 2 || s[1].size() != rank || s[2].size() != rank)
    return fail<AttentionOp>(loc, "query, key and value need the same rank >= 2");
  if (s[0].drop_back(2) != s[1].drop_back(2) || s[0].drop_back(2) != s[2].drop_back(2))
    return fail<AttentionOp>(loc, "query, key and value differ in their leading dims");
  if (s[0].back() != s[1].back())
    return fail<AttentionOp>(loc, "query has depth ", s[0].back(), " but key has ", s[1].back());
  if (s[1][rank - 2] != s[2][rank - 2])
    return fail<AttentionOp>(loc, "key has ", s[1][rank - 2], " positions but value has ",
                             s[2][rank - 2]);
  SmallVector<int64_t> shape(s[0]);
  shape.back() = s[2].back();
  pushTensor(inferred, shape, accumulatorType(elementType(q)));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

#define TILEC_BINARY_INFERENCE(OpClass)                                        \
  LogicalResult OpClass::inferReturnTypes(MLIRContext *, std::optional<Location> loc,\
                                          Adaptor adaptor,                     \
                                          SmallVectorImpl<Type> &inferred) {   \
    return inferBinary<OpClass>(loc, adaptor.getLhs(), adaptor.getRhs(), inferred);\
  }
TILEC_BINARY_INFERENCE(AddOp)
TILEC_BINARY_INFERENCE(SubOp)
TILEC_BINARY_INFERENCE(MulOp)
TILEC_BINARY_INFERENCE(DivOp)
#undef TILEC_BINARY_INFERENCE

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  Value input = adaptor.getInput();
  if (failed(getShapes<LayerNormOp>(loc, {input, adaptor.getWeight(), adaptor.getBias()}, s)) ||
      failed(sameElementTypes<LayerNormOp>(loc, {input, adaptor.getWeight(), adaptor.getBias()})))
    return failure();
  std::optional<int64_t> axis = normalizeAxis(adaptor.getAxis(), s[0].size());
  if (!axis)
    return fail<LayerNormOp>(loc, "axis ", adaptor.getAxis(), " is out of range for rank ",
                             s[0].size());
  ArrayRef<int64_t> normalized = s[0].drop_front(*axis);
  if (s[1] != normalized || s[2] != normalized)
    return fail<LayerNormOp>(loc, "weight and bias must have the normalized shape of ",
                             input.getType(), " from axis ", *axis);
  if (adaptor.getEpsilon().convertToDouble() < 0)
    return fail<LayerNormOp>(loc, "epsilon must be >= 0");
  inferred.push_back(input.getType());
  return success();
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  SmallVector<Value> operands(adaptor.getOperands());
  if (failed(getShapes<BatchNormOp>(loc, operands, s)) ||
      failed(sameElementTypes<BatchNormOp>(loc, operands)))
    return failure();
  if (s[0].size() < 2)
    return fail<BatchNormOp>(loc, "expects an input of rank >= 2 (N, C, ...), got rank ",
                             s[0].size());
  for (size_t i = 1; i < 5; ++i)
    if (s[i].size() != 1 || s[i][0] != s[0][1])
      return fail<BatchNormOp>(loc, "scale, bias, mean and variance must be [", s[0][1],
                               "], operand #", i, " is ", operands[i].getType());
  if (adaptor.getEpsilon().convertToDouble() < 0)
    return fail<BatchNormOp>(loc, "epsilon must be >= 0");
  inferred.push_back(operands[0].getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

LogicalResult MaxPool2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  bool channelsLast = false;
  if (failed(getShapes<MaxPool2DOp>(loc, {adaptor.getInput()}, s)) ||
      failed(checkLayout<MaxPool2DOp>(loc, adaptor.getLayout(), channelsLast)))
    return failure();
  SmallVector<int64_t> in = channelsLast ? nhwcToNchw(s[0]) : SmallVector<int64_t>(s[0]);
  int64_t channels = in.size() == 4 ? in[1] : 0;
  FailureOr<SmallVector<int64_t>> shape = inferWindowShape<MaxPool2DOp>(
      loc, in, channels, adaptor.getKernel(), adaptor.getStrides(), adaptor.getPadding(),
      adaptor.getDilations(), adaptor.getCeilMode());
  if (failed(shape))
    return failure();
  pushTensor(inferred, channelsLast ? nchwToNhwc(*shape) : *shape,
             elementType(adaptor.getInput()));
  return success();
}

LogicalResult AvgPool2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  bool channelsLast = false;
  if (failed(getShapes<AvgPool2DOp>(loc, {adaptor.getInput()}, s)) ||
      failed(checkLayout<AvgPool2DOp>(loc, adaptor.getLayout(), channelsLast)))
    return failure();
  SmallVector<int64_t> in = channelsLast ? nhwcToNchw(s[0]) : SmallVector<int64_t>(s[0]);
  int64_t channels = in.size() == 4 ? in[1] : 0;
  int64_t unitDilation[] = {1, 1};
  FailureOr<SmallVector<int64_t>> shape = inferWindowShape<AvgPool2DOp>(
      loc, in, channels, adaptor.getKernel(), adaptor.getStrides(), adaptor.getPadding(),
      unitDilation, adaptor.getCeilMode());
  if (failed(shape))
    return failure();
  pushTensor(inferred, channelsLast ? nchwToNhwc(*shape) : *shape,
             elementType(adaptor.getInput()));
  return success();
}

LogicalResult GlobalAvgPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  bool channelsLast = false;
  if (failed(getShapes<GlobalAvgPoolOp>(loc, {adaptor.getInput()}, s)) ||
      failed(checkLayout<GlobalAvgPoolOp>(loc, adaptor.getLayout(), channelsLast)))
    return failure();
  if (s[0].size() < 3)
    return fail<GlobalAvgPoolOp>(loc, "expects an input of rank >= 3 (N, C, spatial...), got rank ",
                                 s[0].size());
  if (channelsLast && s[0].size() != 4)
    return fail<GlobalAvgPoolOp>(loc, "layout \"nhwc\" needs a 4-D input, got rank ",
                                 s[0].size());
  SmallVector<int64_t> shape(s[0]);
  if (channelsLast)
    shape = {s[0][0], 1, 1, s[0][3]};
  else
    std::fill(shape.begin() + 2, shape.end(), 1);
  pushTensor(inferred, shape, elementType(adaptor.getInput()));
  return success();
}

LogicalResult AdaptiveAvgPool2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                    Adaptor adaptor,
                                                    SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<AdaptiveAvgPool2DOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  if (s[0].size() != 4)
    return fail<AdaptiveAvgPool2DOp>(loc, "expects a 4-D NCHW input, got rank ", s[0].size());
  if (failed(checkAllPositive<AdaptiveAvgPool2DOp>(loc, adaptor.getOutputSize(), 2,
                                                   "output_size")))
    return failure();
  pushTensor(inferred, {s[0][0], s[0][1], adaptor.getOutputSize()[0], adaptor.getOutputSize()[1]},
             elementType(adaptor.getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<Value> inputs(adaptor.getInputs());
  SmallVector<ArrayRef<int64_t>> s;
  if (inputs.empty())
    return fail<ConcatOp>(loc, "needs at least one input");
  if (failed(getShapes<ConcatOp>(loc, inputs, s)) ||
      failed(sameElementTypes<ConcatOp>(loc, inputs)))
    return failure();
  std::optional<int64_t> axis = normalizeAxis(adaptor.getAxis(), s[0].size());
  if (!axis)
    return fail<ConcatOp>(loc, "axis ", adaptor.getAxis(), " is out of range for rank ",
                          s[0].size());
  SmallVector<int64_t> shape(s[0]);
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i].size() != shape.size())
      return fail<ConcatOp>(loc, "input #", i, " has rank ", s[i].size(), ", expected ",
                            shape.size());
    for (size_t d = 0; d < shape.size(); ++d)
      if (d != size_t(*axis) && s[i][d] != shape[d])
        return fail<ConcatOp>(loc, "input #", i, " has size ", s[i][d], " in dimension ", d,
                              ", expected ", shape[d], " (only axis ", *axis, " may differ)");
    shape[*axis] += s[i][*axis];
  }
  pushTensor(inferred, shape, elementType(inputs[0]));
  return success();
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<ReshapeOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  int64_t total = ShapedType::getNumElements(s[0]);
  SmallVector<int64_t> shape(adaptor.getShape());
  int64_t known = 1, inferredDim = -1;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d == -1 && inferredDim < 0) {
      inferredDim = i;
    } else if (d == -1) {
      return fail<ReshapeOp>(loc, "shape may contain at most one -1");
    } else if (d < 0) {
      return fail<ReshapeOp>(loc, "shape entries must be >= 0 or -1, got ", d);
    } else {
      known *= d;
    }
  }
  if (inferredDim >= 0) {
    if (known == 0 || total % known != 0)
      return fail<ReshapeOp>(loc, "cannot infer the -1 entry: ", total,
                             " elements are not a multiple of ", known);
    shape[inferredDim] = total / known;
  } else if (known != total) {
    return fail<ReshapeOp>(loc, "shape has ", known, " elements but input has ", total);
  }
  pushTensor(inferred, shape, elementType(adaptor.getInput()));
  return success();
}

LogicalResult BroadcastOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<BroadcastOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  ArrayRef<int64_t> target = adaptor.getShape();
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(s[0], target);
  if (!shape || ArrayRef<int64_t>(*shape) != target)
    return fail<BroadcastOp>(loc, "cannot broadcast ", adaptor.getInput().getType(),
                             " to shape ", formatShape(target));
  pushTensor(inferred, target, elementType(adaptor.getInput()));
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<FlattenOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  int64_t rank = s[0].size();
  std::optional<int64_t> start = normalizeAxis(adaptor.getStartDim(), rank);
  std::optional<int64_t> end = normalizeAxis(adaptor.getEndDim(), rank);
  if (!start || !end || *start > *end)
    return fail<FlattenOp>(loc, "needs 0 <= start_dim <= end_dim < rank after normalizing, got ",
                           adaptor.getStartDim(), " and ", adaptor.getEndDim(), " for rank ",
                           rank);
  SmallVector<int64_t> shape(s[0].take_front(*start));
  shape.push_back(ShapedType::getNumElements(s[0].slice(*start, *end - *start + 1)));
  llvm::append_range(shape, s[0].drop_front(*end + 1));
  pushTensor(inferred, shape, elementType(adaptor.getInput()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<TransposeOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  SmallVector<bool> seen(s[0].size(), false);
  if (perm.size() != s[0].size())
    return fail<TransposeOp>(loc, "permutation has ", perm.size(), " entries for rank ",
                             s[0].size());
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(s[0].size()) || seen[p])
      return fail<TransposeOp>(loc, "permutation must list each of 0..", s[0].size() - 1,
                               " once, got entry ", p);
    seen[p] = true;
    shape.push_back(s[0][p]);
  }
  pushTensor(inferred, shape, elementType(adaptor.getInput()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<SliceOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  ArrayRef<int64_t> axes = adaptor.getAxes(), starts = adaptor.getStarts(),
                    ends = adaptor.getEnds(), steps = adaptor.getSteps();
  if (starts.size() != axes.size() || ends.size() != axes.size() || steps.size() != axes.size())
    return fail<SliceOp>(loc, "axes, starts, ends and steps must have the same length");
  SmallVector<int64_t> shape(s[0]);
  SmallVector<bool> seen(shape.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(axes[i], shape.size());
    if (!axis || seen[*axis])
      return fail<SliceOp>(loc, "axis ", axes[i], " is out of range or repeated");
    seen[*axis] = true;
    if (steps[i] < 1)
      return fail<SliceOp>(loc, "steps must be >= 1 (negative steps are not supported), got ",
                           steps[i]);
    int64_t dim = shape[*axis];
    auto clampIndex = [dim](int64_t v) {
      return std::clamp(v < 0 ? v + dim : v, int64_t(0), dim);
    };
    int64_t begin = clampIndex(starts[i]), end = clampIndex(ends[i]);
    shape[*axis] = end > begin ? (end - begin + steps[i] - 1) / steps[i] : 0;
    if (shape[*axis] == 0)
      return fail<SliceOp>(loc, "slice of axis ", *axis, " is empty");
  }
  pushTensor(inferred, shape, elementType(adaptor.getInput()));
  return success();
}

LogicalResult Im2ColOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<Im2ColOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  if (s[0].size() != 4)
    return fail<Im2ColOp>(loc, "expects a 4-D NHWC input, got rank ", s[0].size());
  SmallVector<int64_t> nchw = nhwcToNchw(s[0]);
  FailureOr<SmallVector<int64_t>> out = inferWindowShape<Im2ColOp>(
      loc, nchw, nchw[1], adaptor.getKernel(), adaptor.getStrides(), adaptor.getPadding(),
      adaptor.getDilations(), /*ceilMode=*/false);
  if (failed(out))
    return failure();
  ArrayRef<int64_t> k = adaptor.getKernel();
  int64_t windows = (*out)[0] * (*out)[2] * (*out)[3];
  int64_t rows = adaptor.getRows() ? int64_t(*adaptor.getRows()) : windows;
  if (rows < windows)
    return fail<Im2ColOp>(loc, "rows = ", rows, " is fewer than the ", windows, " windows");
  int64_t taps = k[0] * k[1] * nchw[1];
  int64_t columns = adaptor.getColumns() ? int64_t(*adaptor.getColumns()) : taps;
  if (columns < taps)
    return fail<Im2ColOp>(loc, "columns = ", columns, " is fewer than the window's ", taps,
                          " elements (kernel height x width x channels)");
  pushTensor(inferred, {rows, columns}, elementType(adaptor.getInput()));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> s;
  if (failed(getShapes<PadOp>(loc, {adaptor.getInput()}, s)))
    return failure();
  size_t rank = s[0].size();
  ArrayRef<int64_t> pads = adaptor.getPads();
  if (failed(checkAllPositive<PadOp>(loc, pads, 2 * rank, "pads", /*min=*/0)))
    return failure();
  SmallVector<int64_t> shape(s[0]);
  for (size_t d = 0; d < rank; ++d)
    shape[d] += pads[d] + pads[rank + d];
  pushTensor(inferred, shape, elementType(adaptor.getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceMeanOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferReduce<ReduceMeanOp>(loc, adaptor, inferred);
}
LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferReduce<ReduceSumOp>(loc, adaptor, inferred);
}
LogicalResult ReduceMaxOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  return inferReduce<ReduceMaxOp>(loc, adaptor, inferred);
}
