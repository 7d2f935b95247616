//===- LaneFragments.cpp - warp accumulators as per-lane registers -------===//
//
// See LaneFragments.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/LaneFragments.h"
#include "codegen/gpu/TensorCores.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace tilec::codegen;
using namespace tilec::codegen::detail;

/// The memref indices of one vector element: the transfer's `base` indices
/// plus the element's vector coordinates `vec` (affine in the lane id) placed
/// by the transfer's permutation map (a minor identity or a transpose).
SmallVector<Value> tilec::codegen::detail::laneIndices(RewriterBase &rw, Location loc, Value lane, ValueRange base,
                               AffineMap perm, ArrayRef<AffineExpr> vec) {
  MLIRContext *ctx = rw.getContext();
  SmallVector<Value> indices(base);
  for (unsigned r = 0; r < perm.getNumResults(); ++r) {
    unsigned memDim = perm.getDimPosition(r);
    // add(lane, base) = base + coordinate(lane)
    AffineMap add = AffineMap::get(2, 0, getAffineDimExpr(1, ctx) + vec[r], ctx);
    indices[memDim] = rw.create<affine::AffineApplyOp>(loc, add, ValueRange{lane, indices[memDim]});
  }
  return indices;
}


vector::ContractionOp FragmentLowering::contractionOf(Value v) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (auto c = dyn_cast<vector::ContractionOp>(user); c && isWarpContraction(c))
      return c;
    if (auto loop = dyn_cast<scf::ForOp>(user)) {
      unsigned i = use.getOperandNumber() - loop.getNumControlOperands();
      if (auto c = contractionOf(loop.getRegionIterArgs()[i]))
        return c;
    }
  }
  return nullptr;
}

LogicalResult FragmentLowering::block(Block &b) {
  for (Operation &op : llvm::make_early_inc_range(b)) {
    if (failed(one(&op)))
      return failure();
  }
  return success();
}

Value FragmentLowering::fragmentOf(Value v, Operation *user) {
  if (Value f = fragment.lookup(v))
    return f;
  // A splat accumulator (zeros: GpuBackend's seedZeroAccumulators) is the
  // same splat in each of the lane's values.
  DenseElementsAttr splatValue;
  if (matchPattern(v, m_Constant(&splatValue)) && splatValue.isSplat()) {
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointAfter(v.getDefiningOp());
    Value f = splat(v.getLoc(), v.getType(), splatValue.getSplatValue<Attribute>());
    fragment[v] = f;
    return f;
  }
  user->emitError(instruction + " lowering: an accumulator with an unexpected producer");
  return nullptr;
}

LogicalResult FragmentLowering::one(Operation *op) {
  Location loc = op->getLoc();
  bool handled = false;
  if (failed(other(op, handled)))
    return failure();
  if (handled)
    return success();
  if (auto read = dyn_cast<vector::TransferReadOp>(op)) {
    if (!isAccumulator(read.getVectorType()))
      return success();
    vector::ContractionOp c = contractionOf(read.getResult());
    if (!c)
      return read.emitError(instruction + " lowering: an accumulator read with no contraction");
    rw.setInsertionPoint(read);
    fragment[read.getResult()] = loadAccumulator(read, c);
    dead.push_back(read);
    return success();
  }
  if (auto c = dyn_cast<vector::ContractionOp>(op)) {
    if (!isWarpContraction(c))
      return success();
    auto lhs = c.getLhs().getDefiningOp<vector::TransferReadOp>();
    auto rhs = c.getRhs().getDefiningOp<vector::TransferReadOp>();
    if (!lhs || !rhs)
      return c.emitError(instruction + " lowering: operands not read from memory");
    rw.setInsertionPoint(c);
    Value acc = fragmentOf(c.getAcc(), c);
    if (!acc)
      return failure();
    FailureOr<Value> result = contract(c, acc);
    if (failed(result))
      return failure();
    fragment[c.getResult()] = *result;
    dead.push_back(c);
    for (Operation *read : {lhs.getOperation(), rhs.getOperation()})
      if (llvm::all_of(read->getUsers(), [&](Operation *u) { return u == c; }))
        dead.push_back(read);
    return success();
  }
  if (auto write = dyn_cast<vector::TransferWriteOp>(op)) {
    if (!isAccumulator(write.getVectorType()))
      return success();
    Value f = fragmentOf(write.getVector(), write);
    if (!f)
      return failure();
    rw.setInsertionPoint(write);
    if (failed(storeAccumulator(write, f)))
      return write.emitError(instruction + " lowering: an accumulator write of unexpected layout");
    dead.push_back(write);
    return success();
  }
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    SmallVector<unsigned> carried;
    for (auto [i, arg] : llvm::enumerate(loop.getRegionIterArgs()))
      if (isAccumulator(arg.getType()))
        carried.push_back(i);
    if (carried.empty())
      return block(*loop.getBody());
    SmallVector<Value> inits(loop.getInitArgs());
    for (unsigned i : carried) {
      inits[i] = fragmentOf(inits[i], loop);
      if (!inits[i])
        return failure();
    }
    rw.setInsertionPoint(loop);
    auto newLoop = rw.create<scf::ForOp>(loc, loop.getLowerBound(), loop.getUpperBound(),
                                         loop.getStep(), inits);
    newLoop->setDiscardableAttrs(loop->getDiscardableAttrDictionary());
    Block *body = newLoop.getBody();
    if (!body->empty())
      rw.eraseOp(body->getTerminator());
    body->getOperations().splice(body->end(), loop.getBody()->getOperations());
    rw.replaceAllUsesWith(loop.getInductionVar(), newLoop.getInductionVar());
    for (auto [i, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
      if (llvm::is_contained(carried, i)) {
        fragment[arg] = newLoop.getRegionIterArgs()[i];
        // Old uses (contractions, yields) look the fragment up.
      } else {
        rw.replaceAllUsesWith(arg, newLoop.getRegionIterArgs()[i]);
      }
    }
    if (failed(block(*body)))
      return failure();
    auto yield = cast<scf::YieldOp>(body->getTerminator());
    SmallVector<Value> yields(yield.getOperands());
    for (unsigned i : carried) {
      yields[i] = fragmentOf(yields[i], yield);
      if (!yields[i])
        return failure();
    }
    rw.setInsertionPoint(yield);
    rw.replaceOpWithNewOp<scf::YieldOp>(yield, yields);
    for (auto [i, result] : llvm::enumerate(loop.getResults())) {
      if (llvm::is_contained(carried, i))
        fragment[result] = newLoop.getResult(i);
      else
        rw.replaceAllUsesWith(result, newLoop.getResult(i));
    }
    dead.push_back(loop);
    return success();
  }
  for (Region &region : op->getRegions())
    for (Block &b : region)
      if (failed(block(b)))
        return failure();
  return success();
}

LogicalResult FragmentLowering::run(gpu::GPUFuncOp func) {
  if (failed(block(func.getBody().front())))
    return failure();
  for (Operation *op : llvm::reverse(dead)) {
    for (Value r : op->getResults())
      if (!r.use_empty()) {
        // Old yields inside moved loop bodies were replaced; anything else
        // still using an old accumulator is unexpected.
        for (Operation *user : r.getUsers())
          if (!llvm::is_contained(dead, user))
            return user->emitError(instruction +
                                   " lowering: an accumulator used by an unexpected op");
      }
  }
  // The replaced ops refer to each other (old loops' block arguments are
  // still used by ops moved into the new loops until those go too): every
  // reference dropped first, then all erased.
  SetVector<Operation *> erased(dead.begin(), dead.end());
  for (Operation *op : erased) {
    op->dropAllUses();
    op->dropAllReferences();
  }
  for (Operation *op : erased)
    for (Region &region : op->getRegions())
      for (Block &b : region)
        for (BlockArgument arg : b.getArguments())
          arg.dropAllUses();
  for (Operation *op : erased)
    rw.eraseOp(op);
  // Operand reads the instructions replaced (shared by several contractions).
  SmallVector<Operation *> reads;
  func.walk([&](vector::TransferReadOp r) {
    if (r->use_empty())
      reads.push_back(r);
  });
  for (Operation *r : reads)
    rw.eraseOp(r);
  if (hasWarpContractions(func))
    return func.emitError("a warp contraction was left after the " + instruction +
                          " conversion");
  return success();
}
