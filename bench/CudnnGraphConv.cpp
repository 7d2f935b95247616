//===- CudnnGraphConv.cpp - cuDNN's graph API on one convolution ----------===//
//
// See CudnnConv.h. The legacy API's cudnnFindConvolutionForwardAlgorithmEx
// chose its implicit-GEMM algorithms 0/1 on ResNet-50's batch-1 layers and ran
// at 0.7-4 TFLOP/s on an H200 (docs/gpu-results.md, run 2); the graph API
// also offers the engines the legacy one does not (runtime-compiled and
// Hopper kernels), so it is the fairer baseline.
//
//===----------------------------------------------------------------------===//

#include "CudaTiming.h"
#include "CudnnConv.h"

#include <cuda_runtime.h>

#include <memory>
#include <vector>

using namespace tilec::bench;

namespace {

/// A backend descriptor, destroyed with its owner.
struct Descriptor {
  cudnnBackendDescriptor_t d = nullptr;
  cudnnStatus_t created;
  explicit Descriptor(cudnnBackendDescriptorType_t type)
      : created(cudnnBackendCreateDescriptor(type, &d)) {}
  ~Descriptor() {
    if (d)
      cudnnBackendDestroyDescriptor(d);
  }
  Descriptor(const Descriptor &) = delete;
  Descriptor &operator=(const Descriptor &) = delete;
};

bool ok(cudnnStatus_t e, const char *what) {
  return !failed(e == CUDNN_STATUS_SUCCESS, what, cudnnGetErrorString(e));
}

template <typename T>
cudnnStatus_t set(cudnnBackendDescriptor_t d, cudnnBackendAttributeName_t name,
                  cudnnBackendAttributeType_t type, const std::vector<T> &values) {
  return cudnnBackendSetAttribute(d, name, type, int64_t(values.size()), values.data());
}

/// A bf16 tensor of NCHW dims [n, c, h, w] stored NHWC.
bool tensor(Descriptor &t, int64_t uid, int64_t n, int64_t c, int64_t h, int64_t w) {
  return ok(t.created, "cudnnBackendCreateDescriptor(tensor)") &&
         ok(set(t.d, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE,
                std::vector<cudnnDataType_t>{CUDNN_DATA_BFLOAT16}),
            "tensor data type") &&
         ok(set(t.d, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64,
                std::vector<int64_t>{n, c, h, w}),
            "tensor dimensions") &&
         ok(set(t.d, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64,
                std::vector<int64_t>{h * w * c, 1, w * c, c}),
            "tensor strides") &&
         ok(set(t.d, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, std::vector<int64_t>{uid}),
            "tensor uid") &&
         ok(set(t.d, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, std::vector<int64_t>{16}),
            "tensor alignment") &&
         ok(cudnnBackendFinalize(t.d), "cudnnBackendFinalize(tensor)");
}

} // namespace

int tilec::bench::timeGraphConv(cudnnHandle_t handle, const Layer &l, int runs, double &medianMs,
                                int64_t &engine) {
  Descriptor x(CUDNN_BACKEND_TENSOR_DESCRIPTOR), w(CUDNN_BACKEND_TENSOR_DESCRIPTOR),
      y(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  if (!tensor(x, 'x', l.n, l.c, l.h, l.w) || !tensor(w, 'w', l.f, l.c, l.k, l.k) ||
      !tensor(y, 'y', l.n, l.f, l.outH(), l.outW()))
    return 1;
  Descriptor conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  std::vector<int64_t> pads = {l.pad, l.pad}, strides = {l.stride, l.stride}, ones = {1, 1};
  if (!ok(conv.created, "cudnnBackendCreateDescriptor(convolution)") ||
      !ok(set(conv.d, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE,
              std::vector<cudnnDataType_t>{CUDNN_DATA_FLOAT}),
          "convolution compute type") ||
      !ok(set(conv.d, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE,
              std::vector<cudnnConvolutionMode_t>{CUDNN_CROSS_CORRELATION}),
          "convolution mode") ||
      !ok(set(conv.d, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64,
              std::vector<int64_t>{2}),
          "convolution spatial dims") ||
      !ok(set(conv.d, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, pads), "pre pads") ||
      !ok(set(conv.d, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, pads), "post pads") ||
      !ok(set(conv.d, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, strides),
          "filter strides") ||
      !ok(set(conv.d, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, ones), "dilations") ||
      !ok(cudnnBackendFinalize(conv.d), "cudnnBackendFinalize(convolution)"))
    return 1;
  Descriptor op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  auto descriptor = [](Descriptor &d) { return std::vector<cudnnBackendDescriptor_t>{d.d}; };
  if (!ok(op.created, "cudnnBackendCreateDescriptor(forward)") ||
      !ok(set(op.d, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR,
              descriptor(x)),
          "forward x") ||
      !ok(set(op.d, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR,
              descriptor(w)),
          "forward w") ||
      !ok(set(op.d, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR,
              descriptor(y)),
          "forward y") ||
      !ok(set(op.d, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
              CUDNN_TYPE_BACKEND_DESCRIPTOR, descriptor(conv)),
          "forward convolution") ||
      !ok(set(op.d, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT,
              std::vector<float>{1.f}),
          "forward alpha") ||
      !ok(set(op.d, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT,
              std::vector<float>{0.f}),
          "forward beta") ||
      !ok(cudnnBackendFinalize(op.d), "cudnnBackendFinalize(forward)"))
    return 1;
  Descriptor graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  if (!ok(graph.created, "cudnnBackendCreateDescriptor(graph)") ||
      !ok(set(graph.d, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
              descriptor(op)),
          "graph ops") ||
      !ok(set(graph.d, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE,
              std::vector<cudnnHandle_t>{handle}),
          "graph handle") ||
      !ok(cudnnBackendFinalize(graph.d), "cudnnBackendFinalize(graph)"))
    return 1;
  Descriptor heuristics(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  if (!ok(heuristics.created, "cudnnBackendCreateDescriptor(heuristics)") ||
      !ok(set(heuristics.d, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR,
              descriptor(graph)),
          "heuristics graph") ||
      !ok(set(heuristics.d, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE,
              std::vector<cudnnBackendHeurMode_t>{CUDNN_HEUR_MODE_A}),
          "heuristics mode") ||
      !ok(cudnnBackendFinalize(heuristics.d), "cudnnBackendFinalize(heuristics)"))
    return 1;
  int64_t proposed = 0;
  if (!ok(cudnnBackendGetAttribute(heuristics.d, CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                   CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &proposed, nullptr),
          "heuristics result count"))
    return 1;
  std::vector<std::unique_ptr<Descriptor>> configs;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (int64_t i = 0; i < std::min<int64_t>(proposed, 16); ++i) {
    configs.push_back(std::make_unique<Descriptor>(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR));
    if (!ok(configs.back()->created, "cudnnBackendCreateDescriptor(engine config)"))
      return 1;
    raw.push_back(configs.back()->d);
  }
  int64_t got = 0;
  if (!raw.empty() && !ok(cudnnBackendGetAttribute(heuristics.d, CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                                   CUDNN_TYPE_BACKEND_DESCRIPTOR,
                                                   int64_t(raw.size()), &got, raw.data()),
                          "heuristics results"))
    return 1;

  LayerBuffers buffers;
  if (!buffers.allocate(l))
    return 1;
  // Each proposed engine that builds (up to 8): a short timing; the fastest
  // again over `runs`.
  double best = -1;
  int tried = 0;
  for (int64_t i = 0; i < got && tried < 8; ++i) {
    auto plan = std::make_unique<Descriptor>(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
    if (plan->created != CUDNN_STATUS_SUCCESS ||
        set(plan->d, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE,
            std::vector<cudnnHandle_t>{handle}) != CUDNN_STATUS_SUCCESS ||
        set(plan->d, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR,
            std::vector<cudnnBackendDescriptor_t>{raw[i]}) != CUDNN_STATUS_SUCCESS ||
        cudnnBackendFinalize(plan->d) != CUDNN_STATUS_SUCCESS)
      continue; // an engine that does not support this layer
    int64_t bytes = 0, count = 0;
    if (cudnnBackendGetAttribute(plan->d, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                 CUDNN_TYPE_INT64, 1, &count, &bytes) != CUDNN_STATUS_SUCCESS ||
        bytes > int64_t(buffers.workspaceBytes))
      continue;
    Descriptor pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
    if (!ok(pack.created, "cudnnBackendCreateDescriptor(variant pack)") ||
        !ok(set(pack.d, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64,
                std::vector<int64_t>{'x', 'w', 'y'}),
            "variant pack uids") ||
        !ok(set(pack.d, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR,
                std::vector<void *>{buffers.x, buffers.w, buffers.y}),
            "variant pack pointers") ||
        !ok(set(pack.d, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR,
                std::vector<void *>{buffers.workspace}),
            "variant pack workspace") ||
        !ok(cudnnBackendFinalize(pack.d), "cudnnBackendFinalize(variant pack)"))
      return 1;
    ++tried;
    auto run = [&] {
      return ok(cudnnBackendExecute(handle, plan->d, pack.d), "cudnnBackendExecute");
    };
    double ms = 0;
    if (medianEventMs(run, 10, ms) != 0)
      continue;
    if (best < 0 || ms < best) {
      best = ms;
      if (medianEventMs(run, runs, medianMs) != 0)
        return 1;
      // The engine's global index, for the row.
      Descriptor e(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
      cudnnBackendDescriptor_t ed = e.d;
      engine = -1;
      if (cudnnBackendGetAttribute(raw[i], CUDNN_ATTR_ENGINECFG_ENGINE,
                                   CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &count,
                                   &ed) == CUDNN_STATUS_SUCCESS)
        cudnnBackendGetAttribute(ed, CUDNN_ATTR_ENGINE_GLOBAL_INDEX, CUDNN_TYPE_INT64, 1, &count,
                                 &engine);
    }
  }
  if (failed(best >= 0, "cuDNN graph API", "no proposed engine builds and runs this layer"))
    return 1;
  return 0;
}
