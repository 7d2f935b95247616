//===- Kernels.h - reference kernels, one per graph op ----------*- C++ -*-===//
//
// Written to be obviously correct, not fast: plain loops over the output, double
// accumulators, no blocking. Each kernel receives its output tensor already
// shaped (by the op's inferred result type) and fills it. `threads` = 0 uses
// every core; parallelism is only over independent output rows or planes, so
// results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_REFERENCE_KERNELS_H
#define TILEC_REFERENCE_KERNELS_H

#include "reference/Tensor.h"

#include <array>

namespace tilec::reference {

struct Window2D {
  std::array<int64_t, 2> kernel{1, 1}, strides{1, 1}, dilations{1, 1};
  std::array<int64_t, 4> padding{0, 0, 0, 0}; // top, left, bottom, right
};

void conv2d(const Tensor &in, const Tensor &weight, const Tensor *bias, const Window2D &w,
            int64_t groups, Tensor &out, int threads);
void matmul(const Tensor &lhs, const Tensor &rhs, Tensor &out, int threads);
void linear(const Tensor &in, const Tensor &weight, const Tensor *bias, Tensor &out,
            int threads);

/// softmax(q k^T * scale) v over the last two dims; leading dims are batch.
void attention(const Tensor &q, const Tensor &k, const Tensor &v, double scale, Tensor &out,
               int threads);
void batchNorm(const Tensor &in, const Tensor &scale, const Tensor &bias, const Tensor &mean,
               const Tensor &var, double eps, Tensor &out);
void layerNorm(const Tensor &in, const Tensor &weight, const Tensor &bias, int64_t axis,
               double eps, Tensor &out);
void softmax(const Tensor &in, int64_t axis, Tensor &out);
void lrn(const Tensor &in, int64_t size, double alpha, double beta, double bias, Tensor &out);

void maxPool2d(const Tensor &in, const Window2D &w, Tensor &out);
void avgPool2d(const Tensor &in, const Window2D &w, bool countIncludePad, Tensor &out);
void adaptiveAvgPool2d(const Tensor &in, Tensor &out);
void globalAvgPool(const Tensor &in, Tensor &out);

enum class ReduceKind { Mean, Sum, Max };
void reduce(const Tensor &in, const std::vector<int64_t> &axes, ReduceKind kind, Tensor &out);

enum class BinaryKind { Add, Sub, Mul, Div };
void binary(const Tensor &lhs, const Tensor &rhs, BinaryKind kind, Tensor &out);
void unary(const Tensor &in, const std::function<double(double)> &f, Tensor &out);

void concat(const std::vector<const Tensor *> &inputs, int64_t axis, Tensor &out);
void transpose(const Tensor &in, const std::vector<int64_t> &permutation, Tensor &out);
/// Per-dimension start and step (already normalized and clamped).
void slice(const Tensor &in, const std::vector<int64_t> &starts,
           const std::vector<int64_t> &steps, Tensor &out);
void pad(const Tensor &in, const std::vector<int64_t> &padsBegin, double value, Tensor &out);
/// [N, H, W, C] -> [N*OH*OW, KH*KW*C]: each output pixel's window as a row
/// (columns in (kh, kw, c) order), zeros outside the input (tilec.im2col);
/// rows of `out` past N*OH*OW and columns past KH*KW*C are zero.
void im2col(const Tensor &in, const Window2D &w, Tensor &out);
void broadcast(const Tensor &in, Tensor &out);

} // namespace tilec::reference

#endif // TILEC_REFERENCE_KERNELS_H
