//===- EmulatedGpuDriver.cpp - a CUDA driver that runs kernels on the CPU ---===//
//
// The runtime's GPU path (Gpu.cpp) opened with TILEC_GPU_DRIVER pointing at
// this library instead of libcuda.so.1 runs a CUDA artifact on the CPU: device
// memory is host memory, and each launch runs its kernel through the lane
// emulator (LaneEmulator.h) from the kernels' MLIR as the GPU backend left it
// before the LLVM conversion:
//
//   TILEC_DUMP_KERNELS=d tilec compile m.mlir --target cuda:sm_90 -o m.tilec
//   TILEC_GPU_DRIVER=build/lib/libtilec_gpu_emulator.so \
//     TILEC_EMULATE_IR=d/3-gpu.mlir tilec run m.tilec --check
//
// TILEC_EMULATE_SM (default 90) is the compute capability it reports. A kernel
// the emulator cannot run, or an error it finds (an access outside a buffer,
// a race on workgroup memory, a divergent barrier), fails the launch with
// CUDA_ERROR_UNKNOWN (999); cuGetErrorString says what and where. No stream
// capture (the runtime launches kernel by kernel). Tensor maps are encoded
// in the emulator's own form (TMA loads read them back).
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/LaneEmulator.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

namespace {

using Result = int;
using Ptr = uint64_t;

constexpr Result kInvalidValue = 1, kNotFound = 500, kUnknown = 999;

struct State {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string path;
  long long mtime = -1, size = -1;
  std::map<Ptr, size_t> allocations; // start -> bytes
  std::string lastError;
};

State &state() {
  static State s;
  return s;
}

Result failWith(Result code, const std::string &message) {
  state().lastError = message;
  std::fprintf(stderr, "tilec GPU emulator: %s\n", message.c_str());
  return code;
}

/// The kernels' module, (re)read when TILEC_EMULATE_IR names another file or
/// the file changed.
Result loadModule() {
  State &s = state();
  const char *path = std::getenv("TILEC_EMULATE_IR");
  if (!path || !*path)
    return failWith(kInvalidValue,
                    "TILEC_EMULATE_IR is not set: point it at the 3-gpu.mlir that "
                    "TILEC_DUMP_KERNELS=<dir> tilec compile ... wrote for this artifact");
  struct stat st;
  if (::stat(path, &st) != 0)
    return failWith(kInvalidValue, std::string("TILEC_EMULATE_IR: cannot read ") + path);
  if (s.module && s.path == path && s.mtime == (long long)st.st_mtime &&
      s.size == (long long)st.st_size)
    return 0;
  if (!s.context) {
    mlir::DialectRegistry registry;
    tilec::emulator::registerDialects(registry);
    s.context = std::make_unique<mlir::MLIRContext>(registry);
    s.context->loadAllAvailableDialects();
    s.context->allowUnregisteredDialects(false);
  }
  s.module = mlir::parseSourceFile<mlir::ModuleOp>(path, s.context.get());
  if (!s.module)
    return failWith(kInvalidValue, std::string("TILEC_EMULATE_IR: ") + path +
                                       " does not parse as the GPU kernels' MLIR");
  std::string error;
  if (!tilec::emulator::prepareModule(*s.module, error))
    return failWith(kInvalidValue, error);
  s.path = path;
  s.mtime = (long long)st.st_mtime;
  s.size = (long long)st.st_size;
  return 0;
}

int capability() {
  const char *sm = std::getenv("TILEC_EMULATE_SM");
  return sm && *sm ? std::atoi(sm) : 90;
}

int eventTag;

} // namespace

extern "C" {

Result cuInit(unsigned) { return loadModule(); }
Result cuDeviceGet(int *d, int) { return *d = 0, 0; }
Result cuDeviceGetCount(int *n) { return *n = 1, 0; }
Result cuDeviceGetName(char *name, int size, int) {
  std::snprintf(name, size_t(size), "tilec lane emulator (sm_%d, on the CPU)", capability());
  return 0;
}
Result cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? capability() / 10 : attribute == 76 ? capability() % 10 : 0;
  return 0;
}
Result cuDevicePrimaryCtxRetain(void **ctx, int) { return *ctx = &eventTag, 0; }
Result cuDevicePrimaryCtxRelease_v2(int) { return 0; }
Result cuCtxSetCurrent(void *) { return 0; }
Result cuModuleLoadData(void **module, const void *) {
  if (Result rc = loadModule())
    return rc;
  *module = &eventTag;
  return 0;
}
Result cuModuleUnload(void *) { return 0; }
Result cuModuleGetFunction(void **fn, void *, const char *name) {
  State &s = state();
  mlir::gpu::GPUFuncOp found;
  s.module->walk([&](mlir::gpu::GPUFuncOp f) {
    if (f.getName() == name)
      found = f;
  });
  if (!found)
    return failWith(kNotFound, std::string("kernel ") + name + " is not in " + s.path +
                                   " (the dump of another compile?)");
  *fn = found.getOperation();
  return 0;
}
Result cuFuncSetAttribute(void *, int, int) { return 0; }
Result cuMemAlloc_v2(Ptr *p, size_t bytes) {
  size_t rounded = (bytes + 255) / 256 * 256;
  void *m = std::aligned_alloc(256, rounded ? rounded : 256);
  if (!m)
    return 2; // CUDA_ERROR_OUT_OF_MEMORY
  // Fresh device memory is not zero: 0xFF bytes (NaN) show reads of nothing.
  std::memset(m, 0xFF, rounded ? rounded : 256);
  *p = Ptr(reinterpret_cast<uintptr_t>(m));
  state().allocations[*p] = bytes;
  return 0;
}
Result cuMemFree_v2(Ptr p) {
  state().allocations.erase(p);
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
Result cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                      unsigned bz, unsigned shared, void *, void **params, void **) {
  auto kernel = mlir::cast<mlir::gpu::GPUFuncOp>(static_cast<mlir::Operation *>(fn));
  if (!params)
    return failWith(kInvalidValue, "a launch without arguments");
  State &s = state();
  std::vector<tilec::emulator::Argument> args;
  for (unsigned i = 0; i < kernel.getNumArguments(); ++i) {
    Ptr p = *static_cast<Ptr *>(params[i]);
    auto it = s.allocations.upper_bound(p);
    if (it == s.allocations.begin())
      return failWith(kInvalidValue, "argument " + std::to_string(i) + " of " +
                                         kernel.getName().str() + " is not device memory");
    --it;
    if (p >= it->first + it->second)
      return failWith(kInvalidValue, "argument " + std::to_string(i) + " of " +
                                         kernel.getName().str() + " is past its allocation");
    args.push_back({reinterpret_cast<uint8_t *>(uintptr_t(p)), it->first + it->second - p});
  }
  tilec::emulator::Launch launch;
  launch.grid[0] = gx, launch.grid[1] = gy, launch.grid[2] = gz;
  launch.block[0] = bx, launch.block[1] = by, launch.block[2] = bz;
  launch.dynamicSharedBytes = shared;
  std::string error;
  if (!tilec::emulator::runKernel(kernel, launch, args, error))
    return failWith(kUnknown, error);
  return 0;
}
Result cuCtxSynchronize() { return 0; }
Result cuEventCreate(void **e, unsigned) { return *e = &eventTag, 0; }
Result cuEventRecord(void *, void *) { return 0; }
Result cuEventSynchronize(void *) { return 0; }
Result cuEventElapsedTime(float *ms, void *, void *) { return *ms = 0, 0; }
Result cuEventDestroy_v2(void *) { return 0; }
// The CUDA 12 tensor-map call: the map's 128 bytes get the emulator's own
// description of the tile copy (LaneEmulator.h, TensorMap), which its TMA
// loads read.
Result cuTensorMapEncodeTiled(void *map, int dataType, unsigned rank, void *address,
                              const uint64_t *dims, const uint64_t *strides, const unsigned *box,
                              const unsigned *elementStrides, int interleave, int swizzle, int,
                              int oobFill) {
  if (!map || dataType != 1 || rank != 2 || elementStrides[0] != 1 || elementStrides[1] != 1 ||
      interleave != 0 || swizzle < 0 || swizzle > 3 || oobFill != 0)
    return failWith(kInvalidValue, "a tensor map the emulator does not know (2-D, 16-bit "
                                   "elements, unit element strides, zero fill)");
  tilec::emulator::TensorMap m;
  m.address = reinterpret_cast<uintptr_t>(address);
  m.dims[0] = dims[0];
  m.dims[1] = dims[1];
  m.rowBytes = strides[0];
  m.box[0] = box[0];
  m.box[1] = box[1];
  m.swizzleBytes = swizzle == 0 ? 0 : 16u << swizzle;
  m.elementBytes = 2;
  std::memset(map, 0, 128);
  std::memcpy(map, &m, sizeof(m));
  return 0;
}

Result cuGetErrorString(Result, const char **message) {
  *message = state().lastError.c_str();
  return 0;
}

} // extern "C"
