//===- Pipeline.cpp - staged reduction blocks as a software pipeline ------===//
//
// See Pipeline.h. pipelineStagedLoops works on bufferized kernels whose
// thread loops are still scf.forall (shared by the GPU targets and the simt
// CPU target, so that the conformance suite checks the pipeline's indexing
// on the CPU); asyncStageCopies is the CUDA-only half.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/WorkgroupMemory.h"

#include "codegen/common/LowerToLinalg.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace tilec::codegen;

namespace {

/// The buffer `v` is a view of (through subviews and casts).
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    v = view.getViewSource();
  }
  return v;
}

/// The buffers `scope` reads and writes, except those it allocates itself
/// (a thread's private temporaries); false when an op's effects are unknown.
bool collectAccesses(Operation *scope, SetVector<Value> &reads, SetVector<Value> &writes) {
  bool known = true;
  scope->walk([&](Operation *op) {
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return;
    auto iface = dyn_cast<MemoryEffectOpInterface>(op);
    if (!iface) {
      known = false;
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (MemoryEffects::EffectInstance &e : effects) {
      bool read = isa<MemoryEffects::Read>(e.getEffect());
      bool write = isa<MemoryEffects::Write>(e.getEffect());
      if (!read && !write)
        continue;
      Value v = e.getValue();
      if (!v) {
        known = false;
        continue;
      }
      Value root = rootOf(v);
      if (Operation *def = root.getDefiningOp(); def && scope->isAncestor(def))
        continue;
      (read ? reads : writes).insert(root);
    }
  });
  return known;
}

/// Whether `v` (a buffer or a view of one) is accessed inside `scope`,
/// directly or through views.
bool usedInside(Value v, Operation *scope) {
  for (Operation *user : v.getUsers()) {
    if (scope->isAncestor(user))
      return true;
    if (auto view = dyn_cast<memref::SubViewOp>(user))
      if (usedInside(view.getResult(), scope))
        return true;
  }
  return false;
}

/// Makes the accesses inside `scope` of `old` (a staged buffer or a view of
/// it) use `repl` (the same view of one buffer of the multi-buffered
/// allocation): views of `old` are rebuilt on `repl`, just before `scope`
/// when they were taken outside it, in place inside it (their layouts
/// change: the buffer's offset is no longer static).
void redirect(RewriterBase &rewriter, Value old, Value repl, Operation *scope) {
  for (OpOperand &use : llvm::make_early_inc_range(old.getUses())) {
    Operation *user = use.getOwner();
    bool inside = scope->isAncestor(user);
    auto view = dyn_cast<memref::SubViewOp>(user);
    if (!view) {
      if (inside)
        rewriter.modifyOpInPlace(user, [&] { use.set(repl); });
      continue;
    }
    if (!inside && !usedInside(view.getResult(), scope))
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(inside ? user : scope);
    auto type = cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
        view.getType().getShape(), cast<MemRefType>(repl.getType()), view.getMixedOffsets(),
        view.getMixedSizes(), view.getMixedStrides()));
    Value rebuilt = rewriter.create<memref::SubViewOp>(
        view.getLoc(), type, repl, view.getMixedOffsets(), view.getMixedSizes(),
        view.getMixedStrides());
    redirect(rewriter, view.getResult(), rebuilt, scope);
    if (inside)
      rewriter.eraseOp(view);
  }
}

/// Buffer `slot` of a multi-buffered allocation [S, shape...], as a view of
/// `shape`.
Value slotView(OpBuilder &b, Location loc, Value multi, OpFoldResult slot) {
  auto type = cast<MemRefType>(multi.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
      strides(rank, b.getIndexAttr(1));
  offsets[0] = slot;
  sizes.push_back(b.getIndexAttr(1));
  for (int64_t d : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(d));
  auto view = cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
      type.getShape().drop_front(), type, offsets, sizes, strides));
  return b.create<memref::SubViewOp>(loc, view, multi, offsets, sizes, strides);
}

/// A staged reduction loop: thread loops that copy operand blocks into
/// workgroup buffers, then thread loops that compute on them.
struct StagedLoop {
  scf::ForOp loop;
  SmallVector<scf::ForallOp> copies, computes;
  SmallVector<Operation *> buffers; // memref.alloc / alloca outside the loop
  int64_t lower = 0, step = 1, trips = 0;
};

/// Whether every use of `v` (a staged buffer or a view of it) outside the
/// thread loops of `loop` is a subview taken outside the loop or a dealloc:
/// the accesses to rebuild per buffer are all inside thread loops.
bool viewsOnlyOutside(Value v, scf::ForOp loop) {
  for (Operation *user : v.getUsers()) {
    if (auto view = dyn_cast<memref::SubViewOp>(user)) {
      if (loop->isAncestor(user) && user->getParentOp() == loop)
        return false;
      if (!viewsOnlyOutside(view.getResult(), loop))
        return false;
    } else if (isa<ViewLikeOpInterface>(user)) {
      return false;
    } else if (!loop->isAncestor(user) && !isa<memref::DeallocOp>(user)) {
      return false;
    } else if (loop->isAncestor(user) && user->getParentOp() == loop) {
      return false;
    }
  }
  return true;
}

FailureOr<StagedLoop> matchStagedLoop(scf::ForOp loop, std::string &why) {
  StagedLoop m;
  m.loop = loop;
  SmallVector<scf::ForallOp> foralls;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto forall = dyn_cast<scf::ForallOp>(op))
      foralls.push_back(forall);
    else if (!isMemoryEffectFree(&op))
      return why = "the reduction loop does work outside its thread loops", failure();
  }
  if (foralls.size() < 2)
    return why = "the reduction loop has no copy and compute thread loops", failure();
  SmallVector<SetVector<Value>> reads(foralls.size()), writes(foralls.size());
  for (size_t i = 0; i < foralls.size(); ++i)
    if (!collectAccesses(foralls[i], reads[i], writes[i]))
      return why = "a thread loop has accesses of unknown effect", failure();
  // Staged: allocations outside the loop written by one thread loop and read
  // by a later one.
  SetVector<Value> staged;
  for (size_t i = 0; i < foralls.size(); ++i)
    for (Value w : writes[i]) {
      Operation *def = w.getDefiningOp();
      if (!isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(def) || loop->isAncestor(def))
        continue;
      for (size_t j = i + 1; j < foralls.size(); ++j)
        if (reads[j].contains(w))
          staged.insert(w);
    }
  if (staged.empty())
    return why = "no workgroup buffer is written and then read in the loop", failure();
  SetVector<Value> copyReads, computeWrites;
  for (size_t i = 0; i < foralls.size(); ++i) {
    bool copy = !writes[i].empty() && llvm::all_of(writes[i], [&](Value w) {
      return staged.contains(w);
    }) && llvm::none_of(reads[i], [&](Value r) { return staged.contains(r); });
    if (copy && !m.computes.empty())
      return why = "a copy into a staged buffer follows a compute thread loop", failure();
    (copy ? m.copies : m.computes).push_back(foralls[i]);
    (copy ? copyReads : computeWrites).insert((copy ? reads[i] : writes[i]).begin(),
                                              (copy ? reads[i] : writes[i]).end());
  }
  if (m.copies.empty() || m.computes.empty())
    return why = "no copy or no compute thread loop", failure();
  for (Value w : computeWrites)
    if (staged.contains(w) || copyReads.contains(w))
      return why = "a compute thread loop writes what the copies read", failure();
  for (Value b : staged) {
    auto type = cast<MemRefType>(b.getType());
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() || !viewsOnlyOutside(b, loop))
      return why = "a staged buffer is not a static allocation seen through subviews", failure();
    m.buffers.push_back(b.getDefiningOp());
  }
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lower || !upper || !step || *step <= 0)
    return why = "the reduction loop's bounds are not static", failure();
  m.lower = *lower;
  m.step = *step;
  m.trips = llvm::divideCeil(*upper - *lower, *step);
  return m;
}

/// The ops of the loop body that the copies use (index arithmetic, views of
/// the operands), in order.
SmallVector<Operation *> copyDependencies(StagedLoop m) {
  Block *body = m.loop.getBody();
  SetVector<Operation *> deps;
  SmallVector<Value> worklist;
  for (scf::ForallOp copy : m.copies) {
    SetVector<Value> above;
    getUsedValuesDefinedAbove(copy->getRegions(), above);
    worklist.append(above.begin(), above.end());
    worklist.append(copy->getOperands().begin(), copy->getOperands().end());
  }
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != body || !deps.insert(def))
      continue;
    worklist.append(def->getOperands().begin(), def->getOperands().end());
    SetVector<Value> above;
    getUsedValuesDefinedAbove(def->getRegions(), above);
    worklist.append(above.begin(), above.end());
  }
  SmallVector<Operation *> ordered;
  for (Operation &op : *body)
    if (deps.contains(&op))
      ordered.push_back(&op);
  return ordered;
}

/// Clones the copies (and what they use of the loop body) at the builder's
/// insertion point for the block starting at `iv`, writing buffer `slot` of
/// each multi-buffered allocation; marks them with `group`.
void cloneCopies(IRRewriter &rewriter, StagedLoop &m, ArrayRef<Operation *> deps,
                 ArrayRef<Value> multi, Value iv, OpFoldResult slot, int64_t group) {
  IRMapping mapping;
  mapping.map(m.loop.getInductionVar(), iv);
  for (Operation *op : deps)
    rewriter.clone(*op, mapping);
  for (scf::ForallOp copy : m.copies) {
    Operation *clone = rewriter.clone(*copy, mapping);
    clone->setAttr(kStageCopyAttr, rewriter.getI64IntegerAttr(group));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(clone);
    for (auto [buffer, all] : llvm::zip(m.buffers, multi))
      redirect(rewriter, buffer->getResult(0), slotView(rewriter, clone->getLoc(), all, slot),
               clone);
  }
}

void pipeline(StagedLoop &m, int64_t stages, int64_t inFlight) {
  scf::ForOp loop = m.loop;
  IRRewriter rewriter(loop.getContext());
  Location loc = loop.getLoc();
  // 1. S buffers per staged operand: [S, shape...].
  SmallVector<Value> multi;
  for (Operation *buffer : m.buffers) {
    auto type = cast<MemRefType>(buffer->getResult(0).getType());
    SmallVector<int64_t> shape = {stages};
    llvm::append_range(shape, type.getShape());
    rewriter.setInsertionPoint(buffer);
    OperationState state(buffer->getLoc(), buffer->getName());
    state.addTypes(MemRefType::get(shape, type.getElementType(), MemRefLayoutAttrInterface(),
                                   type.getMemorySpace()));
    state.addAttributes(buffer->getAttrs());
    multi.push_back(rewriter.create(state)->getResult(0));
  }
  SmallVector<Operation *> deps = copyDependencies(m);
  // 2. Prologue: blocks 0 .. S-2-N into buffers 0 .. S-2-N (N: the steps
  //    whose buffers are still read when a step ends, Pipeline.h).
  int64_t ahead = stages - 1 - inFlight;
  rewriter.setInsertionPoint(loop);
  for (int64_t j = 0; j < ahead; ++j) {
    Value iv = rewriter.create<arith::ConstantIndexOp>(loc, m.lower + j * m.step);
    cloneCopies(rewriter, m, deps, multi, iv, rewriter.getIndexAttr(j), j);
  }
  // 3. Step i computes on buffer i % S, then copies block i + S - 1 - N
  //    (when there is one) into buffer (i + S - 1 - N) % S.
  Value iv = loop.getInductionVar();
  rewriter.setInsertionPointToStart(loop.getBody());
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  AffineExpr index = (d0 - m.lower).floorDiv(m.step);
  Value readSlot = rewriter.create<affine::AffineApplyOp>(loc, index % stages, iv);
  Value writeSlot = rewriter.create<affine::AffineApplyOp>(loc, (index + ahead) % stages, iv);
  for (scf::ForallOp compute : m.computes) {
    rewriter.setInsertionPoint(compute);
    for (auto [buffer, all] : llvm::zip(m.buffers, multi))
      redirect(rewriter, buffer->getResult(0), slotView(rewriter, compute.getLoc(), all, readSlot),
               compute);
  }
  rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  Value next = rewriter.create<arith::AddIOp>(
      loc, iv, rewriter.create<arith::ConstantIndexOp>(loc, ahead * m.step));
  Value more = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, next,
                                              loop.getUpperBound());
  auto guard = rewriter.create<scf::IfOp>(loc, more, /*withElseRegion=*/false);
  rewriter.setInsertionPoint(guard.thenBlock()->getTerminator());
  cloneCopies(rewriter, m, deps, multi, next, writeSlot, -1);
  // 4. The original copies, what only they used, and the single buffers go.
  for (scf::ForallOp copy : m.copies)
    rewriter.eraseOp(copy);
  for (Operation *op : llvm::reverse(deps))
    if (isOpTriviallyDead(op))
      rewriter.eraseOp(op);
  for (auto [buffer, all] : llvm::zip(m.buffers, multi)) {
    SmallVector<Operation *> views;
    std::function<void(Value)> collect = [&](Value v) {
      for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
        if (isa<memref::DeallocOp>(use.getOwner()))
          rewriter.modifyOpInPlace(use.getOwner(), [&, all = all] { use.set(all); });
        else if (auto view = dyn_cast<memref::SubViewOp>(use.getOwner()))
          views.push_back(view), collect(view.getResult());
      }
    };
    collect(buffer->getResult(0));
    for (Operation *view : llvm::reverse(views))
      rewriter.eraseOp(view);
    rewriter.eraseOp(buffer);
  }
  loop->setAttr(kPipelinedLoopAttr, rewriter.getI64IntegerAttr(stages));
  if (inFlight > 0)
    loop->setAttr(kPipelineInFlightAttr, rewriter.getI64IntegerAttr(inFlight));
}

/// Whether a row of `type` (identity layout, static) starts on a multiple
/// of `bytes` whenever the buffer does.
bool rowsAligned(MemRefType type, int64_t bytes) {
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  return type.hasStaticShape() && type.getLayout().isIdentity() &&
         (type.getRank() == 1 || type.getShape().back() * elementBytes % bytes == 0);
}

/// A copy thread's `transfer_write (bitcast? (transfer_read %arg[..]))` of
/// one vector into workgroup memory, as one cp.async; false (unchanged)
/// where it is not such a copy.
bool makeAsync(IRRewriter &rewriter, vector::TransferWriteOp write, func::FuncOp kernel,
               DenseMap<Value, Value> &retyped) {
  auto dst = cast<MemRefType>(write.getSource().getType());
  VectorType vector = write.getVectorType();
  Value value = write.getVector();
  auto bitcast = value.getDefiningOp<arith::BitcastOp>();
  if (bitcast)
    value = bitcast.getIn();
  // A run that is zero where its condition fails (a window over padding,
  // read at a clamped position): the copy reads 0 bytes then, and cp.async
  // fills the rest of the 16 with zeros.
  auto select = value.getDefiningOp<arith::SelectOp>();
  if (select && (isa<VectorType>(select.getCondition().getType()) || !select->hasOneUse() ||
                 !matchPattern(select.getFalseValue(), m_AnyZeroFloat())))
    return false;
  if (select)
    value = select.getTrueValue();
  auto read = value.getDefiningOp<vector::TransferReadOp>();
  // One contiguous run: [1, ..., 1, n] vectors along the innermost dim.
  auto run = [](VectorType v) {
    return llvm::all_of(v.getShape().drop_back(), [](int64_t d) { return d == 1; });
  };
  auto inBounds = [](VectorTransferOpInterface t) {
    return llvm::all_of(t.getInBoundsValues(), [](bool b) { return b; });
  };
  if (!read || !isWorkgroupMemRef(dst) || !run(vector) || !run(read.getVectorType()) ||
      write.getMask() || read.getMask() || !write.getPermutationMap().isMinorIdentity() ||
      !read.getPermutationMap().isMinorIdentity() || !inBounds(write) || !inBounds(read) ||
      !read->hasOneUse() || (bitcast && !bitcast->hasOneUse()))
    return false;
  auto arg = dyn_cast<BlockArgument>(read.getSource());
  auto src = dyn_cast<MemRefType>(read.getSource().getType());
  int64_t bytes = vector.getNumElements() * vector.getElementTypeBitWidth() / 8;
  if (!arg || arg.getOwner() != &kernel.getBody().front() || !src ||
      (bytes != 4 && bytes != 8 && bytes != 16) || !rowsAligned(src, bytes) ||
      !rowsAligned(dst, bytes) || src.getElementTypeBitWidth() != dst.getElementTypeBitWidth())
    return false;
  Value source = read.getSource();
  if (src.getElementType() != dst.getElementType()) {
    // bf16 operands whose workgroup buffers hold f16 bits (TensorCores.h):
    // the argument seen as the same bits (the cast folds away in the LLVM
    // lowering, where both are the same pointer).
    Value &cast = retyped[source];
    if (!cast) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(&kernel.getBody().front());
      MemRefType bits = MemRefType::get(src.getShape(), dst.getElementType(), src.getLayout(),
                                        src.getMemorySpace());
      cast = rewriter.create<UnrealizedConversionCastOp>(read.getLoc(), bits, source).getResult(0);
    }
    source = cast;
  }
  rewriter.setInsertionPoint(write);
  Value srcElements;
  if (select)
    srcElements = rewriter.create<arith::SelectOp>(
        write.getLoc(), select.getCondition(),
        rewriter.create<arith::ConstantIndexOp>(write.getLoc(), vector.getNumElements()),
        rewriter.create<arith::ConstantIndexOp>(write.getLoc(), 0));
  rewriter.create<nvgpu::DeviceAsyncCopyOp>(
      write.getLoc(), nvgpu::DeviceAsyncTokenType::get(rewriter.getContext()),
      write.getSource(), write.getIndices(), source, read.getIndices(),
      rewriter.getIndexAttr(vector.getNumElements()), srcElements,
      bytes == 16 ? rewriter.getUnitAttr() : UnitAttr()); // .cg: 16-byte copies skip L1
  rewriter.eraseOp(write);
  if (bitcast)
    rewriter.eraseOp(bitcast);
  if (select)
    rewriter.eraseOp(select);
  rewriter.eraseOp(read);
  return true;
}

} // namespace

void tilec::codegen::pipelineStagedLoops(ModuleOp kernels) {
  SmallVector<NamedAttribute> notes;
  for (auto func : kernels.getOps<func::FuncOp>()) {
    auto stages = func->getAttrOfType<IntegerAttr>(kPipelineStagesAttr);
    if (!stages)
      continue;
    SmallVector<scf::ForOp> loops;
    func.walk([&](scf::ForOp loop) {
      if (llvm::any_of(loop.getBody()->getOps<scf::ForallOp>(), [](auto) { return true; }))
        loops.push_back(loop);
    });
    std::string why = "no reduction loop around thread loops";
    bool done = false;
    for (scf::ForOp loop : loops) {
      FailureOr<StagedLoop> m = matchStagedLoop(loop, why);
      if (failed(m))
        continue;
      int64_t s = std::min<int64_t>(stages.getInt(), m->trips);
      auto inFlight = func->getAttrOfType<IntegerAttr>(kPipelineInFlightAttr);
      int64_t n = inFlight ? inFlight.getInt() : 0;
      if (n > 0 && s < n + 2) {
        notes.emplace_back(func.getNameAttr(),
                           StringAttr::get(kernels.getContext(),
                                           "inflight=" + std::to_string(n) + " not applied (" +
                                               std::to_string(s) + " stages)"));
        n = 0;
      }
      if (s > 1)
        pipeline(*m, s, n);
      done = true;
      break;
    }
    if (!done)
      notes.emplace_back(func.getNameAttr(),
                         StringAttr::get(kernels.getContext(),
                                         "stages=" + std::to_string(stages.getInt()) +
                                             " not applied (" + why + "): one buffer per operand"));
    func->removeAttr(kPipelineStagesAttr);
    func->removeAttr(kPipelineInFlightAttr);
  }
  if (!notes.empty())
    kernels->setAttr(kPipelineNotesAttr, DictionaryAttr::get(kernels.getContext(), notes));
}

scf::ForOp tilec::codegen::pipelinedLoop(Operation *scope, int64_t *stages) {
  scf::ForOp loop;
  scope->walk([&](scf::ForOp f) {
    if (f->hasAttr(kPipelinedLoopAttr))
      loop = f;
  });
  if (loop && stages)
    *stages = loop->getAttrOfType<IntegerAttr>(kPipelinedLoopAttr).getInt();
  return loop;
}

int64_t tilec::codegen::asyncStageCopies(func::FuncOp kernel) {
  int64_t stages = 0;
  scf::ForOp loop = pipelinedLoop(kernel, &stages);
  // cp.async needs aligned addresses: the kernel's buffers start on 16 bytes.
  if (!loop || !kernel->hasAttr(kArgsAlignedAttr))
    return 0;
  auto inFlight = loop->getAttrOfType<IntegerAttr>(kPipelineInFlightAttr);
  // Blocks copied ahead of the one computed (Pipeline.h).
  int64_t ahead = stages - 1 - (inFlight ? inFlight.getInt() : 0);
  // The step's copies sit in one scf.if (Pipeline.h's form).
  scf::IfOp guard;
  loop.walk([&](scf::ForallOp copy) {
    if (copy->hasAttr(kStageCopyAttr))
      guard = dyn_cast<scf::IfOp>(copy->getParentOp());
  });
  if (!guard)
    return 0;
  IRRewriter rewriter(kernel.getContext());
  DenseMap<Value, Value> retyped;
  int64_t converted = 0;
  SmallVector<vector::TransferWriteOp> writes;
  kernel.walk([&](scf::ForallOp copy) {
    if (copy->hasAttr(kStageCopyAttr))
      copy.walk([&](vector::TransferWriteOp w) { writes.push_back(w); });
  });
  for (vector::TransferWriteOp w : writes)
    converted += makeAsync(rewriter, w, kernel, retyped);
  if (converted == 0)
    return 0;
  // One commit group per block: after the last copy loop of each prologue
  // block, and after the step's (guarded) copies; the groups are counted
  // per thread, so every thread commits every group, empty or not. (NVVM's
  // commit and wait ops: nvgpu's want the copies' tokens, which the guarded
  // copies' region does not let out.)
  Location loc = loop.getLoc();
  auto commit = [&](Operation *after) {
    rewriter.setInsertionPointAfter(after);
    rewriter.create<NVVM::CpAsyncCommitGroupOp>(loc);
  };
  SmallVector<Operation *> groupEnds(ahead, nullptr);
  for (Operation &op : *loop->getBlock())
    if (auto mark = op.getAttrOfType<IntegerAttr>(kStageCopyAttr))
      groupEnds[mark.getInt()] = &op;
  for (Operation *end : groupEnds)
    commit(end);
  commit(guard);
  // Step i needs block i: of the A + i groups committed before it (A blocks
  // ahead), all but the newest A - 1.
  rewriter.setInsertionPointToStart(loop.getBody());
  rewriter.create<NVVM::CpAsyncWaitGroupOp>(loc, rewriter.getI32IntegerAttr(ahead - 1));
  rewriter.setInsertionPointAfter(loop);
  rewriter.create<NVVM::CpAsyncWaitGroupOp>(loc, rewriter.getI32IntegerAttr(0));
  return converted;
}
