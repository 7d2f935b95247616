//===- Reshapes.cpp - moving a product's reshape below its epilogue -------===//
//
// See Reshapes.h.
//
//===----------------------------------------------------------------------===//

#include "passes/Reshapes.h"

#include "passes/OpClasses.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace tilec;

Operation *tilec::soleElementwiseUser(Value v) {
  if (!v.hasOneUse())
    return nullptr;
  Operation *user = *v.getUsers().begin();
  auto result = user->getNumResults() == 1
                    ? dyn_cast<RankedTensorType>(user->getResult(0).getType())
                    : RankedTensorType();
  if (!isElementwise(user) || !result ||
      result.getShape() != cast<RankedTensorType>(v.getType()).getShape())
    return nullptr;
  return user;
}

Operation *tilec::rebuildElementwise(Operation *op, ValueRange operands, ArrayRef<int64_t> shape) {
  OpBuilder b(op);
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(operands);
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  state.addTypes(RankedTensorType::get(shape, result.getElementType()));
  state.addAttributes(op->getAttrs());
  return b.create(state);
}

void tilec::sinkReshapeBelowElementwise(ReshapeOp reshape) {
  auto type = cast<RankedTensorType>(reshape.getType());
  int64_t rows = cast<RankedTensorType>(reshape.getInput().getType()).getDimSize(0);
  int64_t channels = type.getShape().back();
  OpBuilder b(reshape);
  auto view = [&](Value v, ArrayRef<int64_t> shape) -> Value {
    auto t = cast<RankedTensorType>(v.getType());
    OpBuilder::InsertionGuard guard(b);
    if (Operation *def = v.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
    return b.create<ReshapeOp>(v.getLoc(), RankedTensorType::get(shape, t.getElementType()), v,
                               b.getDenseI64ArrayAttr(shape));
  };
  while (true) {
    // A view back to the matrix (an operand moved ahead of an earlier
    // convolution's reshape: the two products of a residual add) reads
    // the matrix itself, so the add can join this product's kernel.
    for (Operation *u : llvm::make_early_inc_range(reshape->getUsers()))
      if (auto back = dyn_cast<ReshapeOp>(u); back && back.getType() == reshape.getInput().getType()) {
        back.getResult().replaceAllUsesWith(reshape.getInput());
        back.erase();
      }
    if (reshape.use_empty()) {
      reshape.erase();
      return;
    }
    Value nhwc = reshape.getResult();
    Operation *user = soleElementwiseUser(nhwc);
    if (!user)
      return;
    auto result = cast<RankedTensorType>(user->getResult(0).getType());
    SmallVector<Value> operands;
    for (Value o : user->getOperands()) {
      auto t = dyn_cast<RankedTensorType>(o.getType());
      if (o == nhwc) {
        operands.push_back(reshape.getInput());
      } else if (t && t.getShape() == type.getShape()) {
        operands.push_back(view(o, {rows, channels}));
      } else if (t && t.hasStaticShape() && t.getRank() >= 1 &&
                 (t.getShape().back() == channels || t.getShape().back() == 1) &&
                 t.getNumElements() == t.getShape().back()) {
        operands.push_back(view(o, {t.getShape().back()}));
      } else {
        return;
      }
    }
    Operation *moved = rebuildElementwise(user, operands, {rows, channels});
    b.setInsertionPoint(user);
    auto next = b.create<ReshapeOp>(user->getLoc(), result, moved->getResult(0),
                                    b.getDenseI64ArrayAttr(result.getShape()));
    user->getResult(0).replaceAllUsesWith(next.getResult());
    user->erase();
    reshape.erase();
    reshape = next;
  }
}
