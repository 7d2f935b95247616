//===- DataKernels.cpp - reference elementwise, reduction, data movement --===//

#include "reference/Kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace tilec::reference;

void tilec::reference::binary(const Tensor &lhs, const Tensor &rhs, BinaryKind kind,
                              Tensor &out) {
  std::vector<int64_t> li = broadcastIndices(out.shape, lhs.shape);
  std::vector<int64_t> ri = broadcastIndices(out.shape, rhs.shape);
  for (int64_t i = 0; i < out.numel(); ++i) {
    double a = lhs.data[li[i]], b = rhs.data[ri[i]];
    switch (kind) {
    case BinaryKind::Add: out.data[i] = float(a + b); break;
    case BinaryKind::Sub: out.data[i] = float(a - b); break;
    case BinaryKind::Mul: out.data[i] = float(a * b); break;
    case BinaryKind::Div: out.data[i] = float(a / b); break;
    }
  }
}

void tilec::reference::unary(const Tensor &in, const std::function<double(double)> &f,
                             Tensor &out) {
  for (int64_t i = 0; i < in.numel(); ++i)
    out.data[i] = float(f(in.data[i]));
}

void tilec::reference::reduce(const Tensor &in, const std::vector<int64_t> &axes,
                              ReduceKind kind, Tensor &out) {
  // Map each input element to its output element: reduced dims contribute 0.
  std::vector<bool> reduced(in.rank(), false);
  for (int64_t a : axes)
    reduced[a] = true;
  std::vector<int64_t> keptShape(in.rank());
  for (int64_t d = 0; d < in.rank(); ++d)
    keptShape[d] = reduced[d] ? 1 : in.dim(d);
  std::vector<int64_t> target = broadcastIndices(in.shape, keptShape);
  int64_t count = in.numel() / std::max<int64_t>(1, out.numel());
  double init = kind == ReduceKind::Max ? -std::numeric_limits<double>::infinity() : 0.0;
  std::vector<double> acc(out.numel(), init);
  for (int64_t i = 0; i < in.numel(); ++i) {
    double v = in.data[i];
    acc[target[i]] = kind == ReduceKind::Max ? std::max(acc[target[i]], v) : acc[target[i]] + v;
  }
  for (int64_t i = 0; i < out.numel(); ++i)
    out.data[i] = float(kind == ReduceKind::Mean ? acc[i] / count : acc[i]);
}

void tilec::reference::concat(const std::vector<const Tensor *> &inputs, int64_t axis,
                              Tensor &out) {
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= out.dim(d);
  int64_t outRow = out.numel() / outer, offset = 0;
  for (const Tensor *t : inputs) {
    int64_t row = t->numel() / outer;
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(&t->data[o * row], row, &out.data[o * outRow + offset]);
    offset += row;
  }
}

void tilec::reference::transpose(const Tensor &in, const std::vector<int64_t> &permutation,
                                 Tensor &out) {
  std::vector<int64_t> inStrides = strides(in.shape), index(out.rank(), 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < out.rank(); ++d)
      src += index[d] * inStrides[permutation[d]];
    out.data[i] = in.data[src];
    for (int64_t d = out.rank() - 1; d >= 0 && ++index[d] == out.dim(d); --d)
      index[d] = 0;
  }
}

void tilec::reference::slice(const Tensor &in, const std::vector<int64_t> &starts,
                             const std::vector<int64_t> &steps, Tensor &out) {
  std::vector<int64_t> inStrides = strides(in.shape), index(out.rank(), 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < out.rank(); ++d)
      src += (starts[d] + index[d] * steps[d]) * inStrides[d];
    out.data[i] = in.data[src];
    for (int64_t d = out.rank() - 1; d >= 0 && ++index[d] == out.dim(d); --d)
      index[d] = 0;
  }
}

void tilec::reference::pad(const Tensor &in, const std::vector<int64_t> &padsBegin,
                           double value, Tensor &out) {
  std::fill(out.data.begin(), out.data.end(), float(value));
  std::vector<int64_t> outStrides = strides(out.shape), index(in.rank(), 0);
  for (int64_t i = 0; i < in.numel(); ++i) {
    int64_t dst = 0;
    for (int64_t d = 0; d < in.rank(); ++d)
      dst += (index[d] + padsBegin[d]) * outStrides[d];
    out.data[dst] = in.data[i];
    for (int64_t d = in.rank() - 1; d >= 0 && ++index[d] == in.dim(d); --d)
      index[d] = 0;
  }
}

void tilec::reference::broadcast(const Tensor &in, Tensor &out) {
  std::vector<int64_t> src = broadcastIndices(out.shape, in.shape);
  for (int64_t i = 0; i < out.numel(); ++i)
    out.data[i] = in.data[src[i]];
}

void tilec::reference::im2col(const Tensor &in, const Window2D &w, Tensor &out) {
  int64_t n = in.dim(0), h = in.dim(1), wd = in.dim(2), c = in.dim(3);
  int64_t kh = w.kernel[0], kw = w.kernel[1];
  int64_t oh = (h + w.padding[0] + w.padding[2] - w.dilations[0] * (kh - 1) - 1) / w.strides[0] + 1;
  int64_t ow = (wd + w.padding[1] + w.padding[3] - w.dilations[1] * (kw - 1) - 1) / w.strides[1] + 1;
  int64_t cols = out.dim(1); // at least kh * kw * c; the rest zero
  std::fill(out.data.begin(), out.data.end(), 0.f);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        float *row = &out.data[((b * oh + y) * ow + x) * cols];
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            int64_t iy = y * w.strides[0] - w.padding[0] + i * w.dilations[0];
            int64_t ix = x * w.strides[1] - w.padding[1] + j * w.dilations[1];
            bool inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
            for (int64_t k = 0; k < c; ++k)
              row[(i * kw + j) * c + k] = inside ? in.data[((b * h + iy) * wd + ix) * c + k] : 0.f;
          }
      }
}
