//===- WarpAttention.cpp - attention on tensor cores: the warps' program --===//
//
// See WarpAttention.h. streamAttentionOnWarps; the lanes' lowering is in
// AttentionLanes.cpp.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/WarpAttention.h"
#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/ThreadTiling.h"

#include "codegen/common/ApplySchedule.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;
using namespace tilec::codegen;
using namespace tilec::codegen::detail;

namespace {

/// Rows of a warp's tile (the m of m16n8k16).
constexpr int64_t kWarpRows = 16;
/// Row padding of the staged operands: ldmatrix's 8 rows of 16 bytes then
/// fall into distinct banks.
constexpr int64_t kRowPadBytes = 16;

struct WarpAttentionBuilder {
  IRRewriter &rw;
  Location loc;
  Attribute workgroupSpace; // null on the simt target
  int64_t warps, threads;
  Type element; // the operands' 16-bit type
  double scale;
  int64_t sharedBytes = 0;

  Value index(int64_t v) { return rw.create<arith::ConstantIndexOp>(loc, v); }
  Value splat(VectorType type, double v) {
    return rw.create<arith::ConstantOp>(
        loc, type, DenseElementsAttr::get(type, rw.getFloatAttr(type.getElementType(), v)));
  }
  SmallVector<OpFoldResult> ints(ArrayRef<int64_t> v) {
    return getAsIndexOpFoldResult(rw.getContext(), v);
  }

  /// A 2-d [rows, cols] slice of `x` ([lead..., rows, cols]) at the leading
  /// indices `lead` and `row0`, rank-reduced.
  Value slice2d(Value x, ValueRange lead, OpFoldResult row0, int64_t rows, int64_t cols) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> offsets, sizes, strides(rank, rw.getIndexAttr(1));
    for (Value l : lead)
      offsets.push_back(l), sizes.push_back(rw.getIndexAttr(1));
    offsets.append({row0, rw.getIndexAttr(0)});
    sizes.append(ints({rows, cols}));
    auto result = RankedTensorType::get({rows, cols}, type.getElementType());
    return rw.create<tensor::ExtractSliceOp>(loc, result, x, offsets, sizes, strides);
  }

  /// A workgroup buffer of `shape` (rows padded by kRowPadBytes for 16-bit
  /// operands), as a tensor of `shape`.
  Value buffer(ArrayRef<int64_t> shape, Type type, bool padRows) {
    SmallVector<int64_t> padded(shape);
    if (padRows)
      padded.back() += kRowPadBytes * 8 / type.getIntOrFloatBitWidth();
    auto alloc = rw.create<bufferization::AllocTensorOp>(loc, RankedTensorType::get(padded, type),
                                                         ValueRange{});
    if (workgroupSpace)
      alloc.setMemorySpaceAttr(workgroupSpace);
    int64_t elements = 1;
    for (int64_t d : padded)
      elements *= d;
    sharedBytes += elements * type.getIntOrFloatBitWidth() / 8;
    if (!padRows)
      return alloc;
    SmallVector<OpFoldResult> zeros(shape.size(), rw.getIndexAttr(0)),
        ones(shape.size(), rw.getIndexAttr(1));
    return rw.create<tensor::ExtractSliceOp>(loc, RankedTensorType::get(shape, type), alloc, zeros,
                                             ints(shape), ones);
  }

  /// `op` (a copy or fill into workgroup memory) split among the block's
  /// threads, 16 bytes per vector; returns its result.
  FailureOr<Value> onThreads(linalg::LinalgOp op) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t vec = 16 / (type.getElementTypeBitWidth() / 8);
    while (vec > 1 && type.getShape().back() % vec != 0)
      vec /= 2;
    SmallVector<int64_t> tiles = copyTiles(type.getShape(), threads, vec);
    OpBuilder::InsertionGuard guard(rw); // tileOp moves it to the replaced op
    auto tiled = tileOp(rw, op, tiles, LoopKind::Threads);
    if (failed(tiled))
      return failure();
    return tiled->second->getResult(0);
  }

  /// `rows` keys (or values) from `src` ([keys, depth]) at `t0` staged in
  /// `dest` ([block, depth], block >= rows): the rows past `rows` zeroed
  /// first, then the copy.
  FailureOr<Value> stage(Value src, Value t0, int64_t rows, Value dest) {
    auto type = cast<RankedTensorType>(dest.getType());
    int64_t block = type.getDimSize(0), depth = type.getDimSize(1);
    SmallVector<OpFoldResult> ones(2, rw.getIndexAttr(1));
    if (rows < block) {
      Value zero = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(type.getElementType()));
      auto fill = rw.create<linalg::FillOp>(loc, ValueRange{zero}, ValueRange{dest});
      FailureOr<Value> filled = onThreads(fill);
      if (failed(filled))
        return failure();
      dest = *filled;
    }
    auto srcType = cast<RankedTensorType>(src.getType());
    Value from = rw.create<tensor::ExtractSliceOp>(
        loc, RankedTensorType::get({rows, depth}, srcType.getElementType()), src,
        SmallVector<OpFoldResult>{t0, rw.getIndexAttr(0)}, ints({rows, depth}), ones);
    Value into = dest;
    if (rows < block)
      into = rw.create<tensor::ExtractSliceOp>(loc, cast<RankedTensorType>(from.getType()), dest,
                                               ints({0, 0}), ints({rows, depth}), ones);
    auto copy = rw.create<linalg::CopyOp>(loc, from, into);
    FailureOr<Value> copied = onThreads(copy);
    if (failed(copied))
      return failure();
    if (rows == block)
      return *copied;
    return rw
        .create<tensor::InsertSliceOp>(loc, *copied, dest, ints({0, 0}), ints({rows, depth}), ones)
        .getResult();
  }

  /// A warp loop over the block's warps with `outs` as shared outputs;
  /// `body(warp row, out args)` returns, per output, the 16 rows it writes
  /// (a [16] or [16, cols] tensor).
  SmallVector<Value> warpLoop(ValueRange outs,
                              function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    MLIRContext *ctx = rw.getContext();
    auto loop = rw.create<scf::ForallOp>(
        loc, ints({warps}), outs,
        rw.getArrayAttr({gpu::GPUWarpMappingAttr::get(ctx, gpu::MappingId::LinearDim0)}));
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPoint(loop.getTerminator());
    Value row = rw.create<arith::MulIOp>(loc, loop.getInductionVars()[0], index(kWarpRows));
    SmallVector<Value> written = body(row, loop.getRegionOutArgs());
    rw.setInsertionPointToStart(loop.getTerminator().getBody());
    for (auto [w, out] : llvm::zip(written, loop.getRegionOutArgs())) {
      auto type = cast<RankedTensorType>(w.getType());
      int64_t rank = type.getRank();
      SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)),
          strides(rank, rw.getIndexAttr(1));
      offsets[0] = row;
      rw.create<tensor::ParallelInsertSliceOp>(loc, w, out, offsets, ints(type.getShape()),
                                               strides);
    }
    return loop.getResults();
  }

  /// The warp's 16 rows of `state` ([R] or [R, cols]) read as a vector.
  Value readRows(Value state, Value row) {
    auto type = cast<RankedTensorType>(state.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[0] = kWarpRows;
    SmallVector<Value> at(type.getRank(), index(0));
    at[0] = row;
    Value pad = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(type.getElementType()));
    return rw.create<vector::TransferReadOp>(loc, VectorType::get(shape, type.getElementType()),
                                             state, at, pad,
                                             SmallVector<bool>(type.getRank(), true));
  }
  /// `v` ([16] or [16, cols]) as the warp's rows of `state`: the 16-row
  /// slice written, for the warp loop's parallel insert.
  Value writeRows(Value v, Value state, Value row) {
    auto vType = cast<VectorType>(v.getType());
    int64_t rank = vType.getRank();
    SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)), strides(rank, rw.getIndexAttr(1));
    offsets[0] = row;
    Value rows = rw.create<tensor::ExtractSliceOp>(
        loc, RankedTensorType::get(vType.getShape(), vType.getElementType()), state, offsets,
        ints(vType.getShape()), strides);
    return rw
        .create<vector::TransferWriteOp>(loc, v, rows, SmallVector<Value>(rank, index(0)),
                                         SmallVector<bool>(rank, true))
        .getResult();
  }

  /// A [16] row vector as [16, cols] (each row's value along its columns).
  Value alongRows(Value row, int64_t cols) {
    auto type = cast<VectorType>(row.getType());
    Value column = rw.create<vector::ShapeCastOp>(
        loc, VectorType::get({kWarpRows, 1}, type.getElementType()), row);
    return rw.create<vector::BroadcastOp>(
        loc, VectorType::get({kWarpRows, cols}, type.getElementType()), column);
  }

  Value contract(Value lhs, Value rhs, Value acc, bool rhsTransposed) {
    MLIRContext *ctx = rw.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto maps = AffineMap::inferFromExprList(
        {{m, k}, rhsTransposed ? ArrayRef<AffineExpr>{n, k} : ArrayRef<AffineExpr>{k, n}, {m, n}},
        ctx);
    auto par = vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel);
    auto red = vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction);
    return rw.create<vector::ContractionOp>(loc, lhs, rhs, acc, rw.getAffineMapArrayAttr(maps),
                                            rw.getArrayAttr({par, par, red}));
  }

  /// One warp's step over a staged key block of `block` keys, `valid` of
  /// them real: the online-softmax update of (m, l, acc).
  SmallVector<Value> keyStep(Value q, Value keys, Value values, int64_t block, int64_t valid,
                             Value row, ValueRange state) {
    auto kType = cast<RankedTensorType>(keys.getType());
    auto vType = cast<RankedTensorType>(values.getType());
    int64_t depth = kType.getDimSize(1), cols = vType.getDimSize(1);
    Type f32 = rw.getF32Type();
    Value pad = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(element));
    auto whole = [&](Value t, ArrayRef<int64_t> shape) {
      return rw.create<vector::TransferReadOp>(loc, VectorType::get(shape, element), t,
                                               ValueRange{index(0), index(0)}, pad,
                                               ArrayRef<bool>{true, true});
    };
    Value qv = rw.create<vector::TransferReadOp>(loc, VectorType::get({kWarpRows, depth}, element),
                                                 q, ValueRange{row, index(0)}, pad,
                                                 ArrayRef<bool>{true, true});
    Value kv = whole(keys, {block, depth}), vv = whole(values, {block, cols});
    Value m = readRows(state[0], row), l = readRows(state[1], row);
    Value acc = readRows(state[2], row);
    auto scores = VectorType::get({kWarpRows, block}, f32);
    Value s = contract(qv, kv, splat(scores, 0.0), /*rhsTransposed=*/true);
    s = rw.create<arith::MulFOp>(loc, s, splat(scores, scale));
    if (valid < block) {
      // Keys past the real ones (zeros staged) never win: -inf scores.
      Value mask =
          rw.create<vector::CreateMaskOp>(loc, VectorType::get({kWarpRows, block}, rw.getI1Type()),
                                          ValueRange{index(kWarpRows), index(valid)});
      s = rw.create<arith::SelectOp>(loc, mask, s, splat(scores, -INFINITY));
    }
    Value mNew = rw.create<vector::MultiDimReductionOp>(loc, s, m, ArrayRef<bool>{false, true},
                                                        vector::CombiningKind::MAXIMUMF);
    Value p = rw.create<math::ExpOp>(
        loc, rw.create<arith::SubFOp>(loc, s, alongRows(mNew, block)).getResult());
    Value alpha = rw.create<math::ExpOp>(loc, rw.create<arith::SubFOp>(loc, m, mNew).getResult());
    Value lNew = rw.create<vector::MultiDimReductionOp>(
        loc, p, rw.create<arith::MulFOp>(loc, l, alpha), ArrayRef<bool>{false, true},
        vector::CombiningKind::ADD);
    Value pNarrow =
        rw.create<arith::TruncFOp>(loc, VectorType::get({kWarpRows, block}, element), p);
    Value accScaled = rw.create<arith::MulFOp>(loc, acc, alongRows(alpha, cols));
    Value accNew = contract(pNarrow, vv, accScaled, /*rhsTransposed=*/false);
    return {writeRows(mNew, state[0], row), writeRows(lNew, state[1], row),
            writeRows(accNew, state[2], row)};
  }
};

} // namespace

int64_t tilec::codegen::streamAttentionOnWarps(func::FuncOp kernel, const Schedule &s,
                                               const Target &target, std::string &notes) {
  std::optional<AttentionOperands> ops = loneAttention(kernel);
  if (!ops)
    return notes += "tensor-core attention not applied (not a lone attention); ", 0;
  auto qType = cast<RankedTensorType>(ops->q.getType());
  auto kType = cast<RankedTensorType>(ops->k.getType());
  auto vType = cast<RankedTensorType>(ops->v.getType());
  auto outType = cast<RankedTensorType>(ops->pv.getResult(0).getType());
  int64_t rank = outType.getRank();
  int64_t queries = qType.getDimSize(rank - 2), depth = qType.getDimSize(rank - 1);
  int64_t keys = kType.getDimSize(rank - 2), cols = vType.getDimSize(rank - 1);
  Type element = qType.getElementType();
  if (element.getIntOrFloatBitWidth() != 16 || kType.getElementType() != element ||
      vType.getElementType() != element)
    return notes += "tensor-core attention not applied (operands not all bf16 or all f16); ", 0;
  if (depth % 16 != 0 || cols % 16 != 0)
    return notes += "tensor-core attention not applied (head sizes " + std::to_string(depth) +
                    " and " + std::to_string(cols) + " must be multiples of 16); ",
           0;
  int64_t rows = s.workgroupTile.size() == size_t(rank) ? s.workgroupTile[rank - 2] : 0;
  if (rows <= 0 || rows % kWarpRows != 0 || queries % rows != 0)
    return notes += "tensor-core attention not applied (wg rows must be a multiple of 16 "
                    "dividing the queries); ",
           0;
  MLIRContext *ctx = kernel.getContext();
  KernelBackup backup(kernel);
  IRRewriter rw(ctx);
  Location loc = ops->pv.getLoc();
  rw.setInsertionPoint(ops->pv);
  WarpAttentionBuilder wb{rw,      loc,       {}, rows / kWarpRows, rows / kWarpRows * 32,
                          element, ops->scale};
  if (!target.simt)
    wb.workgroupSpace = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);

  // Workgroups: a head's `rows` query rows each.
  SmallVector<int64_t> counts(outType.getShape().take_front(rank - 1));
  counts.back() = queries / rows;
  int64_t grid = 1;
  for (int64_t c : counts)
    grid *= c;
  auto block = rw.create<scf::ForallOp>(
      loc, wb.ints(counts),
      ValueRange{rw.create<tensor::EmptyOp>(loc, outType.getShape(), outType.getElementType())},
      std::nullopt);
  rw.setInsertionPoint(block.getTerminator());
  SmallVector<Value> ivs = llvm::to_vector(block.getInductionVars());
  ValueRange lead = ValueRange(ivs).drop_back();
  Value row0 = rw.create<arith::MulIOp>(loc, ivs.back(), wb.index(rows));
  Value q = wb.slice2d(ops->q, lead, row0, rows, depth);
  Value k = wb.slice2d(ops->k, lead, rw.getIndexAttr(0), keys, depth);
  Value v = wb.slice2d(ops->v, lead, rw.getIndexAttr(0), keys, cols);
  Value out = wb.slice2d(block.getRegionOutArgs()[0], lead, row0, rows, cols);

  // The block's query rows, staged once.
  FailureOr<Value> qStaged =
      wb.stage(q, wb.index(0), rows, wb.buffer({rows, depth}, element, true));
  if (failed(qStaged))
    return backup.restore(), notes += "tensor-core attention not applied (staging failed); ", 0;
  // Each warp's running max, sum and output rows (registers once hoisted).
  Type f32 = rw.getF32Type();
  SmallVector<Value> state = {wb.buffer({rows}, f32, false), wb.buffer({rows}, f32, false),
                              wb.buffer({rows, cols}, f32, false)};
  state = wb.warpLoop(state, [&](Value row, ValueRange outs) -> SmallVector<Value> {
    return {wb.writeRows(wb.splat(VectorType::get({kWarpRows}, f32), -INFINITY), outs[0], row),
            wb.writeRows(wb.splat(VectorType::get({kWarpRows}, f32), 0.0), outs[1], row),
            wb.writeRows(wb.splat(VectorType::get({kWarpRows, cols}, f32), 0.0), outs[2], row)};
  });

  // Key blocks: whole ones in a loop, the last keys (1 to 64 of them) a
  // block of their own rounded up to 16 (so a loop never ends in a partial
  // block and every step is static).
  int64_t bc = kWarpAttentionKeyBlock;
  int64_t whole = (keys - 1) / bc * bc, tail = keys - whole;
  int64_t tailBlock = llvm::alignTo(tail, 16);
  bool failedStage = false;
  auto step = [&](Value t0, int64_t block, int64_t valid, Value kBuf, Value vBuf,
                  ValueRange carried) -> SmallVector<Value> {
    FailureOr<Value> ks = wb.stage(k, t0, valid, kBuf);
    FailureOr<Value> vs = wb.stage(v, t0, valid, vBuf);
    if (failed(ks) || failed(vs)) {
      failedStage = true;
      return SmallVector<Value>(carried);
    }
    return wb.warpLoop(carried, [&](Value row, ValueRange outs) {
      return wb.keyStep(*qStaged, *ks, *vs, block, valid, row, outs);
    });
  };
  // `stages` > 1: the loop's key blocks as a software pipeline (Pipeline.h:
  // blocks copied stages - 1 ahead, with cp.async on sm_80+).
  int64_t stages = std::min<int64_t>(s.stages, whole / bc);
  // The last block's buffers: those of the loop's blocks where there are
  // any and no pipeline multi-buffers them (their first rows), its own
  // otherwise.
  bool shareTail = whole > 0 && stages <= 1;
  Value kBuf = wb.buffer({whole > 0 ? bc : tailBlock, depth}, element, true);
  Value vBuf = wb.buffer({whole > 0 ? bc : tailBlock, cols}, element, true);
  if (whole > 0) {
    auto loop = rw.create<scf::ForOp>(loc, wb.index(0), wb.index(whole), wb.index(bc), state);
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> next =
        step(loop.getInductionVar(), bc, bc, kBuf, vBuf, loop.getRegionIterArgs());
    rw.create<scf::YieldOp>(loc, next);
    state = loop.getResults();
  }
  if (whole > 0 && !shareTail) {
    kBuf = wb.buffer({tailBlock, depth}, element, true);
    vBuf = wb.buffer({tailBlock, cols}, element, true);
  } else if (tailBlock < bc && whole > 0) {
    SmallVector<OpFoldResult> zeros(2, rw.getIndexAttr(0)), ones(2, rw.getIndexAttr(1));
    kBuf = rw.create<tensor::ExtractSliceOp>(loc, kBuf, zeros, wb.ints({tailBlock, depth}), ones);
    vBuf = rw.create<tensor::ExtractSliceOp>(loc, vBuf, zeros, wb.ints({tailBlock, cols}), ones);
  }
  state = step(wb.index(whole), tailBlock, tail, kBuf, vBuf, state);
  if (failedStage)
    return backup.restore(), notes += "tensor-core attention not applied (staging failed); ", 0;

  // out = acc / l, in the output's type.
  Value result = wb.warpLoop(ValueRange{out}, [&](Value row, ValueRange outs) {
    Value acc = wb.readRows(state[2], row), l = wb.readRows(state[1], row);
    Value o = rw.create<arith::DivFOp>(loc, acc, wb.alongRows(l, cols));
    Type outElement = outType.getElementType();
    if (outElement != f32)
      o = rw.create<arith::TruncFOp>(loc, VectorType::get({kWarpRows, cols}, outElement), o);
    return SmallVector<Value>{wb.writeRows(o, outs[0], row)};
  })[0];
  rw.setInsertionPointToStart(block.getTerminator().getBody());
  SmallVector<OpFoldResult> offsets(lead.begin(), lead.end()), sizes(rank - 2, rw.getIndexAttr(1)),
      strides(rank, rw.getIndexAttr(1));
  offsets.append({row0, rw.getIndexAttr(0)});
  sizes.append(wb.ints({rows, cols}));
  rw.create<tensor::ParallelInsertSliceOp>(loc, result, block.getRegionOutArgs()[0], offsets, sizes,
                                           strides);
  if (stages > 1)
    wb.sharedBytes += (stages - 1) * bc * (depth + cols + 2 * kRowPadBytes / 2) * 2;
  if (wb.sharedBytes > target.maxSharedMemoryBytes) {
    backup.restore();
    return notes += "tensor-core attention not applied (" + std::to_string(wb.sharedBytes) +
                    " bytes of workgroup memory; the target has " +
                    std::to_string(target.maxSharedMemoryBytes) + ": give fewer rows or stages); ",
           0;
  }
  ops->pv.getResult(0).replaceAllUsesWith(block.getResult(0));
  eraseDeadOps(kernel);
  kernel->setAttr(kWarpAttentionAttr, UnitAttr::get(ctx));
  if (stages > 1)
    kernel->setAttr(kPipelineStagesAttr, rw.getI64IntegerAttr(stages));
  notes += "warps (mma.sync 16x8x16) of 16 query rows, " + std::to_string(wb.warps) +
           " per block, online softmax over staged blocks of " + std::to_string(bc) + " keys" +
           (stages > 1 ? ", " + std::to_string(stages) + "-stage pipeline" : "") + " (" +
           std::to_string(wb.sharedBytes) + " bytes of workgroup memory); ";
  return grid;
}
