//===- StagedContraction.cpp - GEMMs and convolutions on GPU threads ------===//
//
// See GpuThreads.h ("GEMM-like roots with a thread tile"): a staged
// contraction's block split into thread (or warp) tiles, its reduction
// blocks copied into workgroup memory by all threads, each thread's (or
// warp's) step vectorized into one vector.contract.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuThreads.h"
#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/Tma.h"
#include "codegen/gpu/TensorCores.h"
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
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;
using namespace tilec::codegen;
using namespace tilec::codegen::detail;

namespace {

/// Bytes of row padding of operand tiles staged for warp tiles (ldmatrix
/// rows land in distinct banks).
constexpr int64_t kWarpRowPadBytes = 16;

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
  return fuseIntoForall(kernel, consumer, tiles, /*threads=*/false) != nullptr;
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

/// Implicit GEMM (and padding): where `operand` (a reduction block of a
/// contraction's input) is a block of a gather with runs (kGatherRunsAttr: a
/// convolution's windows, zero-padded rows), that gather computed straight
/// into `dest` (the workgroup buffer) from its source, for that block only;
/// null where it is not.
linalg::LinalgOp windowsInto(RewriterBase &rewriter, Value operand, Value dest) {
  auto slice = operand.getDefiningOp<tensor::ExtractSliceOp>();
  Value whole = slice ? slice.getSource() : operand;
  auto windows = whole.getDefiningOp<linalg::GenericOp>();
  if (!windows || !windows->hasAttr(kGatherRunsAttr) || !whole.hasOneUse() ||
      windows.getNumDpsInits() != 1)
    return nullptr;
  linalg::LinalgOp block = windows;
  if (slice) {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(slice);
    FailureOr<TilingResult> tiled =
        tensor::replaceExtractSliceWithTiledProducer(rewriter, slice, cast<OpResult>(whole));
    if (failed(tiled) || tiled->tiledOps.size() != 1 ||
        tiled->tiledValues[0].getType() != slice.getType())
      return nullptr;
    block = dyn_cast<linalg::LinalgOp>(tiled->tiledOps[0]);
    if (!block)
      return nullptr;
  }
  // The whole operand in one block: the generic moves after the buffer it
  // now writes (it reads only values from above).
  if (!slice)
    rewriter.moveOpBefore(block, rewriter.getInsertionBlock(), rewriter.getInsertionPoint());
  rewriter.modifyOpInPlace(block, [&] { block.getDpsInitOperand(0)->set(dest); });
  return block;
}

/// Elements per thread of a copy of `type` into workgroup memory: 16 bytes
/// (4 floats, 8 bf16) where the innermost dim allows, and within one run of
/// a gather with runs (kGatherRunsAttr on `copy`).
int64_t copyVector(RankedTensorType type, Operation *copy) {
  int64_t vec = 16 / ((type.getElementTypeBitWidth() + 7) / 8);
  auto run = copy->getAttrOfType<IntegerAttr>(kGatherRunsAttr);
  while (vec > 1 && (type.getShape().back() % vec != 0 || (run && run.getInt() % vec != 0)))
    vec /= 2;
  return vec;
}

/// A copy into workgroup memory (or a block of windows, windowsInto) split
/// among threads; returns its thread loop.
FailureOr<Operation *> distributeCopy(RewriterBase &rewriter, linalg::LinalgOp copy,
                                      int64_t threads) {
  auto type = cast<RankedTensorType>(copy->getResult(0).getType());
  int64_t vec = copyVector(type, copy);
  auto tiled =
      tileOp(rewriter, copy, copyTiles(type.getShape(), threads, vec), LoopKind::Threads);
  if (failed(tiled))
    return failure();
  return tiled->second;
}

/// A thread's block of a gather with runs ([rows, columns], windowsInto),
/// written as one vector load per `vec` columns: they are `vec` contiguous
/// source elements (one input pixel's channels, or one source row's: a
/// vector never crosses a run, the columns start on multiples of `vec`,
/// which divides the run), read at the clamped position the generic's body
/// computes for the first column and replaced by zeros where that position
/// is padding. Fails (unchanged) where the body is not that gather.
LogicalResult vectorizeWindows(RewriterBase &rewriter, linalg::GenericOp windows, int64_t vec) {
  auto type = dyn_cast<RankedTensorType>(windows->getResult(0).getType());
  auto run = windows->getAttrOfType<IntegerAttr>(kGatherRunsAttr);
  if (!type || type.getRank() != 2 || !type.hasStaticShape() || !run || vec < 1 ||
      run.getInt() % vec != 0 || type.getDimSize(1) % vec != 0)
    return failure();
  Block &body = windows.getRegion().front();
  if (llvm::any_of(body.getArguments(), [](BlockArgument a) { return !a.use_empty(); }))
    return failure();
  auto select = body.getTerminator()->getOperand(0).getDefiningOp<arith::SelectOp>();
  auto extract = select ? select.getTrueValue().getDefiningOp<tensor::ExtractOp>() : nullptr;
  if (!extract || isa<VectorType>(select.getCondition().getType()) ||
      !matchPattern(select.getFalseValue(), m_AnyZeroFloat()))
    return failure();
  // The input is read from outside the body (a captured tensor).
  if (Operation *def = extract.getTensor().getDefiningOp(); def && windows->isAncestor(def))
    return failure();
  Location loc = windows.getLoc();
  rewriter.setInsertionPoint(windows);
  auto vectorType = VectorType::get({vec}, type.getElementType());
  Value zeros = rewriter.create<arith::ConstantOp>(loc, rewriter.getZeroAttr(vectorType));
  Value padding = rewriter.create<arith::ConstantOp>(loc, rewriter.getZeroAttr(type.getElementType()));
  Value result = windows.getDpsInitOperand(0)->get();
  for (int64_t r = 0; r < type.getDimSize(0); ++r)
    for (int64_t c = 0; c < type.getDimSize(1); c += vec) {
      // The body at (r, c): the run's pixel, its clamped position and
      // whether it is inside the input.
      IRMapping map;
      for (Operation &op : body.without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(op)) {
          map.map(index.getResult(), rewriter.create<arith::ConstantIndexOp>(
                                         loc, index.getDim() == 0 ? r : c));
          continue;
        }
        if (&op == extract.getOperation() || &op == select.getOperation())
          continue;
        rewriter.clone(op, map);
      }
      SmallVector<Value> indices = llvm::map_to_vector(
          extract.getIndices(), [&](Value v) { return map.lookupOrDefault(v); });
      Value read = rewriter.create<vector::TransferReadOp>(
          loc, vectorType, extract.getTensor(), indices, padding, ArrayRef<bool>{true});
      Value inside = map.lookupOrDefault(select.getCondition());
      Value values = rewriter.create<arith::SelectOp>(loc, inside, read, zeros);
      Value at[] = {rewriter.create<arith::ConstantIndexOp>(loc, r),
                    rewriter.create<arith::ConstantIndexOp>(loc, c)};
      result = rewriter
                   .create<vector::TransferWriteOp>(loc, values, result, at, ArrayRef<bool>{true})
                   .getResult();
    }
  rewriter.replaceOp(windows, result);
  return success();
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
    SmallVector<linalg::GenericOp> windows;
    loop->walk([&](tensor::PadOp pad) { pads.push_back(pad); });
    loop->walk([&](linalg::CopyOp copy) { copies.push_back(copy); });
    loop->walk([&](linalg::GenericOp g) {
      if (g->hasAttr(kGatherRunsAttr))
        windows.push_back(g);
    });
    for (linalg::GenericOp g : windows) {
      // The vector the copy was split by (distributeCopy): a thread's
      // columns are whole vectors of it.
      int64_t vec = copyVector(cast<RankedTensorType>(g->getResult(0).getType()), g);
      if (failed(vectorizeWindows(rewriter, g, vec))) {
        rewriter.setInsertionPoint(g);
        (void)linalg::vectorize(rewriter, g);
      }
    }
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

/// Elements of a warp-tiled GEMM's epilogue each thread takes at once: 16
/// bytes of its output (8 bf16, 4 f32), or fewer where the block's columns
/// do not come in that many; 1 where the op is not the epilogue.
int64_t epilogueVector(linalg::LinalgOp op, int64_t columns) {
  if (!op->hasAttr(kConsumerAttr) || !isa<linalg::GenericOp>(op))
    return 1;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.getElementType().isIntOrFloat())
    return 1;
  int64_t vec = 16 / std::max<int64_t>(1, (type.getElementTypeBitWidth() + 7) / 8);
  while (vec > 1 && columns % vec != 0)
    vec /= 2;
  return vec;
}

/// A thread's tile of the epilogue ([rows, vec] of the block) walked a row
/// at a time, each row one vector op: the accumulators read from workgroup
/// memory and the output written 16 bytes at a time, reads that do not
/// depend on the row (a bias) hoisted out of the row loop. One element at a
/// time, a 128x128 block's epilogue was 128 scalar shared loads, bias loads
/// and 2-byte global stores per thread. Left scalar (correct, slower) where
/// the row does not vectorize.
void vectorizeEpilogueRows(RewriterBase &rewriter, linalg::LinalgOp tile) {
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  SmallVector<int64_t> rows(ranges.size(), 1);
  rows.back() = 0;
  linalg::LinalgOp row = tile;
  Operation *loop = nullptr;
  if (llvm::any_of(ArrayRef<int64_t>(ranges).drop_back(), [](int64_t r) { return r > 1; })) {
    auto tiled = tileOp(rewriter, tile, rows, LoopKind::Sequential);
    if (failed(tiled))
      return;
    std::tie(row, loop) = *tiled;
  }
  if (!vectorizeTile(row, /*windowed=*/false) || !loop)
    return;
  // Innermost loops first: a bias read leaves every row loop.
  SmallVector<LoopLikeOpInterface> loops;
  loop->walk([&](LoopLikeOpInterface l) { loops.push_back(l); });
  for (LoopLikeOpInterface l : loops)
    moveLoopInvariantCode(l);
}

} // namespace

/// The thread-tiled contraction of GpuThreads.h (GEMM-like roots and
/// channels-last convolutions).
LogicalResult tilec::codegen::detail::stageContraction(func::FuncOp kernel, const Schedule &s, const Target &target,
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
  // With a warpgroup instruction (wgmma) `reg` is each warpgroup's 64-row
  // tile: its four warps own 16-row strips of it, in order (the block's
  // columns are one warpgroup's, so consecutive warps are consecutive strips
  // of one warpgroup), and each warp's step is a 16xNx16 contraction that
  // convertWarpgroupContractions issues as the warpgroup's instruction.
  bool warps = !s.mmaShape.empty();
  bool warpgroups = warps && isWarpgroupMma(s.mmaShape);
  SmallVector<int64_t> threadTile(ranges.size(), 0);
  int64_t threads = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t t = s.registerTile[i] == 0 ? ranges[i] : std::min(s.registerTile[i], ranges[i]);
    if (warpgroups && i + 2 == rank)
      t = std::min<int64_t>(16, ranges[i]);
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
    if (warpgroups) {
      if (tf32 || ranges[rank - 2] % 64 != 0 || threadTile[rank - 1] != s.mmaShape[1] ||
          ranges[rank - 1] != s.mmaShape[1])
        return notes += "wgmma needs 16-bit operands and blocks of whole 64-row warpgroup "
                        "tiles spanning the columns; ",
               failure();
      kernel->setAttr(kWarpgroupMmaAttr,
                      IntegerAttr::get(IntegerType::get(kernel.getContext(), 64), s.mmaShape[1]));
      if (s.tma)
        kernel->setAttr(kTmaAttr, UnitAttr::get(kernel.getContext()));
    }
  }
  if (threads > kMaxThreads)
    return failure();
  MLIRContext *ctx = kernel.getContext();
  IRRewriter rewriter(ctx);
  Location loc = root.getLoc();
  // The epilogue as one op: intermediates between its ops would be tiles of
  // the block's size in memory of no thread's own (and no thread mapping).
  fuseTrailingElementwise(kernel, /*anyInput=*/true);
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
    // Warp tiles store their fragments a row of 8 bytes per lane, 8 rows per
    // warp: rows 512 bytes apart (128 floats) all start on bank 0, 4-way
    // conflicts on each of a 64x64 tile's 64 stores per lane. Rows padded
    // by 32 bytes (kAccumulatorRowPad) put the 4 rows of each half-warp on
    // distinct banks. Not for warpgroup tiles: a 128x256 block's 2 stages
    // and padded accumulators would no longer fit 227 KB.
    RankedTensorType allocType = type;
    if (warps && !warpgroups && type.getRank() >= 2) {
      SmallVector<int64_t> padded(type.getShape());
      padded.back() += kAccumulatorRowPad * 32 / type.getElementTypeBitWidth();
      allocType = RankedTensorType::get(padded, type.getElementType());
    }
    auto alloc = rewriter.create<bufferization::AllocTensorOp>(loc, allocType, ValueRange{});
    alloc.setMemorySpaceAttr(workgroupSpace);
    Value accumulators = alloc.getResult();
    if (allocType != type) {
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0)),
          strides(type.getRank(), rewriter.getIndexAttr(1)),
          sizes = getAsIndexOpFoldResult(ctx, type.getShape());
      accumulators =
          rewriter.create<tensor::ExtractSliceOp>(loc, type, accumulators, offsets, sizes, strides);
    }
    rewriter.replaceOp(source, accumulators);
    sharedBytes += bytesOf(allocType);
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
  SmallVector<linalg::LinalgOp> copies;
  int64_t operandBytes = 0;
  bool implicit = false, paddedRows = false;
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
      // Warpgroup tiles read them through wgmma's 128-byte swizzle instead
      // (convertWarpgroupContractions): unpadded rows.
      RankedTensorType allocType = type;
      if (warps && !warpgroups) {
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
      linalg::LinalgOp copy = windowsInto(rewriter, in->get(), dest);
      implicit |= copy && !copy->hasAttr(kPaddedRowsAttr);
      paddedRows |= copy && copy->hasAttr(kPaddedRowsAttr);
      if (!copy)
        copy = rewriter.create<linalg::CopyOp>(loc, in->get(), dest);
      in->set(copy->getResult(0));
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
  for (linalg::LinalgOp copy : copies) {
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
    // ops are split among the threads afresh (barriers separate them from
    // the warp loop): the epilogue in runs of 16 bytes of a row
    // (neighbouring threads write neighbouring runs), a fill one element
    // per thread.
    SmallVector<int64_t> tiles(ArrayRef<int64_t>(threadTile).take_front(rank));
    int64_t vec = warps ? epilogueVector(op, ranges[rank - 1]) : 1;
    if (warps)
      tiles = copyTiles(ArrayRef<int64_t>(ranges).take_front(rank), threads, vec);
    linalg::LinalgOp tile = tileToThreads(rewriter, op, tiles);
    if (!tile)
      return failure();
    if (vec > 1)
      vectorizeEpilogueRows(rewriter, tile);
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
      warps ? (warpgroups ? "wgmma " : s.mmaShape[1] == 8 ? "mma.sync " : "MFMA ") +
                  std::to_string(s.mmaShape[0]) + "x" + std::to_string(s.mmaShape[1]) + "x" +
                  std::to_string(s.mmaShape[2])
            : "";
  notes += (warpgroups ? std::to_string(warpCount / 4) + " warpgroups (" + instruction + ") of 64x"
            : warps    ? std::to_string(warpCount) + " warps (" + instruction + ") of "
                       : std::to_string(threads) + " threads of ") +
           (warpgroups ? "" : std::to_string(threadTile[rank - 2]) + "x") +
           std::to_string(threadTile[rank - 1]) + " outputs" +
           (staged ? ", reduction blocks staged in workgroup memory (" +
                         std::to_string(sharedBytes) + " bytes" +
                         (stages > 1 ? ", " + std::to_string(stages) + "-stage pipeline" : "") + ")"
                   : "") +
           (implicit ? ", windows read from the input (implicit GEMM)" : "") +
           (paddedRows ? ", zero rows added while staging (implicit padding)" : "") +
           (vectorized ? "" : " (thread tile not vectorized)") + "; ";
  if (stages > 1)
    kernel->setAttr(kPipelineStagesAttr, rewriter.getI64IntegerAttr(stages));
  // wgmma groups left in flight need their buffer, the computed one and one
  // being copied: where the loop has too few blocks for that, none.
  if (warpgroups && s.inFlight > 0) {
    if (stages >= s.inFlight + 2)
      kernel->setAttr(kPipelineInFlightAttr, rewriter.getI64IntegerAttr(s.inFlight));
    else
      notes += "inflight=" + std::to_string(s.inFlight) + " not applied (" +
               std::to_string(stages) + " stages for the loop's blocks; it needs " +
               std::to_string(s.inFlight + 2) + "); ";
  }
  return success();
}

