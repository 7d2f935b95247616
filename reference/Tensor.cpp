//===- Tensor.cpp - shape helpers and the interpreter's parallel loop -----===//

#include "reference/Tensor.h"

#include <algorithm>
#include <atomic>
#include <thread>

using namespace tilec::reference;

std::vector<int64_t> tilec::reference::strides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

std::vector<int64_t> tilec::reference::broadcastIndices(const std::vector<int64_t> &outShape,
                                                        const std::vector<int64_t> &inShape) {
  size_t rank = outShape.size(), offset = rank - inShape.size();
  std::vector<int64_t> inStrides = strides(inShape);
  // Stride 0 along broadcast dimensions (missing or of size 1).
  std::vector<int64_t> step(rank, 0);
  for (size_t d = offset; d < rank; ++d)
    step[d] = inShape[d - offset] == 1 ? 0 : inStrides[d - offset];
  std::vector<int64_t> result(Tensor::numElements(outShape));
  std::vector<int64_t> index(rank, 0);
  int64_t in = 0;
  for (int64_t &r : result) {
    r = in;
    for (int64_t d = int64_t(rank) - 1; d >= 0; --d) { // odometer increment
      in += step[d];
      if (++index[d] < outShape[d])
        break;
      in -= step[d] * outShape[d];
      index[d] = 0;
    }
  }
  return result;
}

void tilec::reference::parallelFor(int64_t n, int threads,
                                   const std::function<void(int64_t)> &body) {
  int workers = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  workers = int(std::min<int64_t>(workers, n));
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i)
      body(i);
    return;
  }
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i = next++; i < n; i = next++)
      body(i);
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w)
    pool.emplace_back(work);
  work();
  for (std::thread &t : pool)
    t.join();
}
