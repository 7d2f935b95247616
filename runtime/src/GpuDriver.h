//===- GpuDriver.h - CUDA driver / HIP entry points by name ---------------===//
//
// One table of the driver calls the runtime makes, with the CUDA and HIP
// spelling of each (HIP's module API mirrors CUDA's driver API one to one).
// The table is filled by dlsym; a missing symbol is a load error, never a
// crash at call time. The stream and graph calls (a stream of its own, copies
// on it, its capture, the graph's instantiation and launch) are optional:
// without any one of them the model uses the default stream and launches
// kernels one by one.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_RUNTIME_GPUDRIVER_H
#define TILEC_RUNTIME_GPUDRIVER_H

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tilec::runtime {

using GpuResult = int;
using GpuDevice = int;
using GpuContext = void *;
using GpuModule = void *;
using GpuFunction = void *;
using GpuStream = void *;
using GpuEvent = void *;
using GpuGraph = void *;
using GpuGraphExec = void *;
using GpuPtr = uint64_t; // CUdeviceptr / hipDeviceptr_t as an integer

/// CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES and
/// hipFuncAttributeMaxDynamicSharedMemorySize (both 8).
inline constexpr int kMaxDynamicSharedBytesAttribute = 8;
/// Shared memory a kernel gets without opting in (CUDA).
inline constexpr int64_t kDefaultSharedBytes = 48 * 1024;

//   field,             CUDA name,               HIP name,              signature
#define TILEC_GPU_DRIVER_SYMBOLS(X)                                                              \
  X(init, "cuInit", "hipInit", GpuResult(unsigned))                                          \
  X(deviceGet, "cuDeviceGet", "hipDeviceGet", GpuResult(GpuDevice *, int))                   \
  X(deviceGetCount, "cuDeviceGetCount", "hipGetDeviceCount", GpuResult(int *))               \
  X(deviceGetName, "cuDeviceGetName", "hipDeviceGetName", GpuResult(char *, int, GpuDevice)) \
  X(deviceGetAttribute, "cuDeviceGetAttribute", "hipDeviceGetAttribute",                         \
    GpuResult(int *, int, GpuDevice))                                                        \
  X(primaryCtxRetain, "cuDevicePrimaryCtxRetain", "hipDevicePrimaryCtxRetain",                   \
    GpuResult(GpuContext *, GpuDevice))                                                      \
  X(primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", "hipDevicePrimaryCtxRelease",             \
    GpuResult(GpuDevice))                                                                    \
  X(ctxSetCurrent, "cuCtxSetCurrent", "hipCtxSetCurrent", GpuResult(GpuContext))             \
  X(moduleLoadData, "cuModuleLoadData", "hipModuleLoadData",                                     \
    GpuResult(GpuModule *, const void *))                                                    \
  X(moduleUnload, "cuModuleUnload", "hipModuleUnload", GpuResult(GpuModule))                 \
  X(moduleGetFunction, "cuModuleGetFunction", "hipModuleGetFunction",                            \
    GpuResult(GpuFunction *, GpuModule, const char *))                                       \
  X(funcSetAttribute, "cuFuncSetAttribute", "hipFuncSetAttribute",                              \
    GpuResult(GpuFunction, int, int))                                                        \
  X(memAlloc, "cuMemAlloc_v2", "hipMalloc", GpuResult(GpuPtr *, size_t))                     \
  X(memFree, "cuMemFree_v2", "hipFree", GpuResult(GpuPtr))                                   \
  X(memcpyHtoD, "cuMemcpyHtoD_v2", "hipMemcpyHtoD",                                              \
    GpuResult(GpuPtr, const void *, size_t))                                                 \
  X(memcpyDtoH, "cuMemcpyDtoH_v2", "hipMemcpyDtoH", GpuResult(void *, GpuPtr, size_t))       \
  X(launchKernel, "cuLaunchKernel", "hipModuleLaunchKernel",                                     \
    GpuResult(GpuFunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,       \
                  unsigned, GpuStream, void **, void **))                                        \
  X(ctxSynchronize, "cuCtxSynchronize", "hipDeviceSynchronize", GpuResult())                 \
  X(eventCreate, "cuEventCreate", "hipEventCreateWithFlags", GpuResult(GpuEvent *, unsigned)) \
  X(eventRecord, "cuEventRecord", "hipEventRecord", GpuResult(GpuEvent, GpuStream))          \
  X(eventSynchronize, "cuEventSynchronize", "hipEventSynchronize", GpuResult(GpuEvent))      \
  X(eventElapsedTime, "cuEventElapsedTime", "hipEventElapsedTime",                               \
    GpuResult(float *, GpuEvent, GpuEvent))                                                  \
  X(eventDestroy, "cuEventDestroy_v2", "hipEventDestroy", GpuResult(GpuEvent))               \
  X(getErrorString, "cuGetErrorString", "hipDrvGetErrorString",                                  \
    GpuResult(GpuResult, const char **))

/// CU_STREAM_CAPTURE_MODE_THREAD_LOCAL / hipStreamCaptureModeThreadLocal:
/// only this thread's calls are checked against the capture.
inline constexpr int kCaptureThreadLocal = 1;
/// CU_STREAM_NON_BLOCKING / hipStreamNonBlocking: a stream that does not
/// wait for the legacy default stream (captures are made on such streams).
inline constexpr unsigned kStreamNonBlocking = 1;

//   field,             CUDA name,               HIP name,              signature
#define TILEC_GPU_GRAPH_SYMBOLS(X)                                                               \
  X(streamCreate, "cuStreamCreate", "hipStreamCreateWithFlags", GpuResult(GpuStream *, unsigned)) \
  X(streamDestroy, "cuStreamDestroy_v2", "hipStreamDestroy", GpuResult(GpuStream))              \
  X(memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", "hipMemcpyHtoDAsync",                              \
    GpuResult(GpuPtr, const void *, size_t, GpuStream))                                         \
  X(memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", "hipMemcpyDtoHAsync",                              \
    GpuResult(void *, GpuPtr, size_t, GpuStream))                                               \
  X(streamBeginCapture, "cuStreamBeginCapture_v2", "hipStreamBeginCapture",                     \
    GpuResult(GpuStream, int))                                                                  \
  X(streamEndCapture, "cuStreamEndCapture", "hipStreamEndCapture",                              \
    GpuResult(GpuStream, GpuGraph *))                                                           \
  X(graphInstantiate, "cuGraphInstantiateWithFlags", "hipGraphInstantiateWithFlags",            \
    GpuResult(GpuGraphExec *, GpuGraph, unsigned long long))                                    \
  X(graphLaunch, "cuGraphLaunch", "hipGraphLaunch", GpuResult(GpuGraphExec, GpuStream))         \
  X(graphDestroy, "cuGraphDestroy", "hipGraphDestroy", GpuResult(GpuGraph))                     \
  X(graphExecDestroy, "cuGraphExecDestroy", "hipGraphExecDestroy", GpuResult(GpuGraphExec))

/// cuTensorMapEncodeTiled (CUDA 12+; no HIP counterpart): the tensor maps of
/// kernels that load tiles with TMA (artifact_format.h TensorMap). Optional:
/// only such artifacts need it. The enums are passed as their int values.
using TensorMapEncodeTiled = GpuResult(void *map, int dataType, unsigned rank, void *address,
                                       const uint64_t *dims, const uint64_t *strides,
                                       const unsigned *box, const unsigned *elementStrides,
                                       int interleave, int swizzle, int l2Promotion,
                                       int oobFill);
/// CUtensorMap: 128 bytes, aligned to 64 (128 in CUDA 13's header).
inline constexpr size_t kTensorMapBytes = 128;
/// CU_TENSOR_MAP_DATA_TYPE_UINT16 (16-bit elements copied as bits).
inline constexpr int kTensorMapUint16 = 1;
/// CU_TENSOR_MAP_L2_PROMOTION_L2_256B.
inline constexpr int kTensorMapL2Promotion256B = 3;

struct GpuDriver {
#define TILEC_FIELD(field, cudaName, hipName, type) std::add_pointer_t<type> field = nullptr;
  TILEC_GPU_DRIVER_SYMBOLS(TILEC_FIELD)
  TILEC_GPU_GRAPH_SYMBOLS(TILEC_FIELD)
#undef TILEC_FIELD
  std::add_pointer_t<TensorMapEncodeTiled> tensorMapEncodeTiled = nullptr;
};

} // namespace tilec::runtime

#endif // TILEC_RUNTIME_GPUDRIVER_H
