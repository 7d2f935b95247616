//===- Tma.h - wgmma's staged tiles loaded by the Tensor Memory Accelerator ===//
//
// A warpgroup kernel (Wgmma.cpp) with `tma=1` on CUDA sm_90: the pipeline's
// copies of each K block's operand tiles (Pipeline.h: every thread copying
// 16-byte pieces, `cp.async`) become bulk tensor copies issued by one thread,
//
//   mbarrier.arrive.expect_tx  bar[slot], bytes of the tile
//   cp.async.bulk.tensor.2d    [panel p of buffer slot], [map, {c0 + 64 p, r0}], [bar[slot]]
//
// one per 128-byte-wide panel of the staged buffer (wgmma's swizzled layout,
// Wgmma.cpp: the hardware writes the same 128-byte swizzle the tensor map
// names), and each step waits for its block on the slot's mbarrier
// (`mbarrier.try_wait.parity`, parity = which use of the slot this is)
// instead of `cp.async.wait_group`. One mbarrier per stage, initialized once
// per block by one thread to the number of tiles a block stages (each tile's
// issue is one arrival); its phase completes when every byte has landed. A
// second mbarrier per stage says when every warp is done reading it
// (tmaReleaseStages), so no block-wide barrier remains in the K loop.
//
// The kernel takes each tensor map (a CUtensorMap the runtime encodes at
// load, artifact_format.h TensorMap) as one more argument after its buffers:
// the map's device address.
//
// A copy qualifies when it is provably a plain tile copy: its source a
// kernel argument of 16-bit elements with an identity layout (seen as a
// matrix [product of the leading dims, last dim], rows 16-byte aligned), and
// every element it writes at (slot, r, c) of the staged buffer read from
// (r0 + r, c0 + c) of that matrix, with (r0, c0) independent of the thread
// (checked on the affine index expressions). A copy that is not (an
// implicit GEMM's windows) stays every thread's cp.async copies while the
// other operand's tiles take TMA (each step then waits for both, and keeps
// its barrier); with no tile copy at all the kernel keeps cp.async and the
// reason is reported.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_TMA_H
#define TILEC_CODEGEN_GPU_TMA_H

#include "tilec/artifact_format.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <string>
#include <vector>

namespace tilec::codegen {

/// On a kernel function (set by StagedContraction for `tma=1` warpgroup
/// tiles): load the staged tiles with TMA where the target has it.
inline constexpr llvm::StringLiteral kTmaAttr = "tilec.tma";

/// CUDA sm_90, a bufferized kernel marked kTmaAttr whose pipeline
/// (Pipeline.h) has not been made asynchronous yet, views folded into the
/// accesses: its stage copies that are plain tiles as TMA loads (above).
/// Returns true with `maps` (the arguments appended to the kernel, in
/// order) when some became TMA loads; `others` then says why the remaining
/// copies did not (empty: none remain; they stay the threads' copies, to
/// become cp.async, and the K loop keeps its barrier). False with `why`
/// (kernel unchanged) when none did.
///
/// `emulate` (the simt target, whose thread loops run one after another on
/// the CPU): the same matching, tile origins and box coordinates, but each
/// box is copied by a plain copy of the source matrix's [R, 64] box at
/// (row, column) into the panel's columns of the (unswizzled) staged
/// buffer, and no mbarrier or tensor map: the conformance suite then checks
/// on the CPU what the TMA loads would read.
bool tmaStageCopies(mlir::func::FuncOp kernel, std::vector<artifact::TensorMap> &maps,
                    std::string &why, std::string &others, bool emulate = false);

/// After the wgmma conversion (Wgmma.cpp), on a kernel tmaStageCopies
/// changed: the barrier at the top of each K step (which kept the copies
/// from overwriting a stage some warp still read) becomes a second mbarrier
/// per stage, "empty": each warp's lane 0 arrives on it once the warp's
/// wgmma groups reading the stage are complete (after the step's
/// `wgmma.wait_group`), and the issuing thread waits for it before it
/// reloads the stage. Warps then meet only at the stages' barriers, never
/// all at once inside the K loop. Fails (kernel unchanged) on IR it does
/// not expect.
mlir::LogicalResult tmaReleaseStages(mlir::gpu::GPUFuncOp func);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_TMA_H
