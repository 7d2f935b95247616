//===- Tma.cpp - wgmma's staged tiles loaded by the Tensor Memory Accelerator //
//
// See Tma.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/Tma.h"

#include "codegen/common/LowerToLinalg.h"
#include "codegen/gpu/Pipeline.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <map>

using namespace mlir;
using namespace tilec::codegen;
namespace art = tilec::artifact;

namespace {

/// Elements of one 128-byte panel row of 16-bit values (wgmma's swizzle
/// unit, Wgmma.cpp) and the widest box row a 128-byte swizzle allows.
constexpr int64_t kPanel = 64;
/// Rows of a TMA box at most (cuTensorMapEncodeTiled).
constexpr int64_t kMaxBoxRows = 256;
/// mbarrier.try_wait's suspend-time hint (ns) before it retries.
constexpr int64_t kWaitTicks = 10000000;

/// The trip number of `loop`'s iteration as an expression of its induction
/// variable (d0): (d0 - lb) floordiv step; none where the bounds are not
/// constant.
std::optional<AffineExpr> tripOf(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lb || !step || *step <= 0)
    return std::nullopt;
  return (getAffineDimExpr(0, loop.getContext()) - *lb).floorDiv(*step);
}

/// Affine expressions of the index values of a copy nest: the nest's loop
/// induction variables are dims, values defined outside it symbols.
struct IndexExprs {
  Operation *nest;
  MLIRContext *ctx;
  DenseMap<Value, unsigned> dims;
  SmallVector<Value> symbols;

  std::optional<AffineExpr> of(Value v) {
    if (auto it = dims.find(v); it != dims.end())
      return getAffineDimExpr(it->second, ctx);
    if (std::optional<int64_t> c = getConstantIntValue(v))
      return getAffineConstantExpr(*c, ctx);
    Operation *def = v.getDefiningOp();
    Operation *owner = def ? def : cast<BlockArgument>(v).getOwner()->getParentOp();
    if (!nest->isAncestor(owner)) {
      auto it = llvm::find(symbols, v);
      unsigned i = it - symbols.begin();
      if (it == symbols.end())
        symbols.push_back(v);
      return getAffineSymbolExpr(i, ctx);
    }
    if (!def)
      return std::nullopt; // a block argument of the nest that is no loop's
    if (auto apply = dyn_cast<affine::AffineApplyOp>(def)) {
      AffineMap map = apply.getAffineMap();
      SmallVector<AffineExpr> d, s;
      for (auto [i, operand] : llvm::enumerate(apply.getMapOperands())) {
        std::optional<AffineExpr> e = of(operand);
        if (!e)
          return std::nullopt;
        (i < map.getNumDims() ? d : s).push_back(*e);
      }
      return map.getResult(0).replaceDimsAndSymbols(d, s);
    }
    if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(def)) {
      std::optional<AffineExpr> a = of(def->getOperand(0)), b = of(def->getOperand(1));
      if (!a || !b)
        return std::nullopt;
      if (isa<arith::AddIOp>(def))
        return *a + *b;
      if (isa<arith::SubIOp>(def))
        return *a - *b;
      if (!a->isSymbolicOrConstant() && !b->isSymbolicOrConstant())
        return std::nullopt;
      return *a * *b;
    }
    return std::nullopt;
  }

  AffineExpr simplified(AffineExpr e) const {
    return simplifyAffineExpr(e, dims.size(), symbols.size());
  }
  /// Whether `e` (simplified) reads none of the nest's loop variables, or
  /// none of the values from outside it.
  bool freeOfDims(AffineExpr e) const { return freeOf(e, dims.size(), &AffineExpr::isFunctionOfDim); }
  bool freeOfSymbols(AffineExpr e) const {
    return freeOf(e, symbols.size(), &AffineExpr::isFunctionOfSymbol);
  }
  bool freeOf(AffineExpr e, size_t n, bool (AffineExpr::*uses)(unsigned) const) const {
    e = simplified(e);
    for (unsigned i = 0; i < n; ++i)
      if ((e.*uses)(i))
        return false;
    return true;
  }
  /// `e` where every loop of the nest is at its first iteration.
  AffineExpr atFirst(AffineExpr e) const {
    SmallVector<AffineExpr> zeros(dims.size(), getAffineConstantExpr(0, ctx));
    return simplified(e.replaceDims(zeros));
  }
};

/// A stage copy proven to be a plain tile copy (Tma.h): kernel argument
/// `source` as a matrix [matrixRows, matrixCols] -> staged buffer [S, R, C],
/// element (slot, r, c) from (row0 + r, col0 + c).
struct TileCopy {
  scf::ForallOp loop;
  BlockArgument source;
  Value buffer;
  int64_t rows = 0, cols = 0;
  int64_t matrixRows = 0, matrixCols = 0;
  AffineExpr slot, row0, col0; ///< over `symbols`
  SmallVector<Value> symbols;
};

FailureOr<TileCopy> matchTileCopy(scf::ForallOp loop, func::FuncOp kernel, std::string &why) {
  MLIRContext *ctx = kernel.getContext();
  IndexExprs exprs{loop, ctx, DenseMap<Value, unsigned>(), {}};
  int64_t trips = 1;
  auto lbs = loop.getStaticLowerBound(), ubs = loop.getStaticUpperBound(),
       steps = loop.getStaticStep();
  for (auto [i, iv] : llvm::enumerate(loop.getInductionVars())) {
    if (ShapedType::isDynamic(lbs[i]) || ShapedType::isDynamic(ubs[i]) ||
        ShapedType::isDynamic(steps[i]) || lbs[i] != 0)
      return why = "a copy's thread loop has dynamic bounds", failure();
    trips *= llvm::divideCeil(ubs[i], steps[i]);
    exprs.dims.try_emplace(iv, exprs.dims.size());
  }
  bool loopsKnown = true;
  loop.getBody()->walk([&](scf::ForOp inner) {
    std::optional<int64_t> lb = getConstantIntValue(inner.getLowerBound()),
                           ub = getConstantIntValue(inner.getUpperBound()),
                           step = getConstantIntValue(inner.getStep());
    if (!lb || !ub || !step || *lb != 0) {
      loopsKnown = false;
      return;
    }
    trips *= llvm::divideCeil(*ub, *step);
    exprs.dims.try_emplace(inner.getInductionVar(), exprs.dims.size());
  });
  SmallVector<vector::TransferWriteOp> writes;
  loop.getBody()->walk([&](vector::TransferWriteOp w) { writes.push_back(w); });
  if (!loopsKnown || writes.size() != 1)
    return why = "a staged operand is gathered, not copied as one tile (an implicit GEMM's "
                 "windows, padded rows)",
           failure();
  vector::TransferWriteOp write = writes.front();
  Value value = write.getVector();
  if (auto bitcast = value.getDefiningOp<arith::BitcastOp>())
    value = bitcast.getIn();
  auto read = value.getDefiningOp<vector::TransferReadOp>();
  auto allInBounds = [](VectorTransferOpInterface t) {
    return llvm::all_of(t.getInBoundsValues(), [](bool b) { return b; });
  };
  if (!read || read.getMask() || write.getMask() || !allInBounds(read) || !allInBounds(write) ||
      !read.getPermutationMap().isMinorIdentity() || !write.getPermutationMap().isMinorIdentity())
    return why = "a copy reads padding or a masked or permuted vector", failure();
  VectorType v = write.getVectorType();
  if (llvm::any_of(v.getShape().drop_back(), [](int64_t d) { return d != 1; }))
    return why = "a copy writes more than a row piece per vector", failure();
  auto source = dyn_cast<BlockArgument>(read.getSource());
  auto src = dyn_cast<MemRefType>(read.getSource().getType());
  auto dst = dyn_cast<MemRefType>(write.getSource().getType());
  if (!source || source.getOwner() != &kernel.getBody().front() || !src || !dst)
    return why = "a staged operand is not read from a kernel argument (an implicit GEMM's "
                 "windows, an intermediate)",
           failure();
  if (!src.hasStaticShape() || !src.getLayout().isIdentity() || src.getRank() < 2 ||
      src.getElementTypeBitWidth() != 16 || !dst.hasStaticShape() ||
      !dst.getLayout().isIdentity() || dst.getRank() != 3 || dst.getElementTypeBitWidth() != 16)
    return why = "a staged operand is not a plain 16-bit matrix tile", failure();
  TileCopy t;
  t.loop = loop;
  t.source = source;
  t.buffer = write.getSource();
  t.rows = dst.getDimSize(1);
  t.cols = dst.getDimSize(2);
  t.matrixCols = src.getShape().back();
  t.matrixRows = src.getNumElements() / t.matrixCols;
  if (t.cols % kPanel != 0 || t.rows % 8 != 0 || t.rows > kMaxBoxRows)
    return why = "a staged tile is " + std::to_string(t.rows) + "x" + std::to_string(t.cols) +
                 " (TMA boxes here are up to 256 rows of 64-column panels)",
           failure();
  if ((t.matrixCols * 2) % 16 != 0)
    return why = "a source's rows (" + std::to_string(t.matrixCols) +
                 " values) are no multiple of 16 bytes, which a tensor map needs",
           failure();
  if (trips * v.getNumElements() != t.rows * t.cols)
    return why = "a copy does not cover its staged tile exactly", failure();
  // Element (slot, r, c) of the buffer from (row, col) of the source matrix.
  SmallVector<AffineExpr> at;
  for (Value i : write.getIndices()) {
    std::optional<AffineExpr> e = exprs.of(i);
    if (!e)
      return why = "a copy's indices are not affine", failure();
    at.push_back(*e);
  }
  AffineExpr row = getAffineConstantExpr(0, ctx), col;
  ArrayRef<int64_t> shape = src.getShape();
  for (auto [i, index] : llvm::enumerate(read.getIndices())) {
    std::optional<AffineExpr> e = exprs.of(index);
    if (!e)
      return why = "a copy's indices are not affine", failure();
    if (i + 1 == shape.size())
      col = *e;
    else
      row = row * shape[i] + *e;
  }
  auto isZero = [](AffineExpr e) {
    auto c = dyn_cast<AffineConstantExpr>(e);
    return c && c.getValue() == 0;
  };
  if (!exprs.freeOfDims(at[0]) || !exprs.freeOfSymbols(at[1]) || !exprs.freeOfSymbols(at[2]) ||
      !isZero(exprs.atFirst(at[1])) || !isZero(exprs.atFirst(at[2])) ||
      !exprs.freeOfDims(row - at[1]) || !exprs.freeOfDims(col - at[2]))
    return why = "a copy is not provably one tile of its source", failure();
  t.slot = exprs.simplified(at[0]);
  t.row0 = exprs.simplified(row - at[1]);
  t.col0 = exprs.simplified(col - at[2]);
  t.symbols = exprs.symbols;
  return t;
}

/// A new one-thread loop before `before` (GpuBackend runs it on thread 0).
scf::ForallOp oneThread(RewriterBase &rw, Operation *before) {
  rw.setInsertionPoint(before);
  Location loc = before->getLoc();
  MLIRContext *ctx = rw.getContext();
  ArrayAttr mapping = rw.getArrayAttr({gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::LinearDim0)});
  auto loop = rw.create<scf::ForallOp>(loc, ArrayRef<OpFoldResult>{rw.getIndexAttr(0)},
                                       ArrayRef<OpFoldResult>{rw.getIndexAttr(1)},
                                       ArrayRef<OpFoldResult>{rw.getIndexAttr(1)}, ValueRange{},
                                       mapping);
  rw.setInsertionPoint(loop.getBody()->getTerminator());
  return loop;
}

/// The slot, row and column origin of a tile copy, as index values before
/// the current insertion point.
struct Origin {
  Value slot, row0, col0;
};
Origin originOf(RewriterBase &rw, TileCopy &t) {
  Location at = t.loop.getLoc();
  auto apply = [&](AffineExpr e) -> Value {
    return rw.create<affine::AffineApplyOp>(at, AffineMap::get(0, t.symbols.size(), e),
                                            t.symbols);
  };
  return {apply(t.slot), apply(t.row0), apply(t.col0)};
}

/// The column where panel p's box starts (the TMA load's first coordinate).
Value panelColumn(RewriterBase &rw, Location at, Value col0, int64_t p) {
  AffineExpr d0 = getAffineDimExpr(0, rw.getContext());
  return rw.create<affine::AffineApplyOp>(at, AffineMap::get(1, 0, d0 + p * kPanel), col0);
}

/// tmaStageCopies(emulate): each copy one thread's plain copies of its
/// boxes, [R, 64] of the source matrix at (row0, col0 + 64 p), into columns
/// [64 p, 64 p + 64) of its (unswizzled) slot.
void emulateTileLoads(RewriterBase &rw, func::FuncOp kernel, MutableArrayRef<TileCopy> tiles) {
  Block &entry = kernel.getBody().front();
  DenseMap<Value, Value> matrices;
  for (TileCopy &t : tiles) {
    Value &matrix = matrices[t.source];
    if (matrix)
      continue;
    matrix = t.source;
    auto type = cast<MemRefType>(t.source.getType());
    if (type.getRank() > 2) {
      rw.setInsertionPointToStart(&entry);
      ReassociationIndices rows;
      for (int64_t i = 0; i + 1 < type.getRank(); ++i)
        rows.push_back(i);
      matrix = rw.create<memref::CollapseShapeOp>(
          t.source.getLoc(), t.source,
          ArrayRef<ReassociationIndices>{rows, ReassociationIndices{type.getRank() - 1}});
    }
  }
  for (TileCopy &t : tiles) {
    scf::ForallOp issue = oneThread(rw, t.loop);
    issue->setAttr(kStageCopyAttr, t.loop->getAttr(kStageCopyAttr));
    Location at = t.loop.getLoc();
    Origin o = originOf(rw, t);
    auto bufferType = cast<MemRefType>(t.buffer.getType());
    for (int64_t p = 0; p < t.cols / kPanel; ++p) {
      Value col = panelColumn(rw, at, o.col0, p);
      Value box = rw.create<memref::SubViewOp>(
          at, matrices[t.source], ArrayRef<OpFoldResult>{o.row0, col},
          ArrayRef<OpFoldResult>{rw.getIndexAttr(t.rows), rw.getIndexAttr(kPanel)},
          ArrayRef<OpFoldResult>{rw.getIndexAttr(1), rw.getIndexAttr(1)});
      SmallVector<OpFoldResult> offsets = {o.slot, rw.getIndexAttr(0), rw.getIndexAttr(p * kPanel)};
      SmallVector<OpFoldResult> sizes = {rw.getIndexAttr(1), rw.getIndexAttr(t.rows),
                                         rw.getIndexAttr(kPanel)};
      SmallVector<OpFoldResult> strides(3, rw.getIndexAttr(1));
      auto panelType = cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
          {t.rows, kPanel}, bufferType, offsets, sizes, strides));
      Value panel =
          rw.create<memref::SubViewOp>(at, panelType, t.buffer, offsets, sizes, strides);
      // bf16 sources, f16-typed buffers (retyped for the tensor cores): the
      // same bits.
      rw.create<linalg::CopyOp>(at, box, panel);
    }
    rw.eraseOp(t.loop);
  }
}

} // namespace

bool tilec::codegen::tmaStageCopies(func::FuncOp kernel, std::vector<art::TensorMap> &maps,
                                    std::string &why, std::string &others, bool emulate) {
  int64_t stages = 0;
  scf::ForOp pipeline = pipelinedLoop(kernel, &stages);
  if (!pipeline)
    return why = "no pipelined K loop: one K block, or stages=1", false;
  if (!emulate && !kernel->hasAttr(kArgsAlignedAttr))
    return why = "the kernel's buffers are not known to start on 16 bytes", false;
  // One pass of the K loop per block: the mbarriers' phases count its steps.
  if (!isa<scf::ForallOp, func::FuncOp>(pipeline->getParentOp()))
    return why = "the K loop runs more than once per block", false;
  std::optional<AffineExpr> trip = tripOf(pipeline);
  if (!trip)
    return why = "the K loop's bounds are not constant", false;
  SmallVector<scf::ForallOp> copies;
  kernel.walk([&](scf::ForallOp f) {
    if (f->hasAttr(kStageCopyAttr))
      copies.push_back(f);
  });
  SmallVector<TileCopy> tiles;
  int64_t perBlock = 0;
  // Copies that are no plain tile (an implicit GEMM's windows) stay the
  // threads' copies (cp.async), the tiles of the other operand take TMA.
  others.clear();
  for (scf::ForallOp copy : copies) {
    std::string reason;
    FailureOr<TileCopy> t = matchTileCopy(copy, kernel, reason);
    if (failed(t)) {
      if (others.empty())
        others = reason;
      continue;
    }
    tiles.push_back(*t);
    perBlock += copy->getAttrOfType<IntegerAttr>(kStageCopyAttr).getInt() < 0;
  }
  if (tiles.empty())
    return why = others, false;
  if (perBlock == 0 || tiles.size() % perBlock != 0)
    return why = "the pipeline's copies are not the same per block", false;

  MLIRContext *ctx = kernel.getContext();
  IRRewriter rw(ctx);
  Location loc = kernel.getLoc();
  Block &entry = kernel.getBody().front();
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Type f16 = Float16Type::get(ctx);
  // A tensor map per source and box: a kernel argument (the map's device
  // address), seen as the descriptor the TMA ops take.
  if (emulate)
    return emulateTileLoads(rw, kernel, tiles), true;
  std::map<std::pair<unsigned, int64_t>, Value> descriptors;
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  for (const TileCopy &t : tiles) {
    auto key = std::make_pair(t.source.getArgNumber(), t.rows);
    if (descriptors.count(key))
      continue;
    kernel.insertArgument(kernel.getNumArguments(), ptr, DictionaryAttr(), loc);
    BlockArgument arg = entry.getArguments().back();
    auto box = MemRefType::get({t.rows, kPanel}, f16, MemRefLayoutAttrInterface{}, workgroup);
    auto type = nvgpu::TensorMapDescriptorType::get(
        ctx, box, nvgpu::TensorMapSwizzleKind::SWIZZLE_128B,
        nvgpu::TensorMapL2PromoKind::L2PROMO_256B, nvgpu::TensorMapOOBKind::OOB_ZERO,
        nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE);
    rw.setInsertionPointToStart(&entry);
    descriptors[key] = rw.create<UnrealizedConversionCastOp>(loc, type, ValueRange{arg}).getResult(0);
    art::TensorMap m;
    m.arg = t.source.getArgNumber();
    m.elementBytes = 2;
    m.rows = uint64_t(t.matrixRows);
    m.columns = uint64_t(t.matrixCols);
    m.boxRows = uint32_t(t.rows);
    m.boxColumns = uint32_t(kPanel);
    m.swizzleBytes = 128;
    maps.push_back(m);
  }
  // One mbarrier per stage, counting a block's tile issues.
  rw.setInsertionPointToStart(&entry);
  auto group = nvgpu::MBarrierGroupType::get(ctx, workgroup, stages);
  Value barriers = rw.create<nvgpu::MBarrierCreateOp>(loc, group);
  auto index = [&](int64_t v) { return rw.create<arith::ConstantIndexOp>(loc, v); };
  Operation *first = tiles.front().loop;
  for (const TileCopy &t : tiles)
    if (t.loop->getBlock() == first->getBlock() && t.loop->isBeforeInBlock(first))
      first = t.loop;
  oneThread(rw, first);
  for (int64_t s = 0; s < stages; ++s)
    rw.create<nvgpu::MBarrierInitOp>(loc, barriers, index(perBlock), index(s), Value());
  rw.create<NVVM::FenceMbarrierInitOp>(loc);
  // Each copy: one thread arms its slot's barrier with the tile's bytes and
  // issues a bulk copy per panel.
  for (TileCopy &t : tiles) {
    scf::ForallOp issue = oneThread(rw, t.loop);
    issue->setAttr(kStageCopyAttr, t.loop->getAttr(kStageCopyAttr));
    Location at = t.loop.getLoc();
    Origin o = originOf(rw, t);
    Value slot = o.slot, row0 = o.row0, col0 = o.col0;
    int64_t bytes = t.rows * t.cols * 2;
    rw.create<nvgpu::MBarrierArriveExpectTxOp>(at, barriers, index(bytes), slot, Value());
    Value desc = descriptors[{t.source.getArgNumber(), t.rows}];
    AffineExpr d0 = getAffineDimExpr(0, ctx);
    auto panelType = MemRefType::get({t.rows, kPanel}, f16,
                                     StridedLayoutAttr::get(ctx, ShapedType::kDynamic, {kPanel, 1}),
                                     workgroup);
    for (int64_t p = 0; p < t.cols / kPanel; ++p) {
      // Panel p of buffer `slot`: the swizzled layout's panels follow each
      // other (Wgmma.cpp, SwizzledLayout).
      Value offset = rw.create<affine::AffineApplyOp>(
          at, AffineMap::get(1, 0, d0 * (t.rows * t.cols) + p * t.rows * kPanel), slot);
      Value panel = rw.create<memref::ReinterpretCastOp>(
          at, panelType, t.buffer, OpFoldResult(offset),
          ArrayRef<OpFoldResult>{rw.getIndexAttr(t.rows), rw.getIndexAttr(kPanel)},
          ArrayRef<OpFoldResult>{rw.getIndexAttr(kPanel), rw.getIndexAttr(1)});
      Value col = panelColumn(rw, at, col0, p);
      rw.create<nvgpu::TmaAsyncLoadOp>(at, panel, barriers, desc, ValueRange{col, row0}, slot,
                                       Value(), Value());
    }
    rw.eraseOp(t.loop);
  }
  // Step i waits for its block: the (i / S)-th completion of barrier i % S.
  rw.setInsertionPointToStart(pipeline.getBody());
  Value iv = pipeline.getInductionVar();
  Value slot = rw.create<affine::AffineApplyOp>(loc, AffineMap::get(1, 0, *trip % stages), iv);
  Value parity = rw.create<affine::AffineApplyOp>(
      loc, AffineMap::get(1, 0, trip->floorDiv(stages) % 2), iv);
  Value odd = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, parity, index(0));
  rw.create<nvgpu::MBarrierTryWaitParityOp>(loc, barriers, odd, index(kWaitTicks), slot);
  return true;
}

LogicalResult tilec::codegen::tmaReleaseStages(gpu::GPUFuncOp func) {
  int64_t stages = 0;
  scf::ForOp loop = pipelinedLoop(func, &stages);
  SmallVector<nvgpu::MBarrierCreateOp> creates;
  func.walk([&](nvgpu::MBarrierCreateOp c) { creates.push_back(c); });
  std::optional<ArrayRef<int32_t>> block = func.getKnownBlockSize();
  if (!loop || creates.size() != 1 || !block)
    return func.emitError("TMA stages: no pipelined loop with one mbarrier group");
  nvgpu::MBarrierCreateOp full = creates.front();
  auto inFlight = loop->getAttrOfType<IntegerAttr>(kPipelineInFlightAttr);
  // Blocks copied ahead (Pipeline.h): step i reloads the stage of block
  // i - 1 - N with block i + S - 1 - N.
  int64_t ahead = stages - 1 - (inFlight ? inFlight.getInt() : 0);
  int64_t threads = 1;
  for (int32_t d : *block)
    threads *= d;
  int64_t warps = threads / 32;
  std::optional<AffineExpr> tripExpr = tripOf(loop);
  // The step's barrier (and the proxy fence before it), the step's last
  // wgmma wait, the first tile issue inside the loop, the barriers' inits.
  Block *body = loop.getBody();
  gpu::BarrierOp top;
  NVVM::WgmmaWaitGroupSyncOp wait;
  for (Operation &op : *body) {
    if (auto b = dyn_cast<gpu::BarrierOp>(op); b && !top)
      top = b;
    if (auto w = dyn_cast<NVVM::WgmmaWaitGroupSyncOp>(op))
      wait = w;
  }
  nvgpu::MBarrierArriveExpectTxOp issue;
  loop.walk([&](nvgpu::MBarrierArriveExpectTxOp a) {
    if (!issue)
      issue = a;
  });
  nvgpu::MBarrierInitOp lastInit;
  func.walk([&](nvgpu::MBarrierInitOp i) { lastInit = i; });
  if (!top || !wait || !issue || !lastInit || !tripExpr || warps < 1 ||
      wait->isBeforeInBlock(top))
    return func.emitError("TMA stages: the K loop does not have the expected form");
  MLIRContext *ctx = func.getContext();
  IRRewriter rw(ctx);
  Location loc = loop.getLoc();
  auto index = [&](int64_t v) { return rw.create<arith::ConstantIndexOp>(loc, v); };
  rw.setInsertionPointAfter(full);
  Value empty = rw.create<nvgpu::MBarrierCreateOp>(loc, full.getType());
  rw.setInsertionPointAfter(lastInit);
  for (int64_t s = 0; s < stages; ++s)
    rw.create<nvgpu::MBarrierInitOp>(loc, empty, index(warps), index(s), Value());
  // No block-wide barrier in the loop: each stage's barriers order it.
  if (auto fence = dyn_cast_or_null<NVVM::FenceProxyOp>(top->getPrevNode()))
    rw.eraseOp(fence);
  rw.eraseOp(top);
  AffineExpr trip = *tripExpr;
  Value iv = loop.getInductionVar();
  // After the step's wait every group older than the newest `wait.getGroup()`
  // is complete: lane 0 of each warp releases that block's stage.
  rw.setInsertionPointAfter(wait);
  int64_t lag = wait.getGroup();
  Value tid = rw.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value lane = rw.create<arith::RemUIOp>(loc, tid, index(32));
  Value first = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, lane, index(0));
  Value done = rw.create<affine::AffineApplyOp>(loc, AffineMap::get(1, 0, trip - lag), iv);
  Value some = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, done, index(0));
  Value release = rw.create<arith::AndIOp>(loc, first, some);
  auto arrive = rw.create<scf::IfOp>(loc, release, /*withElseRegion=*/false);
  rw.setInsertionPointToStart(arrive.thenBlock());
  Value doneSlot = rw.create<affine::AffineApplyOp>(
      loc, AffineMap::get(1, 0, (trip - lag) % stages), iv);
  rw.create<nvgpu::MBarrierArriveOp>(loc, nvgpu::MBarrierTokenType::get(ctx), empty, doneSlot);
  // Before reloading a stage, its previous block's readers have released it
  // (the (b / S)-th completion of barrier b % S for block b).
  rw.setInsertionPoint(issue);
  AffineExpr old = trip + (ahead - stages);
  Value oldBlock = rw.create<affine::AffineApplyOp>(loc, AffineMap::get(1, 0, old), iv);
  Value reused = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, oldBlock, index(0));
  auto guard = rw.create<scf::IfOp>(loc, reused, /*withElseRegion=*/false);
  rw.setInsertionPointToStart(guard.thenBlock());
  Value oldSlot =
      rw.create<affine::AffineApplyOp>(loc, AffineMap::get(1, 0, old % stages), iv);
  Value parity = rw.create<affine::AffineApplyOp>(
      loc, AffineMap::get(1, 0, old.floorDiv(stages) % 2), iv);
  Value odd = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, parity, index(0));
  rw.create<nvgpu::MBarrierTryWaitParityOp>(loc, empty, odd, index(kWaitTicks), oldSlot);
  return success();
}
