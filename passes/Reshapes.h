//===- Reshapes.h - moving a product's reshape below its epilogue -*- C++ -*-===//
//
// Graph rewrites that compute a matrix product on a flattened view ([rows,
// channels]: a convolution as a GEMM, a token-batched linear layer) end with
// a reshape back to the op's shape. Fusion (form-dispatches) never crosses a
// view, so the product's elementwise epilogue would run as kernels of their
// own behind it; this moves that epilogue ahead of the reshape.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_PASSES_RESHAPES_H
#define TILEC_PASSES_RESHAPES_H

#include "ir/TilecDialect.h"

namespace tilec {

/// `reshape` takes a product's matrix ([rows, C]) to its shape [..., C].
/// Elementwise consumers that only it feeds (activations, a residual add, a
/// per-channel scale, a convert) are computed on the matrix instead, the
/// reshape after them: their operands of the reshaped shape are read as
/// [rows, C] and per-channel ones as [C] (views, made right after each value
/// so that they precede the product where the value does). A view back to
/// the matrix (another product's operand moved ahead of this reshape: the
/// two products of a residual add) reads the matrix itself. Stops at the
/// first consumer that is not such an op or at a value with several uses.
void sinkReshapeBelowElementwise(ReshapeOp reshape);

/// The one user of `v` when it is an elementwise op with one result of
/// `v`'s shape (an epilogue op that can move across a view or slice of
/// `v`); null otherwise.
mlir::Operation *soleElementwiseUser(mlir::Value v);

/// `op` (elementwise) rebuilt before it on `operands`, its result of
/// `shape` with `op`'s element type; `op` is left in place.
mlir::Operation *rebuildElementwise(mlir::Operation *op, mlir::ValueRange operands,
                                    llvm::ArrayRef<int64_t> shape);

} // namespace tilec

#endif // TILEC_PASSES_RESHAPES_H
