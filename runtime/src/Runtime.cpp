//===- Runtime.cpp - the C API: load, check, run, profile -----------------===//
//
// Loading reads the whole file, checks the header (magic, format version,
// size, checksum, section bounds), the plan (every buffer inside the arena,
// the weights or an input of the right size) and the target (CPU: the ISA the
// code needs; CUDA/ROCm: the driver, see Gpu.cpp), and only then maps the code.
// The CPU code is a shared object inside the file; it is handed to dlopen
// through an anonymous memory file, so nothing is written to disk.
//
//===----------------------------------------------------------------------===//

#include "tilec/runtime.h"

#include "Gpu.h"
#include "Status.h"
#include "ThreadPool.h"
#include "tilec/artifact_format.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <memory>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

using namespace tilec;
using namespace tilec::runtime;
namespace art = tilec::artifact;

namespace {

using KernelFn = void (*)(void **, int64_t);

struct AlignedFree {
  void operator()(uint8_t *p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t[], AlignedFree>;

AlignedBytes alignedAlloc(uint64_t bytes) {
  uint64_t rounded = (std::max<uint64_t>(bytes, 1) + 63) / 64 * 64;
  return AlignedBytes(static_cast<uint8_t *>(std::aligned_alloc(64, rounded)));
}

/// ISA features the CPU code may use, checked against the running CPU.
bool cpuSupports(const std::string &feature) {
#define TILEC_FEATURE(name)                                                                    \
  if (feature == #name)                                                                        \
    return __builtin_cpu_supports(#name);
  TILEC_FEATURE(avx512f)
  TILEC_FEATURE(avx512bw)
  TILEC_FEATURE(avx512vl)
  TILEC_FEATURE(avx512dq)
  TILEC_FEATURE(avx2)
  TILEC_FEATURE(fma)
  TILEC_FEATURE(avx)
#undef TILEC_FEATURE
  return true; // features not in the table are not checked
}

} // namespace

struct tilec_model {
  std::string path, target, name;
  art::Plan plan;
  AlignedBytes file;  // the whole artifact; weights point into it
  uint64_t fileBytes = 0;
  AlignedBytes arena;
  const uint8_t *weights = nullptr;
  void *library = nullptr;
  std::vector<KernelFn> kernels;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<GpuModel> gpu;
  bool profiling = false;
  std::string launches; // tilec_model_launches' answer, kept for its pointer
  std::vector<int64_t> calls;
  std::vector<double> totalMs;

  ~tilec_model() {
    if (library)
      dlclose(library);
  }
};

namespace {

tilec_status *readFile(const char *path, tilec_model &m) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return makeStatus(TILEC_NOT_FOUND, std::string("cannot open artifact '") + path +
                                           "'; compile one with `tilec compile`");
  m.fileBytes = uint64_t(in.tellg());
  if (m.fileBytes < art::kHeaderBytes)
    return makeStatus(TILEC_BAD_ARTIFACT, std::string("'") + path + "' is " +
                                              std::to_string(m.fileBytes) +
                                              " bytes: too short to be a tilec artifact");
  m.file = alignedAlloc(m.fileBytes);
  in.seekg(0);
  in.read(reinterpret_cast<char *>(m.file.get()), std::streamsize(m.fileBytes));
  if (!in)
    return makeStatus(TILEC_BAD_ARTIFACT, std::string("cannot read '") + path + "'");
  return nullptr;
}

tilec_status *checkHeader(const char *path, tilec_model &m, art::Header &h) {
  std::memcpy(&h, m.file.get(), sizeof(h));
  std::string what = std::string("'") + path + "' ";
  if (std::memcmp(h.magic, art::kMagic, sizeof(h.magic)) != 0)
    return makeStatus(TILEC_BAD_ARTIFACT, what + "is not a tilec artifact (bad magic bytes)");
  if (h.formatVersion != art::kFormatVersion)
    return makeStatus(TILEC_BAD_ARTIFACT,
                      what + "has format version " + std::to_string(h.formatVersion) +
                          "; this runtime reads version " + std::to_string(art::kFormatVersion) +
                          ": recompile it with this tilec");
  if (h.fileBytes != m.fileBytes)
    return makeStatus(TILEC_BAD_ARTIFACT, what + "is " + std::to_string(m.fileBytes) +
                                              " bytes but its header says " +
                                              std::to_string(h.fileBytes) + ": truncated or "
                                                                            "appended to");
  auto inside = [&](uint64_t off, uint64_t n) {
    return off >= art::kHeaderBytes && off <= m.fileBytes && n <= m.fileBytes - off;
  };
  if (!inside(h.planOffset, h.planBytes) || !inside(h.weightsOffset, h.weightsBytes) ||
      !inside(h.codeOffset, h.codeBytes) || h.weightsOffset % 64 != 0)
    return makeStatus(TILEC_BAD_ARTIFACT, what + "has section bounds outside the file");
  uint64_t sum = art::fnv1a(m.file.get() + art::kHeaderBytes, m.fileBytes - art::kHeaderBytes);
  if (sum != h.checksum)
    return makeStatus(TILEC_BAD_ARTIFACT, what + "is damaged (checksum mismatch)");
  h.target[sizeof(h.target) - 1] = h.model[sizeof(h.model) - 1] = 0;
  m.target = h.target;
  m.name = h.model;
  return nullptr;
}

tilec_status *checkPlan(tilec_model &m, const art::Header &h) {
  if (!art::deserializePlan(m.file.get() + h.planOffset, h.planBytes, m.plan))
    return makeStatus(TILEC_BAD_ARTIFACT, "the artifact's plan is malformed");
  auto ok = [&](const art::BufferRef &b) {
    switch (b.kind) {
    case art::BufferKind::Arena:
      return b.offset <= m.plan.arenaBytes && b.bytes <= m.plan.arenaBytes - b.offset;
    case art::BufferKind::Weight:
      return b.offset <= h.weightsBytes && b.bytes <= h.weightsBytes - b.offset;
    case art::BufferKind::Input:
      return b.index < m.plan.inputs.size() && b.bytes == m.plan.inputs[b.index].buffer.bytes;
    }
    return false;
  };
  for (const art::Kernel &k : m.plan.kernels)
    for (const art::BufferRef &b : k.args)
      if (!ok(b))
        return makeStatus(TILEC_BAD_ARTIFACT,
                          "kernel " + k.symbol + " has a buffer outside its section");
  for (const art::TensorInfo &t : m.plan.outputs)
    if (!ok(t.buffer))
      return makeStatus(TILEC_BAD_ARTIFACT, "output " + t.name + " lies outside its section");
  // The caller's buffers are sized by shape and element type: so must ours be.
  for (const auto *list : {&m.plan.inputs, &m.plan.outputs})
    for (const art::TensorInfo &t : *list) {
      uint64_t elements = 1;
      for (int64_t d : t.shape)
        elements *= uint64_t(d);
      if (uint32_t(t.type) > uint32_t(art::ElementType::F16) ||
          t.buffer.bytes != elements * art::elementBytes(t.type))
        return makeStatus(TILEC_BAD_ARTIFACT, "tensor " + t.name +
                                                  " has an unknown element type or a size that "
                                                  "does not match its shape");
    }
  return nullptr;
}

tilec_status *loadCpuCode(tilec_model &m, const art::Header &h) {
  for (const std::string &feature : split(m.plan.requiredIsa, ','))
    if (!feature.empty() && !cpuSupports(feature))
      return makeStatus(TILEC_WRONG_TARGET, "the artifact was compiled for " + m.target +
                                                " and needs the '" + feature +
                                                "' instructions, which this CPU lacks; "
                                                "recompile with --target cpu on this machine");
  int fd = memfd_create("tilec-kernels", MFD_CLOEXEC);
  if (fd < 0)
    return makeStatus(TILEC_INTERNAL, "memfd_create failed");
  const uint8_t *code = m.file.get() + h.codeOffset;
  uint64_t written = 0;
  while (written < h.codeBytes) {
    ssize_t n = write(fd, code + written, h.codeBytes - written);
    if (n <= 0) {
      close(fd);
      return makeStatus(TILEC_INTERNAL, "cannot stage the kernel code in memory");
    }
    written += uint64_t(n);
  }
  std::string procPath = "/proc/self/fd/" + std::to_string(fd);
  m.library = dlopen(procPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd);
  if (!m.library)
    return makeStatus(TILEC_BAD_ARTIFACT,
                      std::string("the artifact's CPU code does not load: ") + dlerror());
  for (const art::Kernel &k : m.plan.kernels) {
    auto fn = reinterpret_cast<KernelFn>(dlsym(m.library, k.symbol.c_str()));
    if (!fn)
      return makeStatus(TILEC_BAD_ARTIFACT, "kernel " + k.symbol + " is missing from the code");
    m.kernels.push_back(fn);
  }
  return nullptr;
}

tilec_status *checkTensor(const art::TensorInfo &info, const tilec_tensor &t, const char *role,
                          size_t i) {
  std::string what = std::string(role) + " " + std::to_string(i) + " ('" + info.name + "')";
  if (!t.data)
    return makeStatus(TILEC_INVALID_ARGUMENT, what + " has no data pointer");
  if (t.dtype != tilec_dtype(info.type)) {
    static const char *const kNames[] = {"f32", "bf16", "f16"};
    bool known = uint32_t(info.type) < 3;
    return makeStatus(TILEC_INVALID_ARGUMENT,
                      what + " must be " + (known ? kNames[uint32_t(info.type)] : "?") +
                          " (the model's element type), got dtype " +
                          std::to_string(int(t.dtype)));
  }
  bool same = t.rank == int32_t(info.shape.size()) && t.shape;
  for (size_t d = 0; same && d < info.shape.size(); ++d)
    same = t.shape[d] == info.shape[d];
  if (!same) {
    std::string got;
    for (int32_t d = 0; t.shape && d < t.rank; ++d)
      got += (d ? "x" : "") + std::to_string(t.shape[d]);
    return makeStatus(TILEC_INVALID_ARGUMENT,
                      what + " has shape " + (got.empty() ? "()" : got) +
                          "; the model was compiled for " + formatShape(info.shape) +
                          " (recompile with --batch/--resolution to change it)");
  }
  return nullptr;
}

} // namespace

extern "C" {

tilec_status *tilec_model_load(const char *path, const tilec_load_options *options,
                               tilec_model **out) {
  if (!path || !out)
    return makeStatus(TILEC_INVALID_ARGUMENT, "tilec_model_load needs a path and an output");
  *out = nullptr;
  auto m = std::make_unique<tilec_model>();
  m->path = path;
  art::Header h;
  if (tilec_status *s = readFile(path, *m))
    return s;
  if (tilec_status *s = checkHeader(path, *m, h))
    return s;
  if (tilec_status *s = checkPlan(*m, h))
    return s;
  m->weights = m->file.get() + h.weightsOffset;
  m->arena = alignedAlloc(m->plan.arenaBytes);
  if (!m->arena)
    return makeStatus(TILEC_INTERNAL, "cannot allocate the activation arena (" +
                                          std::to_string(m->plan.arenaBytes) + " bytes)");
  switch (art::TargetKind(h.targetKind)) {
  case art::TargetKind::Cpu:
    if (tilec_status *s = loadCpuCode(*m, h))
      return s;
    break;
  case art::TargetKind::Cuda:
  case art::TargetKind::Rocm: {
    tilec_status *s = nullptr;
    m->gpu = GpuModel::load(art::TargetKind(h.targetKind), m->target, m->plan,
                            m->file.get() + h.codeOffset, h.codeBytes, m->weights, h.weightsBytes,
                            s);
    if (s)
      return s;
    break;
  }
  default:
    return makeStatus(TILEC_BAD_ARTIFACT, "unknown target kind in the header");
  }
  int threads = options && options->threads > 0 ? options->threads
                                                : int(std::thread::hardware_concurrency());
  m->pool = std::make_unique<ThreadPool>(std::max(threads, 1));
  m->calls.assign(m->plan.kernels.size(), 0);
  m->totalMs.assign(m->plan.kernels.size(), 0.0);
  *out = m.release();
  return nullptr;
}

void tilec_model_free(tilec_model *model) { delete model; }

size_t tilec_model_num_inputs(const tilec_model *m) { return m ? m->plan.inputs.size() : 0; }
size_t tilec_model_num_outputs(const tilec_model *m) { return m ? m->plan.outputs.size() : 0; }
const char *tilec_model_target(const tilec_model *m) { return m ? m->target.c_str() : ""; }
const char *tilec_model_name(const tilec_model *m) { return m ? m->name.c_str() : ""; }
int32_t tilec_model_threads(const tilec_model *m) { return m ? m->pool->size() : 0; }
int32_t tilec_model_on_gpu(const tilec_model *m) { return m && m->gpu ? 1 : 0; }
const char *tilec_model_launches(tilec_model *m) {
  if (!m || !m->gpu)
    return "";
  m->launches = m->gpu->launches();
  return m->launches.c_str();
}

static tilec_status *info(const std::vector<art::TensorInfo> &list, size_t i,
                          tilec_tensor_info *out, const char *role) {
  if (!out || i >= list.size())
    return makeStatus(TILEC_INVALID_ARGUMENT, std::string("no ") + role + " " +
                                                  std::to_string(i) + " (the model has " +
                                                  std::to_string(list.size()) + ")");
  out->name = list[i].name.c_str();
  out->dtype = tilec_dtype(list[i].type);
  out->rank = int32_t(list[i].shape.size());
  out->shape = list[i].shape.data();
  return nullptr;
}

tilec_status *tilec_model_input_info(const tilec_model *m, size_t i, tilec_tensor_info *out) {
  if (!m)
    return makeStatus(TILEC_INVALID_ARGUMENT, "null model");
  return info(m->plan.inputs, i, out, "input");
}

tilec_status *tilec_model_output_info(const tilec_model *m, size_t i, tilec_tensor_info *out) {
  if (!m)
    return makeStatus(TILEC_INVALID_ARGUMENT, "null model");
  return info(m->plan.outputs, i, out, "output");
}

tilec_status *tilec_model_time_on_device(tilec_model *m, int32_t runs, double *msPerRun) {
  if (!m || runs < 0 || (runs > 0 && !msPerRun))
    return makeStatus(TILEC_INVALID_ARGUMENT, "null model or times, or negative runs");
  if (!m->gpu)
    return makeStatus(TILEC_INVALID_ARGUMENT,
                      "timing on the device is for GPU artifacts; this one is for " + m->target);
  return m->gpu->timeOnDevice(runs, msPerRun);
}

tilec_status *tilec_model_run(tilec_model *m, const tilec_tensor *inputs, size_t numInputs,
                              const tilec_tensor *outputs, size_t numOutputs) {
  if (!m)
    return makeStatus(TILEC_INVALID_ARGUMENT, "null model");
  if (numInputs != m->plan.inputs.size() || numOutputs != m->plan.outputs.size())
    return makeStatus(TILEC_INVALID_ARGUMENT,
                      "the model takes " + std::to_string(m->plan.inputs.size()) +
                          " inputs and gives " + std::to_string(m->plan.outputs.size()) +
                          " outputs; got " + std::to_string(numInputs) + " and " +
                          std::to_string(numOutputs));
  for (size_t i = 0; i < numInputs; ++i)
    if (tilec_status *s = checkTensor(m->plan.inputs[i], inputs[i], "input", i))
      return s;
  for (size_t i = 0; i < numOutputs; ++i)
    if (tilec_status *s = checkTensor(m->plan.outputs[i], outputs[i], "output", i))
      return s;
  if (m->gpu)
    return m->gpu->run(inputs, outputs, m->profiling, m->calls, m->totalMs);
  auto address = [&](const art::BufferRef &b) -> void * {
    switch (b.kind) {
    case art::BufferKind::Arena:
      return m->arena.get() + b.offset;
    case art::BufferKind::Weight:
      return const_cast<uint8_t *>(m->weights + b.offset);
    case art::BufferKind::Input:
      return inputs[b.index].data;
    }
    return nullptr;
  };
  std::vector<void *> args;
  for (size_t k = 0; k < m->plan.kernels.size(); ++k) {
    const art::Kernel &kernel = m->plan.kernels[k];
    args.clear();
    for (const art::BufferRef &b : kernel.args)
      args.push_back(address(b));
    KernelFn fn = m->kernels[k];
    void **argv = args.data();
    auto start = std::chrono::steady_clock::now();
    m->pool->parallelFor(kernel.grid, [fn, argv](int64_t wg) { fn(argv, wg); });
    if (m->profiling) {
      m->calls[k] += 1;
      m->totalMs[k] +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
    }
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    const art::TensorInfo &o = m->plan.outputs[i];
    std::memmove(outputs[i].data, address(o.buffer), o.buffer.bytes);
  }
  return nullptr;
}

void tilec_model_set_profiling(tilec_model *m, int enabled) {
  if (m)
    m->profiling = enabled != 0;
}

size_t tilec_model_num_kernels(const tilec_model *m) { return m ? m->plan.kernels.size() : 0; }

tilec_status *tilec_model_kernel_profile(const tilec_model *m, size_t i,
                                         tilec_kernel_profile *out) {
  if (!m || !out || i >= m->plan.kernels.size())
    return makeStatus(TILEC_INVALID_ARGUMENT, "no kernel " + std::to_string(i));
  const art::Kernel &k = m->plan.kernels[i];
  out->symbol = k.symbol.c_str();
  out->signature = k.signature.c_str();
  out->schedule = k.schedule.c_str();
  out->grid = k.grid;
  out->calls = m->calls[i];
  out->total_ms = m->totalMs[i];
  return nullptr;
}

tilec_status *tilec_gpu_device(const char *target, char *name, size_t size) {
  std::string t = target ? target : "";
  bool cuda = t.rfind("cuda:", 0) == 0, rocm = t.rfind("rocm:", 0) == 0;
  if (!cuda && !rocm)
    return makeStatus(TILEC_INVALID_ARGUMENT,
                      "'" + t + "' is not a GPU target (cuda:sm_NN or rocm:gfxNNN)");
  tilec_status *status = nullptr;
  std::string device = runtime::GpuModel::describeDevice(
      cuda ? art::TargetKind::Cuda : art::TargetKind::Rocm, t, status);
  if (status)
    return status;
  if (name && size > 0) {
    size_t n = std::min(size - 1, device.size());
    std::copy(device.begin(), device.begin() + n, name);
    name[n] = '\0';
  }
  return nullptr;
}

} // extern "C"
