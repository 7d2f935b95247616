//===- AssignLayouts.cpp - channels-last activations, HWIO weights --------===//
//
// Assumes: batch norms and pads already folded into the convolutions, linear
// weights packed (the pass runs after fold-batch-norm, fold-pad and
// pack-weights), no dispatch regions yet.
// Guarantees: same values. With layout=nhwc every convolution (groups = 1 or
// depthwise), max / average pool and global average pool on a 4-D tensor
// computes in NHWC with its weight stored HWIO (re-laid out here, at compile
// time); the layout changes that remain are explicit `tilec.transpose` ops,
// as few as the propagation below can make them.
//
// 1. Convert: each such op becomes transpose(NCHW -> NHWC), the NHWC op, and
//    transpose(NHWC -> NCHW) back, so the graph stays correct at every step.
//    A constant weight is rewritten as a new HWIO constant.
// 2. Propagate (greedy, to a fixed point): transposes sink through the ops that
//    do not care about layout — elementwise ops (a broadcast operand follows:
//    constants are re-laid out at compile time, an operand whose permutation
//    only moves unit dims becomes a reshape), concats (the axis follows) and
//    reductions that keep their dims. Two transposes in a row compose, and
//    cancel when they compose to the identity. A transpose that only moves unit
//    dims (the [N, C, 1, 1] result of a global pool) is a reshape, a view.
// So conv -> relu -> conv keeps no transpose in between, and the graph changes
// layout at its input and where a layout-bound op (matmul, LRN, a grouped
// conv) reads an activation; a flatten feeding a matmul with a constant weight
// takes the NHWC order instead, with the weight's rows permuted to match.
//
// layout=auto (the default) is nhwc, except for graphs whose channel concats
// hold at least a quarter of the bytes the converted ops write: NCHW writes
// them in place at batch 1 (plan-memory: contiguous slices) and copies whole
// planes at larger batches, while channels last they are strided slices that
// a copy kernel fills in channel-sized pieces (DenseNet: every layer's concat
// would copy the whole growing block; at batch 2 it also took 211 s against
// 46 s to compile). Such a graph's stem, the ops before the first one whose
// result reaches a channel concat, still goes channels last.
// The choice and its reason are recorded on the function as `tilec.layout`.
// layout=nhwc converts regardless; layout=nchw leaves the graph as it is.
//
//===----------------------------------------------------------------------===//

#include "ir/ShapeUtils.h"
#include "ir/Weights.h"
#include "passes/OpClasses.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstdio>

namespace tilec {
#define GEN_PASS_DEF_ASSIGNLAYOUTSPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

constexpr int64_t kToNhwc[] = {0, 2, 3, 1};
constexpr int64_t kToNchw[] = {0, 3, 1, 2};
constexpr int64_t kOihwToHwio[] = {2, 3, 1, 0};

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

SmallVector<int64_t> permuteShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(shape[p]);
  return out;
}

SmallVector<int64_t> inversePermutation(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = int64_t(i);
  return inverse;
}

bool isIdentity(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != int64_t(i))
      return false;
  return true;
}

/// Whether permuting `shape` by `perm` keeps the non-unit dims in order (the
/// bytes do not move: the transpose is a reshape).
bool onlyMovesUnitDims(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  int64_t last = -1;
  for (int64_t p : perm) {
    if (shape[p] == 1)
      continue;
    if (p < last)
      return false;
    last = p;
  }
  return true;
}

Value transposed(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto type = RankedTensorType::get(permuteShape(tensorType(v).getShape(), perm),
                                    tensorType(v).getElementType());
  return b.create<TransposeOp>(loc, type, v, b.getDenseI64ArrayAttr(perm));
}

/// The rank-4 window ops that have an NHWC form (and are not in it yet).
bool convertible(Operation *op) {
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    auto in = tensorType(conv.getInput()), w = tensorType(conv.getWeight());
    int64_t groups = conv.getGroups();
    bool depthwise = groups == in.getDimSize(1) && w.getDimSize(0) == in.getDimSize(1);
    return !conv.isChannelsLast() && in.getRank() == 4 && (groups == 1 || depthwise);
  }
  if (auto pool = dyn_cast<MaxPool2DOp>(op))
    return !pool.isChannelsLast() && tensorType(pool.getInput()).getRank() == 4;
  if (auto pool = dyn_cast<AvgPool2DOp>(op))
    return !pool.isChannelsLast() && tensorType(pool.getInput()).getRank() == 4;
  if (auto pool = dyn_cast<GlobalAvgPoolOp>(op))
    return !pool.isChannelsLast() && tensorType(pool.getInput()).getRank() == 4;
  // Adaptive pooling to 1x1 (torchvision's classifier heads) is a global pool.
  if (auto pool = dyn_cast<AdaptiveAvgPool2DOp>(op))
    return pool.getOutputSize() == ArrayRef<int64_t>{1, 1};
  return false;
}

/// Step 1 for one op: transpose in, the NHWC op, transpose back.
void convertToNhwc(Operation *op) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  SmallVector<Value> operands(op->getOperands());
  operands[0] = transposed(b, loc, operands[0], kToNhwc);
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    Value w = conv.getWeight();
    auto constant = w.getDefiningOp<ConstantOp>();
    Value packed =
        constant ? permutedWeight(b, constant, tensorType(w).getShape(), kOihwToHwio, ".hwio")
                 : Value();
    operands[1] = packed ? packed : transposed(b, loc, w, kOihwToHwio);
  }
  OperationState state(loc,
                       isa<AdaptiveAvgPool2DOp>(op)
                           ? OperationName(GlobalAvgPoolOp::getOperationName(), op->getContext())
                           : op->getName());
  state.addOperands(operands);
  if (!isa<AdaptiveAvgPool2DOp>(op)) // its output_size is implied by the global pool
    state.addAttributes(op->getAttrs());
  state.addAttribute("layout", b.getStringAttr("nhwc"));
  state.addTypes(
      RankedTensorType::get(permuteShape(tensorType(op->getResult(0)).getShape(), kToNhwc),
                            tensorType(op->getResult(0)).getElementType()));
  Operation *nhwc = b.create(state);
  Value back = transposed(b, loc, nhwc->getResult(0), kToNchw);
  op->getResult(0).replaceAllUsesWith(back);
  Value oldWeight = isa<Conv2DOp>(op) ? op->getOperand(1) : Value();
  op->erase();
  if (oldWeight && oldWeight.use_empty())
    if (Operation *def = oldWeight.getDefiningOp<ConstantOp>())
      def->erase();
}

/// transpose(transpose(x, p), q) -> transpose(x, p∘q), or x when that is the
/// identity.
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t q : op.getPermutation())
      perm.push_back(inner.getPermutation()[q]);
    if (isIdentity(perm))
      rewriter.replaceOp(op, inner.getInput());
    else
      rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                               rewriter.getDenseI64ArrayAttr(perm));
    return success();
  }
};

/// A transpose that moves only unit dims is a reshape (a view, no kernel).
struct UnitTransposeToReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    if (!onlyMovesUnitDims(tensorType(op.getInput()).getShape(), op.getPermutation()))
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getInput(),
                                           rewriter.getDenseI64ArrayAttr(op.getType().getShape()));
    return success();
  }
};

/// reshape(transpose(x, p)) where the reshape only merges runs of dims that
/// were consecutive in x -> transpose(reshape(x), q) on the merged dims, so the
/// transpose can meet its inverse: ViT's patch embedding (NHWC conv ->
/// [1, 768, 14, 14] -> [1, 768, 196] -> transpose to tokens) needs none.
struct SinkThroughMergingReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    auto t = op.getInput().getDefiningOp<TransposeOp>();
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPermutation();
    ArrayRef<int64_t> tShape = t.getType().getShape(), out = op.getType().getShape();
    ArrayRef<int64_t> xShape = tensorType(t.getInput()).getShape();
    // 1. Each output dim is the product of a run of the transposed dims.
    SmallVector<std::pair<int64_t, int64_t>> groups; // [first, last] transposed dims
    int64_t d = 0;
    for (int64_t size : out) {
      if (d >= int64_t(tShape.size()))
        return failure();
      int64_t first = d, product = tShape[d++];
      while (product < size && d < int64_t(tShape.size()))
        product *= tShape[d++];
      if (product != size)
        return failure();
      groups.push_back({first, d - 1});
    }
    if (d != int64_t(tShape.size()))
      return failure();
    // 2. ... whose source dims are consecutive and increasing in x.
    for (auto [first, last] : groups)
      for (int64_t i = first; i < last; ++i)
        if (perm[i + 1] != perm[i] + 1)
          return failure();
    // 3. x with each run merged, in x's order; the transpose permutes runs.
    SmallVector<int64_t> order = llvm::to_vector(llvm::seq<int64_t>(0, groups.size()));
    llvm::sort(order,
               [&](int64_t a, int64_t b) { return perm[groups[a].first] < perm[groups[b].first]; });
    SmallVector<int64_t> merged, q(groups.size());
    for (auto [position, g] : llvm::enumerate(order)) {
      int64_t size = 1;
      for (int64_t i = groups[g].first; i <= groups[g].second; ++i)
        size *= xShape[perm[i]];
      merged.push_back(size);
      q[g] = int64_t(position);
    }
    if (isIdentity(q) && merged == SmallVector<int64_t>(out))
      return failure(); // nothing moves: UnitTransposeToReshape's case
    auto mergedType = RankedTensorType::get(merged, op.getType().getElementType());
    Value reshaped = rewriter.create<ReshapeOp>(op.getLoc(), mergedType, t.getInput(),
                                                rewriter.getDenseI64ArrayAttr(merged));
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), reshaped,
                                             rewriter.getDenseI64ArrayAttr(q));
    return success();
  }
};

/// reshape(reshape(x)) -> reshape(x); a reshape to its operand's type -> x.
struct ComposeReshapes : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    if (op.getInput().getType() == op.getType()) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput(),
                                           rewriter.getDenseI64ArrayAttr(op.getType().getShape()));
    return success();
  }
};

/// How an operand of an op whose other operands come out of transpose(., perm)
/// is expressed before that transpose.
enum class Move {
  Transposed, ///< it is transpose(x, perm) too: use x
  Constant,   ///< a constant: re-laid out at compile time
  Reshape,    ///< only unit dims move: a reshape (a view)
  Copy,       ///< it would take a copy: do not sink
};

/// `operand` right-aligned to `rank` (NumPy broadcasting), or nullopt.
std::optional<SmallVector<int64_t>> alignedShape(Value operand, int64_t rank) {
  RankedTensorType type = tensorType(operand);
  if (type.getRank() > rank)
    return std::nullopt;
  SmallVector<int64_t> aligned(rank - type.getRank(), 1);
  llvm::append_range(aligned, type.getShape());
  return aligned;
}

Move classify(Value operand, ArrayRef<int64_t> perm) {
  if (auto t = operand.getDefiningOp<TransposeOp>(); t && t.getPermutation() == perm)
    return Move::Transposed;
  std::optional<SmallVector<int64_t>> aligned = alignedShape(operand, int64_t(perm.size()));
  if (!aligned)
    return Move::Copy;
  if (auto constant = operand.getDefiningOp<ConstantOp>()) {
    std::vector<float> data;
    std::string error;
    if (tensorType(operand).getElementType().isF32() &&
        succeeded(readAsFloats(constant.getValue(), data, error)))
      return Move::Constant;
  }
  return onlyMovesUnitDims(*aligned, inversePermutation(perm)) ? Move::Reshape : Move::Copy;
}

Value moveBefore(PatternRewriter &rewriter, Value operand, ArrayRef<int64_t> perm, Move how) {
  SmallVector<int64_t> aligned = *alignedShape(operand, int64_t(perm.size()));
  SmallVector<int64_t> inverse = inversePermutation(perm);
  switch (how) {
  case Move::Transposed:
    return operand.getDefiningOp<TransposeOp>().getInput();
  case Move::Constant:
    return permutedWeight(rewriter, operand.getDefiningOp<ConstantOp>(), aligned, inverse,
                            ".nhwc");
  case Move::Reshape: {
    auto type =
        RankedTensorType::get(permuteShape(aligned, inverse), tensorType(operand).getElementType());
    return rewriter.create<ReshapeOp>(operand.getLoc(), type, operand,
                                      rewriter.getDenseI64ArrayAttr(type.getShape()));
  }
  case Move::Copy:
    break;
  }
  return nullptr;
}

/// op(transpose(a, p), ...) -> transpose(op(a, ...'), p) for an elementwise op
/// that does not broadcast the transposed value to a larger shape.
struct SinkThroughElementwise : RewritePattern {
  SinkThroughElementwise(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isElementwise(op) || op->getNumResults() != 1)
      return failure();
    TransposeOp anchor;
    for (Value operand : op->getOperands())
      if (auto t = operand.getDefiningOp<TransposeOp>();
          t && t.getType() == op->getResultTypes()[0])
        anchor = t;
    if (!anchor)
      return failure();
    ArrayRef<int64_t> perm = anchor.getPermutation();
    SmallVector<Move> moves;
    for (Value operand : op->getOperands()) {
      moves.push_back(classify(operand, perm));
      if (moves.back() == Move::Copy)
        return failure();
    }
    SmallVector<Value> operands;
    for (auto [operand, how] : llvm::zip(op->getOperands(), moves))
      operands.push_back(moveBefore(rewriter, operand, perm, how));
    OperationState state(op->getLoc(), op->getName());
    state.addOperands(operands);
    state.addAttributes(op->getAttrs());
    state.addTypes(tensorType(anchor.getInput()));
    Operation *moved = rewriter.create(state);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op->getResultTypes()[0], moved->getResult(0),
                                             anchor.getPermutationAttr());
    return success();
  }
};

/// concat(transpose(a, p), transpose(b, p), axis) -> transpose(concat(a, b, p[axis]), p).
struct SinkThroughConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rewriter) const override {
    SmallVector<Value> inputs;
    std::optional<ArrayRef<int64_t>> perm;
    for (Value input : op.getInputs()) {
      auto t = input.getDefiningOp<TransposeOp>();
      if (!t || (perm && t.getPermutation() != *perm))
        return failure();
      perm = t.getPermutation();
      inputs.push_back(t.getInput());
    }
    std::optional<int64_t> axis = normalizeAxis(op.getAxis(), op.getType().getRank());
    if (!perm || !axis)
      return failure();
    auto type =
        RankedTensorType::get(permuteShape(op.getType().getShape(), inversePermutation(*perm)),
                              op.getType().getElementType());
    Value concat = rewriter.create<ConcatOp>(op.getLoc(), type, inputs, (*perm)[*axis]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), concat,
                                             rewriter.getDenseI64ArrayAttr(*perm));
    return success();
  }
};

/// reduce(transpose(x, p), axes, keepdims) -> transpose(reduce(x, p[axes]), p).
template <typename ReduceOpT> struct SinkThroughReduce : OpRewritePattern<ReduceOpT> {
  using OpRewritePattern<ReduceOpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOpT op, PatternRewriter &rewriter) const override {
    auto t = op.getInput().template getDefiningOp<TransposeOp>();
    if (!t || !op.getKeepdims())
      return failure();
    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<int64_t> axes;
    for (int64_t a : op.getAxes()) {
      std::optional<int64_t> axis = normalizeAxis(a, int64_t(perm.size()));
      if (!axis)
        return failure();
      axes.push_back(perm[*axis]);
    }
    auto type =
        RankedTensorType::get(permuteShape(op.getType().getShape(), inversePermutation(perm)),
                              op.getType().getElementType());
    Value reduced = rewriter.create<ReduceOpT>(op.getLoc(), type, t.getInput(),
                                               rewriter.getDenseI64ArrayAttr(axes), true);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), reduced, t.getPermutationAttr());
    return success();
  }
};

int64_t resultBytes(Operation *op) {
  auto type = tensorType(op->getResult(0));
  return type.getNumElements() * int64_t(type.getElementTypeBitWidth() / 8);
}

/// A concat of 4-D activations along the channels (NCHW's axis 1).
bool isChannelConcat(Operation *op) {
  auto concat = dyn_cast<ConcatOp>(op);
  return concat && concat.getType().getRank() == 4 &&
         normalizeAxis(concat.getAxis(), 4) == std::optional<int64_t>(1) &&
         llvm::all_of(op->getOperands(),
                      [](Value v) { return v.getDefiningOp() && !v.getDefiningOp<ConstantOp>(); });
}

/// Whether `op`'s result reaches a channel concat through elementwise ops only.
bool feedsChannelConcat(Operation *op) {
  SmallVector<Operation *> work = {op};
  while (!work.empty()) {
    Operation *current = work.pop_back_val();
    for (Operation *user : current->getUsers()) {
      if (isChannelConcat(user))
        return true;
      if (isElementwise(user))
        work.push_back(user);
    }
  }
  return false;
}

/// layout=auto: the reason to keep NCHW, or "" for NHWC.
std::string reasonToKeepNchw(func::FuncOp func) {
  int64_t concatBytes = 0, convertedBytes = 0;
  bool inPlace = false;
  func.walk([&](Operation *op) {
    if (convertible(op)) {
      convertedBytes += resultBytes(op);
    } else if (isChannelConcat(op)) {
      concatBytes += resultBytes(op);
      inPlace |= isContiguousConcat(op);
    }
  });
  if (concatBytes == 0 || concatBytes * 4 < convertedBytes)
    return "";
  char text[240];
  std::snprintf(text, sizeof text,
                "channel concats %s in NCHW (%.1f KB, against %.1f KB written by convolutions "
                "and pools) would be copies in channel-sized pieces channels last",
                inPlace ? "written in place" : "copied in whole planes", double(concatBytes) / 1e3,
                double(convertedBytes) / 1e3);
  return text;
}

/// matmul(flatten(transpose(x, p)), W) with a constant W ([K, N]) and the
/// flatten merging every dim after the batch -> matmul(flatten(x), W') with the
/// rows of W' permuted to x's order: a classifier reading an NHWC feature map
/// needs no transpose kernel (VGG, AlexNet, LeNet).
struct FoldTransposeIntoWeights : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    auto flatten = op.getLhs().getDefiningOp<FlattenOp>();
    auto t = flatten ? flatten.getInput().getDefiningOp<TransposeOp>() : TransposeOp();
    auto weight = op.getRhs().getDefiningOp<ConstantOp>();
    if (!t || !weight || !flatten->hasOneUse() || flatten.getStartDim() != 1 ||
        tensorType(flatten).getRank() != 2 || tensorType(op.getRhs()).getRank() != 2 ||
        t.getPermutation().front() != 0)
      return failure();
    // W's rows are indexed by the transposed dims 1..r-1 (flatten's order);
    // W' wants x's dims 1..r-1: view W as [t_1, .., t_{r-1}, N] and permute
    // those dims into x's order (x dim j came from transposed dim perm^-1[j]).
    ArrayRef<int64_t> perm = t.getPermutation();
    int64_t rank = int64_t(perm.size());
    SmallVector<int64_t> rows(permuteShape(tensorType(t.getInput()).getShape(), perm));
    rows.erase(rows.begin());
    rows.push_back(tensorType(op.getRhs()).getDimSize(1));
    SmallVector<int64_t> inverse = inversePermutation(perm), order;
    for (int64_t j = 1; j < rank; ++j)
      order.push_back(inverse[j] - 1);
    order.push_back(rank - 1);
    Value permuted = permutedWeight(rewriter, weight, rows, order, ".nhwc_rows",
                                    tensorType(op.getRhs()).getShape());
    if (!permuted)
      return failure();
    Value flat = rewriter.create<FlattenOp>(flatten.getLoc(), flatten.getType(), t.getInput(),
                                            flatten.getStartDimAttr(), flatten.getEndDimAttr());
    rewriter.replaceOpWithNewOp<MatmulOp>(op, op.getType(), flat, permuted);
    return success();
  }
};

struct AssignLayoutsPass : public tilec::impl::AssignLayoutsPassBase<AssignLayoutsPass> {
  using AssignLayoutsPassBase::AssignLayoutsPassBase;

  void runOnOperation() override {
    if (layout != "auto" && layout != "nchw" && layout != "nhwc") {
      getOperation().emitError("tilec-assign-layouts: layout must be 'auto', 'nhwc' or 'nchw', "
                               "got '")
          << layout << "'";
      return signalPassFailure();
    }
    func::FuncOp func = getOperation();
    Builder b(&getContext());
    std::string keep = layout == "auto" ? reasonToKeepNchw(func) : "";
    std::string chosen = layout == "auto" ? (keep.empty() ? "nhwc" : "nchw") : std::string(layout);
    if (layout == "nchw") {
      func->setAttr("tilec.layout", b.getStringAttr(chosen));
      return;
    }
    // 1. Convert (collect first: conversion inserts and erases ops). When
    //    layout=auto keeps NCHW for the concats, the stem (the ops before the
    //    first one whose result reaches a channel concat through elementwise
    //    ops) still goes channels last: GoogLeNet's and DenseNet's 7x7 stem
    //    convolution is 3x faster so, for one transpose where the stem ends.
    Operation *stemEnd = nullptr;
    for (Operation &op : func.getBody().front())
      if (op.getNumResults() == 1 && (isChannelConcat(&op) || feedsChannelConcat(&op))) {
        stemEnd = &op;
        break;
      }
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (!convertible(op))
        return;
      if (chosen == "nchw" && (!stemEnd || op->getBlock() != stemEnd->getBlock() ||
                               !op->isBeforeInBlock(stemEnd)))
        return;
      ops.push_back(op);
    });
    if (chosen == "nchw" && !ops.empty())
      keep += "; the " + std::to_string(ops.size()) +
              " convolutions and pools of the stem, before the concats, are channels last";
    func->setAttr("tilec.layout", b.getStringAttr(chosen));
    if (!keep.empty())
      func->setAttr("tilec.layout_reason", b.getStringAttr(keep));
    if (ops.empty())
      return;
    for (Operation *op : ops)
      convertToNhwc(op);
    // 2. Propagate.
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<ComposeTransposes, UnitTransposeToReshape, ComposeReshapes,
                 SinkThroughMergingReshape, SinkThroughElementwise, SinkThroughConcat,
                 FoldTransposeIntoWeights, SinkThroughReduce<ReduceMeanOp>,
                 SinkThroughReduce<ReduceSumOp>, SinkThroughReduce<ReduceMaxOp>>(context);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      getOperation().emitWarning("tilec-assign-layouts: propagation did not converge; the "
                                 "graph is correct but may keep extra transposes");
  }
};

} // namespace
