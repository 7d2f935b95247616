//===- ApplySchedule.cpp - workgroup tiling, fusion, register tiling ------===//
//
// See ApplySchedule.h for the steps. Everything here uses MLIR's tiling and
// vectorization APIs (TilingInterface, linalg::vectorize); no loop IR is built
// by hand except the delinearization of the workgroup id.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/ScalarOps.h"

#include "codegen/common/LowerToLinalg.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace tilec::codegen;

namespace {


/// The kernel's root kind (`tilec.root`), or "" when it has none.
std::string rootKindOf(func::FuncOp kernel) {
  Operation *root = findMarked(kernel, kRootAttr);
  return root ? cast<StringAttr>(root->getAttr(kRootAttr)).str() : "";
}

int64_t largestDivisorAtMost(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, cap); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// Sum over linalg ops under `root` of their iteration-space sizes; -1 if any
/// is dynamic.
int64_t work(Operation *root) {
  int64_t total = 0;
  root->walk([&](linalg::LinalgOp op) {
    if (total < 0)
      return;
    int64_t n = 1;
    for (int64_t r : op.getStaticLoopRanges())
      n = ShapedType::isDynamic(r) ? -1 : n * r;
    total = n < 0 ? -1 : total + n;
  });
  return total;
}

/// A 1x1, stride-1 convolution as a contraction generic over (n, f, h, w, c):
/// the same loops as a GEMM, which the contraction vectorizer handles.
LogicalResult convToGemm(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv) {
  auto wType = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
  rewriter.setInsertionPoint(conv);
  Location loc = conv.getLoc();
  auto w2Type = RankedTensorType::get({wType.getDimSize(0), wType.getDimSize(1)},
                                      wType.getElementType());
  Value w2 = rewriter.create<tensor::CollapseShapeOp>(
      loc, w2Type, conv.getDpsInputs()[1], SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  MLIRContext *ctx = rewriter.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = {AffineMap::get(5, 0, {d(0), d(4), d(2), d(3)}, ctx),
                                 AffineMap::get(5, 0, {d(1), d(4)}, ctx),
                                 AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  auto gemm = rewriter.create<linalg::GenericOp>(
      loc, conv->getResultTypes(), ValueRange{conv.getDpsInputs()[0], w2},
      conv.getDpsInits(), maps, iters, multiplyAccumulate);
  gemm->setAttr(kRootAttr, rewriter.getStringAttr("matmul"));
  if (conv->hasAttr(kConsumerAttr))
    gemm->setAttr(kConsumerAttr, rewriter.getUnitAttr());
  rewriter.replaceOp(conv, gemm->getResults());
  return success();
}

/// A strided convolution's tile reads its input at `stride * d`: replace that
/// operand by a strided slice read at `d`, so every indexing map is a
/// projected permutation and the tile vectorizes like a stride-1 one. A unit
/// dim read at a constant 0 (a channels-last tile's row, `oh + kh` with both
/// loops dropped) is sliced away for the same reason.
void unstrideInputs(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  MLIRContext *ctx = op.getContext();
  bool changedAny = false;
  for (OpOperand *operand : op.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand->get().getType());
    AffineMap map = maps[operand->getOperandNumber()];
    if (!type)
      continue;
    SmallVector<int64_t> sizes(type.getShape()), strides(type.getRank(), 1);
    SmallVector<AffineExpr> exprs;
    SmallVector<int64_t> kept; // result sizes after dropping constant unit dims
    bool changed = false;
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      auto constant = dyn_cast<AffineConstantExpr>(e);
      if (constant && constant.getValue() == 0 && type.getDimSize(i) == 1) {
        changed = true; // dropped: the slice below is rank-reducing
        continue;
      }
      auto mul = dyn_cast<AffineBinaryOpExpr>(e);
      bool isMul = mul && mul.getKind() == AffineExprKind::Mul;
      auto dim = isMul ? dyn_cast<AffineDimExpr>(mul.getLHS()) : nullptr;
      auto factor = isMul ? dyn_cast<AffineConstantExpr>(mul.getRHS()) : nullptr;
      if (dim && factor && !ShapedType::isDynamic(ranges[dim.getPosition()])) {
        strides[i] = factor.getValue();
        sizes[i] = ranges[dim.getPosition()];
        exprs.push_back(dim);
        changed = true;
      } else {
        exprs.push_back(e);
      }
      kept.push_back(sizes[i]);
    }
    if (!changed)
      continue;
    rewriter.setInsertionPoint(op);
    SmallVector<int64_t> offsets(type.getRank(), 0);
    auto sliceType = RankedTensorType::get(kept, type.getElementType());
    Value slice = rewriter.create<tensor::ExtractSliceOp>(
        op.getLoc(), sliceType, operand->get(), getAsIndexOpFoldResult(ctx, offsets),
        getAsIndexOpFoldResult(ctx, sizes), getAsIndexOpFoldResult(ctx, strides));
    operand->set(slice);
    maps[operand->getOperandNumber()] = AffineMap::get(map.getNumDims(), 0, exprs, ctx);
    changedAny = true;
  }
  if (changedAny)
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
}

/// Step 1: tiles the consumer into workgroups and fuses its producers; returns
/// the grid, or 1 (with `notes` saying why) when the kernel stays whole.
int64_t tileWorkgroups(func::FuncOp kernel, const Schedule &s, std::string &notes) {
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
  if (!consumer || s.workgroupTile.empty() || consumer->getNumResults() != 1) {
    notes += "single workgroup (result not written by a tileable op); ";
    return 1;
  }
  // Results of ops viewed with unit dims added (a global pool's [N, C] as
  // [N, 1, 1, C], copied out or read by a squeeze-excite block's 1x1
  // convolutions): the unit dims move into the ops that compute them, so
  // that they tile and fuse with their consumers (a reshape would not).
  bool unitViews = false;
  kernel.walk([&](tensor::ExpandShapeOp e) {
    unitViews |= bool(e.getSrc().getDefiningOp<linalg::GenericOp>());
  });
  if (unitViews) {
    // Only expansions that add unit dims (each group one dim of size > 1).
    RewritePatternSet patterns(kernel.getContext());
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, [](OpOperand *operand) {
      auto reshape = dyn_cast<tensor::ExpandShapeOp>(operand->getOwner());
      return reshape &&
             llvm::all_of(reshape.getReassociationIndices(), [&](const ReassociationIndices &g) {
               return llvm::count_if(g, [&](int64_t d) {
                        return reshape.getResultType().getDimSize(d) != 1;
                      }) <= 1;
             });
    });
    (void)applyPatternsAndFoldGreedily(kernel, std::move(patterns));
    consumer = dyn_cast_or_null<linalg::LinalgOp>(findMarked(kernel, kConsumerAttr));
    if (!consumer) {
      notes += "single workgroup (result not written by a tileable op); ";
      return 1;
    }
  }
  // Tile sizes over the consumer's loops from the result dims they index.
  AffineMap outMap = consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0));
  SmallVector<int64_t> loopRanges = consumer.getStaticLoopRanges();
  SmallVector<int64_t> tiles(loopRanges.size(), 0);
  int64_t grid = 1;
  if (s.workgroupTile.size() != outMap.getNumResults()) {
    notes += "single workgroup (wg does not match the result's dims); ";
    return 1;
  }
  for (auto [i, expr] : llvm::enumerate(outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    int64_t t = s.workgroupTile[i];
    if (!dim || t == 0 || t >= loopRanges[dim.getPosition()])
      continue;
    tiles[dim.getPosition()] = t;
    grid *= loopRanges[dim.getPosition()] / t;
  }
  if (grid == 1)
    return 1;
  int64_t before = work(kernel);
  // Row-wise normalizations duplicate only elementwise producers (each use of
  // a fused producer is recomputed): cheap next to their memory traffic, so
  // up to 2x is worth the parallelism. Anything with a contraction: 25%.
  std::string kind = rootKindOf(kernel);
  int64_t maxExtraPercent = kind == "layer_norm" || kind == "softmax" || kind == "reduce" ? 100 : 25;
  func::FuncOp backup = kernel.clone();
  IRRewriter rewriter(kernel.getContext());
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(getAsIndexOpFoldResult(kernel.getContext(), tiles))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(consumer.getOperation()), options);
  std::string failure;
  if (failed(result)) {
    failure = "tiling failed";
  } else {
    for (auto [original, replacement] : result->replacements)
      rewriter.replaceAllUsesWith(original, replacement);
    eraseDeadOps(kernel);
    auto forall = dyn_cast<scf::ForallOp>(result->loops.front().getOperation());
    // Fusion clones a producer once per use; inside one tile the clones read
    // the same slices (the score block that both softmax reductions need), so
    // CSE merges them back. Only inside the tile: outside, merging the
    // tensor.empty destinations would force copies at bufferization.
    DominanceInfo dominance;
    eliminateCommonSubExpressions(rewriter, dominance, forall);
    bool outside = false;
    kernel.walk([&](linalg::LinalgOp op) {
      if (!forall->isProperAncestor(op))
        outside = true;
    });
    int64_t inside = work(forall);
    if (outside)
      failure = "fusion left work outside the workgroup loop";
    else if (before < 0 || inside < 0)
      failure = "dynamic tile shapes";
    else if (inside * grid > before + before * maxExtraPercent / 100)
      failure = "fusion would recompute " + std::to_string(inside * grid * 100 / before - 100) +
                "% extra";
  }
  if (!failure.empty()) {
    kernel.getBody().takeBody(backup.getBody());
    backup.erase();
    notes += "single workgroup (" + failure + "); ";
    return 1;
  }
  backup.erase();
  return grid;
}

/// Marks the kernel for blocks run in groups of `group` rows (inlineForall)
/// where its workgroup loop has more rows of blocks than that and several
/// columns; the notes say which.
void groupBlockRows(func::FuncOp kernel, int64_t group, std::string &notes) {
  scf::ForallOp blocks;
  for (Operation &op : kernel.getBody().front())
    if (auto f = dyn_cast<scf::ForallOp>(op); f && !blocks)
      blocks = f;
  std::optional<SmallVector<int64_t>> trips = blocks ? forallTripCounts(blocks) : std::nullopt;
  size_t rank = trips ? trips->size() : 0;
  if (rank < 2 || (*trips)[rank - 2] <= group || (*trips)[rank - 1] < 2) {
    notes += "group=" + std::to_string(group) + " changes nothing (the blocks are " +
             (rank < 2 ? "one row" : "not more than " + std::to_string(group) + " rows by " +
                                        "several columns") + "); ";
    return;
  }
  kernel->setAttr(kBlockGroupAttr, IntegerAttr::get(IndexType::get(kernel.getContext()), group));
  notes += "blocks run " + std::to_string(group) + " rows at a time (" +
           std::to_string((*trips)[rank - 2]) + "x" + std::to_string((*trips)[rank - 1]) +
           " blocks); ";
}

} // namespace

/// A windowed tile with its window loops tiled to 1 is an outer product or an
/// elementwise update: generalize it, drop the unit loops (their window
/// expressions fold to constants), un-stride its input, and vectorize that.

bool tilec::codegen::vectorizeTile(linalg::LinalgOp tile, bool windowed) {
  IRRewriter rewriter(tile->getContext());
  rewriter.setInsertionPoint(tile);
  Operation *target = tile;
  if (windowed) {
    FailureOr<linalg::GenericOp> generic = linalg::generalizeNamedOp(rewriter, tile);
    if (failed(generic))
      return false;
    Block *block = (*generic)->getBlock();
    Operation *before = (*generic)->getPrevNode(), *after = (*generic)->getNextNode();
    rewriter.setInsertionPoint(*generic);
    // Rank-reducing slices, not reshapes: slices compose with the tile's
    // slices, so the accumulator's read/write pair can be hoisted out of the
    // window loops and stays in registers.
    linalg::ControlDropUnitDims control;
    control.rankReductionStrategy =
        linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
    if (failed(linalg::dropUnitDims(rewriter, *generic, control)))
      return false;
    target = nullptr;
    for (Operation *op = before ? before->getNextNode() : &block->front(); op && op != after;
         op = op->getNextNode())
      if (isa<linalg::GenericOp>(op))
        target = op;
    if (!target)
      return false;
    auto windowGeneric = cast<linalg::GenericOp>(target);
    unstrideInputs(rewriter, windowGeneric);
    // Vectors follow loop order: the loop of the output's contiguous (last)
    // dimension must be innermost (linalg's depthwise op has channels last).
    AffineMap out = windowGeneric.getMatchingIndexingMap(windowGeneric.getDpsInitOperand(0));
    auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
    unsigned loops = windowGeneric.getNumLoops();
    if (last && last.getPosition() != loops - 1) {
      SmallVector<unsigned> order;
      for (unsigned i = 0; i < loops; ++i)
        if (i != last.getPosition())
          order.push_back(i);
      order.push_back(last.getPosition());
      rewriter.setInsertionPoint(windowGeneric);
      FailureOr<linalg::GenericOp> interchanged =
          linalg::interchangeGenericOp(rewriter, windowGeneric, order);
      if (failed(interchanged))
        return false;
      target = *interchanged;
    }
  }
  rewriter.setInsertionPoint(target);
  return succeeded(linalg::vectorize(rewriter, target)); // replaces `target`
}

namespace {

/// Step 2a: the schedule's cache tiles of reduction loops become an scf.for
/// over reduction blocks around the root (outermost, so one block of each
/// operand is reused by every register tile inside); returns the root's copy
/// inside the loop, or the root itself when nothing is tiled.
FailureOr<linalg::LinalgOp> tileReductions(linalg::LinalgOp root, ArrayRef<int64_t> cache) {
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  SmallVector<int64_t> tiles;
  bool any = false;
  for (auto [range, size] : llvm::zip(ranges, cache)) {
    // Only whole blocks: a size that does not divide the loop is left alone
    // (verifySchedule rejects it on the full loop).
    bool use = size > 0 && !ShapedType::isDynamic(range) && size < range && range % size == 0;
    tiles.push_back(use ? size : 0);
    any |= use;
  }
  if (!any)
    return root;
  IRRewriter rewriter(root->getContext());
  rewriter.setInsertionPoint(root);
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(root->getContext(), tiles));
  auto tiled = scf::tileUsingSCF(rewriter, cast<TilingInterface>(root.getOperation()), options);
  if (failed(tiled))
    return failure();
  rewriter.replaceOp(root, tiled->replacements);
  return cast<linalg::LinalgOp>(tiled->tiledOps.front());
}

/// Tiles `op` by `tiles` (loops interchanged by `order` when it is not
/// empty) and peels every tile loop whose step does not divide it, outermost
/// first, including the copies of inner loops that peeling an outer one made
/// (inside a row's remainder the channel loop needs its own remainder, or
/// that tile stays dynamic and is not vectorized). Returns the tile ops, all
/// static.
FailureOr<SmallVector<linalg::LinalgOp>> tileAndPeel(linalg::LinalgOp op, ArrayRef<int64_t> tiles,
                                                     ArrayRef<int64_t> order) {
  constexpr StringLiteral kTileLoop = "tilec.tile_loop", kTile = "tilec.tile";
  func::FuncOp func = op->getParentOfType<func::FuncOp>();
  IRRewriter rewriter(op->getContext());
  rewriter.setInsertionPoint(op);
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles));
  if (!order.empty())
    options.setInterchange(order);
  op->setAttr(kTile, rewriter.getUnitAttr()); // tile ops are clones: they keep it
  auto tiled = scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled)) {
    op->removeAttr(kTile);
    return failure();
  }
  rewriter.replaceOp(op, tiled->replacements);
  for (LoopLikeOpInterface loop : tiled->loops)
    loop->setAttr(kTileLoop, rewriter.getUnitAttr());
  auto needsPeeling = [](scf::ForOp f) {
    std::optional<int64_t> lb = getConstantIntValue(f.getLowerBound()),
                           ub = getConstantIntValue(f.getUpperBound()),
                           step = getConstantIntValue(f.getStep());
    return f->hasAttr(kTileLoop) && lb && ub && step && *ub - *lb > *step &&
           (*ub - *lb) % *step != 0;
  };
  auto canonicalize = [&] {
    PassManager pm(func.getContext(), func::FuncOp::getOperationName());
    pm.addPass(createCanonicalizerPass());
    return pm.run(func);
  };
  bool peeledAny = false;
  for (int peeled = 0; peeled < 64; ++peeled) { // a bound: each peel ends a loop's remainder
    scf::ForOp next;
    func.walk<WalkOrder::PreOrder>([&](scf::ForOp f) {
      if (!needsPeeling(f))
        return WalkResult::advance();
      next = f;
      return WalkResult::interrupt();
    });
    if (!next)
      break;
    scf::ForOp remainder;
    if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, next, remainder)))
      break;
    peeledAny = true;
    // The remainder's bounds and slice sizes become static.
    if (failed(canonicalize()))
      return failure();
  }
  func.walk([&](scf::ForOp f) { f->removeAttr(kTileLoop); });
  SmallVector<linalg::LinalgOp> ops;
  if (!peeledAny) {
    ops.push_back(cast<linalg::LinalgOp>(tiled->tiledOps.front()));
  } else {
    func.walk([&](linalg::LinalgOp t) {
      if (t->hasAttr(kTile) && t.hasPureTensorSemantics() &&
          !llvm::is_contained(t.getStaticLoopRanges(), ShapedType::kDynamic))
        ops.push_back(t);
    });
  }
  func.walk([&](linalg::LinalgOp t) { t->removeAttr(kTile); });
  return ops;
}

/// Column panels of a GEMM's B operand, copied contiguous. In a row-major
/// [K, N] operand the register tiles' n_r-wide panel is K rows N floats
/// apart: with N a multiple of 1024 (1024, ViT-B/16's 3072 and 768 in part)
/// every row of the panel falls in the same few L1 sets and the panel does
/// not stay in cache. The root is tiled by n_r columns (the loop every
/// register tile of the panel shares) and each panel tile reads a private
/// contiguous [K, n_r] copy (the packing of BLIS and of IREE's data tiling,
/// per workgroup and K block). Returns the panel tiles, or the root when the
/// operand is already narrow or not a plain row-major B, or (unless `force`,
/// the schedule's pack=on) when fewer than 8 row tiles would reuse a panel.
FailureOr<SmallVector<linalg::LinalgOp>> copyColumnPanels(linalg::LinalgOp root,
                                                          ArrayRef<int64_t> caps, bool force) {
  AffineMap out = root.getMatchingIndexingMap(root.getDpsInitOperand(0));
  auto nExpr = dyn_cast<AffineDimExpr>(out.getResults().back());
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  if (!nExpr || root.getNumDpsInputs() != 2)
    return SmallVector<linalg::LinalgOp>{root};
  unsigned n = nExpr.getPosition();
  OpOperand *b = root.getDpsInputOperand(1);
  AffineMap bMap = root.getMatchingIndexingMap(b);
  auto bType = dyn_cast<RankedTensorType>(b->get().getType());
  int64_t nr = caps[n];
  if (!bType || !bType.hasStaticShape() || bMap.getNumResults() < 2 ||
      bMap.getResults().back() != nExpr || nr <= 0 || ShapedType::isDynamic(ranges[n]) ||
      bType.getShape().back() <= nr)
    return SmallVector<linalg::LinalgOp>{root};
  // The copy pays off when register tiles of several row blocks reuse it
  // (the 1 x 1000 x 2048 classifier reads each panel once: 4x slower copied).
  int64_t rows = 1, rowTile = 1;
  for (AffineExpr expr : out.getResults().drop_back()) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || ShapedType::isDynamic(ranges[dim.getPosition()]))
      return SmallVector<linalg::LinalgOp>{root};
    rows *= ranges[dim.getPosition()];
    rowTile *= std::max<int64_t>(1, caps[dim.getPosition()]);
  }
  if (rows < 8 * rowTile && !force)
    return SmallVector<linalg::LinalgOp>{root};
  SmallVector<int64_t> tiles(ranges.size(), 0);
  tiles[n] = nr;
  FailureOr<SmallVector<linalg::LinalgOp>> panels = tileAndPeel(root, tiles, {});
  if (failed(panels))
    return failure();
  for (linalg::LinalgOp panel : *panels) {
    OpOperand *operand = panel.getDpsInputOperand(1);
    auto type = cast<RankedTensorType>(operand->get().getType());
    OpBuilder builder(panel);
    Value empty = builder.create<tensor::EmptyOp>(panel.getLoc(), type.getShape(),
                                                  type.getElementType());
    auto copy = builder.create<linalg::CopyOp>(panel.getLoc(), operand->get(), empty);
    operand->set(copy.getResult(0));
  }
  return panels;
}

/// Step 2 for one root op: register tiles from the schedule (a tile that does
/// not divide its loop gets a peeled, smaller last tile, so every tile is
/// static), then each tile copy is vectorized.
bool vectorizeRoot(linalg::LinalgOp root, const Schedule &s, std::string &notes) {
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  std::vector<int64_t> caps = s.registerTile, cache = s.cacheTile;
  bool windowed = isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp,
                      linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp,
                      linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp,
                      linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(root.getOperation());
  if (!windowed && !linalg::isaContractionOpInterface(root)) {
    notes += "root not vectorized explicitly (loops left to LLVM); ";
    return false;
  }
  // A conv schedule on a 1x1 conv computed as a GEMM: (n, f, oh, ow, c) of
  // (n, f, oh, ow, c, kh, kw).
  for (std::vector<int64_t> *sizes : {&caps, &cache})
    if (sizes->size() == 7 && ranges.size() == 5)
      sizes->resize(5);
  if (caps.size() != ranges.size())
    return false;
  if (cache.size() == ranges.size()) {
    FailureOr<linalg::LinalgOp> blocked = tileReductions(root, cache);
    if (failed(blocked)) {
      notes += "cache tiling of the reduction failed; ";
      return false;
    }
    root = *blocked;
    ranges = root.getStaticLoopRanges();
  }
  SmallVector<int64_t> order;
  if (!s.loopOrder.empty()) {
    // The schedule's order; on a 1x1 convolution computed as a GEMM the
    // window loops (5, 6) are gone.
    for (int64_t i : s.loopOrder)
      if (i < int64_t(ranges.size()))
        order.push_back(i);
  } else if (!windowed && ranges.size() >= 3) {
    // Column panels outermost: one [K x n_r] panel of B stays in cache while
    // every row block of A streams past it (rows outermost would stream all
    // of B once per row block).
    order = llvm::to_vector(llvm::seq<int64_t>(0, ranges.size()));
    std::swap(order[ranges.size() - 3], order[ranges.size() - 2]);
  }
  SmallVector<linalg::LinalgOp> panels = {root};
  // Convolutions copy their HWIO filter panels only when rows of filters are
  // >= 2 KB apart (>= 512 filters): ResNet-50's 1x1/2 1024->2048 2.2x; with
  // 64-256 filters the copy measured no better or up to 20 % slower.
  auto filters = [](linalg::LinalgOp op) {
    Value w = op.getDpsInputOperand(1)->get(); // a workgroup's slice: its source is whole
    while (auto slice = w.getDefiningOp<tensor::ExtractSliceOp>())
      w = slice.getSource();
    return cast<ShapedType>(w.getType()).getShape().back();
  };
  bool convNhwc = isa<linalg::Conv2DNhwcHwcfOp>(root.getOperation());
  bool panelCopy = s.panelCopy == PanelCopy::On
                       ? !windowed || convNhwc
                       : s.panelCopy == PanelCopy::Auto && s.loopOrder.empty() &&
                             (!windowed || (convNhwc && filters(root) * 4 >= 2048));
  if (panelCopy) {
    FailureOr<SmallVector<linalg::LinalgOp>> copied =
        copyColumnPanels(root, caps, /*force=*/s.panelCopy == PanelCopy::On);
    if (failed(copied)) {
      notes += "column panel tiling failed; ";
      return false;
    }
    panels = *copied;
  }
  SmallVector<linalg::LinalgOp> copies;
  for (linalg::LinalgOp panel : panels) {
    SmallVector<int64_t> tiles;
    for (auto [range, cap] : llvm::zip(panel.getStaticLoopRanges(), caps))
      tiles.push_back(ShapedType::isDynamic(range) || cap == 0 ? 0 : std::min(range, cap));
    FailureOr<SmallVector<linalg::LinalgOp>> tiled = tileAndPeel(panel, tiles, order);
    if (failed(tiled))
      return false;
    copies.append(*tiled);
  }
  bool ok = !copies.empty();
  for (linalg::LinalgOp copy : copies)
    ok &= vectorizeTile(copy, windowed);
  if (!ok)
    notes += "vectorization of the root failed; ";
  return ok;
}

} // namespace

void tilec::codegen::movePadsIntoTiles(func::FuncOp kernel) {
  // extract_slice(pad(x)) -> pad(extract_slice(x)): each tile pads only the
  // window it reads, instead of every workgroup padding the whole input.
  RewritePatternSet patterns(kernel.getContext());
  patterns.add<linalg::ExtractSliceOfPadTensorSwapPattern>(
      kernel.getContext(), [](tensor::ExtractSliceOp) -> std::optional<bool> { return false; });
  GreedyRewriteConfig config;
  config.strictMode = GreedyRewriteStrictness::ExistingOps;
  (void)applyPatternsAndFoldGreedily(kernel, std::move(patterns), config);
  eraseDeadOps(kernel);
}

bool tilec::codegen::readsAlongInnermost(linalg::LinalgOp op) {
  if (op->getNumResults() != 1)
    return false;
  auto last = dyn_cast<AffineDimExpr>(
      op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getResults().back());
  if (!last)
    return false;
  bool gathers = false;
  op->walk([&](tensor::ExtractOp) { gathers = true; });
  if (gathers)
    return false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    if (map.getNumResults() == 0)
      continue;
    if (map.isFunctionOfDim(last.getPosition()) && map.getResults().back() != last)
      return false;
  }
  return true;
}

DispatchShape tilec::codegen::describeKernel(func::FuncOp kernel) {
  DispatchShape shape;
  auto out = cast<MemRefType>(kernel.getArgumentTypes().back());
  shape.resultShape.assign(out.getShape().begin(), out.getShape().end());
  shape.resultBits = out.getElementTypeBitWidth();
  kernel.walk([&](Operation *op) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if ((linalgOp && !readsAlongInnermost(linalgOp)) ||
        isa<tensor::PadOp, tensor::InsertSliceOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
            op))
      shape.innerContiguous = false;
  });
  Operation *root = findMarked(kernel, kRootAttr);
  shape.rootKind = root ? cast<StringAttr>(root->getAttr(kRootAttr)).str() : "elementwise";
  Operation *consumer = findMarked(kernel, kConsumerAttr);
  shape.epilogue = !root || !consumer || consumer != root;
  if (auto linalgRoot = dyn_cast_or_null<linalg::LinalgOp>(root)) {
    for (int64_t r : linalgRoot.getStaticLoopRanges())
      shape.rootLoops.push_back(r);
    for (utils::IteratorType t : linalgRoot.getIteratorTypesArray())
      shape.rootReduction.push_back(t == utils::IteratorType::reduction);
    std::optional<int64_t> bits;
    for (Value in : linalgRoot.getDpsInputs()) {
      auto type = dyn_cast<ShapedType>(in.getType());
      int64_t b = type ? type.getElementTypeBitWidth() : 32;
      bits = bits && *bits != b ? 32 : b;
    }
    // Attention: its q, k and v (the p v root reads f32 probabilities).
    if (shape.rootKind == "attention")
      if (std::optional<AttentionOperands> ops = loneAttention(kernel)) {
        bits.reset();
        for (Value in : {ops->q, ops->k, ops->v}) {
          int64_t b = cast<ShapedType>(in.getType()).getElementTypeBitWidth();
          bits = bits && *bits != b ? 32 : b;
        }
      }
    shape.operandBits = bits.value_or(32);
    if (shape.operandBits == 32 && root->hasAttr(kTF32Attr))
      shape.operandBits = 19; // f32 that tensor cores may read as TF32
  }
  kernel.walk([&](linalg::GenericOp reduce) {
    auto kind = reduce->getAttrOfType<StringAttr>(kRootAttr);
    if (!kind || kind.getValue() != "reduce" ||
        reduce.getNumLoops() != int64_t(shape.resultShape.size()))
      return;
    SmallVector<int64_t> ranges = reduce.getStaticLoopRanges();
    for (auto [i, type] : llvm::enumerate(reduce.getIteratorTypesArray()))
      if (type == utils::IteratorType::reduction && ranges[i] > 1 &&
          shape.resultShape[i] == ranges[i]) {
        if (shape.firstBroadcastReduction < 0 || int64_t(i) < shape.firstBroadcastReduction)
          shape.firstBroadcastReduction = int64_t(i);
        break;
      }
  });
  if (auto conv = dyn_cast_or_null<linalg::Conv2DNchwFchwOp>(root)) {
    auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
    bool unpadded = !conv.getDpsInputs()[0].getDefiningOp<tensor::PadOp>();
    shape.conv1x1 = w.getDimSize(2) == 1 && w.getDimSize(3) == 1 && unpadded &&
                    llvm::all_of(conv.getStrides().getValues<int64_t>(),
                                 [](int64_t v) { return v == 1; });
  }
  return shape;
}

KernelPlan tilec::codegen::applySchedule(func::FuncOp kernel, const Schedule &s,
                                         const Target &target) {
  KernelPlan plan;
  std::string kind = rootKindOf(kernel);
  if (describeKernel(kernel).firstBroadcastReduction >= 0)
    kernel->setAttr(kBroadcastReductionAttr, UnitAttr::get(kernel.getContext()));
  if (s.conv == ConvAlgorithm::Gemm)
    if (auto conv = dyn_cast_or_null<linalg::Conv2DNchwFchwOp>(findMarked(kernel, kRootAttr))) {
      IRRewriter rewriter(kernel.getContext());
      (void)convToGemm(rewriter, conv);
    }
  // GPU targets: a thread per query row streaming the keys (the thread
  // loops are built here; mapToThreads leaves them).
  int64_t keyBlock = kAttentionKeyBlock; // the CPU's; GPU threads stream keys in registers
  Attribute workgroup; // workgroup memory; the stack on the simt target
  if (target.threaded() && !target.simt)
    workgroup = gpu::AddressSpaceAttr::get(kernel.getContext(), gpu::AddressSpace::Workgroup);
  int64_t splits = 1;
  int64_t streamed = kind == "attention"
                         ? streamAttention(kernel, s, keyBlock, target.threaded(), workgroup,
                                           target.sharedMemoryBytes, &splits)
                         : 0;
  if (streamed > 0) {
    plan.grid = streamed;
    std::string perRow = splits > 1 ? std::to_string(splits) + " threads per query row (its keys "
                                                                "split, the states merged), "
                                    : "a thread per query row, ";
    plan.notes += target.threaded()
                      ? perRow + "online softmax in registers; "
                      : "online softmax over blocks of " + std::to_string(keyBlock) + " keys; ";
  } else {
    plan.grid = tileWorkgroups(kernel, s, plan.notes);
    if (target.threaded() && s.blockGroup > 1 && plan.grid > 1)
      groupBlockRows(kernel, s.blockGroup, plan.notes);
  }
  if (plan.grid > 1)
    movePadsIntoTiles(kernel);
  // Register tiles are a CPU knob; GPU kernels map the tile onto threads.
  if (!s.registerTile.empty() && !target.threaded()) {
    // One root at a time, found afresh: tiling one root canonicalizes the
    // function, which may replace the others (two in an attention kernel).
    constexpr StringLiteral kPending = "tilec.pending_root";
    kernel.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kRootAttr))
        op->setAttr(kPending, UnitAttr::get(op->getContext()));
    });
    plan.vectorized = false;
    for (bool first = true;; first = false) {
      linalg::LinalgOp next;
      kernel.walk([&](linalg::LinalgOp op) {
        if (!next && op->hasAttr(kPending))
          next = op;
      });
      if (!next)
        break;
      next->removeAttr(kPending);
      bool ok = vectorizeRoot(next, s, plan.notes);
      plan.vectorized = first ? ok : plan.vectorized && ok;
    }
    // Bandwidth-bound windowed ops read their padding in place (a channels-
    // last depthwise 3x3: 1.2-1.5x); a convolution's tile re-reads each
    // input value once per filter vector pair, so its blends cost more than
    // the padded copy saves (3x3 over 56x56x64: 2x slower), and it keeps it.
    if (plan.vectorized && (kind == "depthwise_nhwc" || kind == "pool_nhwc"))
      readPadsInPlace(kernel);
  }
  return plan;
}

Operation *tilec::codegen::findMarked(Operation *scope, StringRef attr) {
  Operation *found = nullptr;
  scope->walk([&](Operation *op) {
    if (op->hasAttr(attr))
      found = op;
  });
  return found;
}

void tilec::codegen::eraseDeadOps(func::FuncOp kernel) {
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> dead;
    kernel.walk([&](Operation *op) {
      if (op != kernel && isOpTriviallyDead(op))
        dead.push_back(op);
    });
    for (Operation *op : llvm::reverse(dead)) {
      op->erase();
      changed = true;
    }
  }
}
