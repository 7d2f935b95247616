//===- Target.h - what code is generated for ------------------------------===//
//
// A target is parsed from the command line's `--target`: `cpu` (the host;
// `cpu:<llvm-cpu-name>` for another x86-64), `cuda:sm_90`, `rocm:gfx90a`.
// It carries the budgets the default schedules are chosen from.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMMON_TARGET_H
#define TILEC_CODEGEN_COMMON_TARGET_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tilec::codegen {

enum class TargetKind { Cpu, Cuda, Rocm };

struct Target {
  TargetKind kind = TargetKind::Cpu;
  std::string arch;      ///< LLVM CPU name ("sapphirerapids"), "sm_90", "gfx90a"
  std::string features;  ///< LLVM feature string for CPUs ("+avx512f,...")
  int64_t vectorBits = 512;        ///< widest SIMD register (CPU)
  int64_t vectorRegisters = 32;    ///< SIMD registers (CPU)
  int64_t l1Bytes = 48 * 1024;     ///< per-core L1 data cache (CPU)
  int64_t l2Bytes = 2048 * 1024;   ///< per-core L2 (CPU)
  /// Workgroup memory per block (GPU) that default schedules budget for and
  /// that a kernel gets statically (48 KB: CUDA's limit without opt-in).
  int64_t sharedMemoryBytes = 48 * 1024;
  /// The most a block may use (CUDA: opt-in dynamic shared memory, 227 KB on
  /// sm_90, 163 KB on sm_80, 99 KB on sm_86/89); schedules are verified
  /// against it, and a kernel above sharedMemoryBytes takes its buffers from
  /// dynamic shared memory.
  int64_t maxSharedMemoryBytes = 48 * 1024;
  /// A CPU target that runs kernels as a GPU target schedules them: GPU
  /// default schedules, blocks as workgroups, a block's threads one after
  /// another (each thread loop is a barrier-separated step, so running them
  /// in turn is one valid interleaving), workgroup memory on the stack. Tests
  /// use it to check GPU tiling against the reference without a GPU.
  bool simt = false;

  /// Whether kernels are scheduled for GPU threads (a GPU, or `simt`).
  bool threaded() const { return kind != TargetKind::Cpu || simt; }

  /// "cpu:sapphirerapids", "cuda:sm_90", "rocm:gfx90a": the artifact's target.
  std::string str() const;
  int64_t vectorLanesF32() const { return vectorBits / 32; }
  /// The warp-wide matrix instruction (m, n, k) generated for bf16/f16
  /// GEMMs: {16, 8, 16} (mma.sync.m16n8k16) on CUDA sm_80 and later and on
  /// `simt` (which runs the same warp tiles on the CPU so that their tiling is
  /// checked without a GPU), {16, 16, 16} (MFMA, 64-lane wavefronts) on CDNA
  /// (rocm:gfx90a, gfx940-942); empty elsewhere.
  std::vector<int64_t> matrixInstruction() const;
  bool tensorCores() const { return !matrixInstruction().empty(); }
  /// The warp-wide instruction for f32 operands rounded to TF32 (--precision
  /// tf32): {16, 8, 8} (mma.sync.m16n8k8.tf32) on CUDA sm_80 and later and on
  /// `simt`; empty elsewhere.
  std::vector<int64_t> tf32Instruction() const;
  /// Whether global-to-workgroup copies can be asynchronous (`cp.async`,
  /// CUDA sm_80 and later): pipelined staging then overlaps loads with math.
  bool asyncCopies() const;
  /// Whether the warpgroup-wide instruction `wgmma.mma_async` (m64nNk16,
  /// bf16/f16 operands read from workgroup memory through matrix
  /// descriptors, f32 accumulators) exists: CUDA sm_90 (its kernels are
  /// then assembled for sm_90a, the architecture-specific variant that has
  /// it), and `simt`, which checks the same block and warp tiling on the CPU.
  bool warpgroupMma() const;
  /// Threads that run one warp-wide instruction together: 64 on AMD
  /// (wavefronts), 32 elsewhere.
  int64_t warpSize() const { return kind == TargetKind::Rocm ? 64 : 32; }
};

/// Parses `--target`; nullopt and `error` set when unknown, with the forms that
/// are accepted.
std::optional<Target> parseTarget(const std::string &text, std::string &error);

/// The host CPU as a target (AVX-512 when present, AVX2 otherwise).
Target hostTarget();

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_COMMON_TARGET_H
