//===- OnnxOps.cpp - one converter per ONNX op type -----------------------===//
//
// Each converter reads its inputs through the Importer, checks what the
// attributes ask for, and creates tilec ops (graph path) or, when every input
// is a constant, computes the result at import (host path, HostOps.cpp).
// `unsupportedReason` is the static half of the same knowledge: what the
// coverage report says before anything is built.
//
//===----------------------------------------------------------------------===//

#include "models/onnx/HostOps.h"
#include "models/onnx/Importer.h"

#include "ir/ShapeUtils.h"

#include <cmath>
#include <functional>
#include <limits>
#include <map>

using namespace mlir;
using namespace tilec;
using namespace tilec::onnx_import;

namespace {

using Node = onnx::NodeProto;

DenseI64ArrayAttr array(Importer &im, ArrayRef<int64_t> values) {
  return im.builder().getDenseI64ArrayAttr(values);
}

/// A one-element literal of the graph (not a parameter).
Value scalar(Importer &im, float value) {
  OpBuilder &b = im.builder();
  auto type = RankedTensorType::get({1}, b.getF32Type());
  return b.create<ConstantOp>(b.getUnknownLoc(), DenseElementsAttr::get(type, value), StringAttr());
}

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

/// Reshape for both paths.
LogicalResult reshapeTo(Importer &im, const Node &n, std::vector<int64_t> shape) {
  if (const HostTensor *t = im.host(n, 0)) {
    if (product(shape) != t->numel())
      return im.fail(n, "new shape has a different element count");
    HostTensor r = *t;
    r.shape = std::move(shape);
    im.setHostOutput(n, 0, std::move(r));
    return success();
  }
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  if (shapeOf(*x) == ArrayRef<int64_t>(shape)) {
    im.setOutput(n, 0, *x);
    return success();
  }
  FailureOr<Value> y = im.create<ReshapeOp>(n, *x, array(im, shape));
  if (failed(y))
    return failure();
  im.setOutput(n, 0, *y);
  return success();
}

/// Shape of input 0 on either path.
FailureOr<std::vector<int64_t>> inputShape(Importer &im, const Node &n) {
  if (const HostTensor *t = im.host(n, 0))
    return t->shape;
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> s = shapeOf(*x);
  return std::vector<int64_t>(s.begin(), s.end());
}

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

template <typename OpT, typename... Args>
LogicalResult emit(Importer &im, const Node &n, Args &&...args) {
  FailureOr<Value> y = im.create<OpT>(n, std::forward<Args>(args)...);
  if (failed(y))
    return failure();
  im.setOutput(n, 0, *y);
  return success();
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
                        im.builder().getI64IntegerAttr(im.attrInt(n, "group", 1)));
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

LogicalResult convertLayerNorm(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0), scale = im.value(n, 1), bias = im.optionalValue(n, 2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  if (im.outputUsed(n, 1) || im.outputUsed(n, 2))
    return im.unsupported(n, "Mean / InvStdDev outputs are not supported");
  ArrayRef<int64_t> s = shapeOf(*x);
  std::optional<int64_t> axis = normalizeAxis(im.attrInt(n, "axis", -1), s.size());
  if (!axis)
    return im.fail(n, "axis is out of range");
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
                             array(im, dilations), ceil);
  }
  return emit<AvgPool2DOp>(im, n, *x, array(im, kernel), array(im, strides), array(im, *pads),
                           ceil, b.getBoolAttr(im.attrInt(n, "count_include_pad", 0)));
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

//===--- shapes and data movement -----------------------------------------===//

LogicalResult convertShape(Importer &im, const Node &n) {
  auto s = inputShape(im, n);
  if (failed(s))
    return failure();
  int64_t rank = s->size();
  auto clampIndex = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t(0), rank); };
  int64_t start = clampIndex(im.attrInt(n, "start", 0)), end = clampIndex(im.attrInt(n, "end", rank));
  std::vector<int64_t> dims(s->begin() + start, s->begin() + std::max(start, end));
  im.setHostOutput(n, 0, HostTensor::ofInts({int64_t(dims.size())}, dims));
  return success();
}

LogicalResult convertReshape(Importer &im, const Node &n) {
  auto in = inputShape(im, n);
  auto requested = im.hostInts(n, 1);
  if (failed(in) || failed(requested))
    return failure();
  bool allowZero = im.attrInt(n, "allowzero", 0);
  std::vector<int64_t> shape = *requested;
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowZero) {
      if (i >= in->size())
        return im.fail(n, "shape entry 0 copies a dimension the input does not have");
      shape[i] = (*in)[i];
    }
    if (shape[i] == -1) {
      if (inferred >= 0)
        return im.fail(n, "shape has more than one -1");
      inferred = i;
    } else if (shape[i] < 0) {
      return im.fail(n, "shape entry " + std::to_string(shape[i]) + " is invalid");
    } else {
      known *= shape[i];
    }
  }
  int64_t total = product(*in);
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return im.fail(n, "cannot infer the -1 entry of the new shape");
    shape[inferred] = total / known;
  }
  if (product(shape) != total)
    return im.fail(n, "new shape has " + std::to_string(product(shape)) + " elements, input " +
                          std::to_string(total));
  return reshapeTo(im, n, shape);
}

LogicalResult convertFlatten(Importer &im, const Node &n) {
  auto s = inputShape(im, n);
  if (failed(s))
    return failure();
  int64_t rank = s->size(), axis = im.attrInt(n, "axis", 1);
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 0 || axis > rank)
    return im.fail(n, "axis is out of range");
  ArrayRef<int64_t> dims(*s);
  return reshapeTo(im, n, {product(dims.take_front(axis)), product(dims.drop_front(axis))});
}

LogicalResult convertUnsqueezeSqueeze(Importer &im, const Node &n) {
  auto s = inputShape(im, n);
  if (failed(s))
    return failure();
  std::vector<int64_t> axes;
  if (im.opset() >= 13 && im.has(n, 1)) {
    auto a = im.hostInts(n, 1);
    if (failed(a))
      return failure();
    axes = *a;
  } else if (im.opset() < 13) {
    axes = im.attrInts(n, "axes", {});
  }
  std::vector<int64_t> shape;
  if (n.op_type() == "Unsqueeze") {
    int64_t rank = s->size() + axes.size();
    std::vector<bool> inserted(rank, false);
    for (int64_t a : axes) {
      std::optional<int64_t> axis = normalizeAxis(a, rank);
      if (!axis || inserted[*axis])
        return im.fail(n, "axis " + std::to_string(a) + " is out of range or repeated");
      inserted[*axis] = true;
    }
    for (int64_t d = 0, i = 0; d < rank; ++d)
      shape.push_back(inserted[d] ? 1 : (*s)[i++]);
  } else {
    int64_t rank = s->size();
    std::vector<bool> removed(rank, axes.empty());
    for (int64_t a : axes) {
      std::optional<int64_t> axis = normalizeAxis(a, rank);
      if (!axis || (*s)[*axis] != 1)
        return im.fail(n, "axis " + std::to_string(a) + " is out of range or not of size 1");
      removed[*axis] = true;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (!removed[d] || (*s)[d] != 1)
        shape.push_back((*s)[d]);
  }
  return reshapeTo(im, n, shape);
}

LogicalResult convertConcat(Importer &im, const Node &n) {
  if (im.allInputsHost(n))
    return evaluateOnHost(im, n);
  SmallVector<Value> inputs;
  for (int i = 0; i < n.input_size(); ++i) {
    FailureOr<Value> v = im.value(n, i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  return emit<ConcatOp>(im, n, ValueRange(inputs),
                        im.builder().getI64IntegerAttr(im.attrInt(n, "axis", 0)));
}

LogicalResult convertTranspose(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  std::vector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  return emit<TransposeOp>(im, n, *x, array(im, im.attrInts(n, "perm", reversed)));
}

LogicalResult convertSlice(Importer &im, const Node &n) {
  if (im.allInputsHost(n))
    return evaluateOnHost(im, n);
  FailureOr<Value> x = im.value(n, 0);
  auto starts = im.hostInts(n, 1), ends = im.hostInts(n, 2);
  if (failed(x) || failed(starts) || failed(ends))
    return failure();
  std::vector<int64_t> axes, steps(starts->size(), 1);
  for (size_t i = 0; i < starts->size(); ++i)
    axes.push_back(i);
  for (auto [index, target] : {std::pair<int, std::vector<int64_t> *>{3, &axes}, {4, &steps}}) {
    if (!im.has(n, index))
      continue;
    auto v = im.hostInts(n, index);
    if (failed(v))
      return failure();
    *target = *v;
  }
  for (int64_t s : steps)
    if (s < 1)
      return im.unsupported(n, "negative slice steps on graph tensors are not supported");
  if (axes.size() != starts->size() || ends->size() != starts->size() ||
      steps.size() != starts->size())
    return im.fail(n, "starts, ends, axes and steps differ in length");
  ArrayRef<int64_t> inShape = shapeOf(*x);
  for (size_t i = 0; i < axes.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(axes[i], inShape.size());
    if (!axis)
      return im.fail(n, "axis " + std::to_string(axes[i]) + " is out of range");
    int64_t dim = inShape[*axis];
    auto clampIndex = [dim](int64_t v) { return std::clamp(v < 0 ? v + dim : v, int64_t(0), dim); };
    if (clampIndex((*ends)[i]) <= clampIndex((*starts)[i]))
      return im.unsupported(n, "the slice is empty; tilec does not support empty tensors");
  }
  return emit<SliceOp>(im, n, *x, array(im, axes), array(im, *starts), array(im, *ends),
                       array(im, steps));
}

LogicalResult convertPad(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  auto pads = im.hostInts(n, 1);
  if (failed(pads))
    return failure();
  int64_t rank = shapeOf(*x).size();
  std::vector<int64_t> full(2 * rank, 0);
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < rank; ++d)
    axes.push_back(d);
  if (im.has(n, 3)) {
    auto a = im.hostInts(n, 3);
    if (failed(a))
      return failure();
    axes = *a;
  }
  if (pads->size() != 2 * axes.size())
    return im.fail(n, "pads must have two entries per padded axis");
  for (size_t i = 0; i < axes.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(axes[i], rank);
    if (!axis)
      return im.fail(n, "axis is out of range");
    full[*axis] = (*pads)[i];
    full[rank + *axis] = (*pads)[axes.size() + i];
  }
  for (int64_t p : full)
    if (p < 0)
      return im.unsupported(n, "negative pads (cropping) are not supported");
  double value = 0.0;
  if (im.has(n, 2)) {
    const HostTensor *v = im.host(n, 2);
    if (!v || v->numel() != 1)
      return im.unsupported(n, "the pad value must be a constant scalar");
    value = v->at(0);
  }
  return emit<PadOp>(im, n, *x, array(im, full), im.builder().getF64FloatAttr(value));
}

LogicalResult convertExpand(Importer &im, const Node &n) {
  if (im.allInputsHost(n))
    return evaluateOnHost(im, n);
  FailureOr<Value> x = im.value(n, 0);
  auto target = im.hostInts(n, 1);
  if (failed(x) || failed(target))
    return failure();
  auto shape = broadcastShapes(shapeOf(*x), *target);
  if (!shape)
    return im.fail(n, "input does not broadcast to the requested shape");
  if (ArrayRef<int64_t>(*shape) == shapeOf(*x)) {
    im.setOutput(n, 0, *x);
    return success();
  }
  return emit<BroadcastOp>(im, n, *x, array(im, *shape));
}

LogicalResult convertGather(Importer &im, const Node &n) {
  if (im.allInputsHost(n))
    return evaluateOnHost(im, n);
  FailureOr<Value> x = im.value(n, 0);
  const HostTensor *indices = im.host(n, 1);
  if (failed(x))
    return failure();
  if (!indices)
    return im.unsupported(n, "Gather on a graph tensor needs constant indices");
  ArrayRef<int64_t> s = shapeOf(*x);
  std::optional<int64_t> axis = normalizeAxis(im.attrInt(n, "axis", 0), s.size());
  if (!axis)
    return im.fail(n, "axis is out of range");
  // One slice per index, concatenated, then reshaped to data[:axis] + indices + data[axis+1:].
  SmallVector<Value> pieces;
  for (int64_t j = 0; j < indices->numel(); ++j) {
    int64_t index = int64_t(indices->at(j)), dim = s[*axis];
    if (index < -dim || index >= dim)
      return im.fail(n, "index " + std::to_string(index) + " is out of range");
    index = index < 0 ? index + dim : index;
    FailureOr<Value> piece = im.create<SliceOp>(n, *x, array(im, {*axis}), array(im, {index}),
                                                array(im, {index + 1}), array(im, {1}));
    if (failed(piece))
      return failure();
    pieces.push_back(*piece);
  }
  if (pieces.empty())
    return im.unsupported(n, "empty index lists are not supported");
  FailureOr<Value> joined = pieces.size() == 1
                                ? FailureOr<Value>(pieces[0])
                                : im.create<ConcatOp>(n, ValueRange(pieces),
                                                      im.builder().getI64IntegerAttr(*axis));
  if (failed(joined))
    return failure();
  std::vector<int64_t> shape(s.begin(), s.begin() + *axis);
  shape.insert(shape.end(), indices->shape.begin(), indices->shape.end());
  shape.insert(shape.end(), s.begin() + *axis + 1, s.end());
  if (ArrayRef<int64_t>(shape) == shapeOf(*joined)) {
    im.setOutput(n, 0, *joined);
    return success();
  }
  return emit<ReshapeOp>(im, n, *joined, array(im, shape));
}

LogicalResult convertSplit(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> s = shapeOf(*x);
  std::optional<int64_t> axis = normalizeAxis(im.attrInt(n, "axis", 0), s.size());
  if (!axis)
    return im.fail(n, "axis is out of range");
  std::vector<int64_t> sizes;
  if (im.opset() >= 13 && im.has(n, 1)) {
    auto v = im.hostInts(n, 1);
    if (failed(v))
      return failure();
    sizes = *v;
  } else if (im.opset() < 13) {
    sizes = im.attrInts(n, "split", {});
  }
  int64_t parts = n.output_size(), dim = s[*axis];
  if (sizes.empty()) { // equal parts; the last one smaller if it does not divide (opset 18)
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t p = 0; p < parts; ++p)
      sizes.push_back(std::min(chunk, dim - p * chunk));
  }
  if (int64_t(sizes.size()) != parts || product(sizes) < 0)
    return im.fail(n, "split sizes do not match the number of outputs");
  int64_t start = 0;
  for (int64_t p = 0; p < parts; ++p) {
    if (sizes[p] <= 0 || start + sizes[p] > dim)
      return im.fail(n, "split sizes do not add up to the axis size");
    FailureOr<Value> piece = im.create<SliceOp>(n, *x, array(im, {*axis}), array(im, {start}),
                                                array(im, {start + sizes[p]}), array(im, {1}));
    if (failed(piece))
      return failure();
    im.setOutput(n, p, *piece);
    start += sizes[p];
  }
  return success();
}

LogicalResult convertPassThrough(Importer &im, const Node &n) {
  if (n.op_type() == "Dropout" && im.outputUsed(n, 1))
    return im.unsupported(n, "the mask output of Dropout is not supported");
  if (n.op_type() == "Dropout" && im.has(n, 2)) {
    const HostTensor *training = im.host(n, 2);
    if (!training || training->at(0) != 0)
      return im.unsupported(n, "Dropout in training mode is not supported");
  }
  // Integer constants stay on the host; float ones (often a shared initializer
  // behind an Identity) keep their name as graph weights.
  if (const HostTensor *t = im.host(n, 0); t && t->kind == HostTensor::Int)
    return evaluateOnHost(im, n);
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  im.setOutput(n, 0, *x);
  return success();
}

LogicalResult convertCast(Importer &im, const Node &n) {
  if (im.allInputsHost(n))
    return evaluateOnHost(im, n);
  int64_t to = im.attrInt(n, "to", 0);
  if (to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE &&
      to != onnx::TensorProto::FLOAT16 && to != onnx::TensorProto::BFLOAT16)
    return im.unsupported(n, "Cast of a graph tensor to a non-float type");
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  im.setOutput(n, 0, *x); // tilec graphs compute in float32
  return success();
}

LogicalResult convertConstant(Importer &im, const Node &n) {
  if (n.attribute_size() != 1)
    return im.fail(n, "needs exactly one value attribute");
  HostTensor t;
  if (failed(attributeTensor(im, n, n.attribute(0), t)))
    return failure();
  im.setHostOutput(n, 0, std::move(t));
  return success();
}

LogicalResult convertConstantOfShape(Importer &im, const Node &n) {
  auto shape = im.hostInts(n, 0);
  if (failed(shape))
    return failure();
  int64_t count = 1;
  for (int64_t d : *shape) {
    if (d < 0 || (d > 0 && count > (int64_t(1) << 24) / d))
      return im.fail(n, "shape of more than 2^24 elements or with a negative dimension");
    count *= d;
  }
  HostTensor value = HostTensor::ofFloats({1}, {0.0f});
  if (const onnx::AttributeProto *a = im.attr(n, "value"))
    if (failed(attributeTensor(im, n, *a, value)))
      return failure();
  if (value.numel() != 1)
    return im.fail(n, "value must hold one element");
  HostTensor r = value;
  r.shape = *shape;
  if (r.kind == HostTensor::Float)
    r.floats.assign(count, value.floats[0]);
  else
    r.ints.assign(count, value.ints[0]);
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult convertHostOnly(Importer &im, const Node &n) {
  if (!im.allInputsHost(n))
    return im.unsupported(n, n.op_type() + " on graph tensors is not supported (only in "
                                           "shape computations with constant inputs)");
  return evaluateOnHost(im, n);
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
