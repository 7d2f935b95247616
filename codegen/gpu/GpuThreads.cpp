//===- GpuThreads.cpp - a workgroup's tile onto a GPU block's threads -----===//
//
// See GpuThreads.h. Everything here is MLIR's tiling (scf::tileUsingSCF,
// tileConsumerAndFuseProducersUsingSCF) and vectorization (linalg::vectorize)
// on tensors; GpuBackend maps the resulting thread loops onto thread ids.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuThreads.h"

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/LowerToLinalg.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace tilec::codegen;

namespace {

constexpr int64_t kMaxThreads = 1024;

Operation *findMarked(Operation *scope, StringRef attr) {
  Operation *found = nullptr;
  scope->walk([&](Operation *op) {
    if (op->hasAttr(attr))
      found = op;
  });
  return found;
}

/// One thread per output element (per row when the innermost dim must stay
/// whole): the result-writing op is tiled by 1 into a thread loop and its
/// producers are fused into it. Returns false (kernel unchanged) when threads
/// cannot be formed.
bool tileElementsToThreads(func::FuncOp kernel, bool keepInner) {
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (!consumer || consumer->getNumResults() != 1)
    return false;
  AffineMap outMap = consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0));
  SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
  SmallVector<int64_t> tiles(ranges.size(), 0);
  int64_t threads = 1;
  unsigned results = outMap.getNumResults();
  for (auto [i, expr] : llvm::enumerate(outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || (keepInner && i + 1 == results) || ranges[dim.getPosition()] == 1)
      continue;
    tiles[dim.getPosition()] = 1;
    threads *= ranges[dim.getPosition()];
  }
  // Too many outputs for one block (a block tile chosen for a thread-tiled
  // GEMM that could not be staged): outer dims give each thread several.
  for (auto [i, expr] : llvm::enumerate(outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || tiles[dim.getPosition()] == 0)
      continue;
    int64_t range = ranges[dim.getPosition()], &tile = tiles[dim.getPosition()];
    while (threads > kMaxThreads && tile < range) {
      int64_t next = tile + 1;
      while (range % next != 0)
        ++next;
      threads = threads / (range / tile) * (range / next);
      tile = next;
    }
  }
  if (threads <= 1 || threads > kMaxThreads)
    return false;
  func::FuncOp backup = kernel.clone();
  IRRewriter rewriter(kernel.getContext());
  rewriter.setInsertionPoint(consumer);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(getAsIndexOpFoldResult(kernel.getContext(), tiles))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(consumer.getOperation()), options);
  bool ok = succeeded(result);
  if (ok) {
    for (auto [original, replacement] : result->replacements)
      rewriter.replaceAllUsesWith(original, replacement);
    Operation *threadLoop = result->loops.front().getOperation();
    // Every linalg op must now be inside the thread loop (dead ones aside).
    eraseDeadOps(kernel);
    kernel.walk([&](linalg::LinalgOp op) {
      if (!threadLoop->isProperAncestor(op))
        ok = false;
    });
  }
  if (!ok)
    kernel.getBody().takeBody(backup.getBody());
  backup.erase();
  return ok;
}

/// Tiles `op` (static shapes, tensors) into a thread loop; returns the tiled
/// op, or null (op unchanged).
linalg::LinalgOp tileToThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                               ArrayRef<int64_t> tiles) {
  rewriter.setInsertionPoint(op);
  // Marked as thread loops (GpuBackend tells them from a block loop by it,
  // also where a block loop of one trip was folded away).
  SmallVector<DeviceMappingAttrInterface> mapping;
  for (int64_t t : tiles)
    if (t != 0)
      mapping.push_back(gpu::GPUThreadMappingAttr::get(
          op->getContext(), gpu::MappingId(int64_t(gpu::MappingId::LinearDim0) + mapping.size())));
  if (mapping.size() > 10)
    return {};
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
      .setMapping(mapping);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1 || tiled->loops.empty())
    return {};
  rewriter.replaceOp(op, tiled->replacements);
  return dyn_cast<linalg::LinalgOp>(tiled->tiledOps.front());
}

/// Per-thread tiles of a copy of `shape` over at most `threads` threads: the
/// innermost dim in runs of whole vectors of `vec` elements (so neighbouring
/// threads load neighbouring vectors), the outer dims split among the
/// threads left.
SmallVector<int64_t> copyTiles(ArrayRef<int64_t> shape, int64_t threads, int64_t vec) {
  SmallVector<int64_t> tiles(shape.size(), 1);
  int64_t inner = shape.back(), t = vec;
  while (inner % t != 0 || inner / t > threads)
    t += vec;
  tiles.back() = t;
  int64_t budget = threads / (inner / t);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i) {
    int64_t d = shape[i], tile = 1;
    while (d % tile != 0 || d / tile > budget)
      ++tile;
    tiles[i] = tile;
    budget /= d / tile;
  }
  return tiles;
}

/// The accumulator chain of `root`: its init, and the init of each
/// producer (fill, bias broadcast) of that init, down to the first value no
/// linalg op produced.
Value accumulatorSource(linalg::LinalgOp root) {
  Value v = root.getDpsInitOperand(0)->get();
  while (auto producer = v.getDefiningOp<linalg::LinalgOp>())
    v = producer.getDpsInitOperand(0)->get();
  return v;
}

/// A kernel that is one workgroup (its block tile is the whole result) gets
/// a block loop of one trip around its tile, so that it has a block to split
/// among threads. Returns false (kernel unchanged) if fusion leaves work out.
bool wrapInOneBlock(func::FuncOp kernel) {
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (!consumer || consumer->getNumResults() != 1)
    return false;
  SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
  if (ShapedType::isDynamicShape(ranges))
    return false;
  AffineMap outMap = consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0));
  SmallVector<int64_t> tiles(ranges.size(), 0);
  for (AffineExpr expr : outMap.getResults())
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      tiles[dim.getPosition()] = ranges[dim.getPosition()];
  IRRewriter rewriter(kernel.getContext());
  rewriter.setInsertionPoint(consumer);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(getAsIndexOpFoldResult(kernel.getContext(), tiles))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(consumer.getOperation()), options);
  if (failed(result) || result->loops.empty())
    return false;
  for (auto [original, replacement] : result->replacements)
    rewriter.replaceAllUsesWith(original, replacement);
  eraseDeadOps(kernel);
  Operation *block = result->loops.front().getOperation();
  bool inside = true;
  kernel.walk([&](linalg::LinalgOp op) { inside &= block->isProperAncestor(op); });
  return inside;
}

/// The thread-tiled GEMM of GpuThreads.h. `workgroupSpace` is the memory
/// space of staged operands and block accumulators (null on the simt CPU
/// target). Fails, leaving a partly rewritten kernel, when the kernel is not
/// of the expected form; the caller restores it.
LogicalResult stageGemm(func::FuncOp kernel, const Schedule &s, Attribute workgroupSpace,
                        std::string &notes) {
  scf::ForallOp block;
  for (Operation &op : kernel.getBody().front())
    if (auto forall = dyn_cast<scf::ForallOp>(op)) {
      if (block)
        return failure();
      block = forall;
    }
  if (!block) {
    if (!wrapInOneBlock(kernel))
      return notes += "one workgroup whose tile could not be fused into a block; ", failure();
    for (Operation &op : kernel.getBody().front())
      if (auto forall = dyn_cast<scf::ForallOp>(op))
        block = forall;
  }
  auto root = dyn_cast_or_null<linalg::LinalgOp>(findMarked(block, kRootAttr));
  if (!root || root->getNumResults() != 1 || !root.hasPureTensorSemantics())
    return failure();
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  size_t rank = ranges.size() - 1;
  if (ShapedType::isDynamicShape(ranges) || s.registerTile.size() != rank + 1 ||
      root.getNumReductionLoops() != 1 ||
      root.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return failure();
  // Thread tile over the block's tile (the root's parallel loops are the
  // result dims, in order).
  SmallVector<int64_t> threadTile(rank + 1, 0);
  int64_t threads = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t t = s.registerTile[i] == 0 ? ranges[i] : std::min(s.registerTile[i], ranges[i]);
    if (ranges[i] % t != 0)
      return failure();
    threadTile[i] = t;
    threads *= ranges[i] / t;
  }
  if (threads > kMaxThreads)
    return failure();
  MLIRContext *ctx = kernel.getContext();
  IRRewriter rewriter(ctx);
  Location loc = root.getLoc();
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(block, kConsumerAttr));
  if (!consumer)
    return failure();
  // 1. Accumulators an epilogue reads live in workgroup memory (in the
  //    output otherwise): a private array per thread would be as large as
  //    the block's.
  if (consumer != root && workgroupSpace) {
    // A tensor.empty of the tile, or a slice of one of the whole result.
    Operation *source = accumulatorSource(root).getDefiningOp();
    if (auto slice = dyn_cast_or_null<tensor::ExtractSliceOp>(source))
      if (!slice.getSource().getDefiningOp<tensor::EmptyOp>())
        source = nullptr;
    if (!isa_and_nonnull<tensor::EmptyOp, tensor::ExtractSliceOp>(source) ||
        !block->isProperAncestor(source))
      return notes += "the accumulator is not a new tensor; ", failure();
    rewriter.setInsertionPoint(source);
    auto alloc = rewriter.create<bufferization::AllocTensorOp>(
        loc, cast<RankedTensorType>(source->getResult(0).getType()), ValueRange{});
    alloc.setMemorySpaceAttr(workgroupSpace);
    rewriter.replaceOp(source, alloc.getResult());
  }
  // 2. K blocks.
  bool staged = !s.cacheTile.empty();
  int64_t k = ranges[rank];
  int64_t bk = staged && s.cacheTile.size() == rank + 1 && s.cacheTile[rank] > 0
                   ? s.cacheTile[rank]
                   : k;
  if (k % bk != 0)
    return failure();
  linalg::LinalgOp compute = root;
  Operation *kLoop = nullptr;
  if (staged && bk < k) {
    SmallVector<int64_t> tiles(rank + 1, 0);
    tiles[rank] = bk;
    rewriter.setInsertionPoint(root);
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(root.getOperation()), options);
    if (failed(tiled) || tiled->loops.empty())
      return failure();
    rewriter.replaceOp(root, tiled->replacements);
    compute = cast<linalg::LinalgOp>(tiled->tiledOps.front());
    kLoop = tiled->loops.front().getOperation();
  }
  // 3. Operand slices of each K block copied into workgroup memory; the
  //    destinations are allocated once, outside the K loop.
  SmallVector<linalg::CopyOp> copies;
  if (staged) {
    for (OpOperand *in : compute.getDpsInputOperands()) {
      auto type = dyn_cast<RankedTensorType>(in->get().getType());
      if (!type || !type.hasStaticShape())
        return failure();
      rewriter.setInsertionPoint(kLoop ? kLoop : compute.getOperation());
      auto alloc = rewriter.create<bufferization::AllocTensorOp>(loc, type, ValueRange{});
      if (workgroupSpace)
        alloc.setMemorySpaceAttr(workgroupSpace);
      rewriter.setInsertionPoint(compute);
      auto copy = rewriter.create<linalg::CopyOp>(loc, in->get(), alloc.getResult());
      in->set(copy.getResult(0));
      copies.push_back(copy);
    }
  }
  // 4. Each thread's rows x columns, vectorized (a vector.contract over the
  //    K block).
  linalg::LinalgOp threadOp = tileToThreads(rewriter, compute, threadTile);
  if (!threadOp)
    return failure();
  threadOp->setAttr(kRootAttr, rewriter.getStringAttr("matmul"));
  Operation *threadLoop = threadOp->getParentOp();
  // A long K (unstaged, or staged in big blocks) is walked 16 at a time
  // inside the thread: one vector.contract over all of it would be unrolled
  // into thousands of operations.
  if (int64_t kt = threadOp.getStaticLoopRanges()[rank]; kt > 16) {
    int64_t step = 16;
    while (kt % step != 0)
      --step;
    SmallVector<int64_t> tiles(rank + 1, 0);
    tiles[rank] = step;
    rewriter.setInsertionPoint(threadOp);
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(threadOp.getOperation()), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(threadOp, tiled->replacements);
    threadOp = cast<linalg::LinalgOp>(tiled->tiledOps.front());
  }
  rewriter.setInsertionPoint(threadOp);
  bool vectorized = succeeded(linalg::vectorize(rewriter, threadOp));
  if (vectorized) {
    // linalg's vectorizer writes a contraction as a broadcast multiply and a
    // multi_reduction; folded back into one vector.contract it lowers to
    // outer products (a multiply-add per accumulator per k).
    RewritePatternSet patterns(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    (void)applyPatternsAndFoldGreedily(threadLoop, std::move(patterns));
  }
  // 5. Copies split among the threads, whole vectors along the contiguous dim.
  for (linalg::CopyOp copy : copies) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(copy.getType(0)).getShape();
    int64_t vec = shape.back() % 4 == 0 ? 4 : shape.back() % 2 == 0 ? 2 : 1;
    linalg::LinalgOp tile = tileToThreads(rewriter, copy, copyTiles(shape, threads, vec));
    if (!tile)
      return failure();
    rewriter.setInsertionPoint(tile);
    (void)linalg::vectorize(rewriter, tile);
  }
  // 6. Every other op of the block's tile (the accumulator's fill or bias,
  //    the epilogue) gets the same thread tile over the result dims.
  SmallVector<linalg::LinalgOp> rest;
  block.getBody()->walk([&](linalg::LinalgOp op) {
    if (op->getParentOfType<scf::ForallOp>() == block)
      rest.push_back(op);
  });
  for (linalg::LinalgOp op : rest) {
    if (op->getNumResults() != 1 || ShapedType::isDynamicShape(op.getStaticLoopRanges()))
      return failure();
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (outMap.getNumResults() != rank)
      return failure();
    SmallVector<int64_t> tiles(op.getNumLoops(), 0);
    for (auto [i, expr] : llvm::enumerate(outMap.getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(expr))
        tiles[dim.getPosition()] = threadTile[i];
    if (!tileToThreads(rewriter, op, tiles))
      return failure();
  }
  eraseDeadOps(kernel);
  bool outside = false;
  block.getBody()->walk([&](linalg::LinalgOp op) {
    outside |= op->getParentOfType<scf::ForallOp>() == block;
  });
  if (outside)
    return failure();
  notes += std::to_string(threads) + " threads of " + std::to_string(threadTile[rank - 2]) + "x" +
           std::to_string(threadTile[rank - 1]) + " outputs" +
           (staged ? ", K in blocks of " + std::to_string(bk) + " staged in workgroup memory"
                   : "") +
           (vectorized ? "" : " (thread tile not vectorized)") + "; ";
  return success();
}

} // namespace

std::string tilec::codegen::mapToThreads(func::FuncOp kernel, const Schedule &s,
                                         const Target &target) {
  std::string notes;
  DispatchShape shape = describeKernel(kernel);
  if (!s.registerTile.empty() && shape.rootKind == "matmul") {
    func::FuncOp backup = kernel.clone();
    Attribute space;
    if (!target.simt)
      space = gpu::AddressSpaceAttr::get(kernel.getContext(), gpu::AddressSpace::Workgroup);
    std::string gemmNotes;
    if (succeeded(stageGemm(kernel, s, space, gemmNotes))) {
      backup.erase();
      return gemmNotes;
    }
    kernel.getBody().takeBody(backup.getBody());
    backup.erase();
    notes += "thread tile not applied (" + (gemmNotes.empty() ? "unexpected kernel form; " : gemmNotes) +
             "one thread per output); ";
  }
  bool keepInner = shape.rootKind == "softmax" || shape.rootKind == "layer_norm" ||
                   shape.rootKind == "reduce" || shape.rootKind == "attention";
  if (tileElementsToThreads(kernel, keepInner))
    movePadsIntoTiles(kernel);
  else
    notes += "one thread per block (the tile could not be split into threads); ";
  return notes;
}
