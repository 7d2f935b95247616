//===- LaneFragments.h - warp accumulators as per-lane registers ---------===//
//
// Shared by the tensor-core lowerings that build their own instructions
// (MFMA on AMD, wgmma on sm_90; mma.sync goes through MLIR's conversion):
// after unrolling, each instruction tile's accumulator is a vector carried
// across the K loops; FragmentLowering rebuilds the kernel with each lane's
// share of it instead (its registers), op by op. An instruction supplies
// its accumulator type, the fragment of a splat, and the rewrites of an
// accumulator read, a contraction and an accumulator write.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_LANEFRAGMENTS_H
#define TILEC_CODEGEN_GPU_LANEFRAGMENTS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace tilec::codegen::detail {

/// The memref indices of one vector element: the transfer's `base` indices
/// plus the element's vector coordinates `vec` (affine in the lane id) placed
/// by the transfer's permutation map (a minor identity or a transpose).
llvm::SmallVector<mlir::Value> laneIndices(mlir::RewriterBase &rw, mlir::Location loc,
                                           mlir::Value lane, mlir::ValueRange base,
                                           mlir::AffineMap perm,
                                           llvm::ArrayRef<mlir::AffineExpr> vec);

/// Lane fragments of warp (or warpgroup) accumulators (after unrolling and
/// splitting: one vector per instruction tile, carried across the K loops),
/// rebuilt op by op: reads become per-lane loads, contractions the
/// instruction, loops carry the fragments, writes become per-lane stores.
/// An instruction gives its accumulator type and the four rewrites.
struct FragmentLowering {
  FragmentLowering(mlir::RewriterBase &rw, mlir::Value lane, llvm::StringRef instruction)
      : rw(rw), lane(lane), instruction(instruction) {}
  virtual ~FragmentLowering() = default;
  mlir::RewriterBase &rw;
  mlir::Value lane;
  llvm::StringRef instruction;                       ///< for diagnostics ("MFMA", "wgmma")
  llvm::DenseMap<mlir::Value, mlir::Value> fragment; ///< accumulator value -> lane fragment
  llvm::SmallVector<mlir::Operation *> dead;

  /// Whether `t` is one instruction tile's accumulator vector.
  virtual bool isAccumulator(mlir::Type t) = 0;
  /// The fragment of a splat accumulator of `type` (at the insertion point).
  virtual mlir::Value splat(mlir::Location loc, mlir::Type type, mlir::Attribute element) = 0;
  /// An accumulator read of `c`'s tile, as the lane's fragment.
  virtual mlir::Value loadAccumulator(mlir::vector::TransferReadOp read,
                                      mlir::vector::ContractionOp c) = 0;
  /// Any op, before the rewrites below: an instruction with more op kinds on
  /// its fragments (attention's softmax) rewrites `op` here and sets
  /// `handled`.
  virtual mlir::LogicalResult other(mlir::Operation *op, bool &handled) {
    handled = false;
    return mlir::success();
  }
  /// `c` (16-bit operands read from workgroup memory) onto `acc`.
  virtual mlir::FailureOr<mlir::Value> contract(mlir::vector::ContractionOp c, mlir::Value acc) = 0;
  /// The lane's fragment `f` stored where `write` writes its tile.
  virtual mlir::LogicalResult storeAccumulator(mlir::vector::TransferWriteOp write,
                                               mlir::Value f) = 0;

  /// An accumulator read's contraction: any warp contraction reached
  /// through loops from it.
  mlir::vector::ContractionOp contractionOf(mlir::Value v);
  mlir::LogicalResult block(mlir::Block &b);
  mlir::Value fragmentOf(mlir::Value v, mlir::Operation *user);
  mlir::LogicalResult one(mlir::Operation *op);
  /// Rewrites `func` (its entry block) and erases what was replaced.
  mlir::LogicalResult run(mlir::gpu::GPUFuncOp func);
};

} // namespace tilec::codegen::detail

#endif // TILEC_CODEGEN_GPU_LANEFRAGMENTS_H
