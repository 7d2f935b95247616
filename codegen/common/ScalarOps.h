//===- ScalarOps.h - the scalar body of an elementwise tilec op -----------===//
//
//   ScalarBody body = scalarBody(op);   // tilec.add, tilec.gelu, ...
//   if (body) { /* a linalg.generic whose region yields body(b, loc, args) */ }
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMMON_SCALAROPS_H
#define TILEC_CODEGEN_COMMON_SCALAROPS_H

#include "ir/TilecDialect.h"

#include "mlir/IR/Builders.h"

#include <functional>

namespace tilec::codegen {

/// Builds the op's result from its operands' scalars (one per operand).
using ScalarBody =
    std::function<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// The scalar body of an elementwise op (the four binary ops and every unary
/// one), or null for any other op.
ScalarBody scalarBody(mlir::Operation *op);

/// The body of a contraction generic (operands x, y, accumulator acc):
/// yields acc + x * y, with 16-bit x and y extended to acc's type first (as
/// linalg's named contractions do), so bf16 / f16 operands accumulate in f32.
void multiplyAccumulate(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange args);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_COMMON_SCALAROPS_H
