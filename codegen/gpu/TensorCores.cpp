//===- TensorCores.cpp - warp-wide contractions onto mma.sync -------------===//
//
// See TensorCores.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/TensorCores.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/NVGPU/Transforms/Transforms.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace tilec::codegen;

namespace {

constexpr llvm::StringLiteral kBF16Attr = "tilec.mma_bf16";


vector::ContractionOp warpContractionUser(Value v) {
  for (Operation *user : v.getUsers())
    if (auto c = dyn_cast<vector::ContractionOp>(user); c && isWarpContraction(c))
      return c;
  return nullptr;
}

/// The target's `instruction` (m, n, k: 16x8x16 mma.sync, 16x16x16 MFMA)
/// over a contraction's iteration dims: the accumulator's two dims m and n,
/// reductions k, any other (unit batch) dim 1.
SmallVector<int64_t> instructionShape(vector::ContractionOp c, ArrayRef<int64_t> instruction) {
  SmallVector<int64_t> shape(c.getIteratorTypesArray().size(), 1);
  for (auto [i, type] : llvm::enumerate(c.getIteratorTypesArray()))
    if (type == vector::IteratorType::reduction)
      shape[i] = instruction[2];
  AffineMap acc = c.getIndexingMapsArray()[2];
  unsigned results = acc.getNumResults();
  if (results >= 2) {
    shape[acc.getDimPosition(results - 2)] = instruction[0];
    shape[acc.getDimPosition(results - 1)] = instruction[1];
  }
  return shape;
}

/// The instruction's shape for one operand of `c` (0: A, 1: B, 2: C).
SmallVector<int64_t> operandShape(vector::ContractionOp c, unsigned operand,
                                  ArrayRef<int64_t> instruction) {
  SmallVector<int64_t> full = instructionShape(c, instruction), shape;
  AffineMap map = c.getIndexingMapsArray()[operand];
  for (unsigned r = 0; r < map.getNumResults(); ++r)
    shape.push_back(full[map.getDimPosition(r)]);
  return shape;
}

/// The common shape of the slices every user of `v` extracts (they must be
/// all extract_strided_slice ops of one shape), or nullopt.
std::optional<SmallVector<int64_t>> extractedShape(Value v) {
  std::optional<SmallVector<int64_t>> shape;
  for (Operation *user : v.getUsers()) {
    auto slice = dyn_cast<vector::ExtractStridedSliceOp>(user);
    if (!slice || slice.getType().getRank() != cast<VectorType>(v.getType()).getRank())
      return std::nullopt;
    SmallVector<int64_t> s(slice.getType().getShape());
    if (shape && *shape != s)
      return std::nullopt;
    shape = s;
  }
  return shape;
}

/// A loop-carried vector that the body only uses in slices of one shape and
/// yields rebuilt from slices of that shape (the accumulators of a warp
/// tile, carried across K loops) becomes one loop-carried vector per slice.
/// Returns whether a loop was rewritten.
bool splitCarriedVectors(RewriterBase &rewriter, scf::ForOp loop) {
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (auto [i, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    auto type = dyn_cast<VectorType>(arg.getType());
    std::optional<SmallVector<int64_t>> piece = type ? extractedShape(arg) : std::nullopt;
    if (!piece || !type.hasStaticShape())
      continue;
    // The yielded value: insert_strided_slices of `piece`-shaped values,
    // each slot written once, down to a constant.
    SmallVector<int64_t> counts;
    for (auto [d, p] : llvm::zip(type.getShape(), *piece)) {
      if (d % p != 0)
        counts.clear();
      counts.push_back(d / p);
    }
    if (counts.size() != size_t(type.getRank()))
      continue;
    int64_t slots = 1;
    for (int64_t c : counts)
      slots *= c;
    auto linear = [&](ArrayRef<int64_t> offsets) {
      int64_t l = 0;
      for (auto [o, p, c] : llvm::zip(offsets, *piece, counts))
        l = l * c + o / p;
      return l;
    };
    SmallVector<Value> yielded(slots);
    Value v = yield.getOperand(i);
    bool ok = true;
    while (auto insert = v.getDefiningOp<vector::InsertStridedSliceOp>()) {
      SmallVector<int64_t> offsets = llvm::to_vector(llvm::map_range(
          insert.getOffsets().getAsRange<IntegerAttr>(), [](IntegerAttr a) { return a.getInt(); }));
      if (insert.getSourceVectorType().getShape() != ArrayRef<int64_t>(*piece) ||
          yielded[linear(offsets)]) {
        ok = false;
        break;
      }
      yielded[linear(offsets)] = insert.getSource();
      v = insert.getDest();
    }
    if (!ok || !v.getDefiningOp<arith::ConstantOp>() ||
        llvm::any_of(yielded, [](Value y) { return !y; }))
      continue;
    // Every slice taken inside must be one slot (checked before anything
    // changes).
    bool aligned = llvm::all_of(arg.getUsers(), [&](Operation *user) {
      auto slice = cast<vector::ExtractStridedSliceOp>(user);
      return llvm::all_of(llvm::zip(slice.getOffsets().getAsRange<IntegerAttr>(), *piece),
                          [](auto pair) {
                            return std::get<0>(pair).getInt() % std::get<1>(pair) == 0;
                          });
    });
    if (!aligned)
      continue;
    // Slot s covers offsets delinearize(s) * piece.
    auto offsetsOf = [&](int64_t s) {
      SmallVector<int64_t> offsets(counts.size());
      for (int64_t d = int64_t(counts.size()) - 1; d >= 0; --d) {
        offsets[d] = (s % counts[d]) * (*piece)[d];
        s /= counts[d];
      }
      return offsets;
    };
    SmallVector<int64_t> ones(counts.size(), 1);
    rewriter.setInsertionPoint(loop);
    SmallVector<Value> inits;
    for (int64_t s = 0; s < slots; ++s)
      inits.push_back(rewriter.create<vector::ExtractStridedSliceOp>(
          loop.getLoc(), loop.getInitArgs()[i], offsetsOf(s), *piece, ones));
    // The new loop: the other carried values as they were, then the slices.
    SmallVector<Value> allInits(loop.getInitArgs());
    allInits.append(inits);
    auto newLoop = rewriter.create<scf::ForOp>(loop.getLoc(), loop.getLowerBound(),
                                               loop.getUpperBound(), loop.getStep(), allInits);
    newLoop.getBody()->getOperations().splice(newLoop.getBody()->begin(),
                                              loop.getBody()->getOperations());
    unsigned carried = loop.getNumRegionIterArgs();
    rewriter.replaceAllUsesWith(loop.getInductionVar(), newLoop.getInductionVar());
    for (unsigned j = 0; j < carried; ++j)
      rewriter.replaceAllUsesWith(loop.getRegionIterArgs()[j], newLoop.getRegionIterArgs()[j]);
    // Inside: each slice of the old vector is its slot's loop-carried value.
    for (Operation *user : llvm::make_early_inc_range(newLoop.getRegionIterArgs()[i].getUsers())) {
      auto slice = cast<vector::ExtractStridedSliceOp>(user);
      SmallVector<int64_t> offsets = llvm::to_vector(llvm::map_range(
          slice.getOffsets().getAsRange<IntegerAttr>(), [](IntegerAttr a) { return a.getInt(); }));
      rewriter.replaceOp(slice, newLoop.getRegionIterArgs()[carried + linear(offsets)]);
    }
    SmallVector<Value> yields(yield.getOperands());
    yields.append(yielded);
    rewriter.setInsertionPoint(yield);
    rewriter.replaceOpWithNewOp<scf::YieldOp>(yield, yields);
    // After: the old result rebuilt from the slots (slices of it fold).
    rewriter.setInsertionPointAfter(newLoop);
    Value whole = rewriter.create<arith::ConstantOp>(loop.getLoc(), type,
                                                     rewriter.getZeroAttr(type));
    for (int64_t s = 0; s < slots; ++s)
      whole = rewriter.create<vector::InsertStridedSliceOp>(
          loop.getLoc(), newLoop.getResult(carried + s), whole, offsetsOf(s), ones);
    SmallVector<Value> results(newLoop.getResults().take_front(carried));
    results[i] = whole;
    rewriter.replaceOp(loop, results);
    // The old carried vector (now unused inside) is dropped by the loop's
    // canonicalization afterwards.
    return true;
  }
  return false;
}

/// Reads whose users all take slices of one shape, and writes of values
/// rebuilt from slices, split into reads and writes of that shape.
std::optional<SmallVector<int64_t>> slicedTransferShape(Operation *op) {
  if (auto read = dyn_cast<vector::TransferReadOp>(op))
    return extractedShape(read.getResult());
  if (auto write = dyn_cast<vector::TransferWriteOp>(op))
    if (auto insert = write.getVector().getDefiningOp<vector::InsertStridedSliceOp>())
      return SmallVector<int64_t>(insert.getSourceVectorType().getShape());
  return std::nullopt;
}

std::optional<SmallVector<int64_t>> nativeShape(Operation *op, ArrayRef<int64_t> instruction) {
  if (auto c = dyn_cast<vector::ContractionOp>(op))
    return isWarpContraction(c) ? std::optional(instructionShape(c, instruction)) : std::nullopt;
  if (auto read = dyn_cast<vector::TransferReadOp>(op)) {
    vector::ContractionOp c = warpContractionUser(read.getResult());
    if (!c)
      return std::nullopt;
    unsigned operand = c.getLhs() == read.getResult() ? 0 : c.getRhs() == read.getResult() ? 1 : 2;
    return operandShape(c, operand, instruction);
  }
  if (auto write = dyn_cast<vector::TransferWriteOp>(op)) {
    auto c = write.getVector().getDefiningOp<vector::ContractionOp>();
    if (!c || !isWarpContraction(c))
      return std::nullopt;
    return operandShape(c, 2, instruction);
  }
  return std::nullopt;
}

/// nvgpu.mma.sync on f16-typed fragments that hold bf16 bits, emitted as the
/// bf16 instruction (m16n8k16, f32 accumulators): the A and B registers are
/// the fragments' rows as 32-bit words, C/D four floats in row order (the
/// order NVGPU's own lowering uses for f16).
LogicalResult emitBF16MmaSync(RewriterBase &rewriter, nvgpu::MmaSyncOp mma) {
  Location loc = mma.getLoc();
  auto aType = cast<VectorType>(mma.getMatrixA().getType());
  auto bType = cast<VectorType>(mma.getMatrixB().getType());
  auto cType = cast<VectorType>(mma.getMatrixC().getType());
  SmallVector<int64_t> shape = llvm::to_vector(llvm::map_range(
      mma.getMmaShape().getAsRange<IntegerAttr>(), [](IntegerAttr a) { return a.getInt(); }));
  if (shape != SmallVector<int64_t>{16, 8, 16} || aType.getShape() != ArrayRef<int64_t>{4, 2} ||
      bType.getShape() != ArrayRef<int64_t>{2, 2} || cType.getShape() != ArrayRef<int64_t>{2, 2} ||
      !cType.getElementType().isF32())
    return mma.emitError("bf16 tensor-core operation of an unexpected shape");
  rewriter.setInsertionPoint(mma);
  Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
  SmallVector<Value> args;
  auto words = [&](Value fragment, int64_t rows) {
    for (int64_t r = 0; r < rows; ++r) {
      Value pair = rewriter.create<vector::ExtractOp>(loc, fragment, ArrayRef<int64_t>{r});
      args.push_back(rewriter.create<LLVM::BitcastOp>(loc, i32, pair));
    }
  };
  words(mma.getMatrixA(), 4);
  words(mma.getMatrixB(), 2);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < 2; ++c)
      args.push_back(
          rewriter.create<vector::ExtractOp>(loc, mma.getMatrixC(), ArrayRef<int64_t>{r, c}));
  auto result = LLVM::LLVMStructType::getLiteral(rewriter.getContext(), {f32, f32, f32, f32});
  auto call = rewriter.create<LLVM::CallIntrinsicOp>(
      loc, result, rewriter.getStringAttr("llvm.nvvm.mma.m16n8k16.row.col.bf16"), args,
      LLVM::FastmathFlagsAttr::get(rewriter.getContext(), LLVM::FastmathFlags::none));
  Value d = rewriter.create<arith::ConstantOp>(loc, cType, rewriter.getZeroAttr(cType));
  for (int64_t i = 0; i < 4; ++i) {
    Value v = rewriter.create<LLVM::ExtractValueOp>(loc, call.getResult(0), i);
    d = rewriter.create<vector::InsertOp>(loc, v, d, ArrayRef<int64_t>{i / 2, i % 2});
  }
  rewriter.replaceOp(mma, d);
  return success();
}

} // namespace

bool tilec::codegen::isWarpContraction(vector::ContractionOp c) {
  Type element = getElementTypeOrSelf(c.getLhsType());
  if (element.getIntOrFloatBitWidth() == 16)
    return true;
  auto func = c->getParentOfType<FunctionOpInterface>();
  return element.isF32() && func && func->hasAttr(kTF32MmaAttr);
}

bool tilec::codegen::isBF16MmaKernel(Operation *func) { return func->hasAttr(kBF16Attr); }

void tilec::codegen::markBF16MmaKernel(Operation *func) {
  func->setAttr(kBF16Attr, UnitAttr::get(func->getContext()));
}

bool tilec::codegen::hasWarpContractions(Operation *scope) {
  bool found = false;
  scope->walk([&](vector::ContractionOp c) { found |= isWarpContraction(c); });
  return found;
}

LogicalResult tilec::codegen::retypeBF16Operands(func::FuncOp kernel) {
  // The workgroup buffers read by bf16 warp contractions.
  SetVector<Value> buffers;
  kernel.walk([&](vector::ContractionOp c) {
    if (!isWarpContraction(c) || !getElementTypeOrSelf(c.getLhsType()).isBF16())
      return;
    for (Value operand : {c.getLhs(), c.getRhs()})
      if (auto read = operand.getDefiningOp<vector::TransferReadOp>())
        buffers.insert(read.getSource());
  });
  if (buffers.empty())
    return success();
  IRRewriter rewriter(kernel.getContext());
  Type f16 = rewriter.getF16Type();
  auto asF16 = [&](Type t) -> Type {
    if (auto v = dyn_cast<VectorType>(t))
      return v.clone(f16);
    return f16;
  };
  for (Value buffer : buffers) {
    // Bufferization made them allocas (static, function-local).
    Operation *alloc = buffer.getDefiningOp();
    auto type = dyn_cast<MemRefType>(buffer.getType());
    if (!isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(alloc) || !type.hasStaticShape() ||
        !type.getElementType().isBF16())
      return kernel.emitError("bf16 tensor-core operand not staged in a workgroup buffer");
    rewriter.setInsertionPoint(alloc);
    OperationState state(alloc->getLoc(), alloc->getName());
    state.addTypes(MemRefType::get(type.getShape(), f16, type.getLayout(), type.getMemorySpace()));
    state.addAttributes(alloc->getAttrs());
    state.addOperands(alloc->getOperands());
    Value bits = rewriter.create(state)->getResult(0);
    for (OpOperand &use : llvm::make_early_inc_range(alloc->getUses())) {
      Operation *user = use.getOwner();
      rewriter.setInsertionPoint(user);
      if (auto read = dyn_cast<vector::TransferReadOp>(user)) {
        Value pad = rewriter.create<arith::BitcastOp>(read.getLoc(), f16, read.getPadding());
        auto copy = rewriter.create<vector::TransferReadOp>(
            read.getLoc(), cast<VectorType>(asF16(read.getVectorType())), bits, read.getIndices(),
            read.getPermutationMapAttr(), pad, read.getMask(), read.getInBoundsAttr());
        // Contractions take the bits as they are (mma.sync is told they
        // are bf16); anything else gets them back as bf16.
        Value back = rewriter.create<arith::BitcastOp>(read.getLoc(), read.getVectorType(), copy);
        for (OpOperand &readUse : llvm::make_early_inc_range(read->getUses())) {
          auto c = dyn_cast<vector::ContractionOp>(readUse.getOwner());
          readUse.set(c && isWarpContraction(c) ? copy.getResult() : back);
        }
        rewriter.eraseOp(read);
      } else if (auto write = dyn_cast<vector::TransferWriteOp>(user)) {
        Value v = rewriter.create<arith::BitcastOp>(write.getLoc(), asF16(write.getVectorType()),
                                                    write.getVector());
        rewriter.create<vector::TransferWriteOp>(write.getLoc(), v, bits, write.getIndices(),
                                                 write.getPermutationMapAttr(), write.getMask(),
                                                 write.getInBoundsAttr());
        rewriter.eraseOp(write);
      } else if (auto store = dyn_cast<vector::StoreOp>(user)) {
        Value v = rewriter.create<arith::BitcastOp>(store.getLoc(),
                                                    asF16(store.getValueToStore().getType()),
                                                    store.getValueToStore());
        rewriter.create<vector::StoreOp>(store.getLoc(), v, bits, store.getIndices());
        rewriter.eraseOp(store);
      } else if (auto load = dyn_cast<vector::LoadOp>(user)) {
        Value bitsRead = rewriter.create<vector::LoadOp>(
            load.getLoc(), cast<VectorType>(asF16(load.getVectorType())), bits, load.getIndices());
        rewriter.replaceOpWithNewOp<arith::BitcastOp>(load, load.getVectorType(), bitsRead);
      } else if (auto store = dyn_cast<memref::StoreOp>(user)) {
        Value v = rewriter.create<arith::BitcastOp>(store.getLoc(), f16, store.getValue());
        rewriter.create<memref::StoreOp>(store.getLoc(), v, bits, store.getIndices());
        rewriter.eraseOp(store);
      } else if (auto load = dyn_cast<memref::LoadOp>(user)) {
        Value bitsRead = rewriter.create<memref::LoadOp>(load.getLoc(), bits, load.getIndices());
        rewriter.replaceOpWithNewOp<arith::BitcastOp>(load, load.getType(), bitsRead);
      } else if (isa<memref::DeallocOp>(user)) {
        rewriter.modifyOpInPlace(user, [&] { use.set(bits); });
      } else {
        return user->emitError("unexpected use of a bf16 tensor-core operand buffer");
      }
    }
    rewriter.eraseOp(alloc);
  }
  kernel->setAttr(kBF16Attr, rewriter.getUnitAttr());
  return success();
}

void tilec::codegen::unrollWarpContractions(gpu::GPUFuncOp func,
                                            ArrayRef<int64_t> instruction) {
  MLIRContext *ctx = func.getContext();
  {
    // Unit batch dims (a batched matmul's warp tile) dropped: the conversion
    // takes 2-d operands.
    RewritePatternSet patterns(ctx);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
  }
  // The operands' reads and the result's writes first (their shapes come
  // from the contraction they feed), then the contractions, whose slices of
  // the split reads fold away.
  for (bool contractions : {false, true}) {
    RewritePatternSet patterns(ctx);
    vector::UnrollVectorOptions options;
    // The instruction outlives the patterns: both are local to this call.
    auto shapeOf = [instruction](Operation *op) { return nativeShape(op, instruction); };
    options.setNativeShapeFn(shapeOf);
    options.setFilterConstraint([contractions, shapeOf](Operation *op) {
      return success(isa<vector::ContractionOp>(op) == contractions && shapeOf(op).has_value());
    });
    vector::populateVectorUnrollPatterns(patterns, options);
    vector::InsertStridedSliceOp::getCanonicalizationPatterns(patterns, ctx);
    vector::ExtractStridedSliceOp::getCanonicalizationPatterns(patterns, ctx);
    (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
  }
  // Accumulators carried across the K loops (hoisted on tensors already):
  // one carried value per instruction tile, innermost loops first, then the
  // accumulators' first read and last write split the same way.
  IRRewriter rewriter(ctx);
  for (bool changed = true; changed;) {
    changed = false;
    SmallVector<scf::ForOp> loops;
    func.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // post-order: inner first
    for (scf::ForOp loop : loops)
      if (splitCarriedVectors(rewriter, loop)) {
        changed = true;
        RewritePatternSet patterns(ctx);
        vector::InsertStridedSliceOp::getCanonicalizationPatterns(patterns, ctx);
        vector::ExtractStridedSliceOp::getCanonicalizationPatterns(patterns, ctx);
        scf::ForOp::getCanonicalizationPatterns(patterns, ctx);
        (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
        break;
      }
  }
  RewritePatternSet patterns(ctx);
  vector::UnrollVectorOptions options;
  options.setNativeShapeFn(slicedTransferShape);
  options.setFilterConstraint(
      [](Operation *op) { return success(slicedTransferShape(op).has_value()); });
  vector::populateVectorUnrollPatterns(patterns, options);
  vector::InsertStridedSliceOp::getCanonicalizationPatterns(patterns, ctx);
  vector::ExtractStridedSliceOp::getCanonicalizationPatterns(patterns, ctx);
  (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
}

LogicalResult tilec::codegen::convertWarpContractions(gpu::GPUFuncOp func) {
  MLIRContext *ctx = func.getContext();
  {
    RewritePatternSet patterns(ctx);
    populatePrepareVectorToMMAPatterns(patterns, /*useNvGpu=*/true);
    (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
  }
  IRRewriter rewriter(ctx);
  if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, func)))
    return func.emitError("a warp contraction could not become mma.sync instructions");
  // The conversion leaves the replaced contractions' dead reads behind.
  SmallVector<vector::ContractionOp> contractions;
  func.walk([&](vector::ContractionOp c) { contractions.push_back(c); });
  bool left = false;
  for (vector::ContractionOp c : contractions) {
    if (c->use_empty())
      rewriter.eraseOp(c);
    else
      left |= isWarpContraction(c);
  }
  if (left)
    return func.emitError("a warp contraction was left after the mma.sync conversion");
  if (func->hasAttr(kTF32MmaAttr)) {
    // f32 operands as TF32 (mma.sync.m16n8k8.row.col.f32.tf32.tf32.f32).
    RewritePatternSet patterns(ctx);
    nvgpu::populateMmaSyncF32ToTF32Patterns(patterns, nvgpu::MmaSyncF32Lowering::TF32);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      return func.emitError("f32 mma.sync instructions could not be made TF32 ones");
  }
  if (!func->hasAttr(kBF16Attr))
    return success();
  SmallVector<nvgpu::MmaSyncOp> mmas;
  func.walk([&](nvgpu::MmaSyncOp m) { mmas.push_back(m); });
  for (nvgpu::MmaSyncOp m : mmas)
    if (failed(emitBF16MmaSync(rewriter, m)))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// AMD: MFMA 16x16x16 (bf16: v_mfma_f32_16x16x16bf16_1k, f16: _16x16x16f16)
//===----------------------------------------------------------------------===//

namespace {

/// Where lane `l`'s value `i` (of 4) of an MFMA 16x16x16 operand sits
/// (CDNA's register layout, 64 lanes, AMD's matrix instruction calculator):
///   A (m x k): m = l % 16, k = 4 * (l / 16) + i
///   B (k x n): n = l % 16, k = 4 * (l / 16) + i
///   C, D (m x n): n = l % 16, m = 4 * (l / 16) + i
/// Returned as (m or n, k) for A and B, (m, n) for C, in that order.
std::pair<AffineExpr, AffineExpr> mfmaCoordinates(unsigned operand, AffineExpr lane, int64_t i) {
  AffineExpr across = lane % 16, along = (lane.floorDiv(16)) * 4 + i;
  if (operand == 2)
    return {along, across}; // (m, n)
  return {across, along};   // (m or n, k)
}

/// The memref indices of one vector element: the transfer's `base` indices
/// plus the element's vector coordinates `vec` (affine in the lane id) placed
/// by the transfer's permutation map (a minor identity or a transpose).
SmallVector<Value> laneIndices(RewriterBase &rw, Location loc, Value lane, ValueRange base,
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

/// A contraction-side operand read (`read` feeds `c` as operand 0 or 1, or
/// is an accumulator read, operand 2) as lane `lane`'s 4 values.
Value loadFragment(RewriterBase &rw, vector::TransferReadOp read, vector::ContractionOp c,
                   unsigned operand, Value lane) {
  Location loc = read.getLoc();
  MLIRContext *ctx = rw.getContext();
  // Which vector dim holds which of the operand's two instruction dims:
  // operand map results are iteration dims; A: (m, k), B: (n, k) or (k, n)
  // as the contraction says, C: (m, n).
  AffineMap map = c.getIndexingMapsArray()[operand];
  AffineMap accMap = c.getIndexingMapsArray()[2];
  unsigned m = accMap.getDimPosition(0);
  auto isReduction = [&](unsigned d) {
    return c.getIteratorTypesArray()[d] == vector::IteratorType::reduction;
  };
  AffineExpr l = getAffineDimExpr(0, ctx);
  Type element = read.getVectorType().getElementType();
  AffineMap perm = read.getPermutationMap();
  bool contiguous = true;
  SmallVector<SmallVector<Value>> indicesPerValue;
  for (int64_t i = 0; i < 4; ++i) {
    auto [first, second] = mfmaCoordinates(operand, l, i);
    // Vector coordinates (dim 0, dim 1) of this value.
    SmallVector<AffineExpr, 2> vec(2);
    for (unsigned r = 0; r < 2; ++r) {
      unsigned d = map.getDimPosition(r);
      bool isK = isReduction(d);
      if (operand == 2)
        vec[r] = d == m ? first : second;
      else
        vec[r] = isK ? second : first;
    }
    indicesPerValue.push_back(laneIndices(rw, loc, lane, read.getIndices(), perm, vec));
    // Value i+1 follows value i in memory when the dim that moves with i is
    // the memref's last one.
    unsigned moving = operand == 2 ? (map.getDimPosition(0) == m ? 0 : 1)
                                   : (isReduction(map.getDimPosition(0)) ? 0 : 1);
    contiguous &= perm.getDimPosition(moving) + 1 == cast<MemRefType>(read.getSource().getType()).getRank();
  }
  auto type = VectorType::get({4}, element);
  if (contiguous)
    return rw.create<vector::LoadOp>(loc, type, read.getSource(), indicesPerValue[0]);
  Value v = rw.create<arith::ConstantOp>(loc, type, rw.getZeroAttr(type));
  for (int64_t i = 0; i < 4; ++i) {
    Value x = rw.create<memref::LoadOp>(loc, read.getSource(), indicesPerValue[i]);
    v = rw.create<vector::InsertOp>(loc, x, v, ArrayRef<int64_t>{i});
  }
  return v;
}

/// Lane fragments of warp (or warpgroup) accumulators (after unrolling and
/// splitting: one vector per instruction tile, carried across the K loops),
/// rebuilt op by op: reads become per-lane loads, contractions the
/// instruction, loops carry the fragments, writes become per-lane stores.
/// An instruction gives its accumulator type and the four rewrites.
struct FragmentLowering {
  FragmentLowering(RewriterBase &rw, Value lane, StringRef instruction)
      : rw(rw), lane(lane), instruction(instruction) {}
  virtual ~FragmentLowering() = default;
  RewriterBase &rw;
  Value lane;
  StringRef instruction; ///< for diagnostics ("MFMA", "wgmma")
  DenseMap<Value, Value> fragment; ///< accumulator value -> lane fragment
  SmallVector<Operation *> dead;

  /// Whether `t` is one instruction tile's accumulator vector.
  virtual bool isAccumulator(Type t) = 0;
  /// The fragment of a splat accumulator (at the insertion point).
  virtual Value splat(Location loc, Attribute element) = 0;
  /// An accumulator read of `c`'s tile, as the lane's fragment.
  virtual Value loadAccumulator(vector::TransferReadOp read, vector::ContractionOp c) = 0;
  /// `c` (16-bit operands read from workgroup memory) onto `acc`.
  virtual FailureOr<Value> contract(vector::ContractionOp c, Value acc) = 0;
  /// The lane's fragment `f` stored where `write` writes its tile.
  virtual void storeAccumulator(vector::TransferWriteOp write, Value f) = 0;

  /// An accumulator read's contraction: any warp contraction reached
  /// through loops from it.
  vector::ContractionOp contractionOf(Value v) {
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

  LogicalResult block(Block &b) {
    for (Operation &op : llvm::make_early_inc_range(b)) {
      if (failed(one(&op)))
        return failure();
    }
    return success();
  }

  Value fragmentOf(Value v, Operation *user) {
    if (Value f = fragment.lookup(v))
      return f;
    // A splat accumulator (zeros: GpuBackend's seedZeroAccumulators) is the
    // same splat in each of the lane's values.
    DenseElementsAttr splatValue;
    if (matchPattern(v, m_Constant(&splatValue)) && splatValue.isSplat()) {
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPointAfter(v.getDefiningOp());
      Value f = splat(v.getLoc(), splatValue.getSplatValue<Attribute>());
      fragment[v] = f;
      return f;
    }
    user->emitError(instruction + " lowering: an accumulator with an unexpected producer");
    return nullptr;
  }

  LogicalResult one(Operation *op) {
    Location loc = op->getLoc();
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
      storeAccumulator(write, f);
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

  /// Rewrites `func` (its entry block) and erases what was replaced.
  LogicalResult run(gpu::GPUFuncOp func) {
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
};

/// MFMA 16x16x16: 4 f32 accumulators per lane (mfmaCoordinates).
struct MfmaLowering : FragmentLowering {
  MfmaLowering(RewriterBase &rw, Value lane) : FragmentLowering(rw, lane, "MFMA") {}

  bool isAccumulator(Type t) override {
    auto v = dyn_cast<VectorType>(t);
    return v && v.getShape() == ArrayRef<int64_t>{16, 16} && v.getElementType().isF32();
  }

  Value splat(Location loc, Attribute element) override {
    auto type = VectorType::get({4}, cast<TypedAttr>(element).getType());
    return rw.create<arith::ConstantOp>(loc, DenseElementsAttr::get(type, element));
  }

  Value loadAccumulator(vector::TransferReadOp read, vector::ContractionOp c) override {
    return loadFragment(rw, read, c, 2, lane);
  }

  FailureOr<Value> contract(vector::ContractionOp c, Value acc) override {
    auto lhs = c.getLhs().getDefiningOp<vector::TransferReadOp>();
    auto rhs = c.getRhs().getDefiningOp<vector::TransferReadOp>();
    Value a = loadFragment(rw, lhs, c, 0, lane), b = loadFragment(rw, rhs, c, 1, lane);
    return rw.create<amdgpu::MFMAOp>(c.getLoc(), acc.getType(), 16, 16, 16, 1, a, b, acc)
        .getResult();
  }

  void storeAccumulator(vector::TransferWriteOp write, Value f) override {
    // The same places its read loaded (C's layout): 4 stores per lane.
    Location loc = write.getLoc();
    AffineExpr l = getAffineDimExpr(0, rw.getContext());
    for (int64_t i = 0; i < 4; ++i) {
      auto [row, col] = mfmaCoordinates(2, l, i);
      SmallVector<Value> indices = laneIndices(rw, loc, lane, write.getIndices(),
                                               write.getPermutationMap(), {row, col});
      Value x = rw.create<vector::ExtractOp>(loc, f, ArrayRef<int64_t>{i});
      rw.create<memref::StoreOp>(loc, x, write.getSource(), indices);
    }
  }
};

} // namespace

LogicalResult tilec::codegen::convertWarpContractionsToMfma(gpu::GPUFuncOp func) {
  IRRewriter rw(func.getContext());
  Block &entry = func.getBody().front();
  rw.setInsertionPointToStart(&entry);
  Location loc = func.getLoc();
  Value tid = rw.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value lane = rw.create<arith::RemUIOp>(loc, tid, rw.create<arith::ConstantIndexOp>(loc, 64));
  MfmaLowering lowering(rw, lane);
  return lowering.run(func);
}

//===----------------------------------------------------------------------===//
// NVIDIA sm_90: wgmma.mma_async m64nNk16 from swizzled workgroup memory
//===----------------------------------------------------------------------===//

namespace {

/// Elements of one 128-byte row of 16-bit values: wgmma's 128-byte swizzle
/// unit, and the width of a staged operand's panels.
constexpr int64_t kPanel = 64;

/// The 128-byte swizzled layout both staged operands take (PTX ISA,
/// "Shared Memory Matrix Layout", 128B swizzling): a buffer [..., R, C] of
/// 16-bit values (C a multiple of 64) is C / 64 panels of R rows of 64
/// values, one after the other; within a panel, row r's 16-byte chunk j
/// (8 values) sits at chunk j xor (r mod 8). The panels start on 1024-byte
/// boundaries (R a multiple of 8, the buffer 1024-byte aligned), where the
/// hardware's swizzle pattern repeats.
///
///   unswizzled(r, c) = (c / 64) * R * 64 + r * 64 + c mod 64
///   swizzled(r, c)   = (c / 64) * R * 64 + r * 64
///                      + ((c mod 64) / 8 xor r mod 8) * 8 + c mod 8
///
/// A K-major operand (A [M, K], or B stored [N, K]) has C = 64, the K block:
/// one panel whose rows are M (or N) and whose chunks are K. An MN-major one
/// (B stored [K, N]) has R = the K block and a panel per 64 columns of N.
struct SwizzledLayout {
  int64_t rows, cols; ///< R, C

  /// Indices of the element stored at logical position `idx` (a write's
  /// first element; a vector of up to 8 values never crosses a chunk).
  SmallVector<Value> swizzle(RewriterBase &rw, Location loc, ValueRange idx) const {
    MLIRContext *ctx = rw.getContext();
    size_t n = idx.size();
    Value r = idx[n - 2], c = idx[n - 1];
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx);
    Value chunk = rw.create<affine::AffineApplyOp>(
        loc, AffineMap::get(1, 0, (d0 % kPanel).floorDiv(8), ctx), ValueRange{c});
    Value phase =
        rw.create<affine::AffineApplyOp>(loc, AffineMap::get(1, 0, d0 % 8, ctx), ValueRange{r});
    Value moved = rw.create<arith::XOrIOp>(loc, chunk, phase);
    // d0 = c, d1 = r, d2 = the swizzled chunk.
    AffineExpr linear = d0.floorDiv(kPanel) * (rows * kPanel) + d1 * kPanel + d2 * 8 + d0 % 8;
    SmallVector<Value> out(idx.begin(), idx.end());
    out[n - 2] = rw.create<affine::AffineApplyOp>(
        loc, AffineMap::get(3, 0, linear.floorDiv(cols), ctx), ValueRange{c, r, moved});
    out[n - 1] = rw.create<affine::AffineApplyOp>(
        loc, AffineMap::get(3, 0, linear % cols, ctx), ValueRange{c, r, moved});
    return out;
  }

  /// Byte offset of logical position `idx` before swizzling (where a matrix
  /// descriptor starts: the hardware swizzles the addresses it derives).
  Value unswizzledBytes(RewriterBase &rw, Location loc, ValueRange idx) const {
    MLIRContext *ctx = rw.getContext();
    size_t n = idx.size();
    // Leading dims (stages, unit batch dims): row-major over R x C tiles.
    AffineExpr linear = getAffineConstantExpr(0, ctx);
    for (size_t i = 0; i + 2 < n; ++i)
      linear = linear + getAffineDimExpr(i, ctx) * leadStrides[i];
    AffineExpr r = getAffineDimExpr(n - 2, ctx), c = getAffineDimExpr(n - 1, ctx);
    linear = linear + c.floorDiv(kPanel) * (rows * kPanel) + r * kPanel + c % kPanel;
    return rw.create<affine::AffineApplyOp>(loc, AffineMap::get(n, 0, linear * 2, ctx), idx);
  }

  SmallVector<int64_t> leadStrides; ///< elements per index of each leading dim
};

/// The swizzled layout of a staged operand buffer, or nullopt (with why)
/// where it cannot take one: 16-bit elements, static identity layout, rows
/// a multiple of 8 and columns of 64.
std::optional<SwizzledLayout> swizzledLayoutOf(Value buffer, std::string &why) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() || type.getRank() < 2 ||
      type.getElementTypeBitWidth() != 16) {
    why = "a staged operand is not a static 16-bit buffer";
    return std::nullopt;
  }
  int64_t rank = type.getRank();
  SwizzledLayout l;
  l.rows = type.getDimSize(rank - 2);
  l.cols = type.getDimSize(rank - 1);
  if (l.rows % 8 != 0 || l.cols % kPanel != 0) {
    why = "a staged operand tile is " + std::to_string(l.rows) + "x" + std::to_string(l.cols) +
          "; wgmma's swizzle needs rows in multiples of 8 and columns of 64";
    return std::nullopt;
  }
  l.leadStrides.assign(rank - 2, 0);
  int64_t stride = l.rows * l.cols;
  for (int64_t i = rank - 3; i >= 0; --i) {
    l.leadStrides[i] = stride;
    stride *= type.getDimSize(i);
  }
  return l;
}

/// Every write into a staged operand buffer moved to its swizzled place:
/// cp.async copies, and vector or scalar stores (staging without cp.async,
/// implicit GEMM windows). Fails on any other use than the warp
/// contractions' operand reads.
LogicalResult swizzleWrites(RewriterBase &rw, Value buffer, const SwizzledLayout &layout) {
  for (OpOperand &use : llvm::make_early_inc_range(buffer.getUses())) {
    Operation *user = use.getOwner();
    rw.setInsertionPoint(user);
    Location loc = user->getLoc();
    if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(user)) {
      if (copy.getDst() != buffer)
        return copy.emitError("wgmma staging: a staged operand is copied from");
      if (8 % copy.getDstElements().getZExtValue() != 0)
        return copy.emitError("wgmma staging: a copy wider than 16 bytes");
      SmallVector<Value> at = layout.swizzle(rw, loc, copy.getDstIndices());
      rw.modifyOpInPlace(copy, [&] { copy.getDstIndicesMutable().assign(at); });
      continue;
    }
    if (auto write = dyn_cast<vector::TransferWriteOp>(user)) {
      VectorType v = write.getVectorType();
      if (v.getRank() != 1 || 8 % v.getNumElements() != 0 ||
          !write.getPermutationMap().isMinorIdentity())
        return write.emitError("wgmma staging: a write that is not a row of up to 8 values");
      SmallVector<Value> at = layout.swizzle(rw, loc, write.getIndices());
      rw.modifyOpInPlace(write, [&] { write.getIndicesMutable().assign(at); });
      continue;
    }
    if (auto store = dyn_cast<vector::StoreOp>(user)) {
      if (store.getVectorType().getRank() != 1 || 8 % store.getVectorType().getNumElements() != 0)
        return store.emitError("wgmma staging: a write that is not a row of up to 8 values");
      SmallVector<Value> at = layout.swizzle(rw, loc, store.getIndices());
      rw.modifyOpInPlace(store, [&] { store.getIndicesMutable().assign(at); });
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(user)) {
      SmallVector<Value> at = layout.swizzle(rw, loc, store.getIndices());
      rw.modifyOpInPlace(store, [&] { store.getIndicesMutable().assign(at); });
      continue;
    }
    if (auto read = dyn_cast<vector::TransferReadOp>(user)) {
      bool operand = llvm::all_of(read->getUsers(), [](Operation *u) {
        auto c = dyn_cast<vector::ContractionOp>(u);
        return c && isWarpContraction(c);
      });
      if (operand)
        continue; // becomes a matrix descriptor
    }
    if (isa<memref::DeallocOp>(user))
      continue;
    return user->emitError("wgmma staging: an unexpected use of a staged operand buffer");
  }
  return success();
}

/// The warpgroup instruction for 16xNx16 warp contractions (each warp's
/// 16-row strip of its warpgroup's 64xN tile; GpuThreads stacks a
/// warpgroup's four warps along M). Each lane's fragment is its N / 2
/// accumulators as an LLVM struct (the instruction's register operands):
/// value i of lane l in warp w of the group is row 16 w + l / 4 + 8 ((i / 2)
/// mod 2), column 8 (i / 4) + 2 (l mod 4) + i mod 2 (PTX ISA, wgmma
/// m64nNk16 accumulator D; the mma.sync m16n8 layout repeated N / 8 times).
struct WgmmaLowering : FragmentLowering {
  WgmmaLowering(RewriterBase &rw, Value lane, Value warpInGroup, int64_t n, bool bf16,
                const DenseMap<Value, SwizzledLayout> &layouts)
      : FragmentLowering(rw, lane, "wgmma"), warpInGroup(warpInGroup), n(n), bf16(bf16),
        layouts(layouts) {
    SmallVector<Type> fields(n / 2, Float32Type::get(rw.getContext()));
    fragmentType = LLVM::LLVMStructType::getLiteral(rw.getContext(), fields);
  }
  Value warpInGroup;
  int64_t n;
  bool bf16;
  const DenseMap<Value, SwizzledLayout> &layouts;
  Type fragmentType;

  bool isAccumulator(Type t) override {
    auto v = dyn_cast<VectorType>(t);
    return v && v.getShape() == ArrayRef<int64_t>{16, n} && v.getElementType().isF32();
  }

  Value splat(Location loc, Attribute element) override {
    Value f = rw.create<LLVM::UndefOp>(loc, fragmentType);
    Value x = rw.create<arith::ConstantOp>(loc, cast<TypedAttr>(element));
    for (int64_t i = 0; i < n / 2; ++i)
      f = rw.create<LLVM::InsertValueOp>(loc, f, x, ArrayRef<int64_t>{i});
    return f;
  }

  /// Value i's (row, column) in a warp's 16xN tile, affine in the lane.
  std::pair<AffineExpr, AffineExpr> coordinates(int64_t i) {
    AffineExpr l = getAffineDimExpr(0, rw.getContext());
    return {l.floorDiv(4) + 8 * ((i / 2) % 2), 8 * (i / 4) + (l % 4) * 2 + i % 2};
  }

  /// The accumulator transfer's memref indices of value i: vector dim 0 is
  /// the tile's rows where the contraction's accumulator map starts with m.
  SmallVector<Value> indicesOf(Location loc, ValueRange base, AffineMap perm, AffineMap accMap,
                               unsigned m, int64_t i) {
    auto [row, col] = coordinates(i);
    SmallVector<AffineExpr, 2> vec = {row, col};
    if (accMap.getDimPosition(0) != m)
      std::swap(vec[0], vec[1]);
    return laneIndices(rw, loc, lane, base, perm, vec);
  }

  Value loadAccumulator(vector::TransferReadOp read, vector::ContractionOp c) override {
    Location loc = read.getLoc();
    AffineMap accMap = c.getIndexingMapsArray()[2];
    unsigned m = accMap.getDimPosition(0);
    Value f = rw.create<LLVM::UndefOp>(loc, fragmentType);
    for (int64_t i = 0; i < n / 2; ++i) {
      SmallVector<Value> at =
          indicesOf(loc, read.getIndices(), read.getPermutationMap(), accMap, m, i);
      Value x = rw.create<memref::LoadOp>(loc, read.getSource(), at);
      f = rw.create<LLVM::InsertValueOp>(loc, f, x, ArrayRef<int64_t>{i});
    }
    return f;
  }

  void storeAccumulator(vector::TransferWriteOp write, Value f) override {
    Location loc = write.getLoc();
    // The accumulator's dims are the write's vector dims (m, n) in order.
    AffineMap perm = write.getPermutationMap();
    auto memref = cast<MemRefType>(write.getSource().getType());
    // Values 2j and 2j + 1 are neighbours in a row: one 8-byte store where
    // the row is the memref's contiguous dim.
    bool pairs = perm.isMinorIdentity() && memref.getLayout().isIdentity();
    MLIRContext *ctx = rw.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
    for (int64_t i = 0; i < n / 2; i += pairs ? 2 : 1) {
      SmallVector<Value> at = indicesOf(loc, write.getIndices(), perm, identity, 0, i);
      if (pairs) {
        auto type = VectorType::get({2}, rw.getF32Type());
        Value v = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(type));
        for (int64_t e = 0; e < 2; ++e) {
          Value x = rw.create<LLVM::ExtractValueOp>(loc, f, ArrayRef<int64_t>{i + e});
          v = rw.create<vector::InsertOp>(loc, x, v, ArrayRef<int64_t>{e});
        }
        rw.create<vector::StoreOp>(loc, v, write.getSource(), at);
      } else {
        Value x = rw.create<LLVM::ExtractValueOp>(loc, f, ArrayRef<int64_t>{i});
        rw.create<memref::StoreOp>(loc, x, write.getSource(), at);
      }
    }
  }

  /// The matrix descriptor of a warpgroup operand (PTX ISA, "Matrix
  /// Descriptor Format"): start address (bits 0-13, in 16 bytes), leading
  /// dimension byte offset (16-29), stride dimension byte offset (32-45),
  /// swizzle mode (62-63; 1 = 128 bytes). K-major: 8-row groups 1024 bytes
  /// apart (the stride offset; the leading one is unused, 1 by convention).
  /// MN-major: the same stride between groups of 8 K rows, and 64-column
  /// panels R * 128 bytes apart (the leading offset).
  Value descriptor(Location loc, vector::TransferReadOp read, bool kMajor, int64_t mDimOfA) {
    const SwizzledLayout &l = layouts.find(read.getSource())->second;
    SmallVector<Value> at(read.getIndices());
    // A: the warpgroup's rows start 16 rows per warp before this warp's.
    if (mDimOfA >= 0) {
      MLIRContext *ctx = rw.getContext();
      AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
      at[mDimOfA] = rw.create<affine::AffineApplyOp>(loc, AffineMap::get(2, 0, d0 - d1 * 16, ctx),
                                                     ValueRange{at[mDimOfA], warpInGroup});
    }
    Value offset = l.unswizzledBytes(rw, loc, at);
    Value base = rw.create<memref::ExtractAlignedPointerAsIndexOp>(loc, read.getSource());
    Value address = rw.create<arith::AddIOp>(loc, base, offset);
    Type i64 = rw.getI64Type();
    auto constant = [&](int64_t v) { return rw.create<arith::ConstantIntOp>(loc, v, i64); };
    Value a = rw.create<arith::IndexCastUIOp>(loc, i64, address);
    a = rw.create<arith::ShRUIOp>(loc, rw.create<arith::AndIOp>(loc, a, constant(0x3FFFF)),
                                  constant(4));
    int64_t leading = kMajor ? 1 : (l.rows * 128) >> 4, stride = 1024 >> 4;
    int64_t fields = (leading << 16) | (stride << 32) | (int64_t(1) << 62);
    return rw.create<arith::OrIOp>(loc, a, constant(fields));
  }

  FailureOr<Value> contract(vector::ContractionOp c, Value acc) override {
    Location loc = c.getLoc();
    auto lhs = c.getLhs().getDefiningOp<vector::TransferReadOp>();
    auto rhs = c.getRhs().getDefiningOp<vector::TransferReadOp>();
    for (vector::TransferReadOp r : {lhs, rhs})
      if (!layouts.count(r.getSource()) || !r.getPermutationMap().isMinorIdentity())
        return c.emitError("wgmma lowering: an operand not read from a staged buffer");
    auto maps = c.getIndexingMapsArray();
    auto isReduction = [&](unsigned d) {
      return c.getIteratorTypesArray()[d] == vector::IteratorType::reduction;
    };
    // An operand is K-major when K is its contiguous (last) dim.
    bool aK = isReduction(maps[0].getDimPosition(1)), bK = isReduction(maps[1].getDimPosition(1));
    int64_t rankA = cast<MemRefType>(lhs.getSource().getType()).getRank();
    // A's M is the memref dim of its vector dim that is not K.
    int64_t mDim = aK ? rankA - 2 : rankA - 1;
    Value descA = descriptor(loc, lhs, aK, mDim);
    Value descB = descriptor(loc, rhs, bK, -1);
    MLIRContext *ctx = rw.getContext();
    auto type = bf16 ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
    // Layouts as the instruction names them: A row-major and B column-major
    // are K-major (imm-trans 0); the others transposed (MN-major).
    auto layoutA = aK ? NVVM::MMALayout::row : NVVM::MMALayout::col;
    auto layoutB = bK ? NVVM::MMALayout::col : NVVM::MMALayout::row;
    auto mma = rw.create<NVVM::WgmmaMmaAsyncOp>(
        loc, fragmentType, acc, descA, descB, NVVM::MMAShapeAttr::get(ctx, 64, n, 16), type, type,
        NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one, NVVM::WGMMAScaleIn::one,
        NVVM::WGMMAScaleIn::one, layoutA, layoutB, nullptr);
    return mma.getResult();
  }
};

/// Each run of warpgroup instructions in a block (a K block's steps, the
/// loop over them unrolled) fenced before (wgmma.fence: the accumulator
/// registers were written by other instructions) and waited for after
/// (commit, wait for none in flight: the next K block's barrier may let its
/// buffer be overwritten, and the accumulators are read or carried on).
void fenceWarpgroupRuns(RewriterBase &rw, gpu::GPUFuncOp func) {
  DenseMap<Block *, SmallVector<NVVM::WgmmaMmaAsyncOp>> runs;
  SmallVector<Block *> order;
  func.walk([&](NVVM::WgmmaMmaAsyncOp op) {
    auto &run = runs[op->getBlock()];
    if (run.empty())
      order.push_back(op->getBlock());
    run.push_back(op);
  });
  for (Block *b : order) {
    auto &run = runs[b];
    rw.setInsertionPoint(run.front());
    rw.create<NVVM::WgmmaFenceAlignedOp>(run.front().getLoc());
    rw.setInsertionPointAfter(run.back());
    rw.create<NVVM::WgmmaGroupSyncAlignedOp>(run.back().getLoc());
    rw.create<NVVM::WgmmaWaitGroupSyncOp>(run.back().getLoc(), 0);
  }
}

} // namespace

bool tilec::codegen::isWarpgroupMmaKernel(Operation *func) {
  return func->hasAttr(kWarpgroupMmaAttr);
}

LogicalResult tilec::codegen::convertWarpgroupContractions(gpu::GPUFuncOp func) {
  auto nAttr = func->getAttrOfType<IntegerAttr>(kWarpgroupMmaAttr);
  if (!nAttr)
    return func.emitError("wgmma lowering: the kernel is not marked for warpgroup tiles");
  int64_t n = nAttr.getInt();
  IRRewriter rw(func.getContext());
  // A K block's steps in straight-line code: one run of instructions on the
  // same accumulator registers.
  SmallVector<scf::ForOp> steps;
  func.walk([&](scf::ForOp loop) {
    bool direct = llvm::any_of(loop.getBody()->getOperations(), [](Operation &op) {
      auto c = dyn_cast<vector::ContractionOp>(op);
      return c && isWarpContraction(c);
    });
    if (direct && loop.getConstantStep() && getConstantIntValue(loop.getLowerBound()) &&
        getConstantIntValue(loop.getUpperBound()))
      steps.push_back(loop);
  });
  for (scf::ForOp loop : steps) {
    int64_t trips = (*getConstantIntValue(loop.getUpperBound()) -
                     *getConstantIntValue(loop.getLowerBound())) /
                    loop.getConstantStep()->getSExtValue();
    // By its trip count: the loop is replaced by its unrolled body.
    if (trips > 1 && failed(loopUnrollByFactor(loop, trips)))
      return loop.emitError("wgmma lowering: a K block's steps could not be unrolled");
  }
  // The staged operand buffers and their swizzled layout; their writes move.
  DenseMap<Value, SwizzledLayout> layouts;
  std::string why;
  WalkResult walk = func.walk([&](vector::ContractionOp c) {
    if (!isWarpContraction(c))
      return WalkResult::advance();
    for (Value operand : {c.getLhs(), c.getRhs()}) {
      auto read = operand.getDefiningOp<vector::TransferReadOp>();
      if (!read) {
        why = "an operand is not read from workgroup memory";
        return WalkResult::interrupt();
      }
      Value buffer = read.getSource();
      if (layouts.count(buffer))
        continue;
      std::optional<SwizzledLayout> layout = swizzledLayoutOf(buffer, why);
      if (!layout)
        return WalkResult::interrupt();
      layouts.try_emplace(buffer, *layout);
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return func.emitError("wgmma lowering: " + why);
  for (auto &[buffer, layout] : layouts)
    if (failed(swizzleWrites(rw, buffer, layout)))
      return failure();
  Block &entry = func.getBody().front();
  rw.setInsertionPointToStart(&entry);
  Location loc = func.getLoc();
  Value tid = rw.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value lane = rw.create<arith::RemUIOp>(loc, tid, rw.create<arith::ConstantIndexOp>(loc, 32));
  MLIRContext *ctx = func.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  Value warpInGroup = rw.create<affine::AffineApplyOp>(
      loc, AffineMap::get(1, 0, d0.floorDiv(32) % 4, ctx), ValueRange{tid});
  WgmmaLowering lowering(rw, lane, warpInGroup, n, isBF16MmaKernel(func), layouts);
  if (failed(lowering.run(func)))
    return failure();
  fenceWarpgroupRuns(rw, func);
  // cp.async and ordinary stores write through the generic proxy; wgmma
  // reads through the async proxy. Each thread's writes are made visible to
  // the async proxy before the barrier that publishes them to the block.
  SmallVector<gpu::BarrierOp> barriers;
  func.walk([&](gpu::BarrierOp b) { barriers.push_back(b); });
  for (gpu::BarrierOp b : barriers) {
    rw.setInsertionPoint(b);
    rw.create<NVVM::FenceProxyOp>(b.getLoc(), NVVM::ProxyKind::async_shared,
                                  NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
  }
  return success();
}
