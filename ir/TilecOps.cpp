//===- TilecOps.cpp - op verifiers, folders and same-type inference -------===//
//
// Shape inference for the ops whose result shape differs from their input lives
// in ShapeInference.cpp; this file holds what is left: constants, the elementwise
// ops whose result type is their operand type, attribute verifiers and folders.
//
//===----------------------------------------------------------------------===//

#include "ir/TilecDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace tilec;

#define GET_OP_CLASSES
#include "ir/TilecOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast_if_present<ShapedType>(adaptor.getValue().getType());
  if (!type)
    return emitOptionalError(loc, "'tilec.constant' op needs a `value` of tensor type");
  inferred.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Unary elementwise ops (their result type is inferred by ODS)
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  if (!normalizeAxis(getAxis(), rank))
    return emitOpError("axis ") << int64_t(getAxis()) << " is out of range for rank " << rank;
  return success();
}

LogicalResult LrnOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("expects an input of rank >= 2 (N, C, ...), got rank ")
           << getInput().getType().getRank();
  if (int64_t(getSize()) < 1)
    return emitOpError("size must be >= 1, got ") << int64_t(getSize());
  return success();
}

LogicalResult ClipOp::verify() {
  if (getMin().convertToDouble() > getMax().convertToDouble())
    return emitOpError("needs min <= max, got min = ")
           << getMin().convertToDouble() << " and max = " << getMax().convertToDouble();
  return success();
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

LogicalResult DropoutOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (ratio < 0.0 || ratio >= 1.0)
    return emitOpError("ratio must be in [0, 1), got ") << ratio;
  return success();
}

LogicalResult ConvertOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getShape() != out.getShape())
    return emitOpError("changes the element type only; the shapes differ: ")
           << in << " -> " << out;
  auto supported = [](Type t) { return t.isF32() || t.isBF16() || t.isF16(); };
  if (!supported(in.getElementType()) || !supported(out.getElementType()))
    return emitOpError("converts between f32, bf16 and f16, got ") << in << " -> " << out;
  return success();
}

OpFoldResult ConvertOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

// Dropout is the identity at inference time.
OpFoldResult DropoutOp::fold(FoldAdaptor) { return getInput(); }

// Adaptive pooling to the input's own size averages one element per window
// (VGG's 7x7 -> 7x7 and AlexNet's 6x6 -> 6x6 heads at 224x224).
OpFoldResult AdaptiveAvgPool2DOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

LogicalResult DispatchOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("region has ") << body.getNumArguments() << " arguments for "
                                      << getInputs().size() << " inputs";
  for (auto [arg, input] : llvm::zip(body.getArguments(), getInputs()))
    if (arg.getType() != input.getType())
      return emitOpError("region argument type ") << arg.getType()
                                                   << " differs from input type " << input.getType();
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields ") << yield.getValues().getTypes() << " but returns "
                                  << getResultTypes();
  return success();
}
