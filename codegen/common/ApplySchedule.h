//===- ApplySchedule.h - tiling, fusion and vectorization of one kernel ---===//
//
// Applies a Schedule to a kernel function from lowerDispatchToLinalg, on
// tensors (before bufferization, so accumulators stay in registers):
//
//   1. the op writing the result is tiled into an `scf.forall` of workgroups
//      and every producer is fused into the tile (MLIR's
//      tileConsumerAndFuseProducersUsingSCF);
//   2. the root op inside is tiled for registers and vectorized
//      (linalg::vectorize; 2-D convolutions first decompose into 1-D ones).
//
// Step 1 is undone (the kernel runs as one workgroup) when fusion leaves work
// outside the tile loop or would recompute more than 25% extra, e.g. a
// squeeze-excite block whose pooled vector depends on the whole conv output.
// Step 2 is skipped for roots it cannot vectorize; LLVM's loop vectorizer
// still sees their loops. Both outcomes are reported in KernelPlan::notes.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMMON_APPLYSCHEDULE_H
#define TILEC_CODEGEN_COMMON_APPLYSCHEDULE_H

#include "codegen/common/Schedule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace tilec::codegen {

/// What applying a schedule produced.
struct KernelPlan {
  int64_t grid = 1;   ///< workgroups (the scf.forall's trip count)
  bool vectorized = false;
  std::string notes;  ///< why tiling or vectorization fell back, if it did
};

/// The shape facts a schedule is chosen from, read off the kernel function.
DispatchShape describeKernel(mlir::func::FuncOp kernel);

/// Applies `schedule` (already verified) to `kernel` in place.
KernelPlan applySchedule(mlir::func::FuncOp kernel, const Schedule &schedule,
                         const Target &target);

/// Vectorizes one register (or thread) tile with static shapes. A windowed
/// op (convolution, depthwise convolution, pooling) must have its window
/// loops tiled to 1: it is generalized, its unit loops dropped and its input
/// un-strided first (an outer product or elementwise update remains).
bool vectorizeTile(mlir::linalg::LinalgOp tile, bool windowed);

/// Whether `op` reads every operand contiguously along its output's
/// innermost dim (that dim last in the operand's map, or absent: a
/// broadcast) and gathers nothing (no tensor.extract in its body): a run of
/// its innermost outputs is a run of each operand's elements.
bool readsAlongInnermost(mlir::linalg::LinalgOp op);

/// Rewrites slices of a padded tensor inside tile loops into pads of slices.
void movePadsIntoTiles(mlir::func::FuncOp kernel);

/// Vector reads of a zero-padded (or -inf-padded) tile whose vector dim is not
/// padded read the pad's source instead (clamped indices, blended with the
/// padding value), so the padded copy is never made; returns the number of
/// reads rewritten (PaddedReads.cpp).
int64_t readPadsInPlace(mlir::func::FuncOp kernel);

/// Key blocks of a streamed (online-softmax) attention kernel on the CPU
/// (vectorized score tiles).
inline constexpr int64_t kAttentionKeyBlock = 64;
/// 16-bit keys a GPU thread's attention stream takes per step (its output
/// row rescaled once per step; OnlineAttention.cpp, streamKeysInRegisters;
/// f32 keys one at a time).
inline constexpr int64_t kThreadKeyGroup = 2;

/// Rebuilds a lone attention kernel as workgroups of the schedule's query
/// tiles that stream blocks of `keyBlock` keys with an online softmax
/// (OnlineAttention.cpp); with `threadPerRow` (GPU targets) each workgroup is
/// a thread loop with one thread per query row, each streaming the keys on
/// its own. Returns the grid, or 0 (kernel unchanged) when the kernel is not
/// one attention without an epilogue. GPU kernels with few blocks split each
/// row's keys among up to 8 threads, whose partial states (in
/// `workgroupSpace`, at most `workgroupBytes`) a thread per row then merges;
/// `splits` (optional) receives the number of threads per row.
int64_t streamAttention(mlir::func::FuncOp kernel, const Schedule &schedule, int64_t keyBlock,
                        bool threadPerRow = false, mlir::Attribute workgroupSpace = {},
                        int64_t workgroupBytes = 0, int64_t *splits = nullptr);

/// A lone attention kernel (the lowering's q k^T and p v roots, a positive
/// scale, no epilogue, static shapes of one rank >= 2, operands read from the
/// kernel's arguments): what streamAttention and the GPU's tensor-core
/// attention rebuild. nullopt for any other kernel.
struct AttentionOperands {
  mlir::Value q, k, v; ///< [lead..., rows, depth], [lead..., keys, depth], [lead..., keys, cols]
  double scale;
  mlir::linalg::GenericOp pv; ///< the p v root, whose result is the kernel's
};
std::optional<AttentionOperands> loneAttention(mlir::func::FuncOp kernel);

/// Replaces the workgroup `scf.forall` of a bufferized kernel with its body,
/// indexed by a new trailing `index` argument (the workgroup id), which every
/// kernel gets. Returns the grid: the forall's trip count, or 1 when the loop
/// had to stay a sequential loop (work outside it writes shared buffers).
mlir::FailureOr<int64_t> outlineWorkgroups(mlir::func::FuncOp kernel);

/// The trip count of each dimension of `forall`; nullopt if a bound is dynamic.
std::optional<llvm::SmallVector<int64_t>> forallTripCounts(mlir::scf::ForallOp forall);

/// Replaces `forall` (static bounds) by its body, its induction variables
/// delinearized row-major from `linear` (a workgroup or thread id). With
/// `rowGroup` G > 1 (a block loop whose last two dims are rows and columns
/// of blocks, more than G rows), consecutive ids walk G rows of blocks
/// column by column before the next G rows (Schedule::blockGroup), so that
/// blocks running at the same time share operand panels in the L2 cache.
void inlineForall(mlir::RewriterBase &rewriter, mlir::scf::ForallOp forall, mlir::Value linear,
                  int64_t rowGroup = 1);

/// On a kernel function (GPU targets): the schedule's blockGroup, for the
/// workgroup loop's inlineForall.
inline constexpr llvm::StringLiteral kBlockGroupAttr = "tilec.block_group";

/// Erases ops without uses or side effects until none is left.
void eraseDeadOps(mlir::func::FuncOp kernel);

/// The last op under `scope` carrying the unit attribute `attr` (kRootAttr,
/// kConsumerAttr), or null.
mlir::Operation *findMarked(mlir::Operation *scope, llvm::StringRef attr);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_COMMON_APPLYSCHEDULE_H
