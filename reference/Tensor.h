//===- Tensor.h - the reference interpreter's dense tensor ------*- C++ -*-===//
//
// Row-major float32 storage with a shape. Kernels read and write it with plain
// index arithmetic; accumulation happens in double inside each kernel.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_REFERENCE_TENSOR_H
#define TILEC_REFERENCE_TENSOR_H

#include "ir/ShapeUtils.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace tilec::reference {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> s) : shape(std::move(s)), data(numElements(shape)) {}

  int64_t numel() const { return int64_t(data.size()); }
  int64_t dim(int64_t i) const { return shape[i]; }
  int64_t rank() const { return int64_t(shape.size()); }

  static int64_t numElements(const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

using tilec::broadcastIndices;
/// Row-major strides of `shape`. Example: strides({2, 3, 4}) == {12, 4, 1}.
inline std::vector<int64_t> strides(const std::vector<int64_t> &shape) {
  return rowMajorStrides(shape);
}

/// Runs body(i) for i in [0, n) on up to `threads` threads (0: all cores).
void parallelFor(int64_t n, int threads, const std::function<void(int64_t)> &body);

} // namespace tilec::reference

#endif // TILEC_REFERENCE_TENSOR_H
