//===- GpuThreads.cpp - a workgroup's tile onto a GPU block's threads -----===//
//
// See GpuThreads.h. Everything here is MLIR's tiling (scf::tileUsingSCF,
// tileConsumerAndFuseProducersUsingSCF) and vectorization (linalg::vectorize)
// on tensors; GpuBackend maps the resulting thread loops onto thread ids.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuThreads.h"
#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/TensorCores.h"

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

namespace {

constexpr int64_t kMaxThreads = 1024;
/// Bytes of row padding of operand tiles staged for warp tiles (ldmatrix
/// rows land in distinct banks).
constexpr int64_t kWarpRowPadBytes = 16;

/// A copy of a kernel, put back by restore() when a rewrite gives up halfway
/// (MLIR's tiling rewrites in place); dropped otherwise.
class KernelBackup {
public:
  explicit KernelBackup(func::FuncOp kernel) : kernel(kernel), copy(kernel.clone()) {}
  ~KernelBackup() {
    if (copy)
      copy.erase();
  }
  /// Puts the kernel back as it was; returns false (the rewrite's result).
  bool restore() {
    kernel.getBody().takeBody(copy.getBody());
    kernel->setAttrs(copy->getAttrDictionary());
    return false;
  }

private:
  func::FuncOp kernel, copy;
};

/// Pads of a halo whose size is static after a cast get that static type
/// (tensor.pad's own folding), so that slices of them can become pads of
/// slices (per thread) instead of a whole padded tile per thread.
void addPadCastFolding(RewritePatternSet &patterns) {
  tensor::PadOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  tensor::CastOp::getCanonicalizationPatterns(patterns, patterns.getContext());
}

void foldPadCasts(Operation *scope) {
  RewritePatternSet patterns(scope->getContext());
  addPadCastFolding(patterns);
  (void)applyPatternsAndFoldGreedily(scope, std::move(patterns));
}

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

enum class LoopKind { Sequential, Threads, Warps };

/// Tiles `op` by `tiles` (0: not tiled) into an scf.for nest, or an
/// scf.forall marked as a thread (or warp) loop, and replaces it; returns the
/// tiled op and the outermost loop.
FailureOr<std::pair<linalg::LinalgOp, Operation *>>
tileOp(RewriterBase &rewriter, linalg::LinalgOp op, ArrayRef<int64_t> tiles, LoopKind kind) {
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
Operation *fuseIntoForall(func::FuncOp kernel, linalg::LinalgOp consumer, ArrayRef<int64_t> tiles) {
  func::FuncOp backup = kernel.clone();
  IRRewriter rewriter(kernel.getContext());
  rewriter.setInsertionPoint(consumer);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(getAsIndexOpFoldResult(kernel.getContext(), tiles))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
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

/// Tile sizes giving one thread per output element of `op` (per row when the
/// innermost dim must stay whole; several outputs per thread, taken from the
/// outer dims, when there would be more than 1024); `threads` is set.
SmallVector<int64_t> elementTiles(linalg::LinalgOp op, bool keepInner, int64_t &threads) {
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> tiles(ranges.size(), 0);
  threads = 1;
  unsigned results = outMap.getNumResults();
  for (auto [i, expr] : llvm::enumerate(outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || (keepInner && i + 1 == results) || ranges[dim.getPosition()] == 1)
      continue;
    tiles[dim.getPosition()] = 1;
    threads *= ranges[dim.getPosition()];
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
  return fuseIntoForall(kernel, consumer, tiles) != nullptr;
}

/// Channels-last depthwise convolutions and pools (bandwidth-bound): each
/// thread computes 4 consecutive channels of one output pixel, its window
/// walked one position at a time with 16-byte vector reads of the input and
/// the weights (one thread per output read them 4 bytes at a time). Returns
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
  if (threads <= 1 || threads > kMaxThreads || !fuseIntoForall(kernel, consumer, tiles))
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
  notes += std::to_string(threads) + " threads of 4 channels (16-byte vector reads); ";
  return true;
}

/// Tiles `op` (static shapes, tensors) into a thread loop; returns the tiled
/// op, or null (op unchanged).
linalg::LinalgOp tileToThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                               ArrayRef<int64_t> tiles) {
  auto tiled = tileOp(rewriter, op, tiles, LoopKind::Threads);
  return succeeded(tiled) ? tiled->first : linalg::LinalgOp();
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
  return fuseIntoForall(kernel, consumer, tiles) != nullptr;
}

/// Tiles every reduction loop of a thread's op so that one step is small
/// enough to vectorize: window loops by 1, the last reduction (K, input
/// channels) by at most `lastStep`. Returns the innermost op.
FailureOr<linalg::LinalgOp> tileThreadReductions(RewriterBase &rewriter, linalg::LinalgOp op,
                                                 size_t rank, int64_t lastStep = 16) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> tiles(ranges.size(), 0);
  bool any = false;
  for (size_t i = rank; i < ranges.size(); ++i) {
    int64_t cap = i + 1 == ranges.size() ? lastStep : 1, t = std::min(cap, ranges[i]);
    while (ranges[i] % t != 0)
      --t;
    if (t < ranges[i]) {
      tiles[i] = t;
      any = true;
    }
  }
  if (!any)
    return op;
  auto tiled = tileOp(rewriter, op, tiles, LoopKind::Sequential);
  if (failed(tiled))
    return failure();
  return tiled->first;
}

/// A warp's step of a batched GEMM ([1, m, n] outputs) as a 2-d GEMM:
/// unit loops dropped through rank-reducing slices, so that its vectors (and
/// the accumulators carried across K steps) are the 2-d tiles tensor-core
/// instructions take. Returns the new op (the op itself when it has none).
FailureOr<linalg::LinalgOp> dropUnitLoops(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (llvm::none_of(op.getStaticLoopRanges(), [](int64_t r) { return r == 1; }))
    return op;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!*generic)
    generic = linalg::generalizeNamedOp(rewriter, op);
  if (failed(generic))
    return failure();
  Block *block = (*generic)->getBlock();
  Operation *before = (*generic)->getPrevNode(), *after = (*generic)->getNextNode();
  linalg::ControlDropUnitDims control;
  control.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  if (failed(linalg::dropUnitDims(rewriter, *generic, control)))
    return failure();
  linalg::LinalgOp result;
  for (Operation *o = before ? before->getNextNode() : &block->front(); o && o != after;
       o = o->getNextNode())
    if (auto g = dyn_cast<linalg::GenericOp>(o))
      result = g;
  if (!result)
    return failure();
  return result;
}

/// A copy into workgroup memory split among threads; returns its thread
/// loop.
FailureOr<Operation *> distributeCopy(RewriterBase &rewriter, linalg::CopyOp copy,
                                      int64_t threads) {
  auto type = cast<RankedTensorType>(copy.getType(0));
  ArrayRef<int64_t> shape = type.getShape();
  // 16 bytes per thread where the innermost dim allows (4 floats, 8 bf16).
  int64_t vec = 16 / ((type.getElementTypeBitWidth() + 7) / 8);
  while (vec > 1 && shape.back() % vec != 0)
    vec /= 2;
  auto tiled = tileOp(rewriter, copy, copyTiles(shape, threads, vec), LoopKind::Threads);
  if (failed(tiled))
    return failure();
  return tiled->second;
}

/// Inside the copies' thread loops: a padded source (a convolution's halo)
/// is padded per thread (slices of a pad become pads of slices, down through
/// the reduction block's slice), and each thread's pad and copy vectorized.
void padPerThreadAndVectorize(RewriterBase &rewriter, scf::ForallOp block,
                              ArrayRef<Operation *> copyLoops) {
  if (copyLoops.empty())
    return;
  MLIRContext *ctx = block.getContext();
  RewritePatternSet patterns(ctx);
  patterns.add<linalg::ExtractSliceOfPadTensorSwapPattern>(
      ctx, [](tensor::ExtractSliceOp) -> std::optional<bool> { return false; });
  // Casts a swap leaves between a pad and the next slice fold away.
  addPadCastFolding(patterns);
  (void)applyPatternsAndFoldGreedily(block, std::move(patterns));
  for (Operation *loop : copyLoops) {
    SmallVector<tensor::PadOp> pads;
    SmallVector<linalg::CopyOp> copies;
    loop->walk([&](tensor::PadOp pad) { pads.push_back(pad); });
    loop->walk([&](linalg::CopyOp copy) { copies.push_back(copy); });
    for (tensor::PadOp pad : pads) {
      rewriter.setInsertionPoint(pad);
      (void)linalg::vectorize(rewriter, pad, pad.getResultType().getShape());
    }
    for (linalg::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      (void)linalg::vectorize(rewriter, copy);
    }
  }
}

/// The thread-tiled contraction of GpuThreads.h (GEMM-like roots and
/// channels-last convolutions).
LogicalResult stageContraction(func::FuncOp kernel, const Schedule &s, const Target &target,
                               Attribute workgroupSpace, std::string &notes) {
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
  foldPadCasts(block);
  auto root = dyn_cast_or_null<linalg::LinalgOp>(findMarked(block, kRootAttr));
  if (!root || root->getNumResults() != 1 || !root.hasPureTensorSemantics())
    return failure();
  std::string kind = cast<StringAttr>(root->getAttr(kRootAttr)).str();
  bool windowed = kind == "conv_nhwc";
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  // The result dims are the leading parallel loops, the reductions follow.
  size_t rank = root.getMatchingIndexingMap(root.getDpsInitOperand(0)).getNumResults();
  if (ShapedType::isDynamicShape(ranges) || s.registerTile.size() != ranges.size() ||
      root.getNumParallelLoops() != rank || rank < 2)
    return failure();
  for (size_t i = rank; i < ranges.size(); ++i)
    if (root.getIteratorTypesArray()[i] != utils::IteratorType::reduction)
      return failure();
  // Thread tile over the block's tile (with `mma`: each warp's tile).
  bool warps = !s.mmaShape.empty();
  SmallVector<int64_t> threadTile(ranges.size(), 0);
  int64_t threads = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t t = s.registerTile[i] == 0 ? ranges[i] : std::min(s.registerTile[i], ranges[i]);
    if (ranges[i] % t != 0)
      return failure();
    threadTile[i] = t;
    threads *= ranges[i] / t;
  }
  int64_t warpCount = threads;
  if (warps) {
    threads *= target.warpSize();
    Type a = getElementTypeOrSelf(root.getDpsInputs()[0].getType());
    Type b = getElementTypeOrSelf(root.getDpsInputs()[1].getType());
    // bf16 / f16 operands, or f32 ones rounded to TF32 (mma k = 8).
    bool tf32 = a.isF32() && s.mmaShape[2] == 8 && root->hasAttr(tilec::kTF32Attr);
    if (root.getNumDpsInputs() != 2 || a != b || !(a.isBF16() || a.isF16() || tf32) ||
        !getElementTypeOrSelf(root->getResult(0).getType()).isF32() || s.cacheTile.empty())
      return notes += "mma needs bf16 or f16 operands (or f32 ones allowed TF32), f32 results "
                      "and a K block; ",
             failure();
    if (tf32)
      kernel->setAttr(kTF32MmaAttr, UnitAttr::get(kernel.getContext()));
  }
  if (threads > kMaxThreads)
    return failure();
  MLIRContext *ctx = kernel.getContext();
  IRRewriter rewriter(ctx);
  Location loc = root.getLoc();
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(block, kConsumerAttr));
  if (!consumer)
    return failure();
  // A zero fill the accumulators start from is tagged: GpuBackend seeds the
  // accumulators with zero registers instead of reading the fill back.
  if (auto fill = root.getDpsInitOperand(0)->get().getDefiningOp<linalg::FillOp>())
    if (matchPattern(fill.getDpsInputs()[0], m_AnyZeroFloat()))
      fill->setAttr(kZeroAccumulatorAttr, UnitAttr::get(ctx));
  int64_t sharedBytes = 0;
  auto bytesOf = [](RankedTensorType t) {
    return t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
  };
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
    auto type = cast<RankedTensorType>(source->getResult(0).getType());
    rewriter.setInsertionPoint(source);
    auto alloc = rewriter.create<bufferization::AllocTensorOp>(loc, type, ValueRange{});
    alloc.setMemorySpaceAttr(workgroupSpace);
    rewriter.replaceOp(source, alloc.getResult());
    sharedBytes += bytesOf(type);
  }
  // 2. Reduction blocks (K, input channels).
  bool staged = !s.cacheTile.empty();
  SmallVector<int64_t> blocks(ranges.size(), 0);
  bool blocked = false;
  for (size_t i = rank; i < ranges.size() && staged; ++i) {
    int64_t b = i < s.cacheTile.size() && s.cacheTile[i] > 0 ? s.cacheTile[i] : ranges[i];
    if (ranges[i] % b != 0)
      return failure();
    if (b < ranges[i]) {
      blocks[i] = b;
      blocked = true;
    }
  }
  linalg::LinalgOp compute = root;
  Operation *kLoop = nullptr;
  if (blocked) {
    auto tiled = tileOp(rewriter, root, blocks, LoopKind::Sequential);
    if (failed(tiled))
      return failure();
    std::tie(compute, kLoop) = *tiled;
  }
  // 3. Operand slices of each reduction block copied into workgroup memory;
  //    the destinations are allocated once, outside the reduction loop.
  SmallVector<linalg::CopyOp> copies;
  int64_t operandBytes = 0;
  if (staged) {
    for (OpOperand *in : compute.getDpsInputOperands()) {
      auto type = dyn_cast<RankedTensorType>(in->get().getType());
      if (!type || !type.hasStaticShape())
        return failure();
      rewriter.setInsertionPoint(kLoop ? kLoop : compute.getOperation());
      // Warp tiles read the staged operands with ldmatrix: 8 rows of 16
      // bytes at once, which hit the same banks when the row stride is a
      // multiple of 128 bytes (2-8 way conflicts on 32- and 64-wide bf16
      // tiles). Rows padded by 16 bytes spread them over all 32 banks.
      RankedTensorType allocType = type;
      if (warps) {
        SmallVector<int64_t> padded(type.getShape());
        padded.back() += kWarpRowPadBytes * 8 / type.getElementTypeBitWidth();
        allocType = RankedTensorType::get(padded, type.getElementType());
      }
      auto alloc = rewriter.create<bufferization::AllocTensorOp>(loc, allocType, ValueRange{});
      if (workgroupSpace)
        alloc.setMemorySpaceAttr(workgroupSpace);
      Value dest = alloc.getResult();
      if (allocType != type) {
        SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0)),
            strides(type.getRank(), rewriter.getIndexAttr(1)),
            sizes = getAsIndexOpFoldResult(ctx, type.getShape());
        dest = rewriter.create<tensor::ExtractSliceOp>(loc, type, dest, offsets, sizes, strides);
      }
      rewriter.setInsertionPoint(compute);
      auto copy = rewriter.create<linalg::CopyOp>(loc, in->get(), dest);
      in->set(copy.getResult(0));
      copies.push_back(copy);
      operandBytes += bytesOf(allocType);
    }
  }
  // A pipeline (stages > 1) keeps one buffer per block in flight, never
  // more than there are blocks (Pipeline.h multi-buffers after
  // bufferization).
  int64_t stages = 1;
  if (blocked && s.stages > 1) {
    int64_t blocksInLoop = 1;
    for (size_t i = rank; i < ranges.size(); ++i)
      if (blocks[i])
        blocksInLoop *= ranges[i] / blocks[i];
    stages = std::min(s.stages, blocksInLoop);
  }
  sharedBytes += stages * operandBytes;
  if (sharedBytes > target.maxSharedMemoryBytes)
    return notes +=
           "the staged blocks need " + std::to_string(sharedBytes) + " bytes of workgroup memory; ",
           failure();
  // 4. Each thread's outputs, its reductions walked in small steps, each
  //    step vectorized (a vector.contract: multiply-adds into registers).
  //    With `mma` each warp's tile is one iteration of a warp loop, and each
  //    step a warp-wide vector.contract of 16-bit operands into f32
  //    accumulators (GpuBackend turns it into mma.sync instructions).
  linalg::LinalgOp threadOp;
  if (warps) {
    auto tiled = tileOp(rewriter, compute, threadTile, LoopKind::Warps);
    if (succeeded(tiled))
      threadOp = tiled->first;
  } else {
    threadOp = tileToThreads(rewriter, compute, threadTile);
  }
  if (!threadOp)
    return failure();
  Operation *threadLoop = threadOp->getParentOp();
  // Warp tiles step K by the instruction's k: one contraction per piece and
  // step (MLIR's mma.sync conversion does not take a contraction whose
  // accumulator is another's result, as two k = 8 pieces of 16 would be).
  FailureOr<linalg::LinalgOp> step =
      tileThreadReductions(rewriter, threadOp, rank, warps ? s.mmaShape[2] : 16);
  if (failed(step))
    return failure();
  linalg::LinalgOp stepOp = *step;
  if (warps) {
    FailureOr<linalg::LinalgOp> squeezed = dropUnitLoops(rewriter, stepOp);
    if (failed(squeezed))
      return notes += "the warp tile's unit loops could not be dropped; ", failure();
    stepOp = *squeezed;
  }
  bool vectorized = vectorizeTile(stepOp, windowed);
  if (vectorized) {
    // linalg's vectorizer writes a contraction as a broadcast multiply and a
    // multi_reduction; folded back into one vector.contract it lowers to
    // outer products (a multiply-add per accumulator per k).
    RewritePatternSet patterns(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    // Tensor cores take the 16-bit operands themselves (the simt target
    // keeps the extensions: its CPU lowering computes in f32 either way).
    if (warps && !target.simt)
      vector::populateFoldArithExtensionPatterns(patterns);
    (void)applyPatternsAndFoldGreedily(threadLoop, std::move(patterns));
  }
  if (warps && !target.simt) {
    bool contracted = false;
    threadLoop->walk([&](vector::ContractionOp c) { contracted |= isWarpContraction(c); });
    if (!contracted)
      return notes += "the warp tile did not vectorize into a tensor-core contraction; ",
             failure();
  }
  // 5. Copies split among the threads, whole vectors along the contiguous dim.
  SmallVector<Operation *> copyLoops;
  for (linalg::CopyOp copy : copies) {
    FailureOr<Operation *> loop = distributeCopy(rewriter, copy, threads);
    if (failed(loop))
      return failure();
    copyLoops.push_back(*loop);
  }
  padPerThreadAndVectorize(rewriter, block, copyLoops);
  // Unstaged, each thread pads its own window of a padded input.
  if (!staged)
    movePadsIntoTiles(kernel);
  // 6. Every other op of the block's tile (the accumulator's fill or bias,
  //    the epilogue) gets the same thread tile over the result dims.
  eraseDeadOps(kernel);
  SmallVector<linalg::LinalgOp> rest;
  block.getBody()->walk([&](linalg::LinalgOp op) {
    if (op->getParentOfType<scf::ForallOp>() == block)
      rest.push_back(op);
  });
  for (linalg::LinalgOp op : rest) {
    if (op->getNumResults() != 1 || ShapedType::isDynamicShape(op.getStaticLoopRanges()))
      return failure();
    // The same iteration space as the compute loop, so each thread reads
    // back exactly the accumulators it wrote (after the accumulators are
    // hoisted into registers no barrier separates the two).
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (op.getNumLoops() != rank || !outMap.isIdentity())
      return notes += "an epilogue that is not elementwise; ", failure();
    // Warp tiles: a warp's accumulators are spread over its lanes, so these
    // ops take one element per thread in turn instead (barriers separate
    // them from the warp loop).
    SmallVector<int64_t> tiles(ArrayRef<int64_t>(threadTile).take_front(rank));
    if (warps)
      tiles = copyTiles(ArrayRef<int64_t>(ranges).take_front(rank), threads, 1);
    if (!tileToThreads(rewriter, op, tiles))
      return failure();
  }
  eraseDeadOps(kernel);
  bool outside = false;
  block.getBody()->walk([&](Operation *op) {
    outside |=
        isa<linalg::LinalgOp, tensor::PadOp>(op) && op->getParentOfType<scf::ForallOp>() == block;
  });
  if (outside) {
    return notes += "work left outside the thread loops; ", failure();
  }
  std::string instruction =
      warps ? (s.mmaShape[1] == 8 ? "mma.sync " : "MFMA ") + std::to_string(s.mmaShape[0]) + "x" +
                  std::to_string(s.mmaShape[1]) + "x" + std::to_string(s.mmaShape[2])
            : "";
  notes += (warps ? std::to_string(warpCount) + " warps (" + instruction + ") of "
                  : std::to_string(threads) + " threads of ") +
           std::to_string(threadTile[rank - 2]) + "x" + std::to_string(threadTile[rank - 1]) +
           " outputs" +
           (staged ? ", reduction blocks staged in workgroup memory (" +
                         std::to_string(sharedBytes) + " bytes" +
                         (stages > 1 ? ", " + std::to_string(stages) + "-stage pipeline" : "") + ")"
                   : "") +
           (vectorized ? "" : " (thread tile not vectorized)") + "; ";
  if (stages > 1)
    kernel->setAttr(kPipelineStagesAttr, rewriter.getI64IntegerAttr(stages));
  return success();
}

constexpr llvm::StringLiteral kInPlace = "tilec.in_place";

/// A kernel that is one workgroup and whose result cannot be computed per
/// thread with its producers fused (a squeeze-excite block: a global pool,
/// two 1x1 convolutions, then a product with the whole input) runs as one
/// block whose ops are thread loops in turn, each op split among the threads
/// by its own outputs, its intermediate results in workgroup memory. Returns
/// false (kernel unchanged) when the intermediates do not fit or an op has a
/// single output.
/// Elementwise ops at the end of a kernel fused into their elementwise
/// producer (a squeeze-excite block's final product and the bf16 convert of
/// it, --precision): one op writes the result, so the product is no
/// intermediate, which would be a whole activation tensor.
void fuseTrailingElementwise(func::FuncOp kernel) {
  IRRewriter rewriter(kernel.getContext());
  auto isElementwise = [](linalg::GenericOp g) {
    return g && g.getNumReductionLoops() == 0 && g.getNumDpsInits() == 1;
  };
  while (true) {
    auto consumer = dyn_cast_or_null<linalg::GenericOp>(findMarked(kernel, kConsumerAttr));
    if (!isElementwise(consumer) || consumer.getNumDpsInputs() != 1)
      return;
    OpOperand *operand = consumer.getDpsInputOperand(0);
    auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
    if (!isElementwise(producer) || !operand->get().hasOneUse() ||
        !linalg::areElementwiseOpsFusable(operand))
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

bool splitIntoStages(func::FuncOp kernel, const Target &target, Attribute workgroupSpace) {
  bool nested = false;
  kernel.walk([&](scf::ForallOp) { nested = true; });
  if (!nested)
    fuseTrailingElementwise(kernel);
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (nested || !consumer || consumer->getNumResults() != 1)
    return false;
  KernelBackup backup(kernel);
  auto restore = [&] { return backup.restore(); };
  IRRewriter rewriter(kernel.getContext());
  // An elementwise op whose one input is an intermediate used only by it
  // writes over that input (each thread reads then writes the same element),
  // so that intermediate needs no second buffer.
  kernel.walk([&](linalg::GenericOp g) {
    if (g == consumer || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
        g.getNumReductionLoops() != 0 ||
        !llvm::all_of(g.getIndexingMapsArray(), [](AffineMap m) { return m.isIdentity(); }))
      return;
    Value in = g.getDpsInputOperand(0)->get();
    OpOperand *init = g.getDpsInitOperand(0);
    if (in.getType() != init->get().getType() || !in.hasOneUse() ||
        !in.getDefiningOp<linalg::LinalgOp>() || !init->get().getDefiningOp<tensor::EmptyOp>())
      return;
    init->set(in);
    g->setAttr(kInPlace, rewriter.getUnitAttr());
  });
  eraseDeadOps(kernel);
  // Intermediates: every new tensor but the one the result is written into.
  Value result = consumer.getDpsInitOperand(0)->get();
  int64_t bytes = 0;
  SmallVector<tensor::EmptyOp> empties;
  kernel.walk([&](tensor::EmptyOp e) {
    if (e.getResult() != result)
      empties.push_back(e);
  });
  for (tensor::EmptyOp e : empties) {
    RankedTensorType type = e.getType();
    if (!type.hasStaticShape())
      return restore();
    bytes += type.getNumElements() * 4;
    rewriter.setInsertionPoint(e);
    auto alloc = rewriter.create<bufferization::AllocTensorOp>(e.getLoc(), type, ValueRange{});
    if (workgroupSpace)
      alloc.setMemorySpaceAttr(workgroupSpace);
    rewriter.replaceOp(e, alloc.getResult());
  }
  if (bytes > target.sharedMemoryBytes)
    return restore();
  SmallVector<linalg::LinalgOp> ops;
  kernel.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  for (linalg::LinalgOp op : ops) {
    int64_t threads = 0;
    SmallVector<int64_t> tiles = elementTiles(op, /*keepInner=*/false, threads);
    linalg::LinalgOp tile;
    if (op->getNumResults() != 1 || ShapedType::isDynamicShape(op.getStaticLoopRanges()) ||
        threads <= 1 || threads > kMaxThreads || !(tile = tileToThreads(rewriter, op, tiles)))
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
  bool keepInner = shape.rootKind == "softmax" || shape.rootKind == "layer_norm" ||
                   shape.rootKind == "reduce" || shape.rootKind == "attention";
  if ((shape.rootKind == "depthwise_nhwc" || shape.rootKind == "pool_nhwc") &&
      vectorizeChannelThreads(kernel, notes))
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
