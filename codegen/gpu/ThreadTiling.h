//===- ThreadTiling.h - tiling helpers shared by the GPU thread mappings --===//
//
// Internal to codegen/gpu: GpuThreads.cpp (element-wise, channel-vector and
// staged-op mappings, mapToThreads) and StagedContraction.cpp (GEMM-like
// roots and channels-last convolutions) tile on tensors with these.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_THREADTILING_H
#define TILEC_CODEGEN_GPU_THREADTILING_H

#include "codegen/common/Schedule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <string>

namespace tilec::codegen::detail {

/// Threads a GPU block may have.
inline constexpr int64_t kMaxThreads = 1024;

/// How tileOp's loops run: in sequence (a K loop), one iteration per thread,
/// or one per warp (`#gpu.warp`: warp-wide tensor-core instructions).
enum class LoopKind { Sequential, Threads, Warps };

/// A copy of a kernel, put back by restore() when a rewrite gives up halfway
/// (MLIR's tiling rewrites in place); dropped otherwise.
class KernelBackup {
public:
  explicit KernelBackup(mlir::func::FuncOp kernel) : kernel(kernel), copy(kernel.clone()) {}
  ~KernelBackup() {
    if (copy)
      copy.erase();
  }
  /// Puts the kernel back as it was; returns false (the rewrite's result).
  bool restore() {
    kernel.getBody().takeBody(copy.getBody());
    kernel->setAttrs(copy->getAttrDictionary());
    return false;
  }

private:
  mlir::func::FuncOp kernel, copy;
};

/// Tiles `op` by `tiles` (0: not tiled) into an scf.for nest, or an
/// scf.forall marked as a thread (or warp) loop, and replaces it; returns the
/// tiled op and the outermost loop.
mlir::FailureOr<std::pair<mlir::linalg::LinalgOp, mlir::Operation *>>
tileOp(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op, llvm::ArrayRef<int64_t> tiles,
       LoopKind kind);

/// tileOp into a thread loop; the tiled op, or null (op unchanged).
mlir::linalg::LinalgOp tileToThreads(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op,
                                     llvm::ArrayRef<int64_t> tiles);

/// Tiles the kernel's result-writing op by `tiles` into an scf.forall (a
/// thread loop with `threads`, else a block loop) and fuses every producer
/// into it; returns the loop, or null (kernel unchanged) when work would be
/// left outside it.
mlir::Operation *fuseIntoForall(mlir::func::FuncOp kernel, mlir::linalg::LinalgOp consumer,
                                llvm::ArrayRef<int64_t> tiles, bool threads);

/// Per-thread tiles of a copy of `shape` over at most `threads` threads: the
/// innermost dim in runs of whole vectors of `vec` elements, the outer dims
/// split among the threads left.
llvm::SmallVector<int64_t> copyTiles(llvm::ArrayRef<int64_t> shape, int64_t threads, int64_t vec);

/// Pads of a halo whose size is static after a cast get that static type, so
/// that slices of them can become pads of slices (per thread).
void addPadCastFolding(mlir::RewritePatternSet &patterns);
void foldPadCasts(mlir::Operation *scope);

/// Elementwise ops at the end of a kernel fused into their elementwise
/// producers, the fused op keeping the consumer mark: one op writes the
/// result, so the chain leaves no intermediates. A squeeze-excite block's
/// final product and the bf16 convert of it (--precision); with `anyInput`,
/// producers of any input, not only of a single one (a GEMM's epilogue:
/// bias, residual add, relu and convert read the accumulator once).
void fuseTrailingElementwise(mlir::func::FuncOp kernel, bool anyInput);

/// The thread-tiled contraction of GpuThreads.h (GEMM-like roots and
/// channels-last convolutions; warp tiles with `mma`), in
/// StagedContraction.cpp; failure leaves the kernel partly rewritten (the
/// caller restores it), `notes` says why where it can.
mlir::LogicalResult stageContraction(mlir::func::FuncOp kernel, const Schedule &s,
                                     const Target &target, mlir::Attribute workgroupSpace,
                                     std::string &notes);

} // namespace tilec::codegen::detail

#endif // TILEC_CODEGEN_GPU_THREADTILING_H
