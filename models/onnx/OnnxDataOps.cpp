//===- OnnxDataOps.cpp - ONNX shape and data-movement converters ----------===//
//
// Shape, Reshape, Flatten, (Un)Squeeze, Concat, Transpose, Slice, Pad, Expand,
// Gather, Split, Cast, Constant(OfShape) and the pass-through ops. Most have a
// host path: in exported models they compute shapes from constants, which are
// evaluated here at import and never reach the graph.
//
//===----------------------------------------------------------------------===//

#include "models/onnx/ConvertUtils.h"
#include "models/onnx/HostOps.h"

#include "ir/ShapeUtils.h"

using namespace mlir;
using namespace tilec;
using namespace tilec::onnx_import;

namespace {

using Node = onnx::NodeProto;

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

} // namespace


LogicalResult tilec::onnx_import::convertShape(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertReshape(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertFlatten(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertUnsqueezeSqueeze(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertConcat(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertTranspose(Importer &im, const Node &n) {
  FailureOr<Value> x = im.value(n, 0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  std::vector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  return emit<TransposeOp>(im, n, *x, array(im, im.attrInts(n, "perm", reversed)));
}

LogicalResult tilec::onnx_import::convertSlice(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertPad(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertExpand(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertGather(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertSplit(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertPassThrough(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertCast(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertConstant(Importer &im, const Node &n) {
  if (n.attribute_size() != 1)
    return im.fail(n, "needs exactly one value attribute");
  HostTensor t;
  if (failed(attributeTensor(im, n, n.attribute(0), t)))
    return failure();
  im.setHostOutput(n, 0, std::move(t));
  return success();
}

LogicalResult tilec::onnx_import::convertConstantOfShape(Importer &im, const Node &n) {
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

LogicalResult tilec::onnx_import::convertHostOnly(Importer &im, const Node &n) {
  if (!im.allInputsHost(n))
    return im.unsupported(n, n.op_type() + " on graph tensors is not supported (only in "
                                           "shape computations with constant inputs)");
  return evaluateOnHost(im, n);
}

