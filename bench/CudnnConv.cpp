//===- CudnnConv.cpp - cuDNN convolutions, the baseline of tilec's GPU convs ===//
//
// Times cudnnConvolutionForward on channels-last (NHWC) bf16 tensors with fp32
// accumulation (tensor cores), what `tilec compile --precision bf16` computes
// for a convolution, on ResNet-50's layer shapes, and prints one line per
// layer with the median of timed runs (CUDA events) and GFLOP/s. The
// algorithm is cuDNN's fastest by cudnnFindConvolutionForwardAlgorithm
// (workspace up to 256 MB).
//
//   build/bin/tilec-cudnn-conv [--graph] [NxHxWxC:FxKxK:sS:pP ...]
//     e.g. 1x56x56x64:64x3x3:s1:p1   (default: ResNet-50's distinct layers)
//
// --graph: through cuDNN's graph (backend) API instead (CudnnGraphConv.cpp):
// the engines its heuristics propose, each timed, the fastest kept.
//
// Exits 77 (skipped) when there is no CUDA device.
//
//===----------------------------------------------------------------------===//

#include "CudnnConv.h"
#include "CudaTiming.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using tilec::bench::failed;
using tilec::bench::Layer;

bool parseLayer(const std::string &text, Layer &l) {
  return std::sscanf(text.c_str(), "%dx%dx%dx%d:%dx%dx%*d:s%d:p%d", &l.n, &l.h, &l.w, &l.c, &l.f,
                     &l.k, &l.stride, &l.pad) == 8 &&
         l.n > 0 && l.h > 0 && l.w > 0 && l.c > 0 && l.f > 0 && l.k > 0 && l.stride > 0 &&
         l.pad >= 0;
}

#define CHECK_CUDNN(call)                                                                          \
  if (cudnnStatus_t e = (call); failed(e == CUDNN_STATUS_SUCCESS, #call, cudnnGetErrorString(e)))  \
  return 1

int timeConv(cudnnHandle_t handle, const Layer &l, int runs, double &medianMs, int &algo) {
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  CHECK_CUDNN(cudnnCreateTensorDescriptor(&x));
  CHECK_CUDNN(cudnnCreateTensorDescriptor(&y));
  CHECK_CUDNN(cudnnCreateFilterDescriptor(&w));
  CHECK_CUDNN(cudnnCreateConvolutionDescriptor(&conv));
  CHECK_CUDNN(
      cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, CUDNN_DATA_BFLOAT16, l.n, l.c, l.h, l.w));
  CHECK_CUDNN(
      cudnnSetFilter4dDescriptor(w, CUDNN_DATA_BFLOAT16, CUDNN_TENSOR_NHWC, l.f, l.c, l.k, l.k));
  CHECK_CUDNN(cudnnSetConvolution2dDescriptor(conv, l.pad, l.pad, l.stride, l.stride, 1, 1,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  CHECK_CUDNN(cudnnSetConvolutionMathType(conv, CUDNN_TENSOR_OP_MATH));
  // bf16 output, fp32 accumulation (cuDNN's bf16 configuration: it has no
  // algorithm for bf16 inputs with an f32 output, which tilec's
  // convolutions write; the difference is the output's bytes).
  CHECK_CUDNN(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, CUDNN_DATA_BFLOAT16, l.n, l.f,
                                         l.outH(), l.outW()));
  tilec::bench::LayerBuffers buffers;
  if (!buffers.allocate(l))
    return 1;
  void *dx = buffers.x, *dw = buffers.w, *dy = buffers.y, *workspace = buffers.workspace;
  size_t workspaceBytes = buffers.workspaceBytes;
  cudnnConvolutionFwdAlgoPerf_t perf[8];
  int found = 0;
  CHECK_CUDNN(cudnnFindConvolutionForwardAlgorithmEx(handle, x, dx, w, dw, conv, y, dy, 8, &found,
                                                     perf, workspace, workspaceBytes));
  int best = -1;
  for (int i = 0; i < found && best < 0; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= workspaceBytes)
      best = i;
  if (failed(best >= 0, "cudnnFindConvolutionForwardAlgorithmEx", "no algorithm runs"))
    return 1;
  algo = int(perf[best].algo);
  const float one = 1.f, zero = 0.f;
  auto run = [&] {
    return cudnnConvolutionForward(handle, &one, x, dx, w, dw, conv, perf[best].algo, workspace,
                                   workspaceBytes, &zero, y, dy);
  };
  int rc = tilec::bench::medianEventMs(
      [&] {
        cudnnStatus_t e = run();
        return !failed(e == CUDNN_STATUS_SUCCESS, "cudnnConvolutionForward",
                       cudnnGetErrorString(e));
      },
      runs, medianMs);
  cudnnDestroyTensorDescriptor(x);
  cudnnDestroyTensorDescriptor(y);
  cudnnDestroyFilterDescriptor(w);
  cudnnDestroyConvolutionDescriptor(conv);
  return rc;
}

} // namespace

bool tilec::bench::LayerBuffers::allocate(const Layer &l) {
  size_t xBytes = size_t(l.n) * l.h * l.w * l.c * 2, wBytes = size_t(l.f) * l.k * l.k * l.c * 2,
         yBytes = size_t(l.n) * l.outH() * l.outW() * l.f * 2;
  auto ok = [](cudaError_t e, const char *call) {
    return !failed(e == cudaSuccess, call, cudaGetErrorString(e));
  };
  return ok(cudaMalloc(&x, xBytes), "cudaMalloc(x)") &&
         ok(cudaMalloc(&w, wBytes), "cudaMalloc(w)") &&
         ok(cudaMalloc(&y, yBytes), "cudaMalloc(y)") &&
         ok(cudaMalloc(&workspace, workspaceBytes), "cudaMalloc(workspace)") &&
         ok(cudaMemset(x, 0, xBytes), "cudaMemset(x)") &&
         ok(cudaMemset(w, 0, wBytes), "cudaMemset(w)");
}

tilec::bench::LayerBuffers::~LayerBuffers() {
  for (void *p : {x, w, y, workspace})
    if (p)
      cudaFree(p);
}

int main(int argc, char **argv) {
  std::vector<Layer> layers;
  bool graph = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--graph") {
      graph = true;
      continue;
    }
    Layer l;
    if (!parseLayer(argv[i], l)) {
      std::fprintf(stderr,
                   "bad layer '%s'; expected NxHxWxC:FxKxK:sS:pP, e.g. 1x56x56x64:64x3x3:s1:p1\n",
                   argv[i]);
      return 2;
    }
    layers.push_back(l);
  }
  if (layers.empty()) // ResNet-50's distinct convolutions at batch 1, the stem last
    layers = {{1, 56, 56, 64, 64, 1, 1, 0},   {1, 56, 56, 64, 64, 3, 1, 1},
              {1, 56, 56, 64, 256, 1, 1, 0},  {1, 56, 56, 256, 128, 1, 1, 0},
              {1, 28, 28, 128, 128, 3, 1, 1}, {1, 28, 28, 128, 512, 1, 1, 0},
              {1, 14, 14, 256, 256, 3, 1, 1}, {1, 14, 14, 256, 1024, 1, 1, 0},
              {1, 7, 7, 512, 512, 3, 1, 1},   {1, 7, 7, 512, 2048, 1, 1, 0},
              {1, 224, 224, 3, 64, 7, 2, 3}};
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device; nothing to time\n");
    return 77;
  }
  cudnnHandle_t handle;
  CHECK_CUDNN(cudnnCreate(&handle));
  for (const Layer &l : layers) {
    double ms = 0;
    int algo = -1;
    int64_t engine = -1;
    if (int rc = graph ? tilec::bench::timeGraphConv(handle, l, 50, ms, engine)
                       : timeConv(handle, l, 50, ms, algo))
      return rc;
    std::printf("%s %dx%dx%dx%d:%dx%dx%d:s%d:p%d median %.4f ms %.0f GFLOP/s %s %lld\n",
                graph ? "cudnn_graph_conv_bf16" : "cudnn_conv_bf16", l.n, l.h, l.w, l.c, l.f, l.k,
                l.k, l.stride, l.pad, ms, l.flops() / (ms * 1e6), graph ? "engine" : "algo",
                graph ? (long long)engine : (long long)algo);
  }
  cudnnDestroy(handle);
  return 0;
}
