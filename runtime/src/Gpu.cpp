//===- Gpu.cpp - CUDA / HIP execution of an artifact ----------------------===//
//
// One class for both vendors: the driver table (GpuDriver.h) is filled with
// the CUDA or the HIP spelling of each call. Every call is checked; a failure
// becomes a status naming the call and the driver's message.
//
// Kernel ABI on GPUs: one device pointer per kernel argument (bare-pointer
// memrefs), then the device address of each of its tensor maps (TMA loads,
// encoded at load: artifact_format.h TensorMap), launched with grid =
// (workgroups, 1, 1) and the block size the compiler chose.
//
// Launches: every buffer a kernel reads or writes is allocated once, at load
// (arena, weights, inputs), so a run's launches are the same each time. The
// first run that is not profiled captures them into a graph on the model's
// stream (cuStreamBeginCapture ... cuStreamEndCapture, instantiated once);
// every later run launches that graph: one call instead of one per kernel,
// and the device starts each kernel without waiting for the host (small
// models at batch 1 run kernels of a few microseconds, about as long as a
// launch). Profiled runs launch kernel by kernel (events between them).
// Without the graph calls, or when a capture fails, kernels are launched one
// by one and launches() says why; TILEC_GPU_GRAPHS=0 asks for that.
//
//===----------------------------------------------------------------------===//

#include "Gpu.h"

#include "GpuDriver.h"
#include "Status.h"

#include <cstdlib>
#include <dlfcn.h>

using namespace tilec;
using namespace tilec::runtime;
namespace art = tilec::artifact;

namespace {

class DriverModel final : public GpuModel {
public:
  ~DriverModel() override {
    if (!driver.memFree)
      return;
    if (graph)
      driver.graphExecDestroy(graph);
    if (stream)
      driver.streamDestroy(stream);
    for (GpuEvent e : events)
      if (e)
        driver.eventDestroy(e);
    for (GpuEvent e : runEvents)
      if (e)
        driver.eventDestroy(e);
    for (GpuPtr p : {arena, weights, maps})
      if (p)
        driver.memFree(p);
    for (GpuPtr p : inputs)
      if (p)
        driver.memFree(p);
    for (GpuModule m : modules)
      driver.moduleUnload(m);
    if (context)
      driver.primaryCtxRelease(device);
    if (library)
      dlclose(library);
  }

  tilec_status *open(art::TargetKind kind, const std::string &target) {
    cuda = kind == art::TargetKind::Cuda;
    // TILEC_GPU_DRIVER: another driver library (a test's stand-in, a driver
    // outside the loader's path).
    const char *override = std::getenv("TILEC_GPU_DRIVER");
    const char *name =
        override && *override ? override : cuda ? "libcuda.so.1" : "libamdhip64.so";
    library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!library)
      return makeStatus(TILEC_UNAVAILABLE,
                        "this artifact is for " + target + " but the " +
                            (cuda ? "CUDA driver" : "HIP runtime") + " (" + name +
                            ") cannot be loaded: " + dlerror() +
                            "; run it on a machine with that GPU, or compile with --target cpu");
#define TILEC_RESOLVE(field, cudaName, hipName, type)                                            \
  driver.field = reinterpret_cast<std::add_pointer_t<type>>(dlsym(library, cuda ? cudaName : hipName));              \
  if (!driver.field)                                                                             \
    return makeStatus(TILEC_UNAVAILABLE,                                                         \
                      std::string("the GPU driver lacks ") + (cuda ? cudaName : hipName));
    TILEC_GPU_DRIVER_SYMBOLS(TILEC_RESOLVE)
#undef TILEC_RESOLVE
    // Optional: graphs (see the file comment).
#define TILEC_RESOLVE_OPTIONAL(field, cudaName, hipName, type)                                   \
  driver.field = reinterpret_cast<std::add_pointer_t<type>>(dlsym(library, cuda ? cudaName : hipName)); \
  if (!driver.field && graphsOff.empty())                                                        \
    graphsOff = std::string("the driver lacks ") + (cuda ? cudaName : hipName);
    TILEC_GPU_GRAPH_SYMBOLS(TILEC_RESOLVE_OPTIONAL)
#undef TILEC_RESOLVE_OPTIONAL
    if (cuda)
      driver.tensorMapEncodeTiled = reinterpret_cast<std::add_pointer_t<TensorMapEncodeTiled>>(
          dlsym(library, "cuTensorMapEncodeTiled"));
    int count = 0;
    if (tilec_status *s = check(driver.init(0), "init"))
      return s;
    if (tilec_status *s = check(driver.deviceGetCount(&count), "device count"))
      return s;
    if (count == 0)
      return makeStatus(TILEC_UNAVAILABLE, "the driver loads but reports no GPU");
    if (tilec_status *s = check(driver.deviceGet(&device, 0), "deviceGet"))
      return s;
    if (cuda) {
      // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR.
      int major = 0, minor = 0;
      driver.deviceGetAttribute(&major, 75, device);
      driver.deviceGetAttribute(&minor, 76, device);
      int wanted = std::atoi(target.c_str() + target.find("sm_") + 3);
      if (major * 10 + minor < wanted)
        return makeStatus(TILEC_WRONG_TARGET,
                          "the artifact needs " + target.substr(target.find(':') + 1) +
                              " but GPU 0 is sm_" + std::to_string(major * 10 + minor));
    }
    if (tilec_status *s = check(driver.primaryCtxRetain(&context, device), "context"))
      return s;
    return check(driver.ctxSetCurrent(context), "set context");
  }

  tilec_status *prepare(const art::Plan &p, const uint8_t *code, uint64_t codeBytes,
                        const uint8_t *hostWeights, uint64_t weightsBytes) {
    plan = p;
    std::vector<art::GpuCode> kernels;
    if (!art::deserializeGpuCode(code, codeBytes, kernels))
      return makeStatus(TILEC_BAD_ARTIFACT, "the artifact's GPU code section is malformed");
    for (const art::Kernel &k : plan.kernels) {
      const art::GpuCode *found = nullptr;
      for (const art::GpuCode &c : kernels)
        if (c.symbol == k.symbol)
          found = &c;
      if (!found)
        return makeStatus(TILEC_BAD_ARTIFACT, "kernel " + k.symbol + " has no GPU code");
      GpuModule module = nullptr;
      // The cubin first; the PTX (JIT-compiled by the driver) for newer GPUs.
      GpuResult rc = driver.moduleLoadData(&module, found->binary.data());
      if (rc != 0 && !found->text.empty())
        rc = driver.moduleLoadData(&module, found->text.c_str());
      if (tilec_status *s = check(rc, "module load of " + k.symbol))
        return s;
      modules.push_back(module);
      GpuFunction fn = nullptr;
      if (tilec_status *s = check(driver.moduleGetFunction(&fn, module, k.symbol.c_str()),
                                  "get function " + k.symbol))
        return s;
      // Kernels staging more than 48 KB take it as dynamic shared memory,
      // which the function must be allowed first.
      if (k.sharedBytes > kDefaultSharedBytes)
        if (tilec_status *s = check(driver.funcSetAttribute(fn, kMaxDynamicSharedBytesAttribute,
                                                            int(k.sharedBytes)),
                                    "allowing " + std::to_string(k.sharedBytes) +
                                        " bytes of shared memory for " + k.symbol))
          return s;
      functions.push_back(fn);
    }
    if (tilec_status *s = check(driver.memAlloc(&arena, std::max<uint64_t>(plan.arenaBytes, 64)),
                                "arena allocation"))
      return s;
    if (tilec_status *s = check(driver.memAlloc(&weights, std::max<uint64_t>(weightsBytes, 64)),
                                "weights allocation"))
      return s;
    if (weightsBytes)
      if (tilec_status *s = check(driver.memcpyHtoD(weights, hostWeights, weightsBytes),
                                  "weights upload"))
        return s;
    for (const art::TensorInfo &in : plan.inputs) {
      inputs.push_back(0);
      if (tilec_status *s = check(driver.memAlloc(&inputs.back(), in.buffer.bytes), "input"))
        return s;
    }
    if (tilec_status *s = encodeTensorMaps())
      return s;
    // The model's stream, where its copies and kernels go in order (a
    // non-blocking one: captures are made on such streams), once the weights'
    // upload (on the default stream) is complete. Without the optional calls
    // (graphsOff already says which), the default stream.
    if (tilec_status *s = check(driver.ctxSynchronize(), "weights upload"))
      return s;
    if (graphsOff.empty())
      if (tilec_status *s =
              check(driver.streamCreate(&stream, kStreamNonBlocking), "stream creation")) {
        graphsOff = tilec_status_message(s);
        tilec_status_free(s);
        stream = nullptr;
      }
    if (const char *env = std::getenv("TILEC_GPU_GRAPHS"); env && std::string(env) == "0")
      graphsOff = "TILEC_GPU_GRAPHS=0";
    return nullptr;
  }

  std::string launches() const override {
    std::string kernels = std::to_string(plan.kernels.size()) +
                          (plan.kernels.size() == 1 ? " kernel" : " kernels");
    if (graph)
      return std::string("one ") + (cuda ? "CUDA" : "HIP") + " graph of " + kernels +
             " per run (captured on the first run)";
    if (!graphsOff.empty())
      return kernels + " launched one by one per run (no graph: " + graphsOff + ")";
    return kernels + " launched one by one per run (a graph is captured on the first run "
                     "that is not profiled)";
  }

  /// The first device's name (after open()).
  std::string deviceName() {
    char name[256] = {0};
    if (driver.deviceGetName(name, int(sizeof(name) - 1), device) != 0)
      return "unknown GPU";
    return name;
  }

  tilec_status *run(const tilec_tensor *in, const tilec_tensor *out, bool profiling,
                    std::vector<int64_t> &calls, std::vector<double> &totalMs) override {
    // Profiling: a pair of device events around each launch, read after the
    // final synchronization (the launches stay asynchronous).
    if (profiling && events.empty()) {
      events.assign(2 * plan.kernels.size(), nullptr);
      for (GpuEvent &e : events)
        if (tilec_status *s = check(driver.eventCreate(&e, 0), "event creation"))
          return s;
    }
    for (size_t i = 0; i < plan.inputs.size(); ++i)
      if (tilec_status *s =
              check(stream ? driver.memcpyHtoDAsync(inputs[i], in[i].data,
                                                    plan.inputs[i].buffer.bytes, stream)
                           : driver.memcpyHtoD(inputs[i], in[i].data, plan.inputs[i].buffer.bytes),
                    "input upload"))
        return s;
    uploaded = true;
    if (tilec_status *s = profiling ? launchAll(true) : launchRun())
      return s;
    if (tilec_status *s = check(driver.ctxSynchronize(), "synchronize"))
      return s;
    for (size_t k = 0; profiling && k < plan.kernels.size(); ++k) {
      float ms = 0;
      if (tilec_status *s =
              check(driver.eventElapsedTime(&ms, events[2 * k], events[2 * k + 1]), "event time"))
        return s;
      calls[k] += 1;
      totalMs[k] += ms;
    }
    for (size_t i = 0; i < plan.outputs.size(); ++i) {
      GpuPtr from = address(plan.outputs[i].buffer);
      uint64_t bytes = plan.outputs[i].buffer.bytes;
      if (tilec_status *s = check(stream ? driver.memcpyDtoHAsync(out[i].data, from, bytes, stream)
                                         : driver.memcpyDtoH(out[i].data, from, bytes),
                                  "output download"))
        return s;
    }
    // Copies to pageable memory return when done; a pinned caller buffer
    // would not, so wait for the stream.
    return stream ? check(driver.ctxSynchronize(), "synchronize") : nullptr;
  }

  tilec_status *timeOnDevice(int32_t runs, double *msPerRun) override {
    if (!uploaded)
      return makeStatus(TILEC_INVALID_ARGUMENT,
                        "time the model on the device after a first run (it uploads the inputs)");
    if (!runEvents[0])
      for (GpuEvent &e : runEvents)
        if (tilec_status *s = check(driver.eventCreate(&e, 0), "event creation"))
          return s;
    for (int32_t r = 0; r < runs; ++r) {
      if (tilec_status *s = check(driver.eventRecord(runEvents[0], stream), "event record"))
        return s;
      if (tilec_status *s = launchRun())
        return s;
      if (tilec_status *s = check(driver.eventRecord(runEvents[1], stream), "event record"))
        return s;
      if (tilec_status *s = check(driver.eventSynchronize(runEvents[1]), "synchronize"))
        return s;
      float ms = 0;
      if (tilec_status *s =
              check(driver.eventElapsedTime(&ms, runEvents[0], runEvents[1]), "event time"))
        return s;
      msPerRun[r] = ms;
    }
    return nullptr;
  }

private:
  /// The tensor maps of kernels that load tiles with TMA, encoded once
  /// (every buffer's address is fixed at load) into one device allocation;
  /// each kernel gets their device addresses after its buffers.
  tilec_status *encodeTensorMaps() {
    size_t count = 0;
    for (const art::Kernel &k : plan.kernels)
      count += k.tensorMaps.size();
    mapArgs.assign(plan.kernels.size(), {});
    if (count == 0)
      return nullptr;
    if (!cuda)
      return makeStatus(TILEC_BAD_ARTIFACT, "a ROCm artifact with CUDA tensor maps");
    if (!driver.tensorMapEncodeTiled)
      return makeStatus(TILEC_UNAVAILABLE,
                        "this artifact loads tiles with TMA, but the CUDA driver lacks "
                        "cuTensorMapEncodeTiled (CUDA 12 or later); update the driver, or "
                        "compile without tma=1");
    // The driver writes each map into host memory aligned to 64 bytes.
    struct alignas(128) Encoded {
      uint64_t words[kTensorMapBytes / sizeof(uint64_t)] = {};
    };
    static_assert(sizeof(Encoded) == kTensorMapBytes, "a CUtensorMap is 128 bytes");
    std::vector<Encoded> host(count);
    size_t next = 0;
    for (size_t i = 0; i < plan.kernels.size(); ++i) {
      const art::Kernel &k = plan.kernels[i];
      for (size_t j = 0; j < k.tensorMaps.size(); ++j, ++next) {
        const art::TensorMap &m = k.tensorMaps[j];
        std::string where = "tensor map " + std::to_string(j) + " of " + k.symbol;
        const art::BufferRef &b = k.args[m.arg];
        GpuPtr base = address(b);
        uint64_t rowBytes = m.columns * m.elementBytes;
        // CU_TENSOR_MAP_SWIZZLE_NONE, _32B, _64B, _128B: 0 to 3.
        int swizzle = m.swizzleBytes == 0    ? 0
                      : m.swizzleBytes == 32 ? 1
                      : m.swizzleBytes == 64 ? 2
                      : m.swizzleBytes == 128 ? 3
                                              : -1;
        if (m.elementBytes != 2 || m.rows == 0 || m.columns == 0 || rowBytes % 16 != 0 ||
            m.rows * rowBytes > b.bytes || base % 16 != 0 || m.boxRows == 0 ||
            m.boxRows > 256 || m.boxColumns == 0 || m.boxColumns > 256 ||
            (m.boxColumns * m.elementBytes) % 16 != 0 || swizzle < 0 ||
            (m.swizzleBytes && m.boxColumns * m.elementBytes > m.swizzleBytes))
          return makeStatus(TILEC_BAD_ARTIFACT,
                            where + " does not describe a valid tile copy of its argument (" +
                                std::to_string(m.rows) + "x" + std::to_string(m.columns) +
                                " elements of " + std::to_string(m.elementBytes) + " bytes, box " +
                                std::to_string(m.boxRows) + "x" + std::to_string(m.boxColumns) +
                                ", " + std::to_string(m.swizzleBytes) + "-byte swizzle)");
        uint64_t dims[2] = {m.columns, m.rows}, strides[1] = {rowBytes};
        unsigned box[2] = {m.boxColumns, m.boxRows}, elementStrides[2] = {1, 1};
        if (tilec_status *s = check(
                driver.tensorMapEncodeTiled(&host[next],
                                            kTensorMapUint16, 2,
                                            reinterpret_cast<void *>(uintptr_t(base)), dims,
                                            strides, box, elementStrides, /*interleave=*/0,
                                            swizzle, kTensorMapL2Promotion256B, /*oobFill=*/0),
                "encoding " + where))
          return s;
      }
    }
    if (tilec_status *s = check(driver.memAlloc(&maps, count * kTensorMapBytes), "tensor maps"))
      return s;
    if (tilec_status *s =
            check(driver.memcpyHtoD(maps, host.data(), count * kTensorMapBytes), "tensor maps"))
      return s;
    next = 0;
    for (size_t i = 0; i < plan.kernels.size(); ++i)
      for (size_t j = 0; j < plan.kernels[i].tensorMaps.size(); ++j, ++next)
        mapArgs[i].push_back(maps + next * kTensorMapBytes);
    return nullptr;
  }

  /// One run's kernels, not profiled: the graph (captured now if this is the
  /// first such run) or, without one, each kernel in turn.
  tilec_status *launchRun() {
    if (!graph && graphsOff.empty())
      capture();
    if (graph)
      return check(driver.graphLaunch(graph, stream), "graph launch");
    return launchAll(false);
  }

  /// Records every kernel launch into a graph and instantiates it; on any
  /// failure there is no graph and graphsOff says why (the kernels are then
  /// launched one by one, which reports a launch's own error).
  void capture() {
    if (!stream) {
      graphsOff = "no stream of its own";
      return;
    }
    if (tilec_status *s =
            check(driver.streamBeginCapture(stream, kCaptureThreadLocal), "graph capture")) {
      graphsOff = tilec_status_message(s);
      tilec_status_free(s);
      return;
    }
    tilec_status *launched = launchAll(false);
    GpuGraph captured = nullptr;
    tilec_status *ended = check(driver.streamEndCapture(stream, &captured), "graph capture");
    tilec_status *failed = launched ? launched : ended;
    if (!failed && !captured)
      graphsOff = "the capture returned no graph";
    if (failed)
      graphsOff = tilec_status_message(failed);
    tilec_status_free(launched);
    tilec_status_free(ended);
    if (captured && graphsOff.empty())
      if (tilec_status *s = check(driver.graphInstantiate(&graph, captured, 0),
                                  "graph instantiation")) {
        graphsOff = tilec_status_message(s);
        tilec_status_free(s);
        graph = nullptr;
      }
    if (captured)
      driver.graphDestroy(captured); // the instance keeps what it needs
  }

  /// Launches every kernel in order (asynchronously), with a pair of
  /// profiling events around each when asked.
  tilec_status *launchAll(bool profiling) {
    std::vector<GpuPtr> args;
    std::vector<void *> params;
    for (size_t k = 0; k < plan.kernels.size(); ++k) {
      const art::Kernel &kernel = plan.kernels[k];
      args.clear();
      for (const art::BufferRef &b : kernel.args)
        args.push_back(address(b));
      args.insert(args.end(), mapArgs[k].begin(), mapArgs[k].end());
      params.clear();
      for (GpuPtr &a : args)
        params.push_back(&a);
      auto dim = [&](size_t i) { return unsigned(i < kernel.block.size() ? kernel.block[i] : 1); };
      if (profiling)
        if (tilec_status *s = check(driver.eventRecord(events[2 * k], stream), "event record"))
          return s;
      if (tilec_status *s = check(driver.launchKernel(functions[k], unsigned(kernel.grid), 1, 1,
                                                      dim(0), dim(1), dim(2),
                                                      unsigned(kernel.sharedBytes), stream,
                                                      params.data(), nullptr),
                                  "launch of " + kernel.symbol))
        return s;
      if (profiling)
        if (tilec_status *s =
                check(driver.eventRecord(events[2 * k + 1], stream), "event record"))
          return s;
    }
    return nullptr;
  }

  tilec_status *check(GpuResult rc, const std::string &what) {
    if (rc == 0)
      return nullptr;
    const char *message = nullptr;
    if (driver.getErrorString)
      driver.getErrorString(rc, &message);
    return makeStatus(TILEC_UNAVAILABLE, std::string(cuda ? "CUDA" : "HIP") + " error " +
                                             std::to_string(rc) + " in " + what + ": " +
                                             (message ? message : "unknown"));
  }

  GpuPtr address(const art::BufferRef &b) const {
    switch (b.kind) {
    case art::BufferKind::Arena:
      return arena + b.offset;
    case art::BufferKind::Weight:
      return weights + b.offset;
    case art::BufferKind::Input:
      return inputs[b.index];
    }
    return 0;
  }

  bool cuda = true;
  void *library = nullptr;
  GpuDriver driver;
  GpuDevice device = 0;
  GpuContext context = nullptr;
  art::Plan plan;
  std::vector<GpuModule> modules;
  std::vector<GpuFunction> functions;
  GpuPtr arena = 0, weights = 0;
  std::vector<GpuPtr> inputs;
  GpuPtr maps = 0;                          ///< every kernel's tensor maps
  std::vector<std::vector<GpuPtr>> mapArgs; ///< per kernel: its maps' addresses
  std::vector<GpuEvent> events; ///< start/end per kernel, made when profiling starts
  GpuEvent runEvents[2] = {nullptr, nullptr}; ///< start/end of a timed run
  bool uploaded = false;                      ///< a run has put inputs on the device
  GpuStream stream = nullptr;                 ///< the model's own (null: the default)
  GpuGraphExec graph = nullptr;               ///< a run's launches, once captured
  std::string graphsOff;                      ///< why runs launch kernel by kernel
};

} // namespace

std::string GpuModel::describeDevice(art::TargetKind kind, const std::string &target,
                                     tilec_status *&status) {
  DriverModel probe;
  status = probe.open(kind, target);
  return status ? "" : probe.deviceName();
}

std::unique_ptr<GpuModel> GpuModel::load(art::TargetKind kind, const std::string &target,
                                         const art::Plan &plan, const uint8_t *code,
                                         uint64_t codeBytes, const uint8_t *weights,
                                         uint64_t weightsBytes, tilec_status *&status) {
  auto model = std::make_unique<DriverModel>();
  status = model->open(kind, target);
  if (!status)
    status = model->prepare(plan, code, codeBytes, weights, weightsBytes);
  return status ? nullptr : std::move(model);
}
