//===- FuseAttention.cpp - scaled dot-product attention as one op ---------===//
//
// Assumes: the zoo's and PyTorch's export form of attention: a key transposed in
// its last two dims, a one-element constant scale (mul or div, on the scores or
// on the query) or none, softmax over the last dim.
// Guarantees: the same values (the scale commutes with the matmul); a pattern
// whose intermediates have other uses, or whose operands would broadcast, is
// left unfused.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Weights.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_FUSEATTENTIONPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {


/// If `v` is `x * c` or `x / c` with a one-element constant c and one use,
/// returns x, multiplies `scale` by c (or 1/c) and sets `op`; otherwise returns v.
Value peelScale(Value v, double &scale, Operation *&op) {
  Operation *def = v.getDefiningOp();
  if (!def || !v.hasOneUse() || !isa<MulOp, DivOp>(def))
    return v;
  for (int i : {0, 1}) {
    if (isa<DivOp>(def) && i == 0)
      continue; // c / x is not a scale
    if (std::optional<double> c = scalarConstantValue(def->getOperand(i))) {
      Value x = def->getOperand(1 - i);
      if (x.getType() != v.getType())
        return v; // the constant broadcasts x to a new shape
      scale *= isa<DivOp>(def) ? 1.0 / *c : *c;
      op = def;
      return x;
    }
  }
  return v;
}

bool swapsLastTwo(ArrayRef<int64_t> perm) {
  int64_t rank = perm.size();
  for (int64_t d = 0; d < rank - 2; ++d)
    if (perm[d] != d)
      return false;
  return rank >= 2 && perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
}

struct FuseAttentionPass : public tilec::impl::FuseAttentionPassBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp op) { softmaxes.push_back(op); });
    for (SoftmaxOp softmax : softmaxes)
      (void)fuse(softmax);
  }

  LogicalResult fuse(SoftmaxOp softmax) {
    // 1. softmax over the last dim, read by one matmul as its lhs: p v.
    int64_t rank = softmax.getInput().getType().getRank();
    if (int64_t(softmax.getAxis()) != -1 && int64_t(softmax.getAxis()) != rank - 1)
      return failure();
    if (!softmax->hasOneUse())
      return failure();
    auto pv = dyn_cast<MatmulOp>(*softmax->getUsers().begin());
    if (!pv || pv.getLhs() != softmax.getOutput())
      return failure();
    // 2. The scores: (scaled) q k^T.
    double scale = 1.0;
    Operation *scoreScale = nullptr, *queryScale = nullptr;
    Value scores = peelScale(softmax.getInput(), scale, scoreScale);
    auto qk = scores.getDefiningOp<MatmulOp>();
    if (!qk || !scores.hasOneUse())
      return failure();
    Value q = peelScale(qk.getLhs(), scale, queryScale);
    // k^T is any transpose; k is the same transpose with the last two dims kept
    // (PyTorch's export transposes [T, H, D] straight to [H, D, T]).
    auto kt = qk.getRhs().getDefiningOp<TransposeOp>();
    if (!kt || !kt->hasOneUse())
      return failure();
    SmallVector<int64_t> kPerm(kt.getPermutation());
    std::swap(kPerm[kPerm.size() - 1], kPerm[kPerm.size() - 2]);
    Value v = pv.getRhs();
    // 3. Same rank and leading dims (no broadcasting inside the fused op).
    auto shape = [](Value x) { return cast<ShapedType>(x.getType()).getShape(); };
    ArrayRef<int64_t> ktShape = shape(kt.getOutput());
    SmallVector<int64_t> kShape(ktShape);
    std::swap(kShape[kShape.size() - 1], kShape[kShape.size() - 2]);
    if (shape(q).size() != kShape.size() || shape(v).size() != shape(q).size() ||
        shape(q).drop_back(2) != ArrayRef<int64_t>(kShape).drop_back(2) ||
        shape(q).drop_back(2) != shape(v).drop_back(2))
      return failure();
    // 4. Replace, then erase the pattern from its end.
    OpBuilder b(pv);
    Value k = swapsLastTwo(kt.getPermutation())
                  ? kt.getInput()
                  : b.create<TransposeOp>(kt.getLoc(), kt.getInput(), b.getDenseI64ArrayAttr(kPerm))
                        .getOutput();
    Value fused = b.create<AttentionOp>(pv.getLoc(), q, k, v, b.getF64FloatAttr(scale));
    pv.getOutput().replaceAllUsesWith(fused);
    pv.erase();
    softmax.erase();
    if (scoreScale)
      scoreScale->erase();
    qk.erase();
    kt.erase();
    if (queryScale)
      queryScale->erase();
    return success();
  }
};

} // namespace
