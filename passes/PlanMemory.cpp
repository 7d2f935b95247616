//===- PlanMemory.cpp - activation buffers at offsets in one arena --------===//
//
// Assumes: every compute op is in a tilec.dispatch (form-dispatches ran); views
// (reshape, flatten) alias their operand.
// Guarantees: two values whose lifetimes overlap never share bytes unless one is
// a slice of the other by construction (an in-place concat, a contiguous
// slice) or a kernel reads and writes them element for element (in-place
// reuse). Function inputs are the caller's and returned values live to the end.
//
// Steps:
//   1. number the ops; each dispatch result's last use, through views;
//   2. concat in place: a dispatch that is only a concat whose operand slices
//      are contiguous (every dim before the axis is 1) and whose operands are
//      dispatch results gets `in_place`: each operand is placed at its slice of
//      the concat's bytes, so its producer writes straight into the concat and
//      the concat itself runs no kernel. Concats are visited last to first, so
//      DenseNet's growing concats (x0..xk, then x0..xk+1) all become prefixes
//      of the block's last one. An operand already placed elsewhere (the same
//      value in two unrelated concats) leaves that concat a copy;
//   2b. contiguous slices: a dispatch that is only a slice taking one run of
//      its operand (one axis, step 1, every dim before it 1), which is a
//      dispatch result (through views), gets `in_place` too: its value is
//      placed inside the operand's bytes at the run's (64-byte aligned)
//      offset and it runs no kernel (fuse-attention's heads' split: ViT's Q,
//      K and V are three such runs of one transposed tensor);
//   3. in-place reuse: a dispatch of elementwise ops only may write its result
//      over an operand of the same type that dies there (its whole buffer,
//      every member included), when that operand is read once, by the body's
//      first op: every element is then read before it is overwritten, also
//      when the kernel's fused chain writes intermediates to the result buffer
//      (`in_place_operand` records which);
//   4. each group of values sharing bytes is one buffer live from its first
//      definition to its last use; largest first, each takes the lowest
//      64-byte-aligned offset clear of the buffers live at the same time.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClasses.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

namespace tilec {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

constexpr int64_t kAlignment = 64;

int64_t exactBytes(Value v) {
  auto type = cast<ShapedType>(v.getType());
  return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
}

int64_t alignedBytes(Value v) { return (exactBytes(v) + kAlignment - 1) / kAlignment * kAlignment; }

/// Where a value lives: `offset` bytes into the buffer of group `root`.
struct Placement {
  Value root;
  int64_t offset = 0;
  bool operator==(const Placement &o) const { return root == o.root && offset == o.offset; }
};

/// One arena buffer: its size and the joint lifetime of the values placed in it.
struct Group {
  int64_t bytes = 0;
  int64_t first = 0, last = 0; ///< op indices, inclusive
  int64_t offset = -1;
};

/// The concat of a dispatch that is nothing else, when its operands' slices
/// of the result are contiguous.
ConcatOp contiguousConcat(DispatchOp dispatch) {
  Block &body = dispatch.getBody().front();
  if (dispatch->getNumResults() != 1 || body.getOperations().size() != 2 ||
      !isContiguousConcat(&body.front()))
    return nullptr;
  auto concat = cast<ConcatOp>(body.front());
  if (!llvm::all_of(concat.getInputs(), [](Value v) { return isa<BlockArgument>(v); }))
    return nullptr;
  return concat;
}

/// The byte offset of the run a dispatch that is only a slice takes of its
/// operand, when that run is contiguous (file comment, step 2b) and aligned.
std::optional<int64_t> contiguousSliceOffset(DispatchOp dispatch) {
  Block &body = dispatch.getBody().front();
  if (dispatch->getNumResults() != 1 || body.getOperations().size() != 2)
    return std::nullopt;
  auto slice = dyn_cast<SliceOp>(body.front());
  if (!slice || !isa<BlockArgument>(slice.getInput()) || slice.getAxes().size() != 1 ||
      slice.getSteps()[0] != 1)
    return std::nullopt;
  auto in = cast<RankedTensorType>(slice.getInput().getType());
  auto out = cast<RankedTensorType>(slice.getType());
  int64_t rank = in.getRank(), axis = slice.getAxes()[0];
  axis = axis < 0 ? axis + rank : axis;
  if (axis < 0 || axis >= rank || !in.hasStaticShape() || !out.hasStaticShape())
    return std::nullopt;
  int64_t start = slice.getStarts()[0];
  start = start < 0 ? start + in.getDimSize(axis) : start;
  int64_t inner = (in.getElementTypeBitWidth() + 7) / 8;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis && in.getDimSize(d) != 1)
      return std::nullopt;
    if (d > axis) {
      if (in.getDimSize(d) != out.getDimSize(d))
        return std::nullopt;
      inner *= in.getDimSize(d);
    }
  }
  if (start < 0 || start + out.getDimSize(axis) > in.getDimSize(axis) ||
      (start * inner) % kAlignment != 0)
    return std::nullopt;
  return start * inner;
}

struct PlanMemoryPass : public tilec::impl::PlanMemoryPassBase<PlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    Block &body = function.getBody().front();
    // 1. Number the ops; find each dispatch result's last use through views.
    llvm::DenseMap<Operation *, int64_t> index;
    for (Operation &op : body)
      index[&op] = index.size();
    int64_t end = index.size();
    std::function<int64_t(Value)> lastUse = [&](Value v) {
      int64_t last = index[v.getDefiningOp()];
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (isa<func::ReturnOp>(user))
          last = end;
        else if (isa<ReshapeOp, FlattenOp>(user))
          last = std::max(last, lastUse(user->getResult(0)));
        else
          last = std::max(last, index[user]);
      }
      return last;
    };
    SmallVector<DispatchOp> dispatches(body.getOps<DispatchOp>());
    llvm::MapVector<Value, Placement> placement; // every dispatch result, in order
    llvm::DenseMap<Value, int64_t> last;
    for (DispatchOp d : dispatches)
      for (Value r : d.getResults())
        last[r] = lastUse(r);
    auto isDispatchResult = [&](Value v) {
      return v.getDefiningOp<DispatchOp>() != nullptr;
    };

    // 2. Concats in place, last to first.
    for (DispatchOp d : llvm::reverse(dispatches)) {
      ConcatOp concat = contiguousConcat(d);
      if (!concat)
        continue;
      Value result = d.getResult(0);
      std::optional<Placement> base;
      if (auto it = placement.find(result); it != placement.end())
        base = it->second;
      // Unplaced: a prefix of a concat placed already (DenseNet) sits where
      // its first operand is; otherwise it starts a group of its own.
      // The dispatch operand behind each concat operand, in concat order (a
      // value concatenated twice is one dispatch operand).
      SmallVector<Value> operands;
      for (Value v : concat.getInputs())
        operands.push_back(d.getInputs()[cast<BlockArgument>(v).getArgNumber()]);
      Value front = operands.front();
      if (!base)
        if (auto it = placement.find(front); it != placement.end())
          base = it->second;
      if (!base)
        base = Placement{result, 0};
      SmallVector<std::pair<Value, Placement>> wanted;
      bool ok = true;
      int64_t offset = base->offset;
      llvm::SmallPtrSet<void *, 8> seen;
      for (Value operand : operands) {
        Placement p{base->root, offset};
        offset += exactBytes(operand);
        auto it = placement.find(operand);
        bool fresh = it == placement.end();
        if (!isDispatchResult(operand) || operand == result ||
            !seen.insert(operand.getAsOpaquePointer()).second ||
            (!fresh && !(it->second == p))) {
          ok = false;
          break;
        }
        wanted.push_back({operand, p});
      }
      if (!ok)
        continue;
      placement[result] = *base;
      for (auto &[v, p] : wanted)
        placement[v] = p;
      d->setAttr("in_place", UnitAttr::get(&getContext()));
    }
    // 2b. Contiguous slices in place, first to last (a slice of a slice
    // lands inside the first one's operand).
    // The value a view (reshape, flatten) shows, through every view.
    auto throughViews = [](Value v) {
      while (Operation *view = v.getDefiningOp()) {
        if (!isa<ReshapeOp, FlattenOp>(view))
          break;
        v = view->getOperand(0);
      }
      return v;
    };
    for (DispatchOp d : dispatches) {
      std::optional<int64_t> at = contiguousSliceOffset(d);
      if (!at)
        continue;
      Value result = d.getResult(0);
      if (placement.count(result))
        continue;
      Value operand = throughViews(d.getInputs()[0]);
      if (!isDispatchResult(operand))
        continue;
      if (!placement.count(operand))
        placement[operand] = Placement{operand, 0};
      Placement base = placement[operand];
      placement[result] = Placement{base.root, base.offset + *at};
      d->setAttr("in_place", UnitAttr::get(&getContext()));
    }
    for (DispatchOp d : dispatches)
      for (Value r : d.getResults())
        if (!placement.count(r))
          placement[r] = Placement{r, 0};

    // Groups as they stand: bytes of the root, joint lifetime.
    llvm::MapVector<Value, Group> groups;
    for (auto &[v, p] : placement) {
      Group &g = groups[p.root];
      bool firstMember = g.bytes == 0;
      g.bytes = alignedBytes(p.root);
      int64_t defined = index[v.getDefiningOp()];
      g.first = firstMember ? defined : std::min(g.first, defined);
      g.last = firstMember ? last[v] : std::max(g.last, last[v]);
    }

    // 3. In-place reuse by elementwise dispatches, in program order.
    llvm::DenseMap<Value, int64_t> members;
    for (auto &[v, p] : placement)
      ++members[p.root];
    for (DispatchOp d : dispatches) {
      if (d->getNumResults() != 1 || d->hasAttr("in_place"))
        continue;
      Block &inner = d.getBody().front();
      if (!llvm::all_of(inner.without_terminator(),
                        [](Operation &op) { return isElementwise(&op); }) ||
          inner.without_terminator().empty())
        continue;
      Value result = d.getResult(0);
      if (placement[result].root != result || members[result] != 1 || last[result] <= index[d])
        continue; // placed in a concat already, or never read
      Operation *firstOp = &inner.front();
      for (auto [i, operand] : llvm::enumerate(d.getInputs())) {
        BlockArgument arg = inner.getArgument(i);
        if (operand.getType() != result.getType() || !isDispatchResult(operand) ||
            !arg.hasOneUse() || *arg.getUsers().begin() != firstOp ||
            llvm::count(d.getInputs(), operand) != 1)
          continue;
        Placement p = placement[operand];
        Group &g = groups[p.root];
        // The operand must cover its whole buffer and the buffer must die here.
        if (p.offset != 0 || alignedBytes(operand) != g.bytes || g.last != index[d])
          continue;
        // No other input may share those bytes (a slice or concat member of
        // the operand's buffer): writing element i could change what a
        // later element reads.
        if (llvm::any_of(d.getInputs(), [&](Value other) {
              Value v = throughViews(other);
              return v != operand && placement.count(v) && placement[v].root == p.root;
            }))
          continue;
        placement[result] = p;
        g.last = std::max(g.last, last[result]);
        groups.erase(result);
        d->setAttr("in_place_operand", IntegerAttr::get(IntegerType::get(&getContext(), 64), i));
        break;
      }
    }

    // 4. Largest group first, at the lowest offset clear of live neighbours.
    std::vector<Group *> order;
    for (auto &[root, g] : groups)
      order.push_back(&g);
    std::stable_sort(order.begin(), order.end(),
                     [](Group *a, Group *b) { return a->bytes > b->bytes; });
    std::vector<Group *> placed;
    int64_t arena = 0, naive = 0;
    for (Group *g : order) {
      std::vector<std::pair<int64_t, int64_t>> taken; // [offset, offset + bytes)
      for (Group *p : placed)
        if (p->first <= g->last && g->first <= p->last)
          taken.push_back({p->offset, p->offset + p->bytes});
      std::sort(taken.begin(), taken.end());
      int64_t offset = 0;
      for (auto [lo, hi] : taken) {
        if (offset + g->bytes <= lo)
          break;
        offset = std::max(offset, hi);
      }
      g->offset = offset;
      placed.push_back(g);
      arena = std::max(arena, offset + g->bytes);
    }
    for (auto &[v, p] : placement)
      naive += alignedBytes(v);

    // 5. Record the plan on the IR.
    OpBuilder builder(function);
    for (DispatchOp d : dispatches) {
      SmallVector<int64_t> offsets;
      for (Value result : d.getResults()) {
        const Placement &p = placement[result];
        offsets.push_back(groups[p.root].offset + p.offset);
      }
      d->setAttr("arena_offsets", builder.getDenseI64ArrayAttr(offsets));
    }
    function->setAttr("tilec.arena_bytes", builder.getI64IntegerAttr(arena));
    function->setAttr("tilec.naive_activation_bytes", builder.getI64IntegerAttr(naive));
  }
};

} // namespace
