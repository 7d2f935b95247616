//===- TilecDialect.h - the tilec graph dialect -----------------*- C++ -*-===//
//
// Include this to use the dialect and its ops (`tilec::Conv2DOp`, ...). The op
// definitions live in TilecOps.td; docs/design/ir.md explains the conventions.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_IR_TILECDIALECT_H
#define TILEC_IR_TILECDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/TilecDialect.h.inc"

namespace tilec {
/// Whether an op's optional `layout` attribute says channels last ("nhwc");
/// absent means NCHW.
inline bool isChannelsLast(std::optional<llvm::StringRef> layout) {
  return layout && *layout == "nhwc";
}
} // namespace tilec

#define GET_OP_CLASSES
#include "ir/TilecOps.h.inc"

namespace tilec {

/// Returns `axis` made non-negative for a tensor of rank `rank` (Python-style
/// negative axes), or std::nullopt if it is out of range.
/// Example: normalizeAxis(-1, 4) == 3; normalizeAxis(4, 4) == std::nullopt.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace tilec

#endif // TILEC_IR_TILECDIALECT_H
