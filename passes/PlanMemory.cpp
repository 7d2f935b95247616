//===- PlanMemory.cpp - activation buffers at offsets in one arena --------===//
//
// Assumes: every compute op is in a tilec.dispatch (form-dispatches ran); views
// (reshape, flatten) alias their operand.
// Guarantees: two buffers whose lifetimes overlap never share bytes. Function
// inputs are the caller's and returned values live to the end. Lifetimes are
// inclusive at both ends, so an output never reuses the bytes of an input of
// its own dispatch (no in-place reuse yet: a kernel reading and writing the same
// bytes needs codegen's agreement that it is safe).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

namespace tilec {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

constexpr int64_t kAlignment = 64;

struct Buffer {
  Value value;     ///< the dispatch result that defines it
  int64_t bytes;   ///< size rounded up to kAlignment
  int64_t first;   ///< index of the defining op
  int64_t last;    ///< index of the last use (through views)
  int64_t offset = -1;
};

int64_t byteSize(Value v) {
  auto type = cast<ShapedType>(v.getType());
  int64_t bytes = type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
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
    std::vector<Buffer> buffers;
    for (auto dispatch : body.getOps<DispatchOp>())
      for (Value result : dispatch.getResults())
        buffers.push_back({result, byteSize(result), index[dispatch], lastUse(result)});

    // 2. Largest first, each at the lowest offset clear of live neighbours.
    std::vector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    std::stable_sort(order.begin(), order.end(),
                     [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    std::vector<Buffer *> placed;
    int64_t arena = 0, naive = 0;
    for (Buffer *b : order) {
      std::vector<std::pair<int64_t, int64_t>> taken; // [offset, offset + bytes)
      for (Buffer *p : placed)
        if (p->first <= b->last && b->first <= p->last)
          taken.push_back({p->offset, p->offset + p->bytes});
      std::sort(taken.begin(), taken.end());
      int64_t offset = 0;
      for (auto [lo, hi] : taken) {
        if (offset + b->bytes <= lo)
          break;
        offset = std::max(offset, hi);
      }
      b->offset = offset;
      placed.push_back(b);
      arena = std::max(arena, offset + b->bytes);
      naive += b->bytes;
    }

    // 3. Record the plan on the IR.
    OpBuilder builder(function);
    for (auto dispatch : body.getOps<DispatchOp>()) {
      SmallVector<int64_t> offsets;
      for (Value result : dispatch.getResults())
        for (const Buffer &b : buffers)
          if (b.value == result)
            offsets.push_back(b.offset);
      dispatch->setAttr("arena_offsets", builder.getDenseI64ArrayAttr(offsets));
    }
    function->setAttr("tilec.arena_bytes", builder.getI64IntegerAttr(arena));
    function->setAttr("tilec.naive_activation_bytes", builder.getI64IntegerAttr(naive));
  }
};

} // namespace
