//===- Passes.h - tilec graph passes ----------------------------*- C++ -*-===//
//
// Declarations generated from Passes.td (createFoldBatchNormPass(), ...) and
// registerTilecPasses() for tilec-opt.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_PASSES_PASSES_H
#define TILEC_PASSES_PASSES_H

#include "ir/TilecDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace tilec {

/// Unit attribute tilec-set-precision{precision=tf32} puts on conv2d, matmul
/// and linear: their f32 operands may be rounded to TF32 (10-bit mantissa)
/// inside tensor-core instructions (CUDA sm_80+); the graph stays f32.
inline constexpr llvm::StringLiteral kTF32Attr = "tilec.tf32";

/// Whether `op` (a contraction) multiplies on tensor cores' terms: bf16 or f16
/// operands, or f32 operands it may round to TF32.
inline bool hasTensorCoreOperands(mlir::Operation *op, mlir::Type element) {
  return element.isBF16() || element.isF16() || (element.isF32() && op->hasAttr(kTF32Attr));
}

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace tilec

#endif // TILEC_PASSES_PASSES_H
