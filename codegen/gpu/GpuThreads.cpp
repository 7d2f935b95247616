//===- GpuThreads.cpp - a workgroup's tile onto a GPU block's threads -----===//
//
// See GpuThreads.h. Everything here is MLIR's tiling (scf::tileUsingSCF,
// tileConsumerAndFuseProducersUsingSCF) and vectorization (linalg::vectorize)
// on tensors; GpuBackend maps the resulting thread loops onto thread ids.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuThreads.h"
#include "codegen/gpu/ThreadTiling.h"

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/LowerToLinalg.h"

#include "passes/Passes.h"

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
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace tilec::codegen;

using namespace tilec::codegen::detail;

//===----------------------------------------------------------------------===//
// Shared with StagedContraction.cpp (ThreadTiling.h)
//===----------------------------------------------------------------------===//

/// Pads of a halo whose size is static after a cast get that static type
/// (tensor.pad's own folding), so that slices of them can become pads of
/// slices (per thread) instead of a whole padded tile per thread.
void tilec::codegen::detail::addPadCastFolding(RewritePatternSet &patterns) {
  tensor::PadOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  tensor::CastOp::getCanonicalizationPatterns(patterns, patterns.getContext());
}

void tilec::codegen::detail::foldPadCasts(Operation *scope) {
  RewritePatternSet patterns(scope->getContext());
  addPadCastFolding(patterns);
  (void)applyPatternsAndFoldGreedily(scope, std::move(patterns));
}

namespace {

/// Marks for a loop over `dims` dims: thread loops (`#gpu.thread`; GpuBackend
/// tells them from a block loop by these, also where a block loop of one trip
/// was folded away), or warp loops (`#gpu.warp`: each iteration is run by a
/// whole warp, as warp-wide tensor-core instructions need).
template <typename MappingAttr>
SmallVector<DeviceMappingAttrInterface> loopMapping(MLIRContext *ctx, size_t dims) {
  SmallVector<DeviceMappingAttrInterface> mapping;
  for (size_t i = 0; i < dims; ++i)
    mapping.push_back(
        MappingAttr::get(ctx, gpu::MappingId(int64_t(gpu::MappingId::LinearDim0) + i)));
  return mapping;
}

} // namespace

/// Tiles `op` by `tiles` (0: not tiled) into an scf.for nest, or an
/// scf.forall marked as a thread (or warp) loop, and replaces it; returns the
/// tiled op and the outermost loop.
FailureOr<std::pair<linalg::LinalgOp, Operation *>>
tilec::codegen::detail::tileOp(RewriterBase &rewriter, linalg::LinalgOp op,
                              ArrayRef<int64_t> tiles, LoopKind kind) {
  size_t loops = llvm::count_if(tiles, [](int64_t t) { return t != 0; });
  if (loops == 0 || loops > 10)
    return failure();
  rewriter.setInsertionPoint(op);
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles));
  if (kind != LoopKind::Sequential)
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
        .setMapping(kind == LoopKind::Warps
                        ? loopMapping<gpu::GPUWarpMappingAttr>(op->getContext(), loops)
                        : loopMapping<gpu::GPUThreadMappingAttr>(op->getContext(), loops));
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1 || tiled->loops.empty())
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  auto tile = dyn_cast<linalg::LinalgOp>(tiled->tiledOps.front());
  if (!tile)
    return failure();
  return std::make_pair(tile, tiled->loops.front().getOperation());
}

/// Tiles the kernel's result-writing op by `tiles` into an scf.forall and
/// fuses every producer into it; returns the loop, or null (kernel
/// unchanged) when work would be left outside it.
Operation *tilec::codegen::detail::fuseIntoForall(func::FuncOp kernel, linalg::LinalgOp consumer,
                                                  ArrayRef<int64_t> tiles, bool threads) {
  func::FuncOp backup = kernel.clone();
  IRRewriter rewriter(kernel.getContext());
  rewriter.setInsertionPoint(consumer);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(getAsIndexOpFoldResult(kernel.getContext(), tiles))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  // Marked as a thread loop: a kernel that is one workgroup has no block
  // loop around it, and an unmarked loop there would become the blocks.
  if (threads)
    options.tilingOptions.setMapping(loopMapping<gpu::GPUThreadMappingAttr>(
        kernel.getContext(), llvm::count_if(tiles, [](int64_t t) { return t != 0; })));
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(consumer.getOperation()), options);
  Operation *loop = nullptr;
  if (succeeded(result) && !result->loops.empty()) {
    for (auto [original, replacement] : result->replacements)
      rewriter.replaceAllUsesWith(original, replacement);
    loop = result->loops.front().getOperation();
    // Every linalg op must now be inside the loop (dead ones aside).
    eraseDeadOps(kernel);
    kernel.walk([&](linalg::LinalgOp op) {
      if (!loop->isProperAncestor(op))
        loop = nullptr;
    });
  }
  if (!loop)
    kernel.getBody().takeBody(backup.getBody());
  backup.erase();
  return loop;
}

/// Tiles `op` (static shapes, tensors) into a thread loop; returns the tiled
/// op, or null (op unchanged).
linalg::LinalgOp tilec::codegen::detail::tileToThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                                                       ArrayRef<int64_t> tiles) {
  auto tiled = tileOp(rewriter, op, tiles, LoopKind::Threads);
  return succeeded(tiled) ? tiled->first : linalg::LinalgOp();
}

/// Per-thread tiles of a copy of `shape` over at most `threads` threads: the
/// innermost dim in runs of whole vectors of `vec` elements (so neighbouring
/// threads load neighbouring vectors), the outer dims split among the
/// threads left.
SmallVector<int64_t> tilec::codegen::detail::copyTiles(ArrayRef<int64_t> shape, int64_t threads,
                                                       int64_t vec) {
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

void tilec::codegen::detail::fuseTrailingElementwise(func::FuncOp kernel, bool anyInput) {
  IRRewriter rewriter(kernel.getContext());
  auto isElementwise = [](linalg::GenericOp g) {
    return g && g.getNumReductionLoops() == 0 && g.getNumDpsInits() == 1;
  };
  while (true) {
    auto consumer = dyn_cast_or_null<linalg::GenericOp>(findMarked(kernel, kConsumerAttr));
    if (!isElementwise(consumer) || (!anyInput && consumer.getNumDpsInputs() != 1))
      return;
    OpOperand *operand = nullptr;
    linalg::GenericOp producer;
    for (OpOperand *in : consumer.getDpsInputOperands()) {
      auto p = in->get().getDefiningOp<linalg::GenericOp>();
      if (isElementwise(p) && in->get().hasOneUse() && linalg::areElementwiseOpsFusable(in)) {
        operand = in;
        producer = p;
        break;
      }
    }
    if (!operand)
      return;
    rewriter.setInsertionPoint(consumer);
    FailureOr<linalg::ElementwiseOpFusionResult> fused =
        linalg::fuseElementwiseOps(rewriter, operand);
    if (failed(fused))
      return;
    for (auto [from, to] : fused->replacements)
      rewriter.replaceUsesWithIf(from, to, [&](OpOperand &use) {
        return use.getOwner() != producer && use.getOwner() != consumer;
      });
    fused->fusedOp->setAttr(kConsumerAttr, rewriter.getUnitAttr());
    rewriter.eraseOp(consumer);
    if (producer->use_empty())
      rewriter.eraseOp(producer);
  }
}

namespace {

/// Tile sizes giving one thread per output element of `op` (per row when the
/// innermost dim must stay whole; per `innerVec` consecutive elements of the
/// innermost dim, which it must divide; several outputs per thread, taken
/// from the outer dims, when there would be more than 1024); `threads` is
/// set.
SmallVector<int64_t> elementTiles(linalg::LinalgOp op, bool keepInner, int64_t &threads,
                                  int64_t innerVec = 1) {
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> tiles(ranges.size(), 0);
  threads = 1;
  unsigned results = outMap.getNumResults();
  for (auto [i, expr] : llvm::enumerate(outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || (keepInner && i + 1 == results) || ranges[dim.getPosition()] == 1)
      continue;
    int64_t tile = i + 1 == results ? innerVec : 1;
    tiles[dim.getPosition()] = tile;
    threads *= ranges[dim.getPosition()] / tile;
  }
  for (AffineExpr expr : outMap.getResults()) {
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
  return tiles;
}

/// One thread per output element (elementTiles): the result-writing op is
/// tiled into a thread loop and its producers are fused into it. Returns
/// false (kernel unchanged) when threads cannot be formed.
bool tileElementsToThreads(func::FuncOp kernel, bool keepInner) {
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (!consumer || consumer->getNumResults() != 1)
    return false;
  int64_t threads = 0;
  SmallVector<int64_t> tiles = elementTiles(consumer, keepInner, threads);
  if (threads <= 1 || threads > kMaxThreads)
    return false;
  return fuseIntoForall(kernel, consumer, tiles, /*threads=*/true) != nullptr;
}

/// Elementwise and data-movement kernels (ViT's slices and head
/// transposes, converts, concatenations' consumers): each thread takes
/// `vec` consecutive elements of the innermost dim (the schedule's `vec`:
/// 16 bytes of the result) and reads and writes them as vectors, instead of
/// one element of 2-4 bytes. The caller checks that every op reads along
/// that dim (DispatchShape::innerContiguous). Returns false (kernel
/// unchanged) where a step fails: one thread per element then.
bool vectorizeInnerThreads(func::FuncOp kernel, int64_t vec, std::string &notes) {
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (!consumer || consumer->getNumResults() != 1)
    return false;
  AffineMap outMap = consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0));
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
  if (!last || ShapedType::isDynamicShape(ranges) || ranges[last.getPosition()] % vec != 0)
    return false;
  KernelBackup backup(kernel);
  auto restore = [&] { return backup.restore(); };
  int64_t threads = 0;
  SmallVector<int64_t> tiles = elementTiles(consumer, /*keepInner=*/false, threads, vec);
  if (tiles[last.getPosition()] != vec || threads <= 1 || threads > kMaxThreads)
    return restore();
  auto loop = dyn_cast_or_null<scf::ForallOp>(fuseIntoForall(kernel, consumer, tiles, true));
  if (!loop)
    return restore();
  SmallVector<linalg::LinalgOp> ops;
  bool outside = false;
  kernel.walk([&](linalg::LinalgOp op) {
    if (loop->isProperAncestor(op))
      ops.push_back(op);
    else
      outside = true;
  });
  if (outside || ops.empty())
    return restore();
  IRRewriter rewriter(kernel.getContext());
  for (linalg::LinalgOp op : ops) {
    rewriter.setInsertionPoint(op);
    if (failed(linalg::vectorize(rewriter, op)))
      return restore();
  }
  notes += std::to_string(threads) + " threads of " + std::to_string(vec) +
           " consecutive elements (vector reads and writes); ";
  return true;
}

/// Channels-last depthwise convolutions and pools (bandwidth-bound): each
/// thread computes 4 consecutive channels of one output pixel, its window
/// walked one position at a time with vector reads of the input and the
/// weights (16 bytes of f32, 8 of a 16-bit pool's input; one thread per
/// output read them an element at a time). Returns
/// false (kernel unchanged) where the channels do not come in 4s or a step
/// fails.
bool vectorizeChannelThreads(func::FuncOp kernel, std::string &notes) {
  constexpr int64_t kLanes = 4;
  // The op writing the result: an epilogue over (n, oh, ow, c), or the
  // window op itself, whose output dims are a projection of its loops.
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (!consumer || consumer->getNumResults() != 1)
    return false;
  AffineMap outMap = consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0));
  if (outMap.getNumResults() != 4 || !outMap.isProjectedPermutation())
    return false;
  unsigned channels = outMap.getDimPosition(3);
  SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
  if (ShapedType::isDynamicShape(ranges) || ranges[channels] % kLanes != 0)
    return false;
  KernelBackup backup(kernel);
  auto restore = [&] { return backup.restore(); };
  int64_t threads = 0;
  SmallVector<int64_t> tiles = elementTiles(consumer, /*keepInner=*/false, threads);
  if (tiles[channels] != 1)
    return restore();
  tiles[channels] = kLanes;
  threads /= kLanes;
  if (threads <= 1 || threads > kMaxThreads || !fuseIntoForall(kernel, consumer, tiles, /*threads=*/true))
    return restore();
  foldPadCasts(kernel);
  movePadsIntoTiles(kernel);
  auto root = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kRootAttr));
  if (!root || !root->getParentOfType<scf::ForallOp>())
    return restore();
  // (n, oh, ow, c, kh, kw): the window loops one position at a time.
  SmallVector<int64_t> rootRanges = root.getStaticLoopRanges();
  if (rootRanges.size() != 6 || ShapedType::isDynamicShape(rootRanges) ||
      rootRanges[3] != kLanes)
    return restore();
  IRRewriter rewriter(kernel.getContext());
  linalg::LinalgOp step = root;
  if (rootRanges[4] > 1 || rootRanges[5] > 1) {
    auto tiled = tileOp(rewriter, root, {0, 0, 0, 0, 1, 1}, LoopKind::Sequential);
    if (failed(tiled))
      return restore();
    step = tiled->first;
  }
  if (!vectorizeTile(step, /*windowed=*/true))
    return restore();
  int64_t bytes = kLanes * getElementTypeOrSelf(root.getDpsInputOperand(0)->get().getType())
                               .getIntOrFloatBitWidth() / 8;
  notes += std::to_string(threads) + " threads of 4 channels (" + std::to_string(bytes) +
           "-byte vector reads); ";
  return true;
}

constexpr llvm::StringLiteral kInPlace = "tilec.in_place";

/// Partial sums a row reduction is split into (splitIntoStages): a warp's
/// worth; a row of 768 (ViT-B/16's layer norms) is 24 elements per thread,
/// then 32 partials combined by one.
constexpr int64_t kRowSplit = 32;

/// A reduction over its last loop only, of at least 4 x kRowSplit elements
/// (a multiple of kRowSplit), into at most 4 outputs, combined by one add:
/// too few outputs for a thread each to keep a block's threads busy.
bool isSmallRowReduction(linalg::GenericOp g) {
  SmallVector<int64_t> ranges = g.getStaticLoopRanges();
  if (g.getNumReductionLoops() != 1 || g.getNumDpsInits() != 1 || ranges.empty() ||
      ShapedType::isDynamicShape(ranges) ||
      g.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return false;
  int64_t outputs = 1;
  for (size_t i = 0; i + 1 < ranges.size(); ++i)
    outputs *= ranges[i];
  int64_t row = ranges.back();
  if (outputs > 4 || row < 4 * kRowSplit || row % kRowSplit != 0)
    return false;
  // The body combines with one addf (what splitReduction recognises).
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  return add && llvm::is_contained(add->getOperands(), body.getArguments().back());
}

/// A tensor.empty, or a slice or reshape of one: nothing written yet.
bool isNewTensor(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<tensor::EmptyOp>(def))
      return true;
    if (!isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      return false;
    v = def->getOperand(0);
  }
  return false;
}

/// A block (the whole kernel, or each trip of its workgroup loop: an image)
/// whose result cannot be computed per thread with its producers fused (a
/// squeeze-excite block: a global pool, two 1x1 convolutions, then a product
/// with the whole input) runs its ops as thread loops in turn, each op split
/// among the threads by its own outputs, its intermediate results in
/// workgroup memory. Returns false (kernel unchanged) when the intermediates
/// do not fit or an op has a single output.
bool splitIntoStages(func::FuncOp kernel, const Target &target, Attribute workgroupSpace) {
  // The block: the kernel, or the body of its workgroup loop (a block per
  // image) when every op is inside that.
  Operation *scope = kernel;
  SmallVector<scf::ForallOp> loops;
  kernel.walk([&](scf::ForallOp f) { loops.push_back(f); });
  if (loops.size() > 1)
    return false;
  if (loops.size() == 1) {
    bool outside = false;
    kernel.walk([&](linalg::LinalgOp op) { outside |= !loops[0]->isProperAncestor(op); });
    if (outside || (loops[0].getMapping() && !loops[0].getMapping()->empty()))
      return false;
    scope = loops[0];
  }
  fuseTrailingElementwise(kernel, /*anyInput=*/false);
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (!consumer || consumer->getNumResults() != 1)
    return false;
  KernelBackup backup(kernel);
  auto restore = [&] { return backup.restore(); };
  IRRewriter rewriter(kernel.getContext());
  // An elementwise op whose one input is an intermediate used only by it
  // writes over that input (each thread reads then writes the same element),
  // so that intermediate needs no second buffer.
  scope->walk([&](linalg::GenericOp g) {
    if (g == consumer || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
        g.getNumReductionLoops() != 0 ||
        !llvm::all_of(g.getIndexingMapsArray(), [](AffineMap m) { return m.isIdentity(); }))
      return;
    Value in = g.getDpsInputOperand(0)->get();
    OpOperand *init = g.getDpsInitOperand(0);
    if (in.getType() != init->get().getType() || !in.hasOneUse() ||
        !in.getDefiningOp<linalg::LinalgOp>())
      return;
    if (!isNewTensor(init->get()))
      return;
    init->set(in);
    g->setAttr(kInPlace, rewriter.getUnitAttr());
  });
  eraseDeadOps(kernel);
  // Row reductions with too few outputs to split among threads (a layer
  // norm's mean and variance over a block of one row) are split instead:
  // kRowSplit partial sums over interleaved elements of the row (consecutive
  // threads read consecutive elements), one thread each, then one thread
  // combining them, instead of one thread walking the whole row.
  SmallVector<linalg::GenericOp> rowReductions;
  scope->walk([&](linalg::GenericOp g) {
    if (isSmallRowReduction(g))
      rowReductions.push_back(g);
  });
  for (linalg::GenericOp g : rowReductions) {
    rewriter.setInsertionPoint(g);
    unsigned outputRank = g.getMatchingIndexingMap(g.getDpsInitOperand(0)).getNumResults();
    FailureOr<linalg::SplitReductionResult> split =
        linalg::splitReduction(rewriter, g, [&](linalg::LinalgOp) {
          return linalg::SplitReductionOptions{kRowSplit, outputRank, /*innerParallel=*/true};
        });
    if (failed(split))
      return restore();
  }
  // Intermediates: every new tensor but the one the result is written into.
  Value result = consumer.getDpsInitOperand(0)->get();
  int64_t bytes = 0;
  // Inside a block loop, an intermediate is a slice of a new tensor of the
  // whole result's size (its producer fused per block): the slice is new.
  SmallVector<Operation *> empties;
  scope->walk([&](Operation *op) {
    bool fresh = isa<tensor::EmptyOp>(op) ||
                 (isa<tensor::ExtractSliceOp>(op) && scope != kernel.getOperation() &&
                  isNewTensor(op->getResult(0)));
    if (fresh && op->getResult(0) != result)
      empties.push_back(op);
  });
  for (Operation *e : empties) {
    auto type = cast<RankedTensorType>(e->getResult(0).getType());
    if (!type.hasStaticShape())
      return restore();
    bytes += type.getNumElements() * 4;
    rewriter.setInsertionPoint(e);
    auto alloc = rewriter.create<bufferization::AllocTensorOp>(e->getLoc(), type, ValueRange{});
    if (workgroupSpace)
      alloc.setMemorySpaceAttr(workgroupSpace);
    rewriter.replaceOp(e, alloc.getResult());
  }
  if (bytes > target.sharedMemoryBytes)
    return restore();
  SmallVector<linalg::LinalgOp> ops;
  scope->walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  for (linalg::LinalgOp op : ops) {
    int64_t threads = 0;
    SmallVector<int64_t> tiles = elementTiles(op, /*keepInner=*/false, threads);
    // One output (a split reduction's combination, its fill): a thread loop
    // of one thread.
    AffineMap outMap = op.getNumDpsInits() == 1
                           ? op.getMatchingIndexingMap(op.getDpsInitOperand(0))
                           : AffineMap();
    if (threads == 1 && !rowReductions.empty() && outMap && outMap.getNumResults() > 0 &&
        isa<AffineDimExpr>(outMap.getResult(0)))
      tiles[outMap.getDimPosition(0)] = 1;
    else if (threads <= 1)
      return restore();
    linalg::LinalgOp tile;
    if (op->getNumResults() != 1 || ShapedType::isDynamicShape(op.getStaticLoopRanges()) ||
        threads > kMaxThreads || !(tile = tileToThreads(rewriter, op, tiles)))
      return restore();
    // An in-place op reads its thread's elements of the loop's own shared
    // output (as written before the loop), so bufferization sees one buffer.
    if (tile->hasAttr(kInPlace)) {
      auto loop = cast<scf::ForallOp>(tile->getParentOp());
      Value before = loop.getOutputs()[0];
      auto slice = tile.getDpsInputOperand(0)->get().getDefiningOp<tensor::ExtractSliceOp>();
      if (!slice || slice.getSource() != before)
        return restore();
      slice.getSourceMutable().set(loop.getRegionIterArgs()[0]);
    }
  }
  return true;
}

} // namespace

std::string tilec::codegen::mapToThreads(func::FuncOp kernel, const Schedule &s,
                                         const Target &target) {
  std::string notes;
  // Kernels built with their thread loops (streamed attention) are mapped.
  bool mapped = false;
  kernel.walk([&](scf::ForallOp f) {
    std::optional<ArrayAttr> mapping = f.getMapping();
    mapped |= mapping && !mapping->empty() && isa<gpu::GPUThreadMappingAttr>((*mapping)[0]);
  });
  if (mapped)
    return notes;
  DispatchShape shape = describeKernel(kernel);
  Attribute space; // workgroup memory; the stack on the simt target
  if (!target.simt)
    space = gpu::AddressSpaceAttr::get(kernel.getContext(), gpu::AddressSpace::Workgroup);
  if (!s.registerTile.empty() && (shape.rootKind == "matmul" || shape.rootKind == "conv_nhwc")) {
    KernelBackup backup(kernel);
    std::string gemmNotes;
    if (succeeded(stageContraction(kernel, s, target, space, gemmNotes)))
      return gemmNotes;
    backup.restore();
    notes += "thread tile not applied (" +
             (gemmNotes.empty() ? "unexpected kernel form; " : gemmNotes) +
             "one thread per output); ";
  }
  bool keepInner = reducesInner(shape);
  // A reduction its consumers broadcast back (a squeeze-excite block): its
  // ops in turn over the block, not each thread recomputing the pool.
  if (kernel->hasAttr(kBroadcastReductionAttr) && splitIntoStages(kernel, target, space))
    return notes += "one block, each op a thread loop in turn (intermediates in workgroup "
                    "memory); ";
  if ((shape.rootKind == "depthwise_nhwc" || shape.rootKind == "pool_nhwc") &&
      vectorizeChannelThreads(kernel, notes))
    return notes;
  if (shape.rootKind == "elementwise" && shape.innerContiguous && !keepInner &&
      s.vectorWidth > 1 && vectorizeInnerThreads(kernel, s.vectorWidth, notes))
    return notes;
  if (tileElementsToThreads(kernel, keepInner)) {
    foldPadCasts(kernel);
    movePadsIntoTiles(kernel);
  } else if (splitIntoStages(kernel, target, space)) {
    notes += "one block, each op a thread loop in turn (intermediates in workgroup memory); ";
  } else {
    notes += "one thread per block (the tile could not be split into threads); ";
  }
  return notes;
}
