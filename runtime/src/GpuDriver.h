//===- GpuDriver.h - CUDA driver / HIP entry points by name ---------------===//
//
// One table of the driver calls the runtime makes, with the CUDA and HIP
// spelling of each (HIP's module API mirrors CUDA's driver API one to one).
// The table is filled by dlsym; a missing symbol is a load error, never a
// crash at call time.
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

struct GpuDriver {
#define TILEC_FIELD(field, cudaName, hipName, type) std::add_pointer_t<type> field = nullptr;
  TILEC_GPU_DRIVER_SYMBOLS(TILEC_FIELD)
#undef TILEC_FIELD
};

} // namespace tilec::runtime

#endif // TILEC_RUNTIME_GPUDRIVER_H
