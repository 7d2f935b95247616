//===- CudaTiming.h - CUDA-event timing shared by the GPU baselines -------===//
//
// The cuBLAS and cuDNN baselines (CublasGemm.cpp, CudnnConv.cpp) time their
// library calls the same way: warm-up calls, then each call between two CUDA
// events on the default stream, the median of the runs.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_BENCH_CUDATIMING_H
#define TILEC_BENCH_CUDATIMING_H

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace tilec::bench {

/// Prints the failed call and returns true when `ok` is false.
inline bool failed(bool ok, const char *call, const std::string &why) {
  if (!ok)
    std::fprintf(stderr, "%s failed: %s\n", call, why.c_str());
  return !ok;
}

#define CHECK_CUDA(call)                                                                           \
  if (cudaError_t e = (call); tilec::bench::failed(e == cudaSuccess, #call, cudaGetErrorString(e))) \
  return 1

/// Median milliseconds of `runs` timed calls of `run` (after 5 untimed ones);
/// `run` returns false on failure (having printed why). 0 on success.
template <typename Run> int medianEventMs(Run &&run, int runs, double &medianMs) {
  for (int i = 0; i < 5; ++i)
    if (!run())
      return 1;
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  std::vector<float> times;
  for (int i = 0; i < runs; ++i) {
    CHECK_CUDA(cudaEventRecord(start));
    if (!run())
      return 1;
    CHECK_CUDA(cudaEventRecord(stop));
    CHECK_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  medianMs = times[times.size() / 2];
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return 0;
}

} // namespace tilec::bench

#endif // TILEC_BENCH_CUDATIMING_H
