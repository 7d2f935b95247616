//===- OnnxOps.cpp - ONNX compute-op converters and the dispatch table ----===//
//
// Converters for products, elementwise, normalization and pooling ops (shape
// and data-movement ops are in OnnxDataOps.cpp), and the table that maps every
// op type to its converter, first supported opset and required inputs. Each
// converter reads its inputs through the Importer, checks what the attributes
// ask for, and creates tilec ops (graph path) or, when every input is a
// constant, computes the result at import (host path, HostOps.cpp).
// `unsupportedReason` is the static half of the same knowledge: what the
// coverage report says before anything is built.
//
//===----------------------------------------------------------------------===//

#include "models/onnx/ConvertUtils.h"
#include "models/onnx/HostOps.h"

#include "ir/ShapeUtils.h"

#include <cmath>
#include <functional>
#include <limits>
#include <map>

using namespace mlir;
using namespace tilec;
using namespace tilec::onnx_import;

Value tilec::onnx_import::scalar(Importer &im, float value) {
  OpBuilder &b = im.builder();
  auto type = RankedTensorType::get({1}, b.getF32Type());
  return b.create<ConstantOp>(b.getUnknownLoc(), DenseElementsAttr::get(type, value), StringAttr());
}

namespace {

using Node = onnx::NodeProto;

/// [top, left, bottom, right] padding from auto_pad / pads (ONNX's pads order is
/// [x1_begin, x2_begin, x1_end, x2_end], which is the same).
FailureOr<std::vector<int64_t>> windowPads(Importer &im, const Node &n, ArrayRef<int64_t> input,
                                           ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                           ArrayRef<int64_t> dilations) {
  std::string autoPad = im.attrString(n, "auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    std::vector<int64_t> pads = im.attrInts(n, "pads", {0, 0, 0, 0});
    if (pads.size() != 4)
      return im.fail(n, "pads must have 4 entries for 2-D windows");
    return pads;
  }
  if (autoPad == "VALID")
    return std::vector<int64_t>{0, 0, 0, 0};
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return im.fail(n, "unknown auto_pad '" + autoPad + "'");
  std::vector<int64_t> pads(4);
  for (int d = 0; d < 2; ++d) {
    int64_t out = (input[d] + strides[d] - 1) / strides[d];
    int64_t total = std::max<int64_t>(0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] +
                                             1 - input[d]);
    pads[d] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
    pads[d + 2] = total - pads[d];
  }
  return pads;
}

//===--- products ---------------------------------------------------------===//

LogicalResult convertConv(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0), w = im.value(n, 1), bias = im.optionalValue(n, 2);
  if (failed(x) || failed(w) || failed(bias))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x), ws = shapeOf(*w);
  if (xs.size() != 4 || ws.size() != 4)
    return im.unsupported(n, "only 2-D convolution (4-D input and weight) is supported");
  std::vector<int64_t> strides = im.attrInts(n, "strides", {1, 1});
  std::vector<int64_t> dilations = im.attrInts(n, "dilations", {1, 1});
  if (strides.size() != 2 || dilations.size() != 2)
    return im.fail(n, "strides and dilations need 2 entries");
  auto pads = windowPads(im, n, xs.drop_front(2), ws.drop_front(2), strides, dilations);
  if (failed(pads))
    return failure();
  return emit<Conv2DOp>(im, n, *x, *w, *bias, array(im, strides), array(im, *pads),
                        array(im, dilations),
                        im.builder().getI64IntegerAttr(im.attrInt(n, "group", 1)),
                        /*layout=*/StringAttr());
}

LogicalResult convertGemm(Importer &im, const Node &n) {
  FailureOr<Value> a = im.value(n, 0), bm = im.value(n, 1), c = im.optionalValue(n, 2);
  if (failed(a) || failed(bm) || failed(c))
    return failure();
  float alpha = im.attrFloat(n, "alpha", 1.0f), beta = im.attrFloat(n, "beta", 1.0f);
  bool transA = im.attrInt(n, "transA", 0), transB = im.attrInt(n, "transB", 0);
  Value lhs = *a, rhs = *bm;
  if (transA) {
    FailureOr<Value> t = im.create<TransposeOp>(n, lhs, array(im, {1, 0}));
    if (failed(t))
      return failure();
    lhs = *t;
  }
  int64_t outFeatures = transB ? shapeOf(rhs)[0] : shapeOf(rhs).back();
  bool biasIsVector = *c && beta == 1.0f && shapeOf(*c).size() == 1 && shapeOf(*c)[0] == outFeatures;
  if (transB && alpha == 1.0f && (!*c || biasIsVector)) // a fully connected layer
    return emit<LinearOp>(im, n, lhs, rhs, *c);
  if (transB) {
    FailureOr<Value> t = im.create<TransposeOp>(n, rhs, array(im, {1, 0}));
    if (failed(t))
      return failure();
    rhs = *t;
  }
  FailureOr<Value> y = im.create<MatmulOp>(n, lhs, rhs);
  if (succeeded(y) && alpha != 1.0f)
    y = im.create<MulOp>(n, *y, scalar(im, alpha));
  if (succeeded(y) && *c) {
    FailureOr<Value> bias = beta == 1.0f ? *c : im.create<MulOp>(n, *c, scalar(im, beta));
    y = failed(bias) ? bias : im.create<AddOp>(n, *y, *bias);
  }
  if (failed(y))
    return failure();
  im.setOutput(n, 0, *y);
  return success();
}

LogicalResult convertMatMul(Importer &im, const Node &n) {
  FailureOr<Value> a = im.value(n, 0), c = im.value(n, 1);
  if (failed(a) || failed(c))
    return failure();
  // NumPy semantics for 1-D operands: promote, multiply, drop the added dim.
  std::vector<int64_t> as(shapeOf(*a).begin(), shapeOf(*a).end()),
      cs(shapeOf(*c).begin(), shapeOf(*c).end());
  if (as.empty() || cs.empty())
    return im.fail(n, "operands must have rank >= 1");
  Value lhs = *a, rhs = *c;
  if (as.size() == 1) {
    FailureOr<Value> r = im.create<ReshapeOp>(n, lhs, array(im, {1, as[0]}));
    if (failed(r))
      return failure();
    lhs = *r;
  }
  if (cs.size() == 1) {
    FailureOr<Value> r = im.create<ReshapeOp>(n, rhs, array(im, {cs[0], 1}));
    if (failed(r))
      return failure();
    rhs = *r;
  }
  FailureOr<Value> y = im.create<MatmulOp>(n, lhs, rhs);
  if (failed(y))
    return failure();
  if (as.size() == 1 || cs.size() == 1) {
    std::vector<int64_t> shape(shapeOf(*y).begin(), shapeOf(*y).end());
    if (cs.size() == 1)
      shape.pop_back();
    if (as.size() == 1)
      shape.erase(shape.end() - (cs.size() == 1 ? 1 : 2));
    y = im.create<ReshapeOp>(n, *y, array(im, shape));
    if (failed(y))
      return failure();
  }
  im.setOutput(n, 0, *y);
  return success();
}

//===--- elementwise ------------------------------------------------------===//

template <typename OpT>
LogicalResult convertBinary(Importer &im, const Node &n) {
  if (im.allInputsHost(n))
    return evaluateOnHost(im, n);
  FailureOr<Value> a = im.value(n, 0), c = im.value(n, 1);
  if (failed(a) || failed(c))
    return failure();
  return emit<OpT>(im, n, *a, *c);
}

LogicalResult convertPow(Importer &im, const Node &n) {
  if (im.allInputsHost(n))
    return evaluateOnHost(im, n);
  const HostTensor *e = im.host(n, 1);
  if (!e || e->numel() != 1)
    return im.unsupported(n, "Pow needs a constant scalar exponent");
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  double p = e->at(0);
  if (p == 1.0) {
    im.setOutput(n, 0, *x);
    return success();
  }
  if (p == 2.0)
    return emit<MulOp>(im, n, *x, *x);
  if (p == 0.5)
    return emit<SqrtOp>(im, n, *x);
  if (p == -1.0)
    return emit<ReciprocalOp>(im, n, *x);
  return im.unsupported(n, "Pow with exponent " + std::to_string(p) +
                               " (supported: 0.5, 1, 2, -1)");
}

template <typename OpT>
LogicalResult convertUnary(Importer &im, const Node &n) {
  if (im.allInputsHost(n) && im.host(n, 0)->kind == HostTensor::Float &&
      (n.op_type() == "Sqrt" || n.op_type() == "Reciprocal" || n.op_type() == "Neg" ||
       n.op_type() == "Exp"))
    return evaluateOnHost(im, n);
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  return emit<OpT>(im, n, *x);
}

LogicalResult convertClip(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  double lo = -std::numeric_limits<double>::infinity(), hi = -lo;
  for (int i : {1, 2}) {
    if (!im.has(n, i))
      continue;
    const HostTensor *t = im.host(n, i);
    if (!t || t->numel() != 1)
      return im.unsupported(n, "Clip bounds must be constant scalars");
    (i == 1 ? lo : hi) = t->at(0);
  }
  if (lo > hi) // ONNX: every value becomes max
    lo = hi;
  OpBuilder &b = im.builder();
  return emit<ClipOp>(im, n, *x, b.getF64FloatAttr(lo), b.getF64FloatAttr(hi));
}

LogicalResult convertActivation(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  OpBuilder &b = im.builder();
  const std::string &op = n.op_type();
  if (op == "LeakyRelu")
    return emit<LeakyReluOp>(im, n, *x, b.getF64FloatAttr(im.attrFloat(n, "alpha", 0.01f)));
  if (op == "HardSigmoid")
    return emit<HardsigmoidOp>(im, n, *x, b.getF64FloatAttr(im.attrFloat(n, "alpha", 0.2f)),
                               b.getF64FloatAttr(im.attrFloat(n, "beta", 0.5f)));
  if (op == "HardSwish")
    return emit<HardswishOp>(im, n, *x);
  // Gelu (opset 20)
  return emit<GeluOp>(im, n, *x, b.getStringAttr(im.attrString(n, "approximate", "none")));
}

LogicalResult convertSoftmax(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> s = shapeOf(*x);
  int64_t rank = s.size();
  if (im.opset() >= 13)
    return emit<SoftmaxOp>(im, n, *x, im.builder().getI64IntegerAttr(im.attrInt(n, "axis", -1)));
  // Opsets 11-12: softmax over the flattened dims [axis, rank).
  std::optional<int64_t> axis = normalizeAxis(im.attrInt(n, "axis", 1), rank);
  if (!axis)
    return im.fail(n, "axis is out of range");
  FailureOr<Value> flat = im.create<ReshapeOp>(
      n, *x, array(im, {product(s.take_front(*axis)), product(s.drop_front(*axis))}));
  FailureOr<Value> y = failed(flat) ? flat
                                    : im.create<SoftmaxOp>(n, *flat, im.builder().getI64IntegerAttr(1));
  FailureOr<Value> back = failed(y) ? y : im.create<ReshapeOp>(n, *y, array(im, s));
  if (failed(back))
    return failure();
  im.setOutput(n, 0, *back);
  return success();
}

//===--- normalization ----------------------------------------------------===//

LogicalResult convertBatchNorm(Importer &im, const Node &n) {
  SmallVector<Value> v;
  for (int i = 0; i < 5; ++i) {
    FailureOr<Value> x = im.value(n, i);
    if (failed(x))
      return failure();
    v.push_back(*x);
  }
  if (im.outputUsed(n, 1) || im.outputUsed(n, 2))
    return im.unsupported(n, "running-statistics outputs (training mode) are not supported");
  return emit<BatchNormOp>(im, n, v[0], v[1], v[2], v[3], v[4],
                           im.builder().getF64FloatAttr(im.attrFloat(n, "epsilon", 1e-5f)));
}

/// The optional Mean and InvStdDev outputs of LayerNormalization, over the
/// normalized dims (kept as size 1): mean(x) and 1 / sqrt(mean((x - mean)^2) + eps).
LogicalResult layerNormStatistics(Importer &im, const Node &n, Value x, int64_t axis) {
  std::vector<int64_t> axes;
  for (int64_t d = axis; d < int64_t(shapeOf(x).size()); ++d)
    axes.push_back(d);
  BoolAttr keep = im.builder().getBoolAttr(true);
  FailureOr<Value> mean = im.create<ReduceMeanOp>(n, x, array(im, axes), keep);
  FailureOr<Value> centered = failed(mean) ? mean : im.create<SubOp>(n, x, *mean);
  FailureOr<Value> squared = failed(centered) ? centered : im.create<MulOp>(n, *centered, *centered);
  FailureOr<Value> var = failed(squared) ? squared
                                         : im.create<ReduceMeanOp>(n, *squared, array(im, axes), keep);
  FailureOr<Value> shifted =
      failed(var) ? var : im.create<AddOp>(n, *var, scalar(im, im.attrFloat(n, "epsilon", 1e-5f)));
  FailureOr<Value> root = failed(shifted) ? shifted : im.create<SqrtOp>(n, *shifted);
  FailureOr<Value> inv = failed(root) ? root : im.create<ReciprocalOp>(n, *root);
  if (failed(inv))
    return failure();
  im.setOutput(n, 1, *mean);
  im.setOutput(n, 2, *inv);
  return success();
}

LogicalResult convertLayerNorm(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0), scale = im.value(n, 1), bias = im.optionalValue(n, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  ArrayRef<int64_t> s = shapeOf(*x);
  std::optional<int64_t> axis = normalizeAxis(im.attrInt(n, "axis", -1), s.size());
  if (!axis)
    return im.fail(n, "axis is out of range");
  if ((im.outputUsed(n, 1) || im.outputUsed(n, 2)) &&
      failed(layerNormStatistics(im, n, *x, *axis)))
    return failure();
  ArrayRef<int64_t> normalized = s.drop_front(*axis);
  Value w = *scale, b = *bias ? *bias : scalar(im, 0.0f);
  for (Value *p : {&w, &b}) {
    if (shapeOf(*p) == normalized)
      continue;
    FailureOr<Value> e = im.create<BroadcastOp>(n, *p, array(im, normalized));
    if (failed(e))
      return failure();
    *p = *e;
  }
  OpBuilder &builder = im.builder();
  return emit<LayerNormOp>(im, n, *x, w, b, builder.getI64IntegerAttr(*axis),
                           builder.getF64FloatAttr(im.attrFloat(n, "epsilon", 1e-5f)));
}

LogicalResult convertLrn(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  OpBuilder &b = im.builder();
  return emit<LrnOp>(im, n, *x, b.getI64IntegerAttr(im.attrInt(n, "size", 1)),
                     b.getF64FloatAttr(im.attrFloat(n, "alpha", 1e-4f)),
                     b.getF64FloatAttr(im.attrFloat(n, "beta", 0.75f)),
                     b.getF64FloatAttr(im.attrFloat(n, "bias", 1.0f)));
}

//===--- pooling ----------------------------------------------------------===//

LogicalResult convertPool(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x);
  std::vector<int64_t> kernel = im.attrInts(n, "kernel_shape", {});
  if (xs.size() != 4 || kernel.size() != 2)
    return im.unsupported(n, "only 2-D pooling (4-D input, 2 kernel dims) is supported");
  std::vector<int64_t> strides = im.attrInts(n, "strides", {1, 1});
  std::vector<int64_t> dilations = im.attrInts(n, "dilations", {1, 1});
  if (strides.size() != 2 || dilations.size() != 2)
    return im.fail(n, "strides and dilations need 2 entries");
  auto pads = windowPads(im, n, xs.drop_front(2), kernel, strides, dilations);
  if (failed(pads))
    return failure();
  OpBuilder &b = im.builder();
  BoolAttr ceil = b.getBoolAttr(im.attrInt(n, "ceil_mode", 0));
  if (n.op_type() == "MaxPool") {
    if (im.outputUsed(n, 1))
      return im.unsupported(n, "the Indices output is not supported");
    return emit<MaxPool2DOp>(im, n, *x, array(im, kernel), array(im, strides), array(im, *pads),
                             array(im, dilations), ceil, /*layout=*/StringAttr());
  }
  return emit<AvgPool2DOp>(im, n, *x, array(im, kernel), array(im, strides), array(im, *pads),
                           ceil, b.getBoolAttr(im.attrInt(n, "count_include_pad", 0)),
                           /*layout=*/StringAttr());
}

LogicalResult convertGlobalPool(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  if (n.op_type() == "GlobalAveragePool")
    return emit<GlobalAvgPoolOp>(im, n, *x);
  std::vector<int64_t> axes;
  for (int64_t d = 2; d < int64_t(shapeOf(*x).size()); ++d)
    axes.push_back(d);
  return emit<ReduceMaxOp>(im, n, *x, array(im, axes), im.builder().getBoolAttr(true));
}

LogicalResult convertReduce(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  const std::string &op = n.op_type();
  bool axesAsInput = op == "ReduceSum" ? im.opset() >= 13 : im.opset() >= 18;
  std::vector<int64_t> axes;
  if (axesAsInput && im.has(n, 1)) {
    auto a = im.hostInts(n, 1);
    if (failed(a))
      return failure();
    axes = *a;
  } else if (!axesAsInput) {
    axes = im.attrInts(n, "axes", {});
  }
  if (axes.empty()) {
    if (im.attrInt(n, "noop_with_empty_axes", 0)) {
      im.setOutput(n, 0, *x);
      return success();
    }
    for (int64_t d = 0; d < int64_t(shapeOf(*x).size()); ++d)
      axes.push_back(d);
  }
  BoolAttr keep = im.builder().getBoolAttr(im.attrInt(n, "keepdims", 1));
  if (op == "ReduceMean")
    return emit<ReduceMeanOp>(im, n, *x, array(im, axes), keep);
  if (op == "ReduceSum")
    return emit<ReduceSumOp>(im, n, *x, array(im, axes), keep);
  return emit<ReduceMaxOp>(im, n, *x, array(im, axes), keep);
}

using Converter = std::function<LogicalResult(Importer &, const Node &)>;

/// A converter and the first opset whose definition of the op it implements
/// (earlier versions had other attributes or semantics, e.g. Clip before 11).
struct OpEntry {
  Converter convert;
  int64_t sinceOpset;
  int requiredInputs; ///< leading inputs that must be present (non-empty)
};

const std::map<std::string, OpEntry> &converters() {
  static const std::map<std::string, OpEntry> table = {
      {"Conv", {convertConv, 1, 2}},
      {"Gemm", {convertGemm, 7, 2}},
      {"MatMul", {convertMatMul, 1, 2}},
      {"Add", {convertBinary<AddOp>, 7, 2}},
      {"Sub", {convertBinary<SubOp>, 7, 2}},
      {"Mul", {convertBinary<MulOp>, 7, 2}},
      {"Div", {convertBinary<DivOp>, 7, 2}},
      {"Pow", {convertPow, 7, 2}},
      {"Relu", {convertUnary<ReluOp>, 6, 1}},
      {"Sigmoid", {convertUnary<SigmoidOp>, 6, 1}},
      {"Tanh", {convertUnary<TanhOp>, 6, 1}},
      {"Exp", {convertUnary<ExpOp>, 6, 1}},
      {"Sqrt", {convertUnary<SqrtOp>, 6, 1}},
      {"Reciprocal", {convertUnary<ReciprocalOp>, 6, 1}},
      {"Erf", {convertUnary<ErfOp>, 9, 1}},
      {"Neg", {convertUnary<NegOp>, 6, 1}},
      {"Clip", {convertClip, 11, 1}},
      {"LeakyRelu", {convertActivation, 6, 1}},
      {"HardSigmoid", {convertActivation, 6, 1}},
      {"HardSwish", {convertActivation, 14, 1}},
      {"Gelu", {convertActivation, 20, 1}},
      {"Softmax", {convertSoftmax, 1, 1}},
      {"BatchNormalization", {convertBatchNorm, 9, 5}},
      {"LayerNormalization", {convertLayerNorm, 17, 2}},
      {"LRN", {convertLrn, 1, 1}},
      {"MaxPool", {convertPool, 1, 1}},
      {"AveragePool", {convertPool, 1, 1}},
      {"GlobalAveragePool", {convertGlobalPool, 1, 1}},
      {"GlobalMaxPool", {convertGlobalPool, 1, 1}},
      {"ReduceMean", {convertReduce, 1, 1}},
      {"ReduceSum", {convertReduce, 1, 1}},
      {"ReduceMax", {convertReduce, 1, 1}},
      {"Shape", {convertShape, 1, 1}},
      {"Reshape", {convertReshape, 5, 2}},
      {"Flatten", {convertFlatten, 1, 1}},
      {"Unsqueeze", {convertUnsqueezeSqueeze, 1, 1}},
      {"Squeeze", {convertUnsqueezeSqueeze, 1, 1}},
      {"Concat", {convertConcat, 4, 1}},
      {"Transpose", {convertTranspose, 1, 1}},
      {"Slice", {convertSlice, 10, 3}},
      {"Pad", {convertPad, 11, 2}},
      {"Expand", {convertExpand, 8, 2}},
      {"Gather", {convertGather, 1, 2}},
      {"Split", {convertSplit, 2, 1}},
      {"Identity", {convertPassThrough, 1, 1}},
      {"Dropout", {convertPassThrough, 1, 1}},
      {"Cast", {convertCast, 6, 1}},
      {"Constant", {convertConstant, 1, 0}},
      {"ConstantOfShape", {convertConstantOfShape, 9, 1}},
      {"Equal", {convertHostOnly, 7, 2}},
      {"Where", {convertHostOnly, 9, 3}},
      {"Range", {convertHostOnly, 11, 3}},
  };
  return table;
}

} // namespace

LogicalResult tilec::onnx_import::convertNode(Importer &im, const Node &n) {
  auto it = converters().find(n.op_type());
  if (it == converters().end())
    return im.unsupported(n, "op type '" + n.op_type() + "' is not supported");
  // Converters read required inputs without re-checking: enforce arity here.
  for (int i = 0; i < it->second.requiredInputs; ++i)
    if (!im.has(n, i))
      return im.fail(n, "needs at least " + std::to_string(it->second.requiredInputs) +
                            " inputs, input #" + std::to_string(i) + " is missing");
  if (n.output_size() < 1 || n.output(0).empty())
    return im.fail(n, "has no output");
  return it->second.convert(im, n);
}

std::string tilec::onnx_import::unsupportedReason(const Node &n, int64_t opset) {
  const std::string &op = n.op_type();
  auto entry = converters().find(op);
  if (entry == converters().end())
    return "op type not supported";
  if (opset < entry->second.sinceOpset)
    return "opset " + std::to_string(opset) + " defines " + op + " differently; tilec reads it "
           "from opset " + std::to_string(entry->second.sinceOpset) +
           " (convert with onnx.version_converter)";
  auto attr = [&](const std::string &name) -> const onnx::AttributeProto * {
    for (const auto &a : n.attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  };
  auto intAttr = [&](const std::string &name, int64_t fallback) {
    const onnx::AttributeProto *a = attr(name);
    return a ? a->i() : fallback;
  };
  if (const auto *k = attr("kernel_shape"); k && k->ints_size() != 2)
    return "only 2-D kernels are supported, kernel_shape has " + std::to_string(k->ints_size()) +
           " dims";
  if (op == "MaxPool" && intAttr("storage_order", 0) != 0)
    return "storage_order = 1 is not supported";
  if (op == "AveragePool")
    if (const auto *d = attr("dilations"))
      for (int64_t v : d->ints())
        if (v != 1)
          return "dilated average pooling is not supported";
  if (op == "Pad") {
    const auto *mode = attr("mode");
    if (mode && mode->s() != "constant")
      return "pad mode '" + mode->s() + "' is not supported (constant only)";
  }
  if (op == "BatchNormalization" && intAttr("training_mode", 0) != 0)
    return "training_mode = 1 is not supported";
  if (op == "Gelu")
    if (const auto *a = attr("approximate"); a && a->s() != "none" && a->s() != "tanh")
      return "approximate = '" + a->s() + "' is not supported";
  if (op == "Constant" && (attr("sparse_value") || attr("value_string") || attr("value_strings")))
    return "sparse and string constants are not supported";
  return "";
}
