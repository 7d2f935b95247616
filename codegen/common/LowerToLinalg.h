//===- LowerToLinalg.h - one dispatch region as a linalg kernel function --===//
//
// The first step of code generation: a `tilec.dispatch` region becomes a
// `func.func` whose arguments are the dispatch's operands and results as
// memrefs (inputs first, then one buffer per result) and whose body computes on
// tensors with linalg (named ops where MLIR has them: convolutions, depthwise
// convolution, matmul, pooling; `linalg.generic` for everything elementwise and
// for reductions).
//
// Example (a conv2d + relu dispatch):
//
//   func.func @k3(%x: memref<1x64x56x56xf32>, %w: memref<64x64x3x3xf32>,
//                 %b: memref<64xf32>, %out: memref<1x64x56x56xf32>) {
//     %xt = bufferization.to_tensor %x restrict ...
//     %p  = tensor.pad %xt low[0, 0, 1, 1] high[0, 0, 1, 1] ...
//     %c  = linalg.conv_2d_nchw_fchw ins(%p, %wt) outs(%bias_broadcast) ...
//     %r  = linalg.generic {relu} ins(%c) ...   {tilec.consumer}
//     bufferization.materialize_in_destination %r in restrict writable %out
//   }
//
// The op that computes the dispatch's main work carries `tilec.root`; the op
// whose result is written out carries `tilec.consumer`. Only f32 is lowered;
// anything else is a diagnostic naming the op.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMMON_LOWERTOLINALG_H
#define TILEC_CODEGEN_COMMON_LOWERTOLINALG_H

#include "ir/TilecDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace tilec::codegen {

/// Attribute names marking the root and the result-writing op of a kernel.
inline constexpr llvm::StringLiteral kRootAttr = "tilec.root";
inline constexpr llvm::StringLiteral kConsumerAttr = "tilec.consumer";
/// On a kernel: a reduction in it is broadcast back by its consumers (a
/// squeeze-excite block; DispatchShape::firstBroadcastReduction), set before
/// tiling hides it.
inline constexpr llvm::StringLiteral kBroadcastReductionAttr = "tilec.broadcast_reduction";
/// On a GPU kernel whose buffers all start on 16 bytes in every dispatch
/// that runs it (set by compileModel): vector loads may assume it.
inline constexpr llvm::StringLiteral kArgsAlignedAttr = "tilec.args_aligned";
/// On an attention kernel's score contraction: the softmax scale (f64).
inline constexpr llvm::StringLiteral kAttentionScaleAttr = "tilec.attention_scale";
/// On a gather generic whose 2-d result's columns come in runs of N (i64)
/// consecutive source elements, each run read at one clamped position or
/// zero: the generic a tilec.im2col lowers to (runs of one pixel's channels)
/// and, on GPUs, a zero row pad before a product (runs of whole rows,
/// prepareCopyKernelsForThreads). GPU staged contractions compute such an
/// operand per staged K block (implicit GEMM, implicit padding) instead of
/// reading a written-out matrix.
inline constexpr llvm::StringLiteral kGatherRunsAttr = "tilec.gather_runs";

/// Appends `func.func @<name>` to `module` computing `dispatch` as described
/// above. Fails with a diagnostic on the dispatch for ops or types that code
/// generation does not handle.
mlir::FailureOr<mlir::func::FuncOp> lowerDispatchToLinalg(DispatchOp dispatch,
                                                          mlir::ModuleOp module,
                                                          llvm::StringRef name);

/// Registers every dialect and interface the code generation pipeline uses.
void registerCodegenDialects(mlir::DialectRegistry &registry);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_COMMON_LOWERTOLINALG_H
