//===- AttentionLanes.cpp - tensor-core attention as each lane's registers ===//
//
// See WarpAttention.h (lowerWarpAttention). After mapping and hoisting, the
// kernel's warp-wide values are
//   - tiles, vector<16xNxT> (scores, probabilities, the output rows, masks):
//     N / 8 accumulator tiles of m16n8, of which a lane holds 4 values each,
//     (row g, columns 2t, 2t + 1) and (row g + 8, the same columns), where
//     g = lane / 4 and t = lane % 4; a lane's share is vector<N/2 x T>,
//     tile j's values at 4j .. 4j + 3;
//   - rows, vector<16xT> or vector<16x1xT> (the running max and sum): a
//     lane's share is its two rows' values, vector<2xT>;
// and each op on them becomes the same op on the lane's share, except
//   - row reductions (vector.multi_reduction over the columns): the lane's
//     values of each row combined, then across the row's 4 lanes (shuffles
//     by 1 and 2);
//   - a row along the columns (vector.broadcast of [16, 1]): each of its
//     tiles' values from the lane's row value;
//   - masks (vector.constant_mask): each value's row and column compared;
//   - contractions: mma.sync m16n8k16 per 16x8 tile and 16 of K; an A
//     operand read from workgroup memory loaded with ldmatrix where it is
//     read (the queries: once, before the key loop), an A operand computed
//     (the probabilities) taken from the lane's share as is (m16n8k16's C
//     layout of two adjacent tiles is its A layout), B operands loaded with
//     ldmatrix (keys [n][k]) or ldmatrix.trans (values [k][n]) at the
//     contraction;
//   - reads and writes of memory: the lane's values, two at a time;
//   - exponentials: ex2.approx of x log2(e), one per value.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/LaneFragments.h"
#include "codegen/gpu/TensorCores.h"
#include "codegen/gpu/WarpAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace tilec::codegen;
using namespace tilec::codegen::detail;

namespace {

constexpr int64_t kRows = 16;

enum class Shape { None, Tile, Row };

Shape shapeOf(Type type) {
  auto v = dyn_cast<VectorType>(type);
  if (!v || v.getRank() > 2 || v.getDimSize(0) != kRows)
    return Shape::None;
  if (v.getRank() == 1 || v.getDimSize(1) == 1)
    return Shape::Row;
  return v.getDimSize(1) % 8 == 0 ? Shape::Tile : Shape::None;
}

/// A lane's share of a warp-wide vector.
VectorType laneType(Type type) {
  auto v = cast<VectorType>(type);
  int64_t n = shapeOf(v) == Shape::Tile ? v.getDimSize(1) / 2 : 2;
  return VectorType::get({n}, v.getElementType());
}

struct AttentionLanes : FragmentLowering {
  AttentionLanes(RewriterBase &rw, Value lane, bool bf16)
      : FragmentLowering(rw, lane, "tensor-core attention"), bf16(bf16) {}
  bool bf16; // bf16 operands (else f16)
  Value g, t;
  /// A operands read from workgroup memory: per 16 of K, 4 words.
  DenseMap<Value, SmallVector<Value>> aWords;

  // Index arithmetic.
  Value index(int64_t v) { return rw.create<arith::ConstantIndexOp>(rw.getUnknownLoc(), v); }
  Value add(Value a, Value b) { return rw.create<arith::AddIOp>(a.getLoc(), a, b); }
  Value add(Value a, int64_t c) { return c == 0 ? a : add(a, index(c)); }
  Value mul(Value a, int64_t c) { return rw.create<arith::MulIOp>(a.getLoc(), a, index(c)); }
  Value div(Value a, int64_t c) { return rw.create<arith::DivUIOp>(a.getLoc(), a, index(c)); }
  Value rem(Value a, int64_t c) { return rw.create<arith::RemUIOp>(a.getLoc(), a, index(c)); }

  void setUp(gpu::GPUFuncOp func) {
    rw.setInsertionPointToStart(&func.getBody().front());
    Location loc = func.getLoc();
    Value tid = rw.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
    lane = rem(tid, 32);
    g = div(lane, 4);
    t = rem(lane, 4);
  }

  /// The indices of a transfer of a warp-wide vector (minor identity map)
  /// moved to the lane's value at (row offset, column offset).
  FailureOr<SmallVector<Value>> at(VectorTransferOpInterface x, Value row, Value col) {
    AffineMap map = x.getPermutationMap();
    if (!map.isMinorIdentity())
      return failure();
    SmallVector<Value> indices(x.getIndices());
    int64_t rank = indices.size(), vrank = map.getNumResults();
    if (vrank == 1) {
      indices[rank - 1] = add(indices[rank - 1], row);
      return indices;
    }
    indices[rank - 2] = add(indices[rank - 2], row);
    if (col) // (a [16, 1] row: its one column)
      indices[rank - 1] = add(indices[rank - 1], col);
    return indices;
  }
  Value rowOf(int64_t h) { return add(g, 8 * h); }
  Value colOf(int64_t j) { return add(mul(t, 2), 8 * j); }

  bool isAccumulator(Type type) override { return shapeOf(type) != Shape::None; }

  Value splat(Location loc, Type type, Attribute element) override {
    VectorType lt = laneType(type);
    return rw.create<arith::ConstantOp>(loc, lt, SplatElementsAttr::get(lt, element));
  }

  Value loadAccumulator(vector::TransferReadOp read, vector::ContractionOp) override {
    return load(read);
  }

  /// A tile's or a row's lane values read from memory (null on a layout it
  /// does not know).
  Value load(vector::TransferReadOp read) {
    Location loc = read.getLoc();
    VectorType lt = laneType(read.getVectorType());
    Type element = lt.getElementType();
    Value f = rw.create<arith::ConstantOp>(loc, lt, rw.getZeroAttr(lt));
    if (shapeOf(read.getVectorType()) == Shape::Row) {
      for (int64_t h = 0; h < 2; ++h) {
        FailureOr<SmallVector<Value>> idx = at(read, rowOf(h), {});
        if (failed(idx))
          return nullptr;
        Value v = rw.create<memref::LoadOp>(loc, read.getSource(), *idx);
        f = rw.create<vector::InsertOp>(loc, v, f, ArrayRef<int64_t>{h});
      }
      return f;
    }
    for (int64_t j = 0; j < lt.getDimSize(0) / 4; ++j)
      for (int64_t h = 0; h < 2; ++h) {
        FailureOr<SmallVector<Value>> idx = at(read, rowOf(h), colOf(j));
        if (failed(idx))
          return nullptr;
        Value pair =
            rw.create<vector::LoadOp>(loc, VectorType::get({2}, element), read.getSource(), *idx);
        f = rw.create<vector::InsertStridedSliceOp>(loc, pair, f, ArrayRef<int64_t>{4 * j + 2 * h},
                                                    ArrayRef<int64_t>{1});
      }
    return f;
  }

  /// A tile's or a row's lane values written to memory.
  LogicalResult storeAccumulator(vector::TransferWriteOp write, Value f) override {
    Location loc = write.getLoc();
    if (shapeOf(write.getVectorType()) == Shape::Row) {
      for (int64_t h = 0; h < 2; ++h) {
        FailureOr<SmallVector<Value>> idx = at(write, rowOf(h), {});
        if (failed(idx))
          return failure();
        Value v = rw.create<vector::ExtractOp>(loc, f, ArrayRef<int64_t>{h});
        rw.create<memref::StoreOp>(loc, v, write.getSource(), *idx);
      }
      return success();
    }
    int64_t n = cast<VectorType>(f.getType()).getDimSize(0);
    for (int64_t j = 0; j < n / 4; ++j)
      for (int64_t h = 0; h < 2; ++h) {
        FailureOr<SmallVector<Value>> idx = at(write, rowOf(h), colOf(j));
        if (failed(idx))
          return failure();
        Value pair = rw.create<vector::ExtractStridedSliceOp>(
            loc, f, ArrayRef<int64_t>{4 * j + 2 * h}, ArrayRef<int64_t>{2}, ArrayRef<int64_t>{1});
        rw.create<vector::StoreOp>(loc, pair, write.getSource(), *idx);
      }
    return success();
  }

  /// A pair of 16-bit values as the instruction's operand register.
  Value word(Location loc, Value pair) {
    if (!bf16)
      return pair; // the f16 intrinsic takes <2 x half>
    return rw.create<LLVM::BitcastOp>(loc, rw.getI32Type(), pair);
  }

  /// ldmatrix.x4 at the lane's row and column of `read`'s memory: its 4
  /// registers.
  FailureOr<SmallVector<Value>> ldmatrix(vector::TransferReadOp read, Value row, Value col,
                                         bool transpose) {
    Location loc = read.getLoc();
    FailureOr<SmallVector<Value>> idx = at(read, row, col);
    if (failed(idx))
      return failure();
    Type element = read.getVectorType().getElementType();
    Value m = rw.create<nvgpu::LdMatrixOp>(loc, VectorType::get({4, 2}, element), read.getSource(),
                                           *idx, transpose, 4);
    SmallVector<Value> regs;
    for (int64_t i = 0; i < 4; ++i)
      regs.push_back(word(loc, rw.create<vector::ExtractOp>(loc, m, ArrayRef<int64_t>{i})));
    return regs;
  }

  /// The A operand [16, K] from workgroup memory: 4 words per 16 of K.
  FailureOr<SmallVector<Value>> loadA(vector::TransferReadOp read) {
    SmallVector<Value> words;
    int64_t k = read.getVectorType().getDimSize(1);
    for (int64_t kk = 0; kk < k / 16; ++kk) {
      FailureOr<SmallVector<Value>> regs =
          ldmatrix(read, rem(lane, 16), add(mul(div(lane, 16), 8), 16 * kk), false);
      if (failed(regs))
        return failure();
      words.append(*regs);
    }
    return words;
  }

  /// mma.sync m16n8k16 (bf16 or f16 operands, f32 accumulators) on one
  /// accumulator tile `c` (4 floats): returns the new 4.
  Value mma(Location loc, ArrayRef<Value> a, ArrayRef<Value> b, Value c) {
    Type f32 = rw.getF32Type();
    SmallVector<Value> args(a);
    args.append(b.begin(), b.end());
    for (int64_t i = 0; i < 4; ++i)
      args.push_back(rw.create<vector::ExtractOp>(loc, c, ArrayRef<int64_t>{i}));
    auto result = LLVM::LLVMStructType::getLiteral(rw.getContext(), {f32, f32, f32, f32});
    auto call = rw.create<LLVM::CallIntrinsicOp>(
        loc, result,
        rw.getStringAttr(bf16 ? "llvm.nvvm.mma.m16n8k16.row.col.bf16"
                              : "llvm.nvvm.mma.m16n8k16.row.col.f32.f32"),
        args, LLVM::FastmathFlagsAttr::get(rw.getContext(), LLVM::FastmathFlags::none));
    Value d = rw.create<arith::ConstantOp>(loc, c.getType(), rw.getZeroAttr(c.getType()));
    for (int64_t i = 0; i < 4; ++i) {
      Value v = rw.create<LLVM::ExtractValueOp>(loc, call.getResult(0), i);
      d = rw.create<vector::InsertOp>(loc, v, d, ArrayRef<int64_t>{i});
    }
    return d;
  }

  /// Whether nothing between `read` and `user` (one block) writes memory
  /// or waits at a barrier (the instructions emitted so far, mma.sync
  /// intrinsics, touch no memory).
  static bool unwrittenBetween(Operation *read, Operation *user) {
    if (read->getBlock() != user->getBlock() || !read->isBeforeInBlock(user))
      return false;
    for (Operation *op = read->getNextNode(); op != user; op = op->getNextNode()) {
      if (isa<LLVM::CallIntrinsicOp>(op))
        continue;
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if ((!effects && !isMemoryEffectFree(op)) ||
          (effects && effects.hasEffect<MemoryEffects::Write>()))
        return false;
    }
    return true;
  }

  FailureOr<Value> contract(vector::ContractionOp c, Value acc) override {
    Location loc = c.getLoc();
    MLIRContext *ctx = c.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    SmallVector<AffineMap> maps = c.getIndexingMapsArray();
    auto nk = AffineMap::get(3, 0, {n, k}, ctx), kn = AffineMap::get(3, 0, {k, n}, ctx);
    if (maps[0] != AffineMap::get(3, 0, {m, k}, ctx) || (maps[1] != nk && maps[1] != kn) ||
        maps[2] != AffineMap::get(3, 0, {m, n}, ctx))
      return c.emitError("tensor-core attention: a contraction of unexpected indexing");
    bool keysMajor = maps[1] == nk; // B stored [n][k]
    auto rhs = c.getRhs().getDefiningOp<vector::TransferReadOp>();
    if (!rhs || !unwrittenBetween(rhs, c))
      return c.emitError("tensor-core attention: B not read from workgroup memory just before");
    int64_t kSize = c.getLhsType().getDimSize(1),
            nSize = cast<VectorType>(c.getResultType()).getDimSize(1);
    // A: words loaded where they were read, or the lane's share of a
    // computed tile (the C layout of tiles 2kk and 2kk + 1 is A's).
    SmallVector<Value> a;
    if (auto it = aWords.find(c.getLhs()); it != aWords.end()) {
      a = it->second;
    } else if (Value p = fragment.lookup(c.getLhs())) {
      for (int64_t i = 0; i < kSize / 2; ++i) {
        Value pair = rw.create<vector::ExtractStridedSliceOp>(
            loc, p, ArrayRef<int64_t>{2 * i}, ArrayRef<int64_t>{2}, ArrayRef<int64_t>{1});
        a.push_back(word(loc, pair));
      }
    } else {
      return c.emitError("tensor-core attention: an A operand of unexpected origin");
    }
    Value d = acc;
    for (int64_t kk = 0; kk < kSize / 16; ++kk)
      for (int64_t nn = 0; nn < nSize / 16; ++nn) {
        Value quad = div(lane, 16), half = rem(div(lane, 8), 2), eighth = rem(lane, 8);
        FailureOr<SmallVector<Value>> b =
            keysMajor ? ldmatrix(rhs, add(add(mul(quad, 8), eighth), 16 * nn),
                                 add(mul(half, 8), 16 * kk), false)
                      : ldmatrix(rhs, add(add(mul(half, 8), eighth), 16 * kk),
                                 add(mul(quad, 8), 16 * nn), true);
        if (failed(b))
          return c.emitError("tensor-core attention: B not a 2-d read of workgroup memory");
        for (int64_t side = 0; side < 2; ++side) {
          int64_t j = 2 * nn + side;
          Value cj = rw.create<vector::ExtractStridedSliceOp>(
              loc, d, ArrayRef<int64_t>{4 * j}, ArrayRef<int64_t>{4}, ArrayRef<int64_t>{1});
          Value dj = mma(loc, ArrayRef<Value>(a).slice(4 * kk, 4),
                         {(*b)[2 * side], (*b)[2 * side + 1]}, cj);
          d = rw.create<vector::InsertStridedSliceOp>(loc, dj, d, ArrayRef<int64_t>{4 * j},
                                                      ArrayRef<int64_t>{1});
        }
      }
    return d;
  }

  /// `f`'s values of each row (a tile's lane share) combined by `kind`, then
  /// across the row's 4 lanes, then with `acc` (a row's lane share).
  Value reduceRows(Location loc, Value f, Value acc, vector::CombiningKind kind) {
    auto combine = [&](Value x, Value y) -> Value {
      switch (kind) {
      case vector::CombiningKind::ADD:
        return rw.create<arith::AddFOp>(loc, x, y);
      case vector::CombiningKind::MAXIMUMF:
        return rw.create<arith::MaximumFOp>(loc, x, y);
      case vector::CombiningKind::MAXNUMF:
        return rw.create<arith::MaxNumFOp>(loc, x, y);
      case vector::CombiningKind::MINIMUMF:
        return rw.create<arith::MinimumFOp>(loc, x, y);
      default:
        return rw.create<arith::MinNumFOp>(loc, x, y);
      }
    };
    int64_t n = cast<VectorType>(f.getType()).getDimSize(0);
    Value out = acc;
    for (int64_t h = 0; h < 2; ++h) {
      Value r;
      for (int64_t j = 0; j < n / 4; ++j)
        for (int64_t e = 0; e < 2; ++e) {
          Value v = rw.create<vector::ExtractOp>(loc, f, ArrayRef<int64_t>{4 * j + 2 * h + e});
          r = r ? combine(r, v) : v;
        }
      for (int64_t offset : {1, 2}) {
        Value other =
            rw.create<gpu::ShuffleOp>(loc, r, int32_t(offset), int32_t(32), gpu::ShuffleMode::XOR)
                .getShuffleResult();
        r = combine(r, other);
      }
      Value a = rw.create<vector::ExtractOp>(loc, acc, ArrayRef<int64_t>{h});
      out = rw.create<vector::InsertOp>(loc, combine(a, r), out, ArrayRef<int64_t>{h});
    }
    return out;
  }

  /// A mask of the tile's first `rows` rows and `cols` columns.
  Value mask(Location loc, VectorType type, int64_t rows, int64_t cols) {
    VectorType lt = laneType(type);
    SmallVector<Value> bits;
    for (int64_t j = 0; j < lt.getDimSize(0) / 4; ++j)
      for (int64_t e = 0; e < 4; ++e) {
        Value rowOk =
            rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, rowOf(e / 2), index(rows));
        Value colOk = rw.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, add(colOf(j), e % 2),
                                               index(cols));
        bits.push_back(rw.create<arith::AndIOp>(loc, rowOk, colOk));
      }
    return rw.create<vector::FromElementsOp>(loc, lt, bits);
  }

  LogicalResult other(Operation *op, bool &handled) override {
    handled = true;
    Location loc = op->getLoc();
    auto replaced = [&](Value old, Value f) {
      fragment[old] = f;
      dead.push_back(old.getDefiningOp());
      return success();
    };
    if (auto read = dyn_cast<vector::TransferReadOp>(op)) {
      bool operand = !read->use_empty() && llvm::all_of(read->getUsers(), [](Operation *u) {
        auto c = dyn_cast<vector::ContractionOp>(u);
        return c && isWarpContraction(c);
      });
      if (operand) {
        // A operands where they are read (the queries: before the key
        // loop); B operands at their contraction.
        if (llvm::any_of(read->getUses(),
                         [](OpOperand &use) { return use.getOperandNumber() != 0; }))
          return success();
        rw.setInsertionPoint(read);
        FailureOr<SmallVector<Value>> words = loadA(read);
        if (failed(words))
          return read.emitError("tensor-core attention: A not a 2-d read of workgroup memory");
        aWords[read.getResult()] = *words;
        return success();
      }
      if (!isAccumulator(read.getVectorType()))
        return success();
      rw.setInsertionPoint(read);
      Value f = load(read);
      if (!f)
        return read.emitError("tensor-core attention: a read of unexpected layout");
      return replaced(read.getResult(), f);
    }
    // Writes and loops: FragmentLowering's (storeAccumulator above).
    if (isa<vector::TransferWriteOp, scf::ForOp>(op) || op->getNumResults() != 1 ||
        !isAccumulator(op->getResult(0).getType())) {
      handled = false;
      return success();
    }
    rw.setInsertionPoint(op);
    Value result = op->getResult(0);
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      if (!dense || !dense.isSplat())
        return success(); // a constant nothing lane-wise uses, or an error at its use
      return replaced(result, splat(loc, result.getType(), dense.getSplatValue<Attribute>()));
    }
    if (auto c = dyn_cast<vector::ContractionOp>(op)) {
      Value acc = fragmentOf(c.getAcc(), c);
      if (!acc)
        return failure();
      FailureOr<Value> d = contract(c, acc);
      if (failed(d))
        return failure();
      return replaced(result, *d);
    }
    if (auto cast = dyn_cast<vector::ShapeCastOp>(op)) {
      Value f = fragmentOf(cast.getSource(), op);
      if (!f || shapeOf(cast.getSourceVectorType()) != Shape::Row)
        return op->emitError("tensor-core attention: an unexpected shape_cast");
      return replaced(result, f);
    }
    if (auto b = dyn_cast<vector::BroadcastOp>(op)) {
      VectorType lt = laneType(result.getType());
      if (!isa<VectorType>(b.getSourceType()))
        return replaced(result, rw.create<vector::BroadcastOp>(loc, lt, b.getSource()));
      Value f = fragmentOf(b.getSource(), op);
      if (!f || shapeOf(b.getSourceType()) != Shape::Row)
        return op->emitError("tensor-core attention: an unexpected broadcast");
      SmallVector<int64_t> pattern;
      for (int64_t i = 0; i < lt.getDimSize(0); ++i)
        pattern.push_back((i % 4) / 2); // values 0, 1 of a tile: row g; 2, 3: row g + 8
      return replaced(result, rw.create<vector::ShuffleOp>(loc, f, f, pattern));
    }
    if (auto r = dyn_cast<vector::MultiDimReductionOp>(op)) {
      Value f = fragmentOf(r.getSource(), op), acc = fragmentOf(r.getAcc(), op);
      SmallVector<bool> reduced = r.getReductionMask();
      if (!f || !acc || reduced != SmallVector<bool>{false, true})
        return op->emitError("tensor-core attention: an unexpected reduction");
      return replaced(result, reduceRows(loc, f, acc, r.getKind()));
    }
    if (auto m = dyn_cast<vector::ConstantMaskOp>(op)) {
      SmallVector<int64_t> sizes;
      for (Attribute a : m.getMaskDimSizes())
        sizes.push_back(cast<IntegerAttr>(a).getInt());
      return replaced(result, mask(loc, m.getVectorType(), sizes[0], sizes[1]));
    }
    if (auto m = dyn_cast<vector::CreateMaskOp>(op)) {
      std::optional<int64_t> rows = getConstantIntValue(m.getOperand(0));
      std::optional<int64_t> cols = getConstantIntValue(m.getOperand(1));
      if (!rows || !cols)
        return op->emitError("tensor-core attention: a mask of dynamic size");
      return replaced(result, mask(loc, m.getVectorType(), *rows, *cols));
    }
    if (auto exp = dyn_cast<math::ExpOp>(op)) {
      // exp(x) = 2^(x log2 e) on the multi-function unit (ex2.approx, 2 ulp)
      // instead of MLIR's polynomial (some 15 instructions a value).
      Value f = fragmentOf(exp.getOperand(), op);
      if (!f)
        return failure();
      auto lt = cast<VectorType>(f.getType());
      Type f32 = rw.getF32Type();
      if (!lt.getElementType().isF32())
        return op->emitError("tensor-core attention: an exponential of non-f32 values");
      Value log2e = rw.create<arith::ConstantOp>(loc, rw.getF32FloatAttr(float(M_LOG2E)));
      Value out = rw.create<arith::ConstantOp>(loc, lt, rw.getZeroAttr(lt));
      for (int64_t i = 0; i < lt.getDimSize(0); ++i) {
        Value x = rw.create<vector::ExtractOp>(loc, f, ArrayRef<int64_t>{i});
        x = rw.create<arith::MulFOp>(loc, x, log2e);
        Value e = rw.create<LLVM::CallIntrinsicOp>(
                        loc, f32, rw.getStringAttr("llvm.nvvm.ex2.approx.ftz.f"), ValueRange{x},
                        LLVM::FastmathFlagsAttr::get(rw.getContext(), LLVM::FastmathFlags::none))
                      .getResult(0);
        out = rw.create<vector::InsertOp>(loc, e, out, ArrayRef<int64_t>{i});
      }
      return replaced(result, out);
    }
    if (OpTrait::hasElementwiseMappableTraits(op)) {
      SmallVector<Value> operands;
      for (Value v : op->getOperands()) {
        Value f = fragmentOf(v, op);
        if (!f)
          return failure();
        operands.push_back(f);
      }
      OperationState state(loc, op->getName().getStringRef(), operands,
                           {laneType(result.getType())}, op->getAttrs());
      return replaced(result, rw.create(state)->getResult(0));
    }
    return op->emitError("tensor-core attention: an unexpected op on a warp-wide value");
  }
};

} // namespace

LogicalResult tilec::codegen::lowerWarpAttention(gpu::GPUFuncOp func) {
  bool bf16 = false;
  func.walk(
      [&](vector::ContractionOp c) { bf16 |= getElementTypeOrSelf(c.getLhsType()).isBF16(); });
  IRRewriter rw(func.getContext());
  AttentionLanes lanes(rw, Value(), bf16);
  lanes.setUp(func);
  return lanes.run(func);
}
