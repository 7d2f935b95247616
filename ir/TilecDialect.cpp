//===- TilecDialect.cpp - dialect registration and folding hooks ----------===//

#include "ir/TilecDialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace tilec;

#include "ir/TilecDialect.cpp.inc"

void TilecDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/TilecOps.cpp.inc"
      >();
}

Operation *TilecDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                             Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements, /*name=*/StringAttr());
}

std::optional<int64_t> tilec::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}
