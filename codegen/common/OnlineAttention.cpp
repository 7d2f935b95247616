//===- OnlineAttention.cpp - attention as a stream over key blocks --------===//
//
// The lowering (LowerToLinalg) writes attention as the textbook chain:
// scores = q k^T, scale, softmax over the keys, p v. Tiled into workgroups,
// each workgroup still builds its whole [rows, T] block of scores and walks it
// three times (max, exp and sum, p v). Here a lone attention kernel is
// rebuilt as FlashAttention's online softmax: per workgroup (leading dims and
// query rows, from the schedule's `wg`), an scf.for over blocks of keys
// carries the running row max m, the running sum l and the unnormalized
// output acc:
//
//   s = q k_blk^T                      (a root: register tiles, vector code)
//   m' = max(m, scale * rowmax(s))
//   p = exp(scale * s - m')            (in place on s)
//   a = exp(m - m'),  l' = l * a + rowsum(p),  acc' = acc * a + p v_blk (a root)
//   out = acc / l                      (after the last block)
//
// The score block is [rows, Bc] instead of [rows, T], reused in place across
// blocks; keys that do not fill the last block get a peeled block of their
// own size, so every shape stays static. MLIR has no online-attention op
// with a tiling interface (IREE keeps one out of tree), so the key loop is
// built here; both contractions inside it are tiled and vectorized by the
// common register tiling like any other root.
//
// GPU targets (and simt) get the same stream per thread, FlashAttention's
// online softmax without tensor cores: each workgroup's tile of query rows
// is a thread loop, one thread per row, and each thread walks all keys of
// its head, two 16-bit keys (one f32 key) at a time, with its m, l, scaled
// query and output row as values in registers (streamKeysInRegisters:
// vectors carried by the key loop, each key's rows of k and v one vector
// read); keys and values are read in place (the rows of a block share them
// through the cache). Before, each GPU thread computed its
// whole row of scores (and the q k^T product once per softmax pass). Where
// the grid is small (ViT at batch 1) each row's keys are split among up to
// 8 threads whose states a thread per row merges (splitKeys).
//
//===----------------------------------------------------------------------===//

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/Lowerer.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace tilec::codegen;

namespace {

/// Generics over [rows..., cols] tiles (rows: the leading dims and the query
/// rows, all of a tile's rank but the last), written in place where they can.
struct TileBuilder {
  OpBuilder &b;
  Location loc;

  Value f32(double v) { return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(v))); }
  Value fill(Value dest, double v) {
    return b.create<linalg::FillOp>(loc, ValueRange{f32(v)}, ValueRange{dest}).getResult(0);
  }
  Value empty(ArrayRef<int64_t> shape) {
    return b.create<tensor::EmptyOp>(loc, shape, b.getF32Type());
  }

  /// out[r..., c] = fn(full[r..., c], row[r...]) over `full` operands of one
  /// shape (at least one) and `rows` vectors (that shape without its last
  /// dim); `reduceCols` makes the last loop a reduction into a row vector
  /// `out` instead.
  Value generic(ValueRange full, ValueRange rows, Value out, bool reduceCols,
                llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
    int64_t rank = cast<RankedTensorType>(full[0].getType()).getRank();
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap rowMap = id.dropResult(rank - 1);
    SmallVector<Value> ins(full);
    ins.append(rows.begin(), rows.end());
    SmallVector<AffineMap> maps(full.size(), id);
    maps.append(rows.size(), rowMap);
    maps.push_back(reduceCols ? rowMap : id);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    if (reduceCols)
      iters.back() = utils::IteratorType::reduction;
    return b
        .create<linalg::GenericOp>(loc, TypeRange{out.getType()}, ins, ValueRange{out}, maps,
                                   iters,
                                   [&](OpBuilder &nb, Location l, ValueRange a) {
                                     nb.create<linalg::YieldOp>(l, fn(nb, l, a));
                                   })
        .getResult(0);
  }
};

struct Streams {
  Value q, k, v; // the workgroup's query rows; all keys and values of its heads
  double scale;
  /// 16-bit keys transposed once per block (vectorized score tiles, CPU);
  /// a GPU thread reads its keys in place.
  bool transposeKeys;
};

/// One key block [t0, t0 + bc): returns the updated (m, l, acc, score buffer).
SmallVector<Value> keyBlock(TileBuilder &tb, const Streams &st, Value t0, int64_t bc,
                            ValueRange carried) {
  OpBuilder &b = tb.b;
  Location loc = tb.loc;
  Value m = carried[0], l = carried[1], acc = carried[2], sBuf = carried[3];
  auto kType = cast<RankedTensorType>(st.k.getType());
  auto vType = cast<RankedTensorType>(st.v.getType());
  int64_t rank = kType.getRank();
  auto block = [&](Value x, RankedTensorType type) {
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), strides(rank, b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(d == rank - 2 ? bc : type.getDimSize(d)));
    offsets[rank - 2] = t0;
    return b.create<tensor::ExtractSliceOp>(loc, x, offsets, sizes, strides).getResult();
  };
  Value kBlk = block(st.k, kType), vBlk = block(st.v, vType);
  // 16-bit keys are transposed once per block ([..., depth, keys]), so the
  // score tiles (vectorized along the keys) read contiguous key vectors: a
  // strided 16-bit gather per key made ViT-Ti's bf16 attention 1.7x slower.
  // f32 keys are read in place (the transpose measured 1.2-1.5x slower).
  bool transposeKeys = st.transposeKeys;
  Value keys = kBlk;
  if (transposeKeys) {
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(perm[rank - 2], perm[rank - 1]);
    SmallVector<int64_t> kTShape(kType.getShape());
    kTShape[rank - 2] = kType.getDimSize(rank - 1);
    kTShape[rank - 1] = bc;
    Value kTInit = b.create<tensor::EmptyOp>(loc, kTShape, kType.getElementType());
    keys = b.create<linalg::TransposeOp>(loc, kBlk, kTInit, perm)->getResult(0);
  }
  auto sType = cast<RankedTensorType>(sBuf.getType());
  Value s = tilec::codegen::detail::batchedContraction(b, loc, st.q, keys, sType,
                                                       tb.fill(sBuf, 0.0), !transposeKeys);
  s.getDefiningOp()->setAttr(kRootAttr, b.getStringAttr("attention"));
  Value scale = tb.f32(st.scale);
  // Every update is written in place over the carried values (the loop's
  // yields must be its iteration arguments' buffers), so a = exp(m - m')
  // is computed from the block's own row max before m' overwrites m.
  auto rowType = cast<RankedTensorType>(m.getType());
  Value blockMax = tb.generic({s}, {}, tb.fill(tb.empty(rowType.getShape()), -INFINITY), true,
                              [&](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                                return nb.create<arith::MaximumFOp>(
                                    l2, nb.create<arith::MulFOp>(l2, a[0], scale), a[1]);
                              });
  Value alpha = tb.generic({m, blockMax}, {}, tb.empty(rowType.getShape()), false,
                           [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                             Value mNew = nb.create<arith::MaximumFOp>(l2, a[0], a[1]);
                             return nb.create<math::ExpOp>(
                                 l2, nb.create<arith::SubFOp>(l2, a[0], mNew));
                           });
  Value mNew = tb.generic({blockMax}, {}, m, false,
                          [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                            return nb.create<arith::MaximumFOp>(l2, a[1], a[0]);
                          });
  Value p = tb.generic({s}, {mNew}, s, false, [&](OpBuilder &nb, Location l2, ValueRange a) {
    Value x = nb.create<arith::SubFOp>(l2, nb.create<arith::MulFOp>(l2, a[0], scale), a[1]);
    return nb.create<math::ExpOp>(l2, x);
  });
  Value lScaled = tb.generic({l, alpha}, {}, l, false,
                             [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                               return nb.create<arith::MulFOp>(l2, a[0], a[1]);
                             });
  Value lNew = tb.generic({p}, {}, lScaled, true, [](OpBuilder &nb, Location l2, ValueRange a) {
    return nb.create<arith::AddFOp>(l2, a[0], a[1]);
  });
  Value accScaled = tb.generic({acc}, {alpha}, acc, false,
                               [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                                 return nb.create<arith::MulFOp>(l2, a[0], a[1]);
                               });
  Value accNew = tilec::codegen::detail::batchedContraction(b, loc, p, vBlk, cast<RankedTensorType>(acc.getType()),
                                            accScaled, false);
  accNew.getDefiningOp()->setAttr(kRootAttr, b.getStringAttr("attention"));
  return {mNew, lNew, accNew, p};
}

/// The key loop over `st` for query rows of `rowShape` (the leading dims and
/// rows of a tile): blocks of `bc` keys, and the last keys a block of their
/// own (static) size. Returns the row max m, the sum l and the unnormalized
/// output acc.
SmallVector<Value> streamKeys(TileBuilder &tb, const Streams &st, SmallVector<int64_t> rowShape,
                              int64_t valueDim, int64_t keys, int64_t bc) {
  OpBuilder &b = tb.b;
  Location loc = tb.loc;
  SmallVector<int64_t> accShape = rowShape, scoreShape = rowShape;
  accShape.push_back(valueDim);
  scoreShape.push_back(bc);
  SmallVector<Value> carried = {tb.fill(tb.empty(rowShape), -INFINITY),
                                tb.fill(tb.empty(rowShape), 0.0),
                                tb.fill(tb.empty(accShape), 0.0), tb.empty(scoreShape)};
  int64_t whole = keys / bc * bc;
  if (whole > 0) {
    auto loop = b.create<scf::ForOp>(
        loc, b.create<arith::ConstantIndexOp>(loc, 0), b.create<arith::ConstantIndexOp>(loc, whole),
        b.create<arith::ConstantIndexOp>(loc, bc), carried,
        [&](OpBuilder &nb, Location l2, Value t0, ValueRange args) {
          TileBuilder inner{nb, l2};
          nb.create<scf::YieldOp>(l2, keyBlock(inner, st, t0, bc, args));
        });
    carried = loop.getResults();
  }
  if (keys > whole) {
    scoreShape.back() = keys - whole;
    carried[3] = tb.empty(scoreShape);
    carried = keyBlock(tb, st, b.create<arith::ConstantIndexOp>(loc, whole), keys - whole,
                       carried);
  }
  return {carried[0], carried[1], carried[2]};
}

/// One query row's online softmax over all its keys as values in registers
/// (a GPU thread's stream; `st` holds the row's q [1.., D] and its head's
/// k [1.., n, D] and v [1.., n, Dv]): q (scaled once) and the output row
/// acc are vectors carried by an scf.for over groups of kThreadKeyGroup
/// 16-bit keys (f32 ones one at a time) with the row max m and the sum l;
/// each key's row of k and of v is one vector read (16-byte loads), its
/// score a dot product with q. The
/// tensor stream (streamKeys) kept the scores, m, l and the output row in
/// private buffers indexed by loop counters, which on GPUs are local memory
/// (about 100 local loads and stores per key block). Returns m, l (f32)
/// and acc (vector<Dv x f32>).
SmallVector<Value> streamKeysInRegisters(OpBuilder &b, Location loc, const Streams &st,
                                         int64_t keys) {
  auto qType = cast<RankedTensorType>(st.q.getType());
  auto vType = cast<RankedTensorType>(st.v.getType());
  int64_t depth = qType.getShape().back(), valueDim = vType.getShape().back();
  Type f32 = b.getF32Type();
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  // Row `row` (the second-to-last index; null for q's only row) of `x`.
  auto readRow = [&](Value x, Value row, int64_t width) -> Value {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    SmallVector<Value> indices(rank, zero);
    if (row)
      indices[rank - 2] = row;
    Type element = type.getElementType();
    Value pad = b.create<arith::ConstantOp>(loc, b.getZeroAttr(element));
    Value v = b.create<vector::TransferReadOp>(loc, VectorType::get({width}, element), x, indices,
                                               pad, ArrayRef<bool>{true});
    if (!element.isF32())
      v = b.create<arith::ExtFOp>(loc, VectorType::get({width}, f32), v);
    return v;
  };
  auto scalar = [&](double x) {
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(x)));
  };
  auto fast = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::reassoc |
                                                                arith::FastMathFlags::contract);
  // 16-bit rows of k and v are half the registers of f32 ones: two keys per
  // step (one rescale of acc for both) fit 255 registers; f32 ones spilled.
  int64_t perStep =
      cast<RankedTensorType>(st.k.getType()).getElementType().isF32() ? 1 : kThreadKeyGroup;
  Value q = b.create<arith::MulFOp>(
      loc, readRow(st.q, nullptr, depth),
      b.create<vector::SplatOp>(loc, VectorType::get({depth}, f32), scalar(st.scale)));
  // Keys [t0, t0 + count): the carried (m, l, acc) updated.
  auto group = [&](OpBuilder &nb, Value t0, int64_t count, Value m, Value l, Value acc) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
    SmallVector<Value> scores, rowsOfV;
    Value top = m;
    for (int64_t i = 0; i < count; ++i) {
      Value t =
          i == 0 ? t0 : b.create<arith::AddIOp>(loc, t0, b.create<arith::ConstantIndexOp>(loc, i));
      Value product = b.create<arith::MulFOp>(loc, q, readRow(st.k, t, depth));
      Value score = b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, product, Value(),
                                                  fast.getValue());
      scores.push_back(score);
      rowsOfV.push_back(readRow(st.v, t, valueDim));
      top = b.create<arith::MaximumFOp>(loc, top, score);
    }
    Value alpha = b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, m, top));
    auto accType = VectorType::get({valueDim}, f32);
    Value sum = b.create<arith::MulFOp>(loc, l, alpha);
    Value out = b.create<arith::MulFOp>(loc, acc, b.create<vector::SplatOp>(loc, accType, alpha));
    for (int64_t i = 0; i < count; ++i) {
      Value p = b.create<math::ExpOp>(loc, b.create<arith::SubFOp>(loc, scores[i], top));
      sum = b.create<arith::AddFOp>(loc, sum, p);
      out =
          b.create<vector::FMAOp>(loc, b.create<vector::SplatOp>(loc, accType, p), rowsOfV[i], out);
    }
    return SmallVector<Value>{top, sum, out};
  };
  SmallVector<Value> state = {
      scalar(-INFINITY), scalar(0.0),
      b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(VectorType::get({valueDim}, f32), b.getF32FloatAttr(0.0f)))};
  int64_t whole = keys / perStep * perStep;
  if (whole > 0) {
    auto loop = b.create<scf::ForOp>(loc, zero, b.create<arith::ConstantIndexOp>(loc, whole),
                                     b.create<arith::ConstantIndexOp>(loc, perStep), state,
                                     [&](OpBuilder &nb, Location l2, Value t0, ValueRange args) {
                                       nb.create<scf::YieldOp>(
                                           l2, group(nb, t0, perStep, args[0], args[1], args[2]));
                                     });
    loop->setAttr(kRootAttr, b.getStringAttr("attention"));
    state = loop.getResults();
  }
  if (keys > whole)
    state = group(b, b.create<arith::ConstantIndexOp>(loc, whole), keys - whole, state[0], state[1],
                  state[2]);
  return state;
}

/// A [1.., n] tensor holding the f32 `x` (a scalar, or a vector of n).
Value rowTensor(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> shape) {
  Value empty = b.create<tensor::EmptyOp>(loc, shape, b.getF32Type());
  if (!isa<VectorType>(x.getType()))
    return b.create<linalg::FillOp>(loc, ValueRange{x}, ValueRange{empty}).getResult(0);
  SmallVector<Value> indices(shape.size(), b.create<arith::ConstantIndexOp>(loc, 0));
  return b.create<vector::TransferWriteOp>(loc, x, empty, indices, ArrayRef<bool>{true})
      .getResult();
}

/// streamKeys, then out = acc / l written into `outTile`.
Value streamRows(TileBuilder &tb, const Streams &st, SmallVector<int64_t> rowShape,
                 int64_t valueDim, int64_t keys, int64_t bc, Value outTile) {
  SmallVector<Value> state = streamKeys(tb, st, rowShape, valueDim, keys, bc);
  return tb.generic({state[2]}, {state[1]}, outTile, false,
                    [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                      return nb.create<arith::DivFOp>(l2, a[0], a[1]);
                    });
}

/// Key splits of a GPU attention kernel's query rows: where the grid leaves
/// the GPU idle (fewer than kBusyGpuBlocks: a ViT at batch 1 has
/// 12 heads x 13 blocks of 16 rows, 16 threads each), each row's keys are
/// split among up to 8 threads (at least 16 keys each, 256 threads and
/// their partial states within `workgroupBytes`), whose online-softmax
/// states are then merged. 1: no split.
int64_t keySplits(int64_t grid, int64_t rowsPerBlock, int64_t keys, int64_t valueDim,
                  int64_t workgroupBytes) {
  if (grid >= kBusyGpuBlocks)
    return 1;
  for (int64_t g : {8, 4, 2})
    if (keys / g >= 16 && rowsPerBlock * g <= 256 &&
        rowsPerBlock * g * (valueDim + 2) * 4 <= workgroupBytes)
      return g;
  return 1;
}

/// A thread loop over `counts` (GPU threads, dims in order) with
/// `outputs` as its shared outputs; the builder is left before its
/// terminator.
scf::ForallOp threadLoop(OpBuilder &b, Location loc, ArrayRef<int64_t> counts, ValueRange outputs) {
  SmallVector<OpFoldResult> ubs;
  SmallVector<Attribute> mapping;
  for (auto [d, c] : llvm::enumerate(counts)) {
    ubs.push_back(b.getIndexAttr(c));
    mapping.push_back(gpu::GPUThreadMappingAttr::get(
        b.getContext(), gpu::MappingId(int64_t(gpu::MappingId::LinearDim0) + d)));
  }
  auto loop = b.create<scf::ForallOp>(loc, ubs, outputs, b.getArrayAttr(mapping));
  b.setInsertionPoint(loop.getTerminator());
  return loop;
}

/// The slice of `x` at `offsets` (the rest 0) of `sizes`.
Value sliceAt(OpBuilder &b, Location loc, Value x, ArrayRef<OpFoldResult> offsets,
              ArrayRef<int64_t> sizes) {
  SmallVector<OpFoldResult> off(offsets), strides(sizes.size(), b.getIndexAttr(1)), sz;
  off.resize(sizes.size(), b.getIndexAttr(0));
  for (int64_t size : sizes)
    sz.push_back(b.getIndexAttr(size));
  return b.create<tensor::ExtractSliceOp>(loc, x, off, sz, strides).getResult();
}

/// `value` inserted into the loop's shared output `out` at `offsets` (the
/// rest 0), `sizes`; rank-reducing where `value` has fewer dims.
void insertAt(OpBuilder &b, Location loc, scf::ForallOp loop, Value value, Value out,
              ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(loop.getTerminator().getBody());
  SmallVector<OpFoldResult> off(offsets), strides(sizes.size(), b.getIndexAttr(1)), sz;
  off.resize(sizes.size(), b.getIndexAttr(0));
  for (int64_t size : sizes)
    sz.push_back(b.getIndexAttr(size));
  b.create<tensor::ParallelInsertSliceOp>(loc, value, out, off, sz, strides);
}

/// The workgroup's query rows (`tile`: its leading dims and rows) with each
/// row's keys split among `splits` threads (flash-decoding inside a block):
/// thread (row, g) streams keys [g * chunk, ...) with its own online
/// softmax and writes its m, l and acc to workgroup memory; then a thread
/// per row merges them: M = max m_g, w_g = exp(m_g - M),
/// out = sum acc_g w_g / sum l_g w_g. Returns the workgroup's output tile.
Value splitKeys(TileBuilder &tb, const Streams &st, ArrayRef<int64_t> tile, int64_t valueDim,
                int64_t keys, int64_t splits, Attribute workgroupSpace, Value outTile) {
  OpBuilder &b = tb.b;
  Location loc = tb.loc;
  MLIRContext *ctx = b.getContext();
  int64_t rows = tile.size(); // leading dims and query rows
  int64_t chunk = llvm::divideCeil(keys, splits), last = keys - (splits - 1) * chunk;
  auto qType = cast<RankedTensorType>(st.q.getType());
  auto kType = cast<RankedTensorType>(st.k.getType());
  auto vType = cast<RankedTensorType>(st.v.getType());
  int64_t depth = qType.getShape().back();
  auto partials = [&](SmallVector<int64_t> shape) {
    auto alloc = b.create<bufferization::AllocTensorOp>(
        loc, RankedTensorType::get(shape, b.getF32Type()), ValueRange{});
    if (workgroupSpace)
      alloc.setMemorySpaceAttr(workgroupSpace);
    return alloc.getResult();
  };
  SmallVector<int64_t> stateShape(tile), accShape(tile);
  stateShape.push_back(splits);
  accShape.append({splits, valueDim});
  Value mAll = partials(stateShape), lAll = partials(stateShape), accAll = partials(accShape);
  SmallVector<int64_t> ones(rows, 1);
  SmallVector<int64_t> accOne(ones);
  accOne.push_back(valueDim);
  // 1. Thread (row..., g): its part of the keys.
  scf::ForallOp split = [&] {
    OpBuilder::InsertionGuard guard(b);
    scf::ForallOp loop = threadLoop(b, loc, stateShape, ValueRange{mAll, lAll, accAll});
    SmallVector<Value> ivs = llvm::to_vector(loop.getInductionVars());
    SmallVector<OpFoldResult> row = getAsOpFoldResult(ValueRange(ivs).take_front(rows));
    Value g = ivs.back();
    SmallVector<int64_t> qPart(ones);
    qPart.push_back(depth);
    Value q = sliceAt(b, loc, st.q, row, qPart);
    // Keys and values: the row's leading indices (not its query row).
    auto keysOf = [&](Value x, RankedTensorType type, Value start, int64_t n) {
      SmallVector<OpFoldResult> off(row.begin(), row.end() - 1);
      off.push_back(start);
      SmallVector<int64_t> sizes(rows - 1, 1);
      sizes.append({n, type.getShape().back()});
      return sliceAt(b, loc, x, off, sizes);
    };
    Value start = b.create<arith::MulIOp>(loc, g, b.create<arith::ConstantIndexOp>(loc, chunk));
    SmallVector<Type> types = {RankedTensorType::get(ones, b.getF32Type()),
                               RankedTensorType::get(ones, b.getF32Type()),
                               RankedTensorType::get(accOne, b.getF32Type())};
    Value notLast = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, g,
                                            b.create<arith::ConstantIndexOp>(loc, splits - 1));
    auto branch = b.create<scf::IfOp>(loc, types, notLast, /*withElse=*/true);
    for (auto [region, n] : {std::pair{&branch.getThenRegion(), chunk},
                             std::pair{&branch.getElseRegion(), last}}) {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&region->front());
      Streams part{q, keysOf(st.k, kType, start, n), keysOf(st.v, vType, start, n), st.scale,
                   false};
      SmallVector<Value> state = streamKeysInRegisters(b, loc, part, n);
      SmallVector<int64_t> accRow(ones);
      accRow.push_back(valueDim);
      b.create<scf::YieldOp>(loc, ValueRange{rowTensor(b, loc, state[0], ones),
                                             rowTensor(b, loc, state[1], ones),
                                             rowTensor(b, loc, state[2], accRow)});
    }
    SmallVector<OpFoldResult> at = getAsOpFoldResult(ivs);
    SmallVector<int64_t> unit(rows + 1, 1), accUnit(rows + 1, 1);
    accUnit.push_back(valueDim);
    ValueRange outs = loop.getRegionOutArgs();
    insertAt(b, loc, loop, branch.getResult(0), outs[0], at, unit);
    insertAt(b, loc, loop, branch.getResult(1), outs[1], at, unit);
    insertAt(b, loc, loop, branch.getResult(2), outs[2], at, accUnit);
    return loop;
  }();
  mAll = split.getResult(0);
  lAll = split.getResult(1);
  accAll = split.getResult(2);
  // 2. A thread per row merges its splits.
  OpBuilder::InsertionGuard guard(b);
  scf::ForallOp merge = threadLoop(b, loc, tile, ValueRange{outTile});
  SmallVector<Value> mergeIvs = llvm::to_vector(merge.getInductionVars());
  SmallVector<OpFoldResult> row = getAsOpFoldResult(mergeIvs);
  SmallVector<int64_t> stateRow(ones), accRow(ones);
  stateRow.push_back(splits);
  accRow.append({splits, valueDim});
  Value m = sliceAt(b, loc, mAll, row, stateRow);
  Value l = sliceAt(b, loc, lAll, row, stateRow);
  Value acc = sliceAt(b, loc, accAll, row, accRow);
  Value top = tb.generic({m}, {}, tb.fill(tb.empty(ones), -INFINITY), true,
                         [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                           return nb.create<arith::MaximumFOp>(l2, a[0], a[1]);
                         });
  Value w = tb.generic({m}, {top}, tb.empty(stateRow), false,
                       [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                         return nb.create<math::ExpOp>(l2, nb.create<arith::SubFOp>(l2, a[0], a[1]));
                       });
  Value sum = tb.generic({l, w}, {}, tb.fill(tb.empty(ones), 0.0), true,
                         [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                           return nb.create<arith::AddFOp>(
                               l2, nb.create<arith::MulFOp>(l2, a[0], a[1]), a[2]);
                         });
  // out[r..., j] = sum_g acc[r..., g, j] * w[r..., g]
  AffineMap id = AffineMap::getMultiDimIdentityMap(rows + 2, ctx);
  SmallVector<utils::IteratorType> iters(rows + 2, utils::IteratorType::parallel);
  iters[rows] = utils::IteratorType::reduction;
  Value weighted =
      b.create<linalg::GenericOp>(
           loc, TypeRange{RankedTensorType::get(accOne, b.getF32Type())}, ValueRange{acc, w},
           ValueRange{tb.fill(tb.empty(accOne), 0.0)},
           ArrayRef<AffineMap>{id, id.dropResult(rows + 1), id.dropResult(rows)}, iters,
           [](OpBuilder &nb, Location l2, ValueRange a) {
             nb.create<linalg::YieldOp>(
                 l2, ValueRange{nb.create<arith::AddFOp>(
                         l2, nb.create<arith::MulFOp>(l2, a[0], a[1]), a[2])});
           })
          .getResult(0);
  Value outRow = sliceAt(b, loc, merge.getRegionOutArgs()[0], row, accOne);
  Value out = tb.generic({weighted}, {sum}, outRow, false,
                         [](OpBuilder &nb, Location l2, ValueRange a) -> Value {
                           return nb.create<arith::DivFOp>(l2, a[0], a[1]);
                         });
  out.getDefiningOp()->setAttr(kConsumerAttr, b.getUnitAttr());
  insertAt(b, loc, merge, out, merge.getRegionOutArgs()[0], row, accOne);
  return merge.getResult(0);
}

} // namespace

std::optional<AttentionOperands> tilec::codegen::loneAttention(func::FuncOp kernel) {
  SmallVector<linalg::GenericOp> roots;
  kernel.walk([&](linalg::GenericOp op) {
    auto kind = op->getAttrOfType<StringAttr>(kRootAttr);
    if (kind && kind.getValue() == "attention")
      roots.push_back(op);
  });
  if (roots.size() != 2)
    return std::nullopt;
  linalg::GenericOp qk = roots[0], pv = roots[1];
  auto scaleAttr = qk->getAttrOfType<FloatAttr>(kAttentionScaleAttr);
  // Only a lone attention (an epilogue fused after it would need its own
  // rewrite), and a positive scale (max(scale * s) = scale * max(s)).
  if (!scaleAttr || scaleAttr.getValueAsDouble() <= 0 || !pv->hasAttr(kConsumerAttr))
    return std::nullopt;
  Value q = qk.getDpsInputs()[0], k = qk.getDpsInputs()[1], v = pv.getDpsInputs()[1];
  // Operands read straight from the kernel's arguments: anything computed
  // before the workgroup loop would be recomputed by every workgroup.
  for (Value x : {q, k, v}) {
    while (x.getDefiningOp<tensor::CollapseShapeOp>() || x.getDefiningOp<tensor::ExpandShapeOp>() ||
           x.getDefiningOp<tensor::CastOp>())
      x = x.getDefiningOp()->getOperand(0);
    if (!x.getDefiningOp<bufferization::ToTensorOp>())
      return std::nullopt;
  }
  auto outType = cast<RankedTensorType>(pv.getResult(0).getType());
  int64_t rank = outType.getRank();
  for (Value x : {q, k, v, pv.getResult(0)}) {
    auto type = cast<RankedTensorType>(x.getType());
    if (!type.hasStaticShape() || type.getRank() != rank)
      return std::nullopt;
  }
  if (rank < 2)
    return std::nullopt;
  return AttentionOperands{q, k, v, scaleAttr.getValueAsDouble(), pv};
}

int64_t tilec::codegen::streamAttention(func::FuncOp kernel, const Schedule &s,
                                        int64_t keyBlockSize, bool threadPerRow,
                                        Attribute workgroupSpace, int64_t workgroupBytes,
                                        int64_t *splitsOut) {
  std::optional<AttentionOperands> ops = loneAttention(kernel);
  if (!ops)
    return 0;
  linalg::GenericOp pv = ops->pv;
  Value q = ops->q, k = ops->k, v = ops->v;
  auto qType = cast<RankedTensorType>(q.getType()), kType = cast<RankedTensorType>(k.getType()),
       vType = cast<RankedTensorType>(v.getType());
  auto outType = cast<RankedTensorType>(pv.getResult(0).getType());
  int64_t rank = outType.getRank();
  int64_t keys = kType.getDimSize(rank - 2), valueDim = outType.getDimSize(rank - 1);

  // Workgroups: the schedule's tiles of the leading dims and query rows
  // (whole when a size does not divide); the value dim stays whole.
  SmallVector<int64_t> tile, counts;
  int64_t grid = 1;
  for (int64_t d = 0; d + 1 < rank; ++d) {
    int64_t size = outType.getDimSize(d);
    int64_t t = d < int64_t(s.workgroupTile.size()) ? s.workgroupTile[d] : 0;
    if (t <= 0 || t >= size || size % t != 0)
      t = size;
    tile.push_back(t);
    counts.push_back(size / t);
    grid *= size / t;
  }
  int64_t bc = std::clamp<int64_t>(keyBlockSize, 1, keys);
  int64_t tileSize = 1;
  for (int64_t t : tile)
    tileSize *= t;
  if (splitsOut)
    *splitsOut = 1;

  OpBuilder b(pv);
  Location loc = pv.getLoc();
  TileBuilder tb{b, loc};
  SmallVector<OpFoldResult> ubs;
  for (int64_t c : counts)
    ubs.push_back(b.getIndexAttr(c));
  auto forall = b.create<scf::ForallOp>(loc, ubs, ValueRange{tb.empty(outType.getShape())},
                                        std::nullopt);
  b.setInsertionPoint(forall.getTerminator());
  SmallVector<Value> offsets;
  for (auto [iv, t] : llvm::zip(forall.getInductionVars(), tile))
    offsets.push_back(b.create<arith::MulIOp>(loc, iv, b.create<arith::ConstantIndexOp>(loc, t)));
  // The workgroup's block of a [lead..., rows, cols] tensor: the leading dims
  // (and the query rows with `queryRows`) tiled, the rest whole.
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  auto block = [&](RankedTensorType type, bool queryRows) {
    SmallVector<OpFoldResult> off, sizes;
    for (int64_t d = 0; d < rank; ++d) {
      bool tiled = d + 2 < rank || (queryRows && d == rank - 2);
      off.push_back(tiled ? OpFoldResult(offsets[d]) : b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(tiled ? tile[d] : type.getDimSize(d)));
    }
    return std::make_pair(off, sizes);
  };
  auto slice = [&](Value x, RankedTensorType type, bool queryRows) {
    auto [off, sizes] = block(type, queryRows);
    return b.create<tensor::ExtractSliceOp>(loc, x, off, sizes, strides).getResult();
  };
  Streams st{slice(q, qType, true), slice(k, kType, false), slice(v, vType, false),
             ops->scale,
             /*transposeKeys=*/!threadPerRow && !kType.getElementType().isF32()};
  Value outTile = slice(forall.getRegionOutArgs()[0], outType, true);
  Value result;
  if (!threadPerRow) {
    result = streamRows(tb, st, SmallVector<int64_t>(tile.begin(), tile.end()), valueDim, keys,
                        bc, outTile);
  } else if (int64_t splits = keySplits(grid, tileSize, keys, valueDim, workgroupBytes);
             splits > 1) {
    result = splitKeys(tb, st, tile, valueDim, keys, splits, workgroupSpace, outTile);
    if (splitsOut)
      *splitsOut = splits;
  } else {
    // One thread per query row of the workgroup's tile (GPU): a thread loop
    // over the tile's leading dims and rows, each thread streaming all keys
    // of its head with its own m, l and accumulators.
    OpBuilder::InsertionGuard guard(b);
    scf::ForallOp threads = threadLoop(b, loc, tile, ValueRange{outTile});
    // A [lead..., rows, cols] tile's part for the thread at `ivs`: its
    // leading indices (and its row with `row`), the rest whole.
    auto part = [&](Value x, bool row) {
      auto type = cast<RankedTensorType>(x.getType());
      SmallVector<OpFoldResult> off, sizes;
      for (int64_t d = 0; d < rank; ++d) {
        bool mine = d + 2 < rank || (row && d == rank - 2);
        off.push_back(mine ? OpFoldResult(threads.getInductionVars()[d]) : b.getIndexAttr(0));
        sizes.push_back(b.getIndexAttr(mine ? 1 : type.getDimSize(d)));
      }
      return std::make_pair(off, sizes);
    };
    auto slicePart = [&](Value x, bool row) {
      auto [off, sizes] = part(x, row);
      return b.create<tensor::ExtractSliceOp>(loc, x, off, sizes, strides).getResult();
    };
    Streams mine{slicePart(st.q, true), slicePart(st.k, false), slicePart(st.v, false), st.scale,
                 false};
    Value rowOut = slicePart(threads.getRegionOutArgs()[0], true);
    SmallVector<Value> state = streamKeysInRegisters(b, loc, mine, keys);
    auto accType = cast<VectorType>(state[2].getType());
    Value row =
        b.create<arith::DivFOp>(loc, state[2], b.create<vector::SplatOp>(loc, accType, state[1]));
    SmallVector<Value> indices(rank, b.create<arith::ConstantIndexOp>(loc, 0));
    Value rowResult =
        b.create<vector::TransferWriteOp>(loc, row, rowOut, indices, ArrayRef<bool>{true})
            .getResult();
    rowResult.getDefiningOp()->setAttr(kConsumerAttr, b.getUnitAttr());
    b.setInsertionPointToStart(threads.getTerminator().getBody());
    auto [rowOffsets, rowSizes] = part(threads.getRegionOutArgs()[0], true);
    b.create<tensor::ParallelInsertSliceOp>(loc, rowResult, threads.getRegionOutArgs()[0],
                                            rowOffsets, rowSizes, strides);
    result = threads.getResult(0);
  }
  if (!threadPerRow)
    result.getDefiningOp()->setAttr(kConsumerAttr, b.getUnitAttr());
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  auto [outOffsets, outSizes] = block(outType, true);
  b.create<tensor::ParallelInsertSliceOp>(loc, result, forall.getRegionOutArgs()[0], outOffsets,
                                          outSizes, strides);
  pv.getResult(0).replaceAllUsesWith(forall.getResult(0));
  eraseDeadOps(kernel);
  return grid;
}
