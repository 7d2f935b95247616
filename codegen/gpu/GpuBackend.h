//===- GpuBackend.h - kernels to CUDA cubin/PTX and ROCm HSACO ------------===//
//
// The GPU half of code generation. Each scheduled kernel's workgroup loop
// becomes the launch grid (one workgroup per block) and its per-workgroup
// tile is mapped onto the block's threads; the kernel is outlined into a
// `gpu.module`, lowered through NVVM (CUDA) or ROCDL (ROCm) and serialized:
// PTX assembled by ptxas into a cubin for the requested sm_XX (the PTX is kept
// for forward compatibility), or a HSACO code object linked by ld.lld against
// the ROCm device libraries.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_GPUBACKEND_H
#define TILEC_CODEGEN_GPU_GPUBACKEND_H

#include "codegen/cpu/CpuBackend.h"
#include "tilec/artifact_format.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace tilec::codegen {

/// Launch configuration of one GPU kernel.
struct GpuLaunch {
  std::string symbol;
  int64_t grid = 1;
  std::vector<int64_t> block;
  int64_t sharedBytes = 0;
  /// What the assembler said about the kernel (CUDA: registers, spills,
  /// ptxas's advisories), for its report; empty when it said nothing.
  std::string assembler;
  /// Tensor maps the kernel takes after its buffers (TMA loads, Tma.h).
  std::vector<artifact::TensorMap> tensorMaps;
  /// What the GPU lowering decided that the schedule's report should say.
  std::string notes;
};

/// Compiles every kernel of `kernels` (as left by applySchedule) for a CUDA or
/// ROCm target. On failure returns false with `error` set.
bool emitGpuKernels(mlir::ModuleOp kernels, const Target &target, const DumpOptions &dump,
                    std::vector<artifact::GpuCode> &code, std::vector<GpuLaunch> &launches,
                    std::string &error);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_GPUBACKEND_H
