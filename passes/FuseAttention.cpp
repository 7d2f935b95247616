//===- FuseAttention.cpp - scaled dot-product attention as one op ---------===//
//
// Assumes: the zoo's and PyTorch's export form of attention: a key transposed in
// its last two dims, a one-element constant scale (mul or div, on the scores or
// on the query) or none, softmax over the last dim.
// Guarantees: the same values (the scale commutes with the matmul); a pattern
// whose intermediates have other uses, or whose operands would broadcast, is
// left unfused.
//
// Then the heads' split: a value [..., N] read only by k >= 2 slices of its
// last dim that partition it into equal parts of W = H * D columns, each
// reshaped to [..., H, D] and transposed by the same permutation (ViT's Q, K
// and V out of one [B, T, 3 * H * D] projection, moved to [B, H, T, D]),
// becomes one reshape to [..., k, H, D], one transpose that puts the k axis
// first, and k slices of that axis reshaped back (the same values). The k
// parts are then contiguous runs of the transposed tensor, which plan-memory
// places in it (no kernel): one data-movement kernel per block instead of 2k
// (ViT: 6 kernels, each tensor read and written twice).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Weights.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallBitVector.h"

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

/// One part of a heads' split (file comment): the slice of the last dim,
/// the reshape to [..., H, D] and the transpose after it.
struct SplitPart {
  SliceOp slice;
  ReshapeOp reshape;
  TransposeOp transpose;
  int64_t index; ///< which W-wide part of the last dim
};

/// The parts of `x`'s heads' split, in no particular order; empty where `x`
/// is not split so.
SmallVector<SplitPart> headSplit(Value x) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 1 || x.use_empty())
    return {};
  int64_t rank = type.getRank(), n = type.getShape().back();
  SmallVector<SplitPart> parts;
  for (Operation *user : x.getUsers()) {
    auto slice = dyn_cast<SliceOp>(user);
    auto out = slice ? dyn_cast<RankedTensorType>(slice.getType()) : RankedTensorType();
    if (!out || slice.getAxes().size() != 1 || !slice->hasOneUse() ||
        llvm::any_of(slice.getSteps(), [](int64_t s) { return s != 1; }) ||
        (slice.getAxes()[0] != rank - 1 && slice.getAxes()[0] != -1) ||
        out.getShape().drop_back() != type.getShape().drop_back())
      return {};
    auto reshape = dyn_cast<ReshapeOp>(*slice->getUsers().begin());
    auto transpose = reshape && reshape->hasOneUse()
                         ? dyn_cast<TransposeOp>(*reshape->getUsers().begin())
                         : TransposeOp();
    if (!transpose)
      return {};
    int64_t width = out.getShape().back();
    int64_t start = slice.getStarts()[0] < 0 ? slice.getStarts()[0] + n : slice.getStarts()[0];
    ArrayRef<int64_t> heads = cast<RankedTensorType>(reshape.getType()).getShape();
    if (width <= 0 || start % width != 0 || heads.size() != size_t(rank + 1) ||
        heads.drop_back(2) != type.getShape().drop_back())
      return {};
    parts.push_back({slice, reshape, transpose, start / width});
  }
  // Equal parts covering the last dim once, split and moved the same way.
  int64_t k = parts.size();
  if (k < 2)
    return {};
  SplitPart &first = parts.front();
  llvm::SmallBitVector seen(k);
  for (SplitPart &p : parts) {
    if (p.slice.getType() != first.slice.getType() ||
        p.reshape.getType() != first.reshape.getType() ||
        p.transpose.getPermutation() != first.transpose.getPermutation() || p.index >= k ||
        seen.test(p.index))
      return {};
    seen.set(p.index);
  }
  if (k * cast<RankedTensorType>(first.slice.getType()).getShape().back() != n)
    return {};
  return parts;
}

/// Rewrites the heads' split of `x` into `parts` (headSplit's, file comment).
void mergeHeadSplit(Value x, MutableArrayRef<SplitPart> parts) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t k = parts.size();
  ArrayRef<int64_t> heads = cast<RankedTensorType>(parts.front().reshape.getType()).getShape();
  ArrayRef<int64_t> perm = parts.front().transpose.getPermutation();
  // [..., k, H, D]; the permutation with the k axis (rank - 1) first, the
  // H and D axes after it shifted by one.
  int64_t kAxis = type.getRank() - 1;
  SmallVector<int64_t> split(heads.drop_back(2));
  split.append({k, heads[heads.size() - 2], heads.back()});
  SmallVector<int64_t> movedPerm = {kAxis};
  for (int64_t p : perm)
    movedPerm.push_back(p < kAxis ? p : p + 1);
  OpBuilder b(x.getContext());
  if (Operation *def = x.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(x).getOwner());
  Location loc = parts.front().transpose.getLoc();
  Value reshaped = b.create<ReshapeOp>(loc, RankedTensorType::get(split, type.getElementType()),
                                       x, b.getDenseI64ArrayAttr(split));
  Value moved =
      b.create<TransposeOp>(loc, reshaped, b.getDenseI64ArrayAttr(movedPerm)).getOutput();
  ArrayRef<int64_t> movedShape = cast<RankedTensorType>(moved.getType()).getShape();
  for (SplitPart &p : parts) {
    SmallVector<int64_t> one(movedShape);
    one[0] = 1;
    auto partType = cast<RankedTensorType>(p.transpose.getType());
    Value slice = b.create<SliceOp>(
        p.slice.getLoc(), RankedTensorType::get(one, type.getElementType()), moved,
        b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({p.index}),
        b.getDenseI64ArrayAttr({p.index + 1}), b.getDenseI64ArrayAttr({1}));
    Value part = b.create<ReshapeOp>(p.slice.getLoc(), partType, slice,
                                     b.getDenseI64ArrayAttr(partType.getShape()));
    p.transpose.getOutput().replaceAllUsesWith(part);
    p.transpose.erase();
    p.reshape.erase();
    p.slice.erase();
  }
}

struct FuseAttentionPass : public tilec::impl::FuseAttentionPassBase<FuseAttentionPass> {
  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation().walk([&](SoftmaxOp op) { softmaxes.push_back(op); });
    for (SoftmaxOp softmax : softmaxes)
      (void)fuse(softmax);
    // The heads' splits, found in program order and rewritten last to
    // first: a rewrite erases only ops after the value it splits, so the
    // parts found for earlier values stay valid.
    SmallVector<std::pair<Value, SmallVector<SplitPart>>> splits;
    auto find = [&](Value v) {
      if (SmallVector<SplitPart> parts = headSplit(v); !parts.empty())
        splits.push_back({v, std::move(parts)});
    };
    for (Value arg : getOperation().getArguments())
      find(arg);
    getOperation().walk([&](Operation *op) {
      for (Value r : op->getResults())
        find(r);
    });
    for (auto &[x, parts] : llvm::reverse(splits))
      mergeHeadSplit(x, parts);
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
