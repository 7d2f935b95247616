//===- TensorCores.cpp - warp-wide contractions onto mma.sync -------------===//
//
// See TensorCores.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/TensorCores.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/NVGPU/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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
