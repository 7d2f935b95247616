//===- WarpAttention.h - attention on tensor cores, a warp per 16 rows ----===//
//
// FlashAttention-2's kernel for 16-bit attention on mma.sync (schedule
// `mma=16x8x16` on an attention dispatch). A block takes `wg`'s query rows
// of one head (16 per warp); per block of 64 keys the block's threads stage
// the keys and values in workgroup memory, and each warp
//
//   s   = q k^T                    (16 x 64, f32, tensor cores)
//   m'  = max(m, scale * rowmax(s));  p = exp(scale * s - m')
//   l'  = l exp(m - m') + rowsum(p);  acc' = acc exp(m - m') + bf16(p) v
//
// with its 16 rows' m, l and acc in registers across the key blocks; the
// last keys take a block of their own, rounded up to 16 and masked. The
// kernel is built on tensors (streamAttentionOnWarps) as warp loops whose
// bodies are warp-wide vector ops: the simt target runs them on the CPU, so
// the conformance suite checks the tiling, staging, masking and online
// softmax against the reference. On CUDA, lowerWarpAttention then gives
// each lane its share of every warp-wide value (the mma.sync accumulator
// layout: rows lane/4 and lane/4 + 8, columns 2 (lane % 4) + {0, 1} of each
// 8-column tile), operands loaded with ldmatrix, row maxima and sums
// combined across the 4 lanes of a row with shuffles, and p reused as the
// next product's A operand in registers (its accumulator layout is the A
// layout of m16n8k16).
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_WARPATTENTION_H
#define TILEC_CODEGEN_GPU_WARPATTENTION_H

#include "codegen/common/Schedule.h"
#include "codegen/common/Target.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <string>

namespace tilec::codegen {

/// On a kernel (and its gpu.func) built by streamAttentionOnWarps.
inline constexpr llvm::StringLiteral kWarpAttentionAttr = "tilec.warp_attention";

/// Rebuilds a lone 16-bit attention kernel as above (before mapToThreads,
/// which leaves it). Returns the grid, or 0 (kernel unchanged, `notes` says
/// why) when it does not apply.
int64_t streamAttentionOnWarps(mlir::func::FuncOp kernel, const Schedule &s, const Target &target,
                               std::string &notes);

/// CUDA, after the loops are mapped onto ids and the warps' states hoisted
/// into registers: the warp-wide vector ops of a kWarpAttentionAttr kernel
/// as each lane's registers, mma.sync, ldmatrix and shuffles. Fails with a
/// diagnostic on IR it does not expect.
mlir::LogicalResult lowerWarpAttention(mlir::gpu::GPUFuncOp func);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_WARPATTENTION_H
