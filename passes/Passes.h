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

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace tilec

#endif // TILEC_PASSES_PASSES_H
