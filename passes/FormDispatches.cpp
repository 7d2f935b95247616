//===- FormDispatches.cpp - one tilec.dispatch per kernel -----------------===//
//
// Assumes: a func of tilec ops (after batch-norm folding).
// Guarantees: every compute op is inside exactly one tilec.dispatch; views
// (reshape, flatten) and constants stay outside; the function computes the same
// values. Each dispatch carries `kind` (its root op) and `signature`.
//
// Cost rule (fusion=default). An elementwise consumer joins its producer's
// dispatch when:
//   1. the producer's result has exactly one use (otherwise it must be written
//      to memory anyway, and fusing would compute it twice);
//   2. the consumer's result has the producer's shape (no broadcast blow-up:
//      the kernel's iteration space stays the root's);
//   3. any other operand is defined before the root and is no larger than the
//      result (a residual or a per-channel vector: bytes read stay bounded).
// Each fused consumer saves writing and re-reading one intermediate tensor.
// The chain continues from the consumer. A consumer's other operand that is
// a 16-bit value widened to f32 for it alone (a residual stored in bf16,
// tilec-set-precision; widenings move below views of their result first)
// joins the dispatch with it: the kernel reads the 16-bit tensor. A concat whose operands are
// contiguous slices of its result (all dims before the axis are 1, as at
// batch 1 in NCHW) takes no consumers: plan-memory then writes its operands in
// place and the concat runs no kernel (an elementwise consumer costs the same
// traffic as its own dispatch as it would fused into a copying concat).
//
// Squeeze-and-excitation (MobileNet v3, EfficientNet) is one dispatch: a global
// average pool, the 1x1 convolutions and activations on its [N, C, 1, 1] result,
// and the final `mul` that scales the pool's input by the gate. The pooled
// tensor is tiny, so the whole block costs one read of the input and one write. Fusion never crosses views, and a
// pattern with an extra use is left unfused (tests/lit/passes).
//
// A convolution's windows (tilec.im2col, made by tilec-convs-as-gemms), and
// the zero rows tilec-pad-rows adds to a 2-d product's left operand, used
// only by that product join its dispatch ahead of it:
// the GPU kernel reads each K block of windows from the input as it stages
// it (implicit GEMM), so the 9x larger window matrix is never written. Only
// where the input has a multiple of 8 channels: a thread then reads 8
// 16-bit channels of one pixel at once (16 bytes); a stem's 3 channels
// would be read 2 bytes at a time, slower than writing its windows out
// (ViT's patch windows do not overlap: no larger than the input). Padded
// rows are read the same way (implicit padding): ViT's 197 token rows
// padded to 208 no longer take a pad kernel before each linear layer.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClasses.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/raw_ostream.h"

namespace tilec {
#define GEN_PASS_DEF_FORMDISPATCHESPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

int64_t numElements(Value v) { return cast<ShapedType>(v.getType()).getNumElements(); }

/// Rule 1-3 of the file comment: may `user` join the dispatch rooted at `root`
/// whose current last value is `value`?
bool canFuseConsumer(Operation *root, Value value, Operation *user) {
  if (!value.hasOneUse() || !isElementwise(user) || user->getBlock() != root->getBlock())
    return false;
  // Same shape (a convert changes only the element type).
  if (cast<ShapedType>(user->getResult(0).getType()).getShape() !=
      cast<ShapedType>(value.getType()).getShape())
    return false;
  for (Value operand : user->getOperands()) {
    if (operand == value)
      continue;
    Operation *def = operand.getDefiningOp();
    bool before = !def || def->isBeforeInBlock(root);
    if (!before || numElements(operand) > numElements(user->getResult(0)))
      return false;
  }
  return true;
}

/// The ops of a squeeze-and-excitation block rooted at `root` (a global average
/// pool), ending with the mul of the pool's input by the gate; or nullopt.
std::optional<SmallVector<Operation *>> squeezeExciteGroup(Operation *root) {
  if (!isa<GlobalAvgPoolOp, AdaptiveAvgPool2DOp>(root))
    return std::nullopt;
  Value input = root->getOperand(0), value = root->getResult(0);
  // [N, C, 1, 1], or [N, 1, 1, C] channels last.
  auto isPooled = [](Value v) {
    ArrayRef<int64_t> s = cast<ShapedType>(v.getType()).getShape();
    return s.size() == 4 && s[2] == 1 && (s[3] == 1 || s[1] == 1);
  };
  if (!isPooled(value))
    return std::nullopt;
  SmallVector<Operation *> group = {root};
  while (value.hasOneUse()) {
    Operation *user = *value.getUsers().begin();
    if (user->getBlock() != root->getBlock())
      return std::nullopt;
    // Every other operand (weights, biases) must already exist at the root.
    for (Value operand : user->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (operand != value && def && !def->isBeforeInBlock(root))
        return std::nullopt;
    }
    if (auto mul = dyn_cast<MulOp>(user); mul && llvm::is_contained(user->getOperands(), input) &&
                                          mul.getOutput().getType() == input.getType()) {
      group.push_back(user);
      return group;
    }
    // A 1x1 convolution on the pooled value (OIHW or HWIO weight).
    auto conv = dyn_cast<Conv2DOp>(user);
    ArrayRef<int64_t> w =
        conv ? cast<ShapedType>(conv.getWeight().getType()).getShape() : ArrayRef<int64_t>();
    bool pointwise = conv && conv.getInput() == value &&
                     (conv.isChannelsLast() ? w.take_front(2) : w.drop_front(2)) ==
                         ArrayRef<int64_t>{1, 1};
    bool small = isElementwise(user) && isPooled(user->getResult(0));
    if (!pointwise && !small)
      return std::nullopt;
    group.push_back(user);
    value = user->getResult(0);
  }
  return std::nullopt;
}

/// The op computing `product`'s left operand that joins its dispatch ahead of
/// it (file comment): a convolution's windows feeding a matmul, or the zero
/// rows tilec-pad-rows adds before a 2-d matmul or linear (the rows only,
/// the last dim a multiple of 8: whole 16-byte runs per row); null if none.
Operation *stagedProducer(Operation *product) {
  if (!isa<MatmulOp, LinearOp>(product))
    return nullptr;
  Operation *def = product->getOperand(0).getDefiningOp();
  if (!def || !def->hasOneUse() || def->getBlock() != product->getBlock())
    return nullptr;
  if (auto windows = dyn_cast<Im2ColOp>(def))
    return isa<MatmulOp>(product) &&
                   cast<ShapedType>(windows.getInput().getType()).getShape().back() % 8 == 0
               ? def
               : nullptr;
  auto pad = dyn_cast<PadOp>(def);
  auto type = pad ? dyn_cast<RankedTensorType>(pad.getInput().getType()) : RankedTensorType();
  if (!type || type.getRank() != 2 || type.getShape().back() % 8 != 0 ||
      pad.getValue().convertToDouble() != 0.0)
    return nullptr;
  ArrayRef<int64_t> pads = pad.getPads(); // [low..., high...]
  return pads[1] == 0 && pads[3] == 0 && pads[0] == 0 ? def : nullptr;
}

/// The elementwise op `op` widens a 16-bit value for, when `op` is such a
/// widening (a tilec.convert from bf16/f16 to f32 with one use, by an
/// elementwise op of the same shape); null otherwise.
Operation *widenedFor(Operation *op) {
  auto convert = dyn_cast<ConvertOp>(op);
  if (!convert || !convert->hasOneUse())
    return nullptr;
  Type from = getElementTypeOrSelf(convert->getOperand(0).getType());
  Type to = getElementTypeOrSelf(convert->getResult(0).getType());
  if (!(from.isBF16() || from.isF16()) || !to.isF32())
    return nullptr;
  Operation *reader = *convert->getUsers().begin();
  if (!isElementwise(reader) || reader->getBlock() != op->getBlock() ||
      reader->getResult(0).getType() != convert->getResult(0).getType())
    return nullptr;
  return reader;
}

/// Stable key of a group: each op's name, operand shapes and attributes.
std::string signatureOf(ArrayRef<Operation *> group) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (auto [i, op] : llvm::enumerate(group)) {
    os << (i ? "+" : "") << op->getName().stripDialect() << "(";
    llvm::interleave(
        op->getOperandTypes(), os,
        [&](Type t) {
          auto shaped = cast<ShapedType>(t);
          llvm::interleave(shaped.getShape(), os, "x");
          os << "x" << shaped.getElementType();
        },
        ",");
    os << ")";
    if (!op->getAttrDictionary().empty())
      os << op->getAttrDictionary();
  }
  return text;
}

struct FormDispatchesPass
    : public tilec::impl::FormDispatchesPassBase<FormDispatchesPass> {
  using FormDispatchesPassBase::FormDispatchesPassBase;

  void runOnOperation() override {
    if (fusion != "default" && fusion != "none") {
      getOperation().emitError("tilec-form-dispatches: fusion must be 'default' or 'none', got '")
          << fusion << "'";
      return signalPassFailure();
    }
    // 0. A widening convert read through views (a residual reshaped for a
    //    GEMM's epilogue) moves after them: views of the 16-bit value, then
    //    the convert (the two commute), so that the elementwise reader reads
    //    the convert itself and may take it into its dispatch (below).
    if (fusion == "default")
      sinkWideningsBelowViews();
    // 1. Snapshot the compute ops in order (we rewrite as we go).
    SmallVector<Operation *> ops;
    for (Operation &op : getOperation().getBody().front().without_terminator())
      if (!isa<ConstantOp, DispatchOp>(op) && !isView(&op))
        ops.push_back(&op);
    // 2. Grow a group from each op not yet claimed, then outline it.
    llvm::DenseSet<Operation *> claimed;
    // Windows or zero rows that a product reads (implicit GEMM, implicit
    // padding): claimed as its producer.
    llvm::DenseMap<Operation *, Operation *> windowsOf;
    if (fusion == "default")
      for (Operation *op : ops)
        if (Operation *windows = stagedProducer(op)) {
          windowsOf[op] = windows;
          claimed.insert(windows);
        }
    // A 16-bit value widened for one elementwise reader (a residual add
    // reading a block input stored in 16 bits, tilec-set-precision): the
    // widening joins the reader's dispatch when the reader joins one, so
    // that the kernel reads the 16-bit tensor; otherwise it is a dispatch
    // of its own, in turn (deferred until every group has formed).
    llvm::DenseMap<Operation *, Operation *> wideningFor; // reader -> convert
    if (fusion == "default")
      for (Operation *op : ops)
        if (Operation *reader = widenedFor(op))
          if (!wideningFor.count(reader))
            wideningFor[reader] = op;
    llvm::DenseSet<Operation *> deferred;
    for (auto &[reader, convert] : wideningFor)
      deferred.insert(convert);
    for (Operation *root : ops) {
      if (claimed.contains(root) || deferred.contains(root))
        continue;
      formGroup(root, claimed, windowsOf, wideningFor);
    }
    for (Operation *root : ops)
      if (deferred.contains(root) && !claimed.contains(root))
        formGroup(root, claimed, windowsOf, wideningFor);
  }

  void sinkWideningsBelowViews() {
    SmallVector<ConvertOp> converts;
    getOperation().walk([&](ConvertOp c) { converts.push_back(c); });
    for (ConvertOp c : converts) {
      Type to = getElementTypeOrSelf(c.getType());
      while (to.isF32() && c->hasOneUse() && isView(*c->getUsers().begin())) {
        Operation *view = *c->getUsers().begin();
        OpBuilder b(view);
        Operation *narrowView = b.clone(*view);
        narrowView->setOperand(0, c->getOperand(0));
        auto viewType = cast<RankedTensorType>(view->getResult(0).getType());
        narrowView->getResult(0).setType(viewType.clone(
            getElementTypeOrSelf(c->getOperand(0).getType())));
        auto moved = b.create<ConvertOp>(c.getLoc(), viewType, narrowView->getResult(0));
        view->getResult(0).replaceAllUsesWith(moved.getResult());
        view->erase();
        c->erase();
        c = moved;
      }
    }
  }

  /// The group rooted at `root` (its consumers as the file comment says),
  /// outlined.
  void formGroup(Operation *root, llvm::DenseSet<Operation *> &claimed,
                 const llvm::DenseMap<Operation *, Operation *> &windowsOf,
                 const llvm::DenseMap<Operation *, Operation *> &wideningFor) {
    SmallVector<Operation *> group = {root};
    if (fusion == "default")
      if (auto se = squeezeExciteGroup(root))
        group = *se;
    while (fusion == "default" && !isContiguousConcat(root) &&
           group.back()->getNumResults() == 1) {
      Value last = group.back()->getResult(0);
      Operation *user = last.hasOneUse() ? *last.getUsers().begin() : nullptr;
      if (!user || !canFuseConsumer(root, last, user))
        break;
      if (Operation *convert = wideningFor.lookup(user);
          convert && !claimed.contains(convert) && convert != root)
        group.push_back(convert);
      group.push_back(user);
    }
    if (Operation *windows = windowsOf.lookup(root))
      group.insert(group.begin(), windows);
    claimed.insert(group.begin(), group.end());
    outline(group, root);
  }

  /// Moves `group` (in program order; `root`, the op it is named after, is
  /// its first op or follows its producers) into a new dispatch placed where
  /// the root was.
  void outline(ArrayRef<Operation *> group, Operation *root) {
    llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
    llvm::SetVector<Value> inputs, outputs;
    for (Operation *op : group) {
      for (Value operand : op->getOperands())
        if (!operand.getDefiningOp() || !members.contains(operand.getDefiningOp()))
          inputs.insert(operand);
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!members.contains(user))
            outputs.insert(result);
    }
    OpBuilder b(root);
    auto dispatch = b.create<DispatchOp>(
        root->getLoc(), TypeRange(outputs.getArrayRef()), inputs.getArrayRef(),
        b.getStringAttr(root->getName().stripDialect()), b.getStringAttr(signatureOf(group)));
    Block *body = b.createBlock(&dispatch.getBody());
    IRMapping map;
    for (Value input : inputs)
      map.map(input, body->addArgument(input.getType(), input.getLoc()));
    b.setInsertionPointToEnd(body);
    for (Operation *op : group)
      b.clone(*op, map);
    SmallVector<Value> yielded;
    for (Value output : outputs)
      yielded.push_back(map.lookup(output));
    b.create<YieldOp>(root->getLoc(), yielded);
    for (auto [output, result] : llvm::zip(outputs, dispatch.getResults()))
      Value(output).replaceAllUsesWith(result);
    for (Operation *op : llvm::reverse(group))
      op->erase();
  }
};

} // namespace
