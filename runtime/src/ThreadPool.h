//===- ThreadPool.h - workgroups handed to a fixed set of threads ---------===//
//
// parallelFor(n, fn) runs fn(0..n-1) on the pool's threads and the caller;
// workgroups are claimed one at a time from an atomic counter, so uneven
// workgroups balance themselves. The workers sleep between calls.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_RUNTIME_THREADPOOL_H
#define TILEC_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tilec::runtime {

class ThreadPool {
public:
  /// `threads` in total, the caller included (at least 1).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  void parallelFor(int64_t n, const std::function<void(int64_t)> &fn);
  int size() const { return int(workers.size()) + 1; }

private:
  void workerLoop();
  void drain();

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(int64_t)> *task = nullptr;
  int64_t count = 0;
  std::atomic<int64_t> next{0};
  int busy = 0;
  uint64_t generation = 0;
  bool stopping = false;
};

} // namespace tilec::runtime

#endif // TILEC_RUNTIME_THREADPOOL_H
