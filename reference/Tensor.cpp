//===- Tensor.cpp - shape helpers and the interpreter's parallel loop -----===//

#include "reference/Tensor.h"

#include <algorithm>
#include <atomic>
#include <thread>

using namespace tilec::reference;

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
