//===- Target.cpp - parsing --target and describing the host --------------===//

#include "codegen/common/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/TargetParser/Host.h"

using namespace tilec::codegen;

std::string Target::str() const {
  switch (kind) {
  case TargetKind::Cpu:
    return "cpu:" + arch;
  case TargetKind::Cuda:
    return "cuda:" + arch;
  case TargetKind::Rocm:
    return "rocm:" + arch;
  }
  return "?";
}

std::vector<int64_t> Target::matrixInstruction() const {
  llvm::StringRef a(arch);
  // mma.sync.m16n8k16 and cp.async both arrived with sm_80.
  if (simt || asyncCopies())
    return {16, 8, 16};
  if (kind == TargetKind::Rocm && (a == "gfx90a" || a == "gfx940" || a == "gfx941" || a == "gfx942"))
    return {16, 16, 16};
  return {};
}

std::vector<int64_t> Target::tf32Instruction() const {
  if (simt || asyncCopies())
    return {16, 8, 8};
  return {};
}

bool Target::asyncCopies() const {
  unsigned cc = 0;
  llvm::StringRef a(arch);
  return kind == TargetKind::Cuda && a.starts_with("sm_") && !a.drop_front(3).getAsInteger(10, cc) &&
         cc >= 80;
}

bool Target::warpgroupMma() const {
  return simt || (kind == TargetKind::Cuda && arch == "sm_90");
}

Target tilec::codegen::hostTarget() {
  Target t;
  t.kind = TargetKind::Cpu;
  t.arch = llvm::sys::getHostCPUName().str();
  auto features = llvm::sys::getHostCPUFeatures();
  std::string list;
  for (const auto &f : features)
    list += (list.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
  t.features = list;
  bool avx512 = features.lookup("avx512f");
  t.vectorBits = avx512 ? 512 : (features.lookup("avx2") ? 256 : 128);
  t.vectorRegisters = avx512 ? 32 : 16;
  return t;
}

std::optional<Target> tilec::codegen::parseTarget(const std::string &text, std::string &error) {
  llvm::StringRef s(text);
  auto [kind, arch] = s.split(':');
  Target t;
  if (text == "simt") {
    // The host CPU running GPU schedules (Target::simt), with CUDA's
    // workgroup-memory budget so that its defaults are the GPU's.
    t = hostTarget();
    t.simt = true;
    t.sharedMemoryBytes = 48 * 1024;
    t.maxSharedMemoryBytes = 227 * 1024; // as cuda:sm_90
    return t;
  }
  if (kind == "cpu") {
    t = hostTarget();
    if (!arch.empty() && arch != t.arch) {
      // Another x86-64: no host feature list; AVX-512 assumed only for names
      // LLVM knows to have it is beyond this table, so be conservative.
      t.arch = arch.str();
      t.features = "";
      t.vectorBits = 256;
      t.vectorRegisters = 16;
    }
    return t;
  }
  if (kind == "cuda" && arch.starts_with("sm_") && arch.size() >= 5) {
    unsigned cc = 0;
    if (!arch.drop_front(3).getAsInteger(10, cc) && cc >= 50) {
      t.kind = TargetKind::Cuda;
      t.arch = arch.str();
      t.sharedMemoryBytes = 48 * 1024;
      // Opt-in shared memory per block (CUDA programming guide, compute
      // capabilities table).
      t.maxSharedMemoryBytes = cc >= 90   ? 227 * 1024
                               : cc == 80 ? 163 * 1024
                               : cc >= 86 ? 99 * 1024
                               : cc == 75 ? 64 * 1024
                               : cc >= 70 ? 96 * 1024
                                          : 48 * 1024;
      return t;
    }
  }
  if (kind == "rocm" && arch.starts_with("gfx") && arch.size() >= 6) {
    t.kind = TargetKind::Rocm;
    t.arch = arch.str();
    t.sharedMemoryBytes = 64 * 1024;
    t.maxSharedMemoryBytes = 64 * 1024;
    return t;
  }
  error = "unknown target '" + text +
          "'; use cpu, cpu:<llvm-cpu>, cuda:sm_<NN> (e.g. cuda:sm_90), rocm:gfx<N> "
          "(e.g. rocm:gfx90a) or simt (GPU schedules run on this CPU, for checking them)";
  return std::nullopt;
}
