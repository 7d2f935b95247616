//===- Workgroups.cpp - a scheduled kernel's workgroup loop as ids --------===//
//
// outlineWorkgroups, forallTripCounts and inlineForall (ApplySchedule.h):
// after bufferization the workgroup `scf.forall` becomes the body of one
// workgroup, indexed by the workgroup id (CPU: an argument; GPU: the block
// id), and thread loops likewise by thread ids (GpuBackend).
//
//===----------------------------------------------------------------------===//

#include "codegen/common/ApplySchedule.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace tilec::codegen;

namespace {

/// The buffer a (sub)view looks into.
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

} // namespace

FailureOr<int64_t> tilec::codegen::outlineWorkgroups(func::FuncOp kernel) {
  Location loc = kernel.getLoc();
  Block &entry = kernel.getBody().front();
  IndexType indexType = IndexType::get(kernel.getContext());
  (void)kernel.insertArgument(kernel.getNumArguments(), indexType, {}, loc);
  Value wg = entry.getArguments().back();
  SmallVector<scf::ForallOp> foralls;
  for (Operation &op : entry)
    if (auto f = dyn_cast<scf::ForallOp>(op))
      foralls.push_back(f);
  if (foralls.empty())
    return 1;
  IRRewriter rewriter(kernel.getContext());
  // Every workgroup runs the whole function body, so anything outside the
  // workgroup loop must be private to the call (a padded copy, a constant).
  // A write to an argument buffer there (a copy-out bufferization could not
  // avoid) would race: then the loop runs sequentially as one workgroup.
  bool shared = foralls.size() > 1;
  for (Operation &op : entry) {
    if (isa<scf::ForallOp>(op))
      continue;
    op.walk([&](Operation *inner) {
      auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
      if (!effects)
        return;
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      for (auto &e : list)
        if (isa<MemoryEffects::Write>(e.getEffect()) && e.getValue() &&
            llvm::is_contained(entry.getArguments(), rootBuffer(e.getValue())))
          shared = true;
    });
  }
  for (scf::ForallOp forall : foralls)
    if (!forallTripCounts(forall))
      return kernel.emitError("internal error: workgroup loop has dynamic bounds");
  if (shared) {
    for (scf::ForallOp forall : foralls)
      if (failed(scf::forallToForLoop(rewriter, forall)))
        return kernel.emitError("internal error: cannot serialize the workgroup loop");
    return 1;
  }
  int64_t grid = 1;
  for (int64_t trips : *forallTripCounts(foralls.front()))
    grid *= trips;
  auto group = kernel->getAttrOfType<IntegerAttr>(kBlockGroupAttr);
  inlineForall(rewriter, foralls.front(), wg, group ? group.getInt() : 1);
  return grid;
}

std::optional<SmallVector<int64_t>> tilec::codegen::forallTripCounts(scf::ForallOp forall) {
  SmallVector<int64_t> trips;
  for (auto [lb, ub, step] :
       llvm::zip(forall.getMixedLowerBound(), forall.getMixedUpperBound(), forall.getMixedStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s)
      return std::nullopt;
    trips.push_back((*u - *l + *s - 1) / *s);
  }
  return trips;
}

void tilec::codegen::inlineForall(RewriterBase &rewriter, scf::ForallOp forall, Value linear,
                                  int64_t rowGroup) {
  Location loc = forall.getLoc();
  rewriter.setInsertionPoint(forall);
  SmallVector<int64_t> trips = *forallTripCounts(forall);
  auto lbs = forall.getMixedLowerBound(), steps = forall.getMixedStep();
  SmallVector<Value> ivs(forall.getRank());
  auto constant = [&](int64_t v) { return rewriter.create<arith::ConstantIndexOp>(loc, v); };
  int64_t rank = forall.getRank();
  if (rowGroup > 1 && rank >= 2 && trips[rank - 2] > rowGroup && trips[rank - 1] > 1) {
    // Groups of G rows of blocks (the last group may have fewer), each
    // walked down its rows first: within the grid's batch entry `l`,
    //   group = l / (G C), first = G group, rows = min(R - first, G),
    //   at = l mod (G C): row first + at mod rows, column at / rows,
    // renumbered row-major for the delinearization below.
    int64_t r = trips[rank - 2], c = trips[rank - 1];
    Value perBatch = constant(r * c), width = constant(rowGroup * c);
    Value batch = rewriter.create<arith::DivUIOp>(loc, linear, perBatch);
    Value l = rewriter.create<arith::RemUIOp>(loc, linear, perBatch);
    Value first = rewriter.create<arith::MulIOp>(
        loc, rewriter.create<arith::DivUIOp>(loc, l, width), constant(rowGroup));
    // (All groups whole where G divides R: the divisions below by a constant.)
    Value rows = r % rowGroup == 0
                     ? constant(rowGroup).getResult()
                     : rewriter.create<arith::MinUIOp>(
                           loc, rewriter.create<arith::SubIOp>(loc, constant(r), first),
                           constant(rowGroup)).getResult();
    Value at = rewriter.create<arith::RemUIOp>(loc, l, width);
    Value row = rewriter.create<arith::AddIOp>(loc, first,
                                               rewriter.create<arith::RemUIOp>(loc, at, rows));
    Value column = rewriter.create<arith::DivUIOp>(loc, at, rows);
    Value within = rewriter.create<arith::AddIOp>(
        loc, rewriter.create<arith::MulIOp>(loc, row, constant(c)), column);
    linear = rewriter.create<arith::AddIOp>(
        loc, rewriter.create<arith::MulIOp>(loc, batch, perBatch), within);
  }
  // Delinearize row-major (the last loop varies fastest): iv = lb + step * i.
  Value rest = linear;
  for (int64_t i = rank - 1; i >= 0; --i) {
    Value n = constant(trips[i]);
    Value index = rewriter.create<arith::RemUIOp>(loc, rest, n);
    rest = rewriter.create<arith::DivUIOp>(loc, rest, n);
    Value scaled =
        rewriter.create<arith::MulIOp>(loc, index, constant(*getConstantIntValue(steps[i])));
    ivs[i] = rewriter.create<arith::AddIOp>(loc, scaled, constant(*getConstantIntValue(lbs[i])));
  }
  Block *body = forall.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, forall, ivs);
  rewriter.eraseOp(forall);
}
