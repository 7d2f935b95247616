//===- SetPrecision.cpp - 16-bit operands for contractions ----------------===//
//
// Assumes: weights in their final layout (after fold-batch-norm, pack-weights,
// assign-layouts), no dispatches yet.
// Guarantees: with precision bf16 / fp16, every conv2d, matmul and linear
// whose operands are f32 reads them rounded to that type (round to nearest
// even), and so does every attention its query, key and value; the result is
// still f32 (fp32 accumulation: the ops' type rule; attention's scores and
// softmax stay f32, and its probabilities multiply the 16-bit values in f32). Constant weights are
// converted here, once, into new constants; any other operand gets one
// `tilec.convert` per value right after its definition, shared by all the
// contractions that read it (a ViT block's Q, K and V projections read the
// layer norm's output once); the value's other readers (a residual add) read
// it widened back from the 16-bit one, so that it is stored once, in 16 bits.
// The rest of the graph is unchanged.
// With precision tf32 nothing changes type: conv2d, matmul and linear are
// marked `tilec.tf32` (kTF32Attr), which lets CUDA sm_80+ tensor cores round
// their f32 operands to TF32 (attention is not marked: its GPU kernel does not
// run on tensor cores).
//
//===----------------------------------------------------------------------===//

#include "ir/Weights.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_SETPRECISIONPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

/// Ops each of whose output elements is one of its input elements (moved,
/// or a max pool's largest): rounding before them gives the same values as
/// rounding after them (rounding is monotone, so the largest rounded value
/// is the rounded largest).
bool isMovement(Operation *op) {
  return isa<SliceOp, TransposeOp, ReshapeOp, FlattenOp, MaxPool2DOp>(op) &&
         op->getNumOperands() == 1 && op->getNumResults() == 1;
}

/// The narrowing to `half` that is `v`'s only reader, or null.
ConvertOp onlyNarrowing(Value v, Type half) {
  if (!v.hasOneUse())
    return {};
  auto convert = dyn_cast<ConvertOp>(*v.getUsers().begin());
  return convert && getElementTypeOrSelf(convert.getType()) == half ? convert : ConvertOp();
}

/// Narrowings moved above the data movement before them, up to the value
/// it starts from, where every reader of that value ends (through one
/// movement op each) in the same narrowing: the producer then writes 16
/// bits and the movement kernels move half the bytes, with the same values.
/// ViT's QKV projection: its f32 output was sliced three ways, each slice
/// transposed into heads and only then rounded (6 kernels moving f32 per
/// block); now the projection's epilogue rounds and the slices and
/// transposes move bf16. Likewise attention's output, transposed back and
/// rounded for the output projection, and a stem's max pool (ResNet's
/// wrote 112x112x64 floats per image for it). Constants and graph inputs
/// stay.
/// Returns whether anything moved.
bool hoistOneNarrowing(func::FuncOp func, Type half) {
  Operation *found = nullptr;
  func.walk([&](Operation *def) {
    if (found || isa<ConstantOp>(def) || def->getNumResults() != 1)
      return;
    Value x = def->getResult(0);
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || !type.getElementType().isF32() || x.use_empty())
      return;
    bool moves = false, all = true;
    for (Operation *user : x.getUsers()) {
      if (auto c = dyn_cast<ConvertOp>(user)) {
        all &= getElementTypeOrSelf(c.getType()) == half;
        continue;
      }
      bool movement = isMovement(user) && onlyNarrowing(user->getResult(0), half);
      moves |= movement;
      all &= movement;
    }
    if (moves && all)
      found = def;
  });
  if (!found)
    return false;
  Value x = found->getResult(0);
  OpBuilder b(found->getContext());
  b.setInsertionPointAfter(found);
  // A widening of a 16-bit value narrows back to that value itself.
  Value narrow;
  if (auto widen = dyn_cast<ConvertOp>(found);
      widen && getElementTypeOrSelf(widen.getInput().getType()) == half)
    narrow = widen.getInput();
  else
    narrow = b.create<ConvertOp>(x.getLoc(), cast<RankedTensorType>(x.getType()).clone(half), x);
  for (Operation *user : llvm::make_early_inc_range(x.getUsers())) {
    if (user == narrow.getDefiningOp())
      continue;
    if (auto c = dyn_cast<ConvertOp>(user)) {
      c.replaceAllUsesWith(narrow);
      c.erase();
      continue;
    }
    ConvertOp after = onlyNarrowing(user->getResult(0), half);
    b.setInsertionPoint(user);
    Operation *moved = b.clone(*user);
    moved->setOperand(0, narrow);
    moved->getResult(0).setType(cast<RankedTensorType>(user->getResult(0).getType()).clone(half));
    after.replaceAllUsesWith(moved->getResult(0));
    after.erase();
    user->erase();
  }
  if (isa<ConvertOp>(found) && found->use_empty())
    found->erase();
  return true;
}

struct SetPrecisionPass : public tilec::impl::SetPrecisionPassBase<SetPrecisionPass> {
  using SetPrecisionPassBase::SetPrecisionPassBase;

  void runOnOperation() override {
    if (precision != "fp32" && precision != "bf16" && precision != "fp16" &&
        precision != "tf32") {
      getOperation().emitError("tilec-set-precision: precision must be 'fp32', 'tf32', 'bf16' "
                               "or 'fp16', got '")
          << precision << "'";
      return signalPassFailure();
    }
    if (precision == "fp32")
      return;
    if (precision == "tf32") {
      getOperation().walk([&](Operation *op) {
        if (isa<Conv2DOp, MatmulOp, LinearOp>(op))
          op->setAttr(kTF32Attr, UnitAttr::get(&getContext()));
      });
      return;
    }
    MLIRContext *ctx = &getContext();
    Type half = precision == "bf16" ? Type(BFloat16Type::get(ctx)) : Type(Float16Type::get(ctx));
    llvm::DenseMap<Value, Value> converted;
    auto narrow = [&](Value v) -> Value {
      if (Value done = converted.lookup(v))
        return done;
      auto type = cast<RankedTensorType>(v.getType());
      Value result;
      if (auto constant = v.getDefiningOp<ConstantOp>()) {
        OpBuilder b(constant);
        result = convertedWeight(b, constant, half);
      }
      if (!result) {
        OpBuilder b(ctx);
        if (Operation *def = v.getDefiningOp())
          b.setInsertionPointAfter(def);
        else
          b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
        result = b.create<ConvertOp>(v.getLoc(), RankedTensorType::get(type.getShape(), half), v);
      }
      converted[v] = result;
      return result;
    };
    getOperation().walk([&](Operation *op) {
      if (!isa<Conv2DOp, MatmulOp, LinearOp, AttentionOp>(op))
        return;
      unsigned operands = isa<AttentionOp>(op) ? 3 : 2; // q, k, v; input, weight
      for (unsigned i = 0; i < operands; ++i) {
        Value operand = op->getOperand(i);
        if (cast<ShapedType>(operand.getType()).getElementType().isF32())
          op->setOperand(i, narrow(operand));
      }
    });
    // Weights every contraction now reads in 16 bits.
    for (auto &[from, to] : converted)
      if (auto constant = from.getDefiningOp<ConstantOp>(); constant && constant->use_empty())
        constant.erase();
    // An activation a contraction reads is stored once, in 16 bits: its
    // other readers (a residual add) read it widened back from the rounded
    // value, so that its producer writes only the 16-bit tensor (the narrowing
    // joins the producer's dispatch, the widening its reader's:
    // tilec-form-dispatches) instead of an f32 one and a convert kernel
    // reading it again. PyTorch's autocast keeps such activations in 16 bits
    // too. Graph inputs stay as given.
    for (auto &[from, to] : converted) {
      auto narrowed = to.getDefiningOp<ConvertOp>();
      if (!narrowed || !from.getDefiningOp() ||
          llvm::all_of(from.getUsers(), [&](Operation *u) { return u == narrowed; }))
        continue;
      OpBuilder b(ctx);
      b.setInsertionPointAfter(narrowed);
      Value wide = b.create<ConvertOp>(from.getLoc(), from.getType(), to);
      from.replaceAllUsesExcept(wide, narrowed);
    }
    while (hoistOneNarrowing(getOperation(), half)) {
    }
  }
};

} // namespace
