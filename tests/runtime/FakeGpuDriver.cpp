//===- FakeGpuDriver.cpp - a CUDA driver stand-in for runtime tests -------===//
//
// The runtime's GPU path (Gpu.cpp) opened with TILEC_GPU_DRIVER pointing at
// this library instead of libcuda.so.1: device memory is host memory, a
// kernel launch runs nothing and is written to a log, so a test can check
// what the runtime asked of the driver with no GPU (which kernels, with which
// launch shape, in which order, on which stream, captured into a graph or
// not).
//
// The log (FAKE_GPU_LOG=path, appended one line per call that matters):
//   launch <kernel> grid <g> block <x>x<y>x<z> shared <bytes> stream|default
//   capture begin | capture end <n> launches | instantiate | graph launch <n> kernels
//   tensormap <rows>x<columns> u16 stride <bytes> box <rows>x<columns> swizzle <n>
//             l2 <n> at allocation <i> + <offset>
// FAKE_GPU_FAIL=capture|instantiate makes that call fail (error 900,
// CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED) so the fallback can be tested;
// FAKE_GPU_FAIL=tensormap fails every tensor map's encoding (error 1).
// Every call also answers to its HIP spelling (the runtime's table for ROCm
// artifacts, GpuDriver.h), so the ROCm path is checked the same way.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Result = int;
using Ptr = uint64_t;

constexpr Result kCaptureUnsupported = 900;

struct Launch {
  std::string kernel;
  unsigned grid, block[3], shared;
};

struct Graph {
  std::vector<Launch> launches;
};

int streamTag; // the one stream this driver hands out
/// Every allocation (start, bytes) in order, so that a tensor map's address
/// is logged as "allocation i + offset" (the same on every run).
std::vector<std::pair<Ptr, size_t>> allocations;
bool capturing = false;
Graph *capture = nullptr;

void log(const std::string &line) {
  const char *path = std::getenv("FAKE_GPU_LOG");
  if (!path)
    return;
  if (FILE *f = std::fopen(path, "a")) {
    std::fprintf(f, "%s\n", line.c_str());
    std::fclose(f);
  }
}

bool failing(const char *what) {
  const char *fail = std::getenv("FAKE_GPU_FAIL");
  return fail && std::strcmp(fail, what) == 0;
}

std::string describe(const Launch &l, bool onStream) {
  return "launch " + l.kernel + " grid " + std::to_string(l.grid) + " block " +
         std::to_string(l.block[0]) + "x" + std::to_string(l.block[1]) + "x" +
         std::to_string(l.block[2]) + " shared " + std::to_string(l.shared) +
         (onStream ? " stream" : " default");
}

} // namespace

extern "C" {

Result cuInit(unsigned) { return 0; }
Result cuDeviceGet(int *d, int) { return *d = 0, 0; }
Result cuDeviceGetCount(int *n) { return *n = 1, 0; }
Result cuDeviceGetName(char *name, int size, int) {
  std::snprintf(name, size_t(size), "Fake GPU (tests/runtime/FakeGpuDriver.cpp)");
  return 0;
}
Result cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? 9 : 0; // compute capability 9.0
  return 0;
}
Result cuDevicePrimaryCtxRetain(void **ctx, int) { return *ctx = &streamTag, 0; }
Result cuDevicePrimaryCtxRelease_v2(int) { return 0; }
Result cuCtxSetCurrent(void *) { return 0; }
Result cuModuleLoadData(void **module, const void *) { return *module = &streamTag, 0; }
Result cuModuleUnload(void *) { return 0; }
Result cuModuleGetFunction(void **fn, void *, const char *name) {
  *fn = strdup(name); // the kernel's name stands for it (never freed: tests are short)
  return 0;
}
Result cuFuncSetAttribute(void *, int, int) { return 0; }
Result cuMemAlloc_v2(Ptr *p, size_t bytes) {
  // 256-byte aligned, as the driver's allocations are.
  size_t rounded = (bytes + 255) / 256 * 256;
  *p = Ptr(reinterpret_cast<uintptr_t>(std::aligned_alloc(256, rounded ? rounded : 256)));
  if (!*p)
    return 2; // CUDA_ERROR_OUT_OF_MEMORY
  std::memset(reinterpret_cast<void *>(uintptr_t(*p)), 0, rounded ? rounded : 256);
  allocations.emplace_back(*p, bytes);
  return 0;
}
Result cuMemFree_v2(Ptr p) {
  std::free(reinterpret_cast<void *>(uintptr_t(p)));
  return 0;
}
Result cuMemcpyHtoD_v2(Ptr to, const void *from, size_t bytes) {
  std::memcpy(reinterpret_cast<void *>(uintptr_t(to)), from, bytes);
  return 0;
}
Result cuMemcpyDtoH_v2(void *to, Ptr from, size_t bytes) {
  std::memcpy(to, reinterpret_cast<const void *>(uintptr_t(from)), bytes);
  return 0;
}
Result cuMemcpyHtoDAsync_v2(Ptr to, const void *from, size_t bytes, void *) {
  if (capturing)
    return kCaptureUnsupported; // the runtime copies outside captures
  return cuMemcpyHtoD_v2(to, from, bytes);
}
Result cuMemcpyDtoHAsync_v2(void *to, Ptr from, size_t bytes, void *) {
  if (capturing)
    return kCaptureUnsupported;
  return cuMemcpyDtoH_v2(to, from, bytes);
}
Result cuLaunchKernel(void *fn, unsigned gx, unsigned, unsigned, unsigned bx, unsigned by,
                      unsigned bz, unsigned shared, void *stream, void **params, void **) {
  if (!params)
    return 1; // CUDA_ERROR_INVALID_VALUE: the runtime always passes arguments
  Launch l{static_cast<const char *>(fn), gx, {bx, by, bz}, shared};
  if (capturing) {
    if (stream != &streamTag)
      return kCaptureUnsupported; // another stream while capturing
    capture->launches.push_back(l);
    return 0;
  }
  log(describe(l, stream == &streamTag));
  return 0;
}
Result cuCtxSynchronize() { return capturing ? kCaptureUnsupported : 0; }
Result cuEventCreate(void **e, unsigned) { return *e = new int(0), 0; }
Result cuEventRecord(void *, void *) { return 0; }
Result cuEventSynchronize(void *) { return 0; }
Result cuEventElapsedTime(float *ms, void *, void *) { return *ms = 0.25f, 0; }
Result cuEventDestroy_v2(void *e) {
  delete static_cast<int *>(e);
  return 0;
}
// The CUDA 12 tensor-map call, checked against its documented limits (a
// violation is CUDA_ERROR_INVALID_VALUE, as the driver answers).
Result cuTensorMapEncodeTiled(void *map, int dataType, unsigned rank, void *address,
                              const uint64_t *dims, const uint64_t *strides, const unsigned *box,
                              const unsigned *elementStrides, int interleave, int swizzle,
                              int l2Promotion, int oobFill) {
  uintptr_t at = reinterpret_cast<uintptr_t>(address);
  if (!map || reinterpret_cast<uintptr_t>(map) % 64 != 0 || dataType != 1 || rank != 2 ||
      at % 16 != 0 || strides[0] % 16 != 0 || box[0] == 0 || box[0] > 256 || box[1] == 0 ||
      box[1] > 256 || (box[0] * 2) % 16 != 0 || elementStrides[0] != 1 ||
      elementStrides[1] != 1 || interleave != 0 || swizzle < 0 || swizzle > 3 ||
      (swizzle == 3 && box[0] * 2 > 128) || oobFill != 0 || failing("tensormap"))
    return 1;
  std::string where = "unknown memory";
  for (size_t i = 0; i < allocations.size(); ++i)
    if (at >= allocations[i].first && at < allocations[i].first + allocations[i].second)
      where = "allocation " + std::to_string(i) + " + " +
              std::to_string(at - allocations[i].first);
  std::memcpy(map, dims, 2 * sizeof(uint64_t)); // something of the map's, never read
  log("tensormap " + std::to_string(dims[1]) + "x" + std::to_string(dims[0]) + " u16 stride " +
      std::to_string(strides[0]) + " box " + std::to_string(box[1]) + "x" +
      std::to_string(box[0]) + " swizzle " + std::to_string(swizzle) + " l2 " +
      std::to_string(l2Promotion) + " at " + where);
  return 0;
}

Result cuGetErrorString(Result rc, const char **message) {
  *message = rc == kCaptureUnsupported ? "operation not permitted when stream is capturing "
                                         "(fake driver)"
                                       : "fake driver error";
  return 0;
}

Result cuStreamCreate(void **stream, unsigned) { return *stream = &streamTag, 0; }
Result cuStreamDestroy_v2(void *) { return 0; }
Result cuStreamBeginCapture_v2(void *stream, int) {
  if (failing("capture") || stream != &streamTag)
    return kCaptureUnsupported;
  log("capture begin");
  capturing = true;
  capture = new Graph;
  return 0;
}
Result cuStreamEndCapture(void *, void **graph) {
  log("capture end " + std::to_string(capture->launches.size()) + " launches");
  capturing = false;
  *graph = capture;
  capture = nullptr;
  return 0;
}
Result cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long) {
  if (failing("instantiate"))
    return kCaptureUnsupported;
  log("instantiate");
  *exec = new Graph(*static_cast<Graph *>(graph));
  return 0;
}
Result cuGraphLaunch(void *exec, void *stream) {
  const Graph &g = *static_cast<Graph *>(exec);
  log("graph launch " + std::to_string(g.launches.size()) + " kernels");
  for (const Launch &l : g.launches)
    log("  " + describe(l, stream == &streamTag));
  return 0;
}
Result cuGraphDestroy(void *graph) {
  delete static_cast<Graph *>(graph);
  return 0;
}
Result cuGraphExecDestroy(void *exec) {
  delete static_cast<Graph *>(exec);
  return 0;
}

// The HIP spellings (same signatures as far as the runtime is concerned).
#define TILEC_HIP_ALIAS(hip, cuda) __typeof__(cuda) hip __attribute__((alias(#cuda)));
TILEC_HIP_ALIAS(hipInit, cuInit)
TILEC_HIP_ALIAS(hipDeviceGet, cuDeviceGet)
TILEC_HIP_ALIAS(hipGetDeviceCount, cuDeviceGetCount)
TILEC_HIP_ALIAS(hipDeviceGetName, cuDeviceGetName)
TILEC_HIP_ALIAS(hipDeviceGetAttribute, cuDeviceGetAttribute)
TILEC_HIP_ALIAS(hipDevicePrimaryCtxRetain, cuDevicePrimaryCtxRetain)
TILEC_HIP_ALIAS(hipDevicePrimaryCtxRelease, cuDevicePrimaryCtxRelease_v2)
TILEC_HIP_ALIAS(hipCtxSetCurrent, cuCtxSetCurrent)
TILEC_HIP_ALIAS(hipModuleLoadData, cuModuleLoadData)
TILEC_HIP_ALIAS(hipModuleUnload, cuModuleUnload)
TILEC_HIP_ALIAS(hipModuleGetFunction, cuModuleGetFunction)
TILEC_HIP_ALIAS(hipFuncSetAttribute, cuFuncSetAttribute)
TILEC_HIP_ALIAS(hipMalloc, cuMemAlloc_v2)
TILEC_HIP_ALIAS(hipFree, cuMemFree_v2)
TILEC_HIP_ALIAS(hipMemcpyHtoD, cuMemcpyHtoD_v2)
TILEC_HIP_ALIAS(hipMemcpyDtoH, cuMemcpyDtoH_v2)
TILEC_HIP_ALIAS(hipMemcpyHtoDAsync, cuMemcpyHtoDAsync_v2)
TILEC_HIP_ALIAS(hipMemcpyDtoHAsync, cuMemcpyDtoHAsync_v2)
TILEC_HIP_ALIAS(hipModuleLaunchKernel, cuLaunchKernel)
TILEC_HIP_ALIAS(hipDeviceSynchronize, cuCtxSynchronize)
TILEC_HIP_ALIAS(hipEventCreateWithFlags, cuEventCreate)
TILEC_HIP_ALIAS(hipEventRecord, cuEventRecord)
TILEC_HIP_ALIAS(hipEventSynchronize, cuEventSynchronize)
TILEC_HIP_ALIAS(hipEventElapsedTime, cuEventElapsedTime)
TILEC_HIP_ALIAS(hipEventDestroy, cuEventDestroy_v2)
TILEC_HIP_ALIAS(hipDrvGetErrorString, cuGetErrorString)
TILEC_HIP_ALIAS(hipStreamCreateWithFlags, cuStreamCreate)
TILEC_HIP_ALIAS(hipStreamDestroy, cuStreamDestroy_v2)
TILEC_HIP_ALIAS(hipStreamBeginCapture, cuStreamBeginCapture_v2)
TILEC_HIP_ALIAS(hipStreamEndCapture, cuStreamEndCapture)
TILEC_HIP_ALIAS(hipGraphInstantiateWithFlags, cuGraphInstantiateWithFlags)
TILEC_HIP_ALIAS(hipGraphLaunch, cuGraphLaunch)
TILEC_HIP_ALIAS(hipGraphDestroy, cuGraphDestroy)
TILEC_HIP_ALIAS(hipGraphExecDestroy, cuGraphExecDestroy)
#undef TILEC_HIP_ALIAS

} // extern "C"
