//===- CudnnConv.h - one convolution layer for the cuDNN baselines --------===//
//
// Shared by CudnnConv.cpp (the legacy API: cudnnFindConvolutionForwardAlgorithmEx)
// and CudnnGraphConv.cpp (the graph / backend API: heuristics' engines, timed).
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_BENCH_CUDNNCONV_H
#define TILEC_BENCH_CUDNNCONV_H

#include <cudnn.h>

#include <cstdint>

namespace tilec::bench {

/// An NHWC convolution: N x H x W x C input, F filters of K x K, stride, pad.
struct Layer {
  int n, h, w, c, f, k, stride, pad;
  int outH() const { return (h + 2 * pad - k) / stride + 1; }
  int outW() const { return (w + 2 * pad - k) / stride + 1; }
  double flops() const { return 2.0 * n * outH() * outW() * f * double(k) * k * c; }
};

/// A layer's device buffers (bf16 input and filters zeroed, output) and a
/// 256 MB workspace, freed with their owner.
struct LayerBuffers {
  void *x = nullptr, *w = nullptr, *y = nullptr, *workspace = nullptr;
  size_t workspaceBytes = 256u << 20;
  /// Allocates them; false after printing the failed call.
  bool allocate(const Layer &l);
  ~LayerBuffers();
};

/// The layer through cuDNN's graph API: bf16 NHWC tensors, fp32 compute, the
/// engines heuristics mode A proposes (up to 8 that build), each timed, the
/// fastest kept: its median over `runs` into `medianMs`, its engine's global
/// index into `engine`. Returns 0, or 1 after printing the failed call.
int timeGraphConv(cudnnHandle_t handle, const Layer &l, int runs, double &medianMs,
                  int64_t &engine);

} // namespace tilec::bench

#endif // TILEC_BENCH_CUDNNCONV_H
