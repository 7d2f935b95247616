//===- WorkgroupMemory.cpp - workgroup buffers in one dynamic shared memory ===//
//
// See WorkgroupMemory.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/WorkgroupMemory.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

bool tilec::codegen::isWorkgroupMemRef(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  auto space = memref ? dyn_cast_or_null<gpu::AddressSpaceAttr>(memref.getMemorySpace()) : nullptr;
  return space && space.getValue() == gpu::AddressSpace::Workgroup;
}

int64_t tilec::codegen::placeWorkgroupBuffers(RewriterBase &rewriter, gpu::GPUFuncOp func,
                                              ArrayRef<Operation *> allocs, int64_t align,
                                              SmallVectorImpl<int64_t> &offsets) {
  Block &entry = func.getBody().front();
  DenseMap<Operation *, unsigned> order;
  unsigned position = 0;
  for (Operation &op : entry)
    order[&op] = position++;
  // [first, last] top-level positions of each buffer's uses (through views).
  struct Range {
    unsigned first = ~0u, last = 0;
    bool known = true;
  };
  SmallVector<Range> ranges(allocs.size());
  for (auto [i, alloc] : llvm::enumerate(allocs)) {
    Range &r = ranges[i];
    r.known = alloc->getBlock() == &entry;
    SmallVector<Value> worklist = {alloc->getResult(0)};
    while (!worklist.empty() && r.known) {
      for (Operation *user : worklist.pop_back_val().getUsers()) {
        if (isa<memref::DeallocOp>(user))
          continue;
        // A view alone touches nothing; what else passes the buffer on (a
        // cast, a loop's result) is followed too; an op that takes it and
        // neither accesses it nor passes it on as a memref (its address as
        // an integer) makes its lifetime unknown.
        bool passesOn = user->getNumResults() > 0 &&
                        llvm::all_of(user->getResultTypes(),
                                     [](Type t) { return isa<BaseMemRefType>(t); });
        if (passesOn)
          for (Value v : user->getResults())
            worklist.push_back(v);
        if (isa<ViewLikeOpInterface>(user))
          continue;
        bool accesses = false;
        if (auto effects = dyn_cast<MemoryEffectOpInterface>(user)) {
          SmallVector<MemoryEffects::EffectInstance> list;
          effects.getEffects(list);
          accesses = llvm::any_of(list, [](MemoryEffects::EffectInstance &e) {
            return isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect());
          });
        }
        if (!passesOn && user->getNumResults() > 0 && !accesses && user->getNumRegions() == 0) {
          r.known = false;
          break;
        }
        Operation *at = entry.findAncestorOpInBlock(*user);
        if (!at) {
          r.known = false;
          break;
        }
        r.first = std::min(r.first, order[at]);
        r.last = std::max(r.last, order[at]);
      }
    }
    r.known &= r.first <= r.last;
  }
  SmallVector<Operation *> ops;
  for (Operation &op : entry)
    ops.push_back(&op);
  bool asyncCopies = false;
  func.walk([&](NVVM::CpAsyncCommitGroupOp) { asyncCopies = true; });
  // A barrier between two top-level positions, after a wait for every
  // asynchronous copy where the kernel has them.
  auto barrierBetween = [&](unsigned after, unsigned before) {
    bool drained = !asyncCopies;
    for (unsigned p = after + 1; p < before; ++p) {
      auto wait = dyn_cast<NVVM::CpAsyncWaitGroupOp>(ops[p]);
      drained |= wait && wait.getN() == 0;
      if (drained && isa<gpu::BarrierOp>(ops[p]))
        return true;
    }
    return false;
  };
  offsets.assign(allocs.size(), 0);
  SmallVector<int64_t> sizes;
  for (Operation *alloc : allocs) {
    auto type = cast<MemRefType>(alloc->getResult(0).getType());
    sizes.push_back(llvm::alignTo(type.getNumElements() * type.getElementTypeBitWidth() / 8, align));
  }
  SmallVector<unsigned> needBarrier; // positions to put a barrier before
  int64_t total = 0;
  for (size_t i = 0; i < allocs.size(); ++i) {
    // Whether buffer j (placed already) may share bytes with this one: both
    // lifetimes known, one over before the other begins.
    auto shares = [&](size_t j) {
      return ranges[i].known && ranges[j].known &&
             (ranges[j].last < ranges[i].first || ranges[i].last < ranges[j].first);
    };
    int64_t offset = 0;
    for (bool moved = true; moved;) {
      moved = false;
      for (size_t j = 0; j < i; ++j)
        if (!shares(j) && offset < offsets[j] + sizes[j] && offsets[j] < offset + sizes[i]) {
          offset = offsets[j] + sizes[j];
          moved = true;
        }
    }
    offsets[i] = offset;
    total = std::max(total, offset + sizes[i]);
    for (size_t j = 0; j < i; ++j) {
      if (!shares(j) || offset >= offsets[j] + sizes[j] || offsets[j] >= offset + sizes[i])
        continue;
      const Range &early = ranges[j].last < ranges[i].first ? ranges[j] : ranges[i];
      const Range &late = &early == &ranges[j] ? ranges[i] : ranges[j];
      if (!barrierBetween(early.last, late.first))
        needBarrier.push_back(late.first);
    }
  }
  llvm::sort(needBarrier);
  needBarrier.erase(std::unique(needBarrier.begin(), needBarrier.end()), needBarrier.end());
  for (unsigned p : needBarrier) {
    rewriter.setInsertionPoint(ops[p]);
    if (asyncCopies)
      rewriter.create<NVVM::CpAsyncWaitGroupOp>(ops[p]->getLoc(), rewriter.getI32IntegerAttr(0));
    rewriter.create<gpu::BarrierOp>(ops[p]->getLoc());
  }
  return total;
}
