//===- Mfma.cpp - warp contractions onto AMD MFMA ------------------------===//
//
// AMD CDNA: MFMA 16x16x16 (bf16: v_mfma_f32_16x16x16bf16_1k, f16:
// _16x16x16f16). See TensorCores.h (convertWarpContractionsToMfma).
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/LaneFragments.h"
#include "codegen/gpu/TensorCores.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace tilec::codegen;
using namespace tilec::codegen::detail;

namespace {

/// Where lane `l`'s value `i` (of 4) of an MFMA 16x16x16 operand sits
/// (CDNA's register layout, 64 lanes, AMD's matrix instruction calculator):
///   A (m x k): m = l % 16, k = 4 * (l / 16) + i
///   B (k x n): n = l % 16, k = 4 * (l / 16) + i
///   C, D (m x n): n = l % 16, m = 4 * (l / 16) + i
/// Returned as (m or n, k) for A and B, (m, n) for C, in that order.
std::pair<AffineExpr, AffineExpr> mfmaCoordinates(unsigned operand, AffineExpr lane, int64_t i) {
  AffineExpr across = lane % 16, along = (lane.floorDiv(16)) * 4 + i;
  if (operand == 2)
    return {along, across}; // (m, n)
  return {across, along};   // (m or n, k)
}

/// A contraction-side operand read (`read` feeds `c` as operand 0 or 1, or
/// is an accumulator read, operand 2) as lane `lane`'s 4 values.
Value loadFragment(RewriterBase &rw, vector::TransferReadOp read, vector::ContractionOp c,
                   unsigned operand, Value lane) {
  Location loc = read.getLoc();
  MLIRContext *ctx = rw.getContext();
  // Which vector dim holds which of the operand's two instruction dims:
  // operand map results are iteration dims; A: (m, k), B: (n, k) or (k, n)
  // as the contraction says, C: (m, n).
  AffineMap map = c.getIndexingMapsArray()[operand];
  AffineMap accMap = c.getIndexingMapsArray()[2];
  unsigned m = accMap.getDimPosition(0);
  auto isReduction = [&](unsigned d) {
    return c.getIteratorTypesArray()[d] == vector::IteratorType::reduction;
  };
  AffineExpr l = getAffineDimExpr(0, ctx);
  Type element = read.getVectorType().getElementType();
  AffineMap perm = read.getPermutationMap();
  bool contiguous = true;
  SmallVector<SmallVector<Value>> indicesPerValue;
  for (int64_t i = 0; i < 4; ++i) {
    auto [first, second] = mfmaCoordinates(operand, l, i);
    // Vector coordinates (dim 0, dim 1) of this value.
    SmallVector<AffineExpr, 2> vec(2);
    for (unsigned r = 0; r < 2; ++r) {
      unsigned d = map.getDimPosition(r);
      bool isK = isReduction(d);
      if (operand == 2)
        vec[r] = d == m ? first : second;
      else
        vec[r] = isK ? second : first;
    }
    indicesPerValue.push_back(laneIndices(rw, loc, lane, read.getIndices(), perm, vec));
    // Value i+1 follows value i in memory when the dim that moves with i is
    // the memref's last one.
    unsigned moving = operand == 2 ? (map.getDimPosition(0) == m ? 0 : 1)
                                   : (isReduction(map.getDimPosition(0)) ? 0 : 1);
    contiguous &= perm.getDimPosition(moving) + 1 == cast<MemRefType>(read.getSource().getType()).getRank();
  }
  auto type = VectorType::get({4}, element);
  if (contiguous)
    return rw.create<vector::LoadOp>(loc, type, read.getSource(), indicesPerValue[0]);
  Value v = rw.create<arith::ConstantOp>(loc, type, rw.getZeroAttr(type));
  for (int64_t i = 0; i < 4; ++i) {
    Value x = rw.create<memref::LoadOp>(loc, read.getSource(), indicesPerValue[i]);
    v = rw.create<vector::InsertOp>(loc, x, v, ArrayRef<int64_t>{i});
  }
  return v;
}

/// MFMA 16x16x16: 4 f32 accumulators per lane (mfmaCoordinates).
struct MfmaLowering : FragmentLowering {
  MfmaLowering(RewriterBase &rw, Value lane) : FragmentLowering(rw, lane, "MFMA") {}

  bool isAccumulator(Type t) override {
    auto v = dyn_cast<VectorType>(t);
    return v && v.getShape() == ArrayRef<int64_t>{16, 16} && v.getElementType().isF32();
  }

  Value splat(Location loc, Type, Attribute element) override {
    auto type = VectorType::get({4}, cast<TypedAttr>(element).getType());
    return rw.create<arith::ConstantOp>(loc, DenseElementsAttr::get(type, element));
  }

  Value loadAccumulator(vector::TransferReadOp read, vector::ContractionOp c) override {
    return loadFragment(rw, read, c, 2, lane);
  }

  FailureOr<Value> contract(vector::ContractionOp c, Value acc) override {
    auto lhs = c.getLhs().getDefiningOp<vector::TransferReadOp>();
    auto rhs = c.getRhs().getDefiningOp<vector::TransferReadOp>();
    Value a = loadFragment(rw, lhs, c, 0, lane), b = loadFragment(rw, rhs, c, 1, lane);
    return rw.create<amdgpu::MFMAOp>(c.getLoc(), acc.getType(), 16, 16, 16, 1, a, b, acc)
        .getResult();
  }

  LogicalResult storeAccumulator(vector::TransferWriteOp write, Value f) override {
    // The same places its read loaded (C's layout): 4 stores per lane.
    Location loc = write.getLoc();
    AffineExpr l = getAffineDimExpr(0, rw.getContext());
    for (int64_t i = 0; i < 4; ++i) {
      auto [row, col] = mfmaCoordinates(2, l, i);
      SmallVector<Value> indices = laneIndices(rw, loc, lane, write.getIndices(),
                                               write.getPermutationMap(), {row, col});
      Value x = rw.create<vector::ExtractOp>(loc, f, ArrayRef<int64_t>{i});
      rw.create<memref::StoreOp>(loc, x, write.getSource(), indices);
    }
    return success();
  }
};

} // namespace

LogicalResult tilec::codegen::convertWarpContractionsToMfma(gpu::GPUFuncOp func) {
  IRRewriter rw(func.getContext());
  Block &entry = func.getBody().front();
  rw.setInsertionPointToStart(&entry);
  Location loc = func.getLoc();
  Value tid = rw.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value lane = rw.create<arith::RemUIOp>(loc, tid, rw.create<arith::ConstantIndexOp>(loc, 64));
  MfmaLowering lowering(rw, lane);
  return lowering.run(func);
}
