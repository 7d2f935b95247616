//===- Pipeline.h - staged reduction blocks as a software pipeline --------===//
//
// GpuThreads stages each reduction block (a GEMM's K block, a convolution's
// input-channel block) in workgroup memory: per step of the block's K loop
// the threads copy the block's operand slices, then compute on them. With a
// schedule's `stages=S` (S > 1) the bufferized loop becomes a pipeline of S
// buffers per staged operand (before the CPU serializes the simt target's
// thread loops, and before GpuBackend maps them onto ids):
//
//   copies(block 0) -> buffer 0 ... copies(block S-2) -> buffer S-2
//   for i in 0..T-1:                      // T reduction blocks
//     compute(block i) on buffer i % S
//     if i + S - 1 < T:
//       copies(block i+S-1) -> buffer (i+S-1) % S
//
// so that loads of S - 1 blocks are in flight while one is computed. The
// buffer a step's copies overwrite, (i-1) % S, was last read by the previous
// step's compute: on a GPU one barrier at the top of each step (after
// waiting for the step's block) orders both (GpuBackend). On CUDA sm_80+
// the copies become `cp.async` (asyncStageCopies), committed one group per
// block, so that `cp.async.wait_group S-2` at the top of step i waits for
// block i only.
//
// Marks left for GpuBackend: the loop `tilec.pipelined = S`, each copy thread
// loop `tilec.stage_copy = j` (its block's group in the prologue, -1 inside
// the loop).
//
// A warpgroup kernel with `inflight=N` (Schedule.h) leaves its last N steps'
// wgmma groups running when a step ends, so buffer i % S is still read
// during steps i+1 .. i+N: the copies then run S - 1 - N blocks ahead,
//
//   for i in 0..T-1:
//     compute(block i) on buffer i % S      // wgmma; wait for all but N groups
//     copies(block i+S-1-N) -> buffer (i+S-1-N) % S
//
// where (i+S-1-N) % S = (i-1-N) % S was last read by step i-1-N, whose
// groups every thread has waited for before the barrier at the top of step
// i (Wgmma.cpp). The loop is marked `tilec.pipeline_in_flight = N`.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_PIPELINE_H
#define TILEC_CODEGEN_GPU_PIPELINE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

namespace tilec::codegen {

/// On a kernel function (set by GpuThreads): the schedule's stages.
inline constexpr llvm::StringLiteral kPipelineStagesAttr = "tilec.pipeline_stages";
/// On the pipelined scf.for: the buffers per staged operand.
inline constexpr llvm::StringLiteral kPipelinedLoopAttr = "tilec.pipelined";
/// On a copy thread loop of the pipeline: its prologue group, or -1.
inline constexpr llvm::StringLiteral kStageCopyAttr = "tilec.stage_copy";
/// On a kernel function (set by GpuThreads) and then on its pipelined loop:
/// the K steps whose warpgroup instructions stay in flight (above).
inline constexpr llvm::StringLiteral kPipelineInFlightAttr = "tilec.pipeline_in_flight";

/// On the kernels' module: kernel name -> why its stages were not applied.
inline constexpr llvm::StringLiteral kPipelineNotesAttr = "tilec.pipeline_notes";

/// The loop pipelineStagedLoops marked in `scope` (kPipelinedLoopAttr), or
/// null; `stages` (optional) gets its buffers per staged operand.
mlir::scf::ForOp pipelinedLoop(mlir::Operation *scope, int64_t *stages = nullptr);

/// Bufferized kernels marked with kPipelineStagesAttr: their staged loop as
/// above (at most one buffer per block). A kernel whose loop does not have
/// the expected form keeps one buffer per operand (correct, unpipelined);
/// the reason is recorded in the module's kPipelineNotesAttr for the kernel
/// report.
void pipelineStagedLoops(mlir::ModuleOp kernels);

/// CUDA sm_80+, views folded into the accesses (fold-memref-alias-ops): the
/// pipeline's copies of whole vectors (4, 8 or 16 bytes) from a kernel
/// argument into workgroup memory become `nvgpu.device_async_copy`, one
/// commit group per block, and each step waits for its block. Returns how
/// many copies became asynchronous (0: the pipeline stays synchronous).
int64_t asyncStageCopies(mlir::func::FuncOp kernel);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_PIPELINE_H
