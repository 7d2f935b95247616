//===- HostOps.cpp - evaluating shape computations at import --------------===//

#include "models/onnx/HostOps.h"

#include "ir/ShapeUtils.h"
#include "ir/TilecDialect.h"
#include "models/onnx/OnnxTensors.h"

#include <cmath>

using namespace mlir;
using namespace tilec;
using namespace tilec::onnx_import;

namespace {

HostTensor withShape(const HostTensor &t, std::vector<int64_t> shape) {
  HostTensor r = t;
  r.shape = std::move(shape);
  return r;
}

/// Copies element `src` of `from` to element `dst` of `to` (same kind).
void copyElement(const HostTensor &from, int64_t src, HostTensor &to, int64_t dst) {
  if (from.kind == HostTensor::Float)
    to.floats[dst] = from.floats[src];
  else
    to.ints[dst] = from.ints[src];
}

/// Host tensors are shape computations and small constants; anything larger
/// than this is a corrupt or hostile model (and would exhaust memory).
constexpr int64_t kMaxHostElements = int64_t(1) << 24;

HostTensor emptyLike(HostTensor::Kind kind, std::vector<int64_t> shape) {
  HostTensor t;
  t.kind = kind;
  t.shape = std::move(shape);
  (kind == HostTensor::Float ? t.floats.resize(t.numel()) : t.ints.resize(t.numel()));
  return t;
}

LogicalResult checkSize(Importer &im, const onnx::NodeProto &n, ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && count > kMaxHostElements / d))
      return im.fail(n, "constant result of more than " + std::to_string(kMaxHostElements) +
                            " elements (or a negative dimension) in a shape computation");
    count *= d;
  }
  return success();
}

LogicalResult binary(Importer &im, const onnx::NodeProto &n) {
  const HostTensor &a = *im.host(n, 0), &c = *im.host(n, 1);
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(a.shape, c.shape);
  if (!shape)
    return im.fail(n, "operand shapes do not broadcast");
  std::vector<int64_t> out(shape->begin(), shape->end());
  if (failed(checkSize(im, n, out)))
    return failure();
  std::vector<int64_t> ia = broadcastIndices(out, a.shape), ic = broadcastIndices(out, c.shape);
  const std::string &op = n.op_type();
  bool ints = a.kind == HostTensor::Int && c.kind == HostTensor::Int;
  HostTensor r = emptyLike(op == "Equal" || ints ? HostTensor::Int : HostTensor::Float, out);
  for (size_t i = 0; i < ia.size(); ++i) {
    double x = a.at(ia[i]), y = c.at(ic[i]);
    if (op == "Equal") {
      r.ints[i] = x == y;
    } else if (ints) {
      int64_t p = a.ints[ia[i]], q = c.ints[ic[i]];
      if (op == "Div" && q == 0)
        return im.fail(n, "integer division by zero in a shape computation");
      r.ints[i] = op == "Add" ? p + q : op == "Sub" ? p - q : op == "Mul" ? p * q : p / q;
    } else {
      r.floats[i] = float(op == "Add"   ? x + y
                          : op == "Sub" ? x - y
                          : op == "Mul" ? x * y
                          : op == "Div" ? x / y
                                        : std::pow(x, y));
    }
  }
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult gather(Importer &im, const onnx::NodeProto &n) {
  const HostTensor &data = *im.host(n, 0), &indices = *im.host(n, 1);
  int64_t rank = data.shape.size();
  std::optional<int64_t> axis = normalizeAxis(im.attrInt(n, "axis", 0), rank);
  if (!axis)
    return im.fail(n, "axis is out of range");
  int64_t dim = data.shape[*axis];
  std::vector<int64_t> outShape(data.shape.begin(), data.shape.begin() + *axis);
  outShape.insert(outShape.end(), indices.shape.begin(), indices.shape.end());
  outShape.insert(outShape.end(), data.shape.begin() + *axis + 1, data.shape.end());
  int64_t inner = 1, outer = 1;
  for (int64_t d = *axis + 1; d < rank; ++d)
    inner *= data.shape[d];
  for (int64_t d = 0; d < *axis; ++d)
    outer *= data.shape[d];
  if (failed(checkSize(im, n, outShape)))
    return failure();
  HostTensor r = emptyLike(data.kind, outShape);
  int64_t k = indices.numel();
  for (int64_t j = 0; j < k; ++j) {
    int64_t index = int64_t(indices.at(j));
    if (index < -dim || index >= dim)
      return im.fail(n, "index " + std::to_string(index) + " is out of range for size " +
                            std::to_string(dim));
    index = index < 0 ? index + dim : index;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i)
        copyElement(data, (o * dim + index) * inner + i, r, (o * k + j) * inner + i);
  }
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult concat(Importer &im, const onnx::NodeProto &n) {
  const HostTensor &first = *im.host(n, 0);
  std::optional<int64_t> axis = normalizeAxis(im.attrInt(n, "axis", 0), first.shape.size());
  if (!axis)
    return im.fail(n, "axis is out of range");
  std::vector<int64_t> shape = first.shape;
  shape[*axis] = 0;
  for (int i = 0; i < n.input_size(); ++i) {
    const HostTensor &t = *im.host(n, i);
    if (t.shape.size() != shape.size() || t.kind != first.kind)
      return im.fail(n, "inputs differ in rank or element type");
    shape[*axis] += t.shape[*axis];
  }
  HostTensor r = emptyLike(first.kind, shape);
  int64_t outer = 1;
  for (int64_t d = 0; d < *axis; ++d)
    outer *= shape[d];
  int64_t rowOut = r.numel() / std::max<int64_t>(outer, 1), offset = 0;
  for (int i = 0; i < n.input_size(); ++i) {
    const HostTensor &t = *im.host(n, i);
    int64_t row = t.numel() / std::max<int64_t>(outer, 1);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < row; ++j)
        copyElement(t, o * row + j, r, o * rowOut + offset + j);
    offset += row;
  }
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult slice(Importer &im, const onnx::NodeProto &n) {
  const HostTensor &data = *im.host(n, 0);
  auto starts = im.hostInts(n, 1), ends = im.hostInts(n, 2);
  if (failed(starts) || failed(ends))
    return failure();
  int64_t rank = data.shape.size();
  std::vector<int64_t> axes(starts->size()), steps(starts->size(), 1);
  for (size_t i = 0; i < axes.size(); ++i)
    axes[i] = int64_t(i);
  if (im.has(n, 3)) {
    auto a = im.hostInts(n, 3);
    if (failed(a))
      return failure();
    axes = *a;
  }
  if (im.has(n, 4)) {
    auto s = im.hostInts(n, 4);
    if (failed(s))
      return failure();
    steps = *s;
  }
  if (axes.size() != starts->size() || ends->size() != starts->size() ||
      steps.size() != starts->size())
    return im.fail(n, "starts, ends, axes and steps differ in length");
  std::vector<int64_t> begin(rank, 0), step(rank, 1), shape = data.shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(axes[i], rank);
    if (!axis || steps[i] == 0)
      return im.fail(n, "bad axis or zero step");
    int64_t dim = data.shape[*axis], s = steps[i];
    auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
      return std::clamp(v < 0 ? v + dim : v, lo, hi);
    };
    int64_t b = s > 0 ? clampIndex((*starts)[i], 0, dim) : clampIndex((*starts)[i], -1, dim - 1);
    int64_t e = s > 0 ? clampIndex((*ends)[i], 0, dim) : clampIndex((*ends)[i], -1, dim - 1);
    int64_t count = s > 0 ? (e > b ? (e - b + s - 1) / s : 0) : (b > e ? (b - e - s - 1) / -s : 0);
    begin[*axis] = b, step[*axis] = s, shape[*axis] = count;
  }
  HostTensor r = emptyLike(data.kind, shape);
  std::vector<int64_t> strides = rowMajorStrides(data.shape), index(rank, 0);
  for (int64_t i = 0; i < r.numel(); ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (begin[d] + index[d] * step[d]) * strides[d];
    copyElement(data, src, r, i);
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == shape[d]; --d)
      index[d] = 0;
  }
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult cast(Importer &im, const onnx::NodeProto &n) {
  HostTensor t = *im.host(n, 0);
  int64_t to = im.attrInt(n, "to", onnx::TensorProto::FLOAT);
  bool toFloat = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE ||
                 to == onnx::TensorProto::FLOAT16 || to == onnx::TensorProto::BFLOAT16;
  HostTensor r = emptyLike(toFloat ? HostTensor::Float : HostTensor::Int, t.shape);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (toFloat)
      r.floats[i] = float(t.at(i));
    else if (to == onnx::TensorProto::BOOL)
      r.ints[i] = t.at(i) != 0;
    else
      r.ints[i] = int64_t(std::trunc(t.at(i)));
  }
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult where(Importer &im, const onnx::NodeProto &n) {
  const HostTensor &c = *im.host(n, 0), &x = *im.host(n, 1), &y = *im.host(n, 2);
  auto xy = broadcastShapes(x.shape, y.shape);
  auto all = xy ? broadcastShapes(c.shape, *xy) : std::nullopt;
  if (!all || x.kind != y.kind)
    return im.fail(n, "operands do not broadcast or differ in element type");
  std::vector<int64_t> shape(all->begin(), all->end());
  if (failed(checkSize(im, n, shape)))
    return failure();
  std::vector<int64_t> ic = broadcastIndices(shape, c.shape), ix = broadcastIndices(shape, x.shape),
                       iy = broadcastIndices(shape, y.shape);
  HostTensor r = emptyLike(x.kind, shape);
  for (size_t i = 0; i < ic.size(); ++i)
    c.at(ic[i]) != 0 ? copyElement(x, ix[i], r, i) : copyElement(y, iy[i], r, i);
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult expand(Importer &im, const onnx::NodeProto &n) {
  const HostTensor &t = *im.host(n, 0);
  auto target = im.hostInts(n, 1);
  if (failed(target))
    return failure();
  auto shape = broadcastShapes(t.shape, *target);
  if (!shape)
    return im.fail(n, "cannot expand to the requested shape");
  std::vector<int64_t> out(shape->begin(), shape->end());
  if (failed(checkSize(im, n, out)))
    return failure();
  std::vector<int64_t> src = broadcastIndices(out, t.shape);
  HostTensor r = emptyLike(t.kind, out);
  for (size_t i = 0; i < src.size(); ++i)
    copyElement(t, src[i], r, i);
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult range(Importer &im, const onnx::NodeProto &n) {
  const HostTensor &start = *im.host(n, 0), &limit = *im.host(n, 1), &delta = *im.host(n, 2);
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1 || delta.at(0) == 0)
    return im.fail(n, "start, limit and delta must be scalars and delta non-zero");
  double s = start.at(0), l = limit.at(0), d = delta.at(0);
  int64_t count = std::max<int64_t>(0, int64_t(std::ceil((l - s) / d)));
  if (count > (int64_t(1) << 24))
    return im.fail(n, "range of " + std::to_string(count) + " elements is too large");
  HostTensor r = emptyLike(start.kind, {count});
  for (int64_t i = 0; i < count; ++i)
    start.kind == HostTensor::Float ? void(r.floats[i] = float(s + i * d))
                                    : void(r.ints[i] = int64_t(s) + i * int64_t(d));
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

LogicalResult unary(Importer &im, const onnx::NodeProto &n) {
  HostTensor r = *im.host(n, 0);
  if (r.kind == HostTensor::Int) {
    if (n.op_type() != "Neg")
      return im.fail(n, "integer operand");
    for (int64_t &v : r.ints)
      v = -v;
  } else {
    const std::string &op = n.op_type();
    for (float &v : r.floats)
      v = op == "Sqrt"         ? std::sqrt(v)
          : op == "Reciprocal" ? 1.0f / v
          : op == "Neg"        ? -v
          : op == "Exp"        ? std::exp(v)
                               : v;
  }
  im.setHostOutput(n, 0, std::move(r));
  return success();
}

} // namespace

LogicalResult tilec::onnx_import::attributeTensor(Importer &im, const onnx::NodeProto &n,
                                                  const onnx::AttributeProto &a, HostTensor &out) {
  std::string error;
  if (a.has_t()) {
    if (failed(toHostTensor(a.t(), im.baseDir, out, error)))
      return im.fail(n, error);
    return success();
  }
  if (a.name() == "value_float")
    out = HostTensor::ofFloats({}, {a.f()});
  else if (a.name() == "value_floats")
    out = HostTensor::ofFloats({int64_t(a.floats_size())}, {a.floats().begin(), a.floats().end()});
  else if (a.name() == "value_int")
    out = HostTensor::ofInts({}, {a.i()});
  else if (a.name() == "value_ints")
    out = HostTensor::ofInts({int64_t(a.ints_size())}, {a.ints().begin(), a.ints().end()});
  else
    return im.unsupported(n, "attribute '" + a.name() + "' is not supported");
  return success();
}

LogicalResult tilec::onnx_import::evaluateOnHost(Importer &im, const onnx::NodeProto &n) {
  const std::string &op = n.op_type();
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Equal" || op == "Pow")
    return binary(im, n);
  if (op == "Gather")
    return gather(im, n);
  if (op == "Concat")
    return concat(im, n);
  if (op == "Slice")
    return slice(im, n);
  if (op == "Cast")
    return cast(im, n);
  if (op == "Where")
    return where(im, n);
  if (op == "Expand")
    return expand(im, n);
  if (op == "Range")
    return range(im, n);
  if (op == "Sqrt" || op == "Reciprocal" || op == "Neg" || op == "Exp")
    return unary(im, n);
  if (op == "Identity" || op == "Dropout") {
    im.setHostOutput(n, 0, *im.host(n, 0));
    return success();
  }
  return im.unsupported(n, "cannot be evaluated on constant inputs at import");
}
