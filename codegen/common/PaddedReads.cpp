//===- PaddedReads.cpp - read through tensor.pad without materializing it -===//
//
// A padded windowed op's workgroup tile reads its input through
// `tensor.pad(extract_slice(input))`; bufferized, that pad is a private copy
// of the tile's input rows (plus the window's halo) filled with the padding
// value and then overwritten with the data: on a channels-last depthwise
// convolution about 40 % of the kernel's time. Register tiles read that
// padded tensor with vector.transfer_read, and in a channels-last tile the
// vector (innermost) dimension is the channels, which are never padded: each
// vector is either all data or all padding. So each read becomes an scf.if:
// a read that lies inside the source (its first and last vector inside along
// every padded dim) reads the source through the same slices; one that
// touches the border reads each vector at clamped indices (always in bounds)
// and blends it with the padding value where the unclamped index fell
// outside. The padded tensor is then dead and never allocated.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/ApplySchedule.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace {

/// One step from the read's source back towards the pad: an extract_slice
/// (possibly rank-reducing, possibly strided) or a tensor.cast.
struct Chain {
  tensor::PadOp pad;
  SmallVector<Operation *> steps; // from the read's source outwards
};

std::optional<Chain> findPad(Value source) {
  Chain chain;
  while (true) {
    Operation *def = source.getDefiningOp();
    if (auto pad = dyn_cast_or_null<tensor::PadOp>(def)) {
      chain.pad = pad;
      return chain;
    }
    if (auto slice = dyn_cast_or_null<tensor::ExtractSliceOp>(def)) {
      chain.steps.push_back(slice);
      source = slice.getSource();
    } else if (auto cast = dyn_cast_or_null<tensor::CastOp>(def)) {
      chain.steps.push_back(cast);
      source = cast.getSource();
    } else {
      return std::nullopt;
    }
  }
}

/// Which dim of the padded tensor a dim of the read's source is, and the
/// stride it is walked with (-1 when a stride is not constant).
std::pair<int64_t, int64_t> baseDim(const Chain &chain, int64_t dim) {
  int64_t stride = 1;
  for (Operation *step : chain.steps) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(step);
    if (!slice)
      continue;
    llvm::SmallBitVector dropped = slice.getDroppedDims();
    int64_t kept = -1, sourceDim = 0;
    for (; sourceDim < slice.getSourceType().getRank(); ++sourceDim)
      if (!dropped.test(sourceDim) && ++kept == dim)
        break;
    std::optional<int64_t> s = getConstantIntValue(slice.getMixedStrides()[sourceDim]);
    stride = s ? stride * *s : -1;
    dim = sourceDim;
  }
  return {dim, stride};
}

/// Indices into the padded tensor for `indices` into the read's source.
SmallVector<Value> composeIndices(OpBuilder &b, Location loc, const Chain &chain,
                                  SmallVector<Value> indices) {
  for (Operation *step : chain.steps) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(step);
    if (!slice)
      continue; // a cast keeps the indices
    llvm::SmallBitVector dropped = slice.getDroppedDims();
    SmallVector<Value> outer;
    size_t next = 0;
    for (int64_t d = 0; d < slice.getSourceType().getRank(); ++d) {
      Value offset = getValueOrCreateConstantIndexOp(b, loc, slice.getMixedOffsets()[d]);
      if (dropped.test(d)) {
        outer.push_back(offset);
        continue;
      }
      Value stride = getValueOrCreateConstantIndexOp(b, loc, slice.getMixedStrides()[d]);
      Value scaled = b.create<arith::MulIOp>(loc, indices[next++], stride);
      outer.push_back(b.create<arith::AddIOp>(loc, offset, scaled));
    }
    indices = std::move(outer);
  }
  return indices;
}

/// Whether every vector dim of `read` stays inside its source (so the
/// rewrite need not reproduce the transfer's own out-of-bounds padding).
bool staticallyInBounds(vector::TransferReadOp read) {
  auto type = dyn_cast<RankedTensorType>(read.getSource().getType());
  if (!type)
    return false;
  AffineMap map = read.getPermutationMap();
  for (auto [i, expr] : llvm::enumerate(map.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      continue; // a broadcast dim
    if (read.isDimInBounds(i))
      continue;
    std::optional<int64_t> index = getConstantIntValue(read.getIndices()[dim.getPosition()]);
    int64_t size = type.getDimSize(dim.getPosition());
    if (!index || ShapedType::isDynamic(size) ||
        *index + read.getVectorType().getDimSize(i) > size)
      return false;
  }
  return true;
}

LogicalResult rewriteRead(RewriterBase &rewriter, vector::TransferReadOp read) {
  if (read.getMask() || !read.getVectorType().getRank() || read.getVectorType().isScalable())
    return failure();
  std::optional<Chain> chain = findPad(read.getSource());
  if (!chain || !staticallyInBounds(read))
    return failure();
  tensor::PadOp pad = chain->pad;
  Value padValue = pad.getConstantPaddingValue();
  if (!padValue || padValue.getParentRegion() == &pad.getRegion())
    return failure(); // a padding value computed per element, or not constant
  int64_t rank = pad.getResultType().getRank();
  SmallVector<OpFoldResult> low = pad.getMixedLowPad(), high = pad.getMixedHighPad();
  auto padded = [&](int64_t d) {
    return !isConstantIntValue(low[d], 0) || !isConstantIntValue(high[d], 0);
  };
  // The innermost vector dim is read whole from the source: it must not be
  // padded (or be a broadcast) and must be walked contiguously.
  AffineMap map = read.getPermutationMap();
  VectorType type = read.getVectorType();
  int64_t innerSize = type.getShape().back();
  AffineExpr innerExpr = map.getResults().back();
  int64_t innerBase = -1;
  if (auto dim = dyn_cast<AffineDimExpr>(innerExpr)) {
    auto [base, stride] = baseDim(*chain, dim.getPosition());
    if (stride != 1 || padded(base))
      return failure();
    innerBase = base;
  } else if (!isa<AffineConstantExpr>(innerExpr)) {
    return failure();
  }

  Location loc = read.getLoc();
  rewriter.setInsertionPoint(read);
  MLIRContext *ctx = rewriter.getContext();
  Value source = pad.getSource();
  VectorType pieceType = VectorType::get({innerSize}, type.getElementType());
  AffineMap pieceMap =
      innerBase >= 0 ? AffineMap::get(rank, 0, getAffineDimExpr(innerBase, ctx))
                     : AffineMap::get(rank, 0, getAffineConstantExpr(0, ctx));
  ArrayAttr inBounds = rewriter.getBoolArrayAttr({true});
  auto index = [&](int64_t v) { return rewriter.create<arith::ConstantIndexOp>(loc, v); };
  Value zero = index(0), one = index(1);
  ArrayRef<int64_t> outerShape = type.getShape().drop_back();
  auto lowValue = [&](int64_t d) { return getValueOrCreateConstantIndexOp(rewriter, loc, low[d]); };

  // Interior reads (the first and the last piece inside the source along
  // every padded dim) take a plain read of the source through the same
  // slices; only border reads pay the clamped, blended pieces.
  auto piecesAt = [&](ArrayRef<int64_t> position) {
    SmallVector<Value> indices(read.getIndices());
    for (auto [i, pos] : llvm::enumerate(position))
      if (auto dim = dyn_cast<AffineDimExpr>(map.getResult(i)); dim && pos)
        indices[dim.getPosition()] =
            rewriter.create<arith::AddIOp>(loc, indices[dim.getPosition()], index(pos));
    return composeIndices(rewriter, loc, *chain, indices);
  };
  SmallVector<int64_t> lastPosition;
  for (int64_t size : outerShape)
    lastPosition.push_back(size - 1);
  SmallVector<Value> first = piecesAt(SmallVector<int64_t>(outerShape.size(), 0)),
                     lastPiece = piecesAt(lastPosition);
  Value interior;
  for (int64_t d = 0; d < rank; ++d) {
    if (!padded(d) || d == innerBase)
      continue;
    Value size = rewriter.create<tensor::DimOp>(loc, source, d);
    for (Value at : {first[d], lastPiece[d]}) {
      Value shifted = rewriter.create<arith::SubIOp>(loc, at, lowValue(d));
      Value in = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, shifted, size);
      interior = interior ? rewriter.create<arith::AndIOp>(loc, interior, in).getResult() : in;
    }
  }
  if (!interior) // only the vector dim could be padded: nothing to check
    interior = rewriter.create<arith::ConstantIntOp>(loc, 1, 1);
  auto branch = rewriter.create<scf::IfOp>(loc, TypeRange{type}, interior, true);
  rewriter.setInsertionPointToStart(branch.thenBlock());
  {
    // The chain of slices again, from the pad's source, the first one moved
    // back by the low padding.
    Value current = source;
    bool moved = false;
    for (Operation *step : llvm::reverse(chain->steps)) {
      auto slice = dyn_cast<tensor::ExtractSliceOp>(step);
      if (!slice)
        continue; // a cast: the next slice's static sizes fix the type
      SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
      if (!moved) {
        for (int64_t d = 0; d < rank; ++d)
          if (padded(d))
            offsets[d] = rewriter
                             .create<arith::SubIOp>(
                                 loc, getValueOrCreateConstantIndexOp(rewriter, loc, offsets[d]),
                                 lowValue(d))
                             .getResult();
        moved = true;
      }
      current = rewriter.create<tensor::ExtractSliceOp>(loc, slice.getType(), current, offsets,
                                                        slice.getMixedSizes(),
                                                        slice.getMixedStrides());
    }
    SmallVector<Value> indices(read.getIndices());
    if (!moved)
      for (int64_t d = 0; d < rank; ++d)
        indices[d] = rewriter.create<arith::SubIOp>(loc, indices[d], lowValue(d));
    if (current.getType() != read.getSource().getType())
      current = rewriter.create<tensor::CastOp>(loc, read.getSource().getType(), current);
    Value plain = rewriter.create<vector::TransferReadOp>(
        loc, type, current, indices, read.getPermutationMapAttr(), read.getPadding(), Value(),
        read.getInBoundsAttr());
    rewriter.create<scf::YieldOp>(loc, plain);
  }
  rewriter.setInsertionPointToStart(branch.elseBlock());
  Value padSplat = rewriter.create<vector::SplatOp>(loc, pieceType, padValue);

  // Every position of the outer vector dims is one piece.
  int64_t pieces = 1;
  for (int64_t s : outerShape)
    pieces *= s;
  Value result = type.getRank() > 1
                     ? rewriter.create<vector::SplatOp>(loc, type, padValue).getResult()
                     : Value();
  SmallVector<int64_t> position(outerShape.size(), 0);
  for (int64_t p = 0; p < pieces; ++p) {
    SmallVector<Value> base = piecesAt(position);
    Value inside;
    for (int64_t d = 0; d < rank; ++d) {
      if (!padded(d) || d == innerBase)
        continue;
      // The unpadded index, clamped into the source; `inside` when the
      // clamp did nothing (one unsigned compare covers both ends).
      Value shifted = rewriter.create<arith::SubIOp>(
          loc, base[d], lowValue(d));
      Value size = rewriter.create<tensor::DimOp>(loc, source, d);
      Value last = rewriter.create<arith::SubIOp>(loc, size, one);
      Value clamped = rewriter.create<arith::MinSIOp>(
          loc, rewriter.create<arith::MaxSIOp>(loc, shifted, zero), last);
      Value in = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, shifted, size);
      inside = inside ? rewriter.create<arith::AndIOp>(loc, inside, in).getResult() : in;
      base[d] = clamped;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (!padded(d) || d == innerBase)
        base[d] = rewriter.create<arith::SubIOp>(
            loc, base[d], lowValue(d));
    Value piece = rewriter.create<vector::TransferReadOp>(
        loc, pieceType, source, base, AffineMapAttr::get(pieceMap), padValue, Value(), inBounds);
    if (inside) {
      // A per-lane mask, not a scalar condition: LLVM turns a scalar select
      // of a load into a branch (and spills), a vector select into a blend.
      VectorType maskType = VectorType::get({innerSize}, rewriter.getI1Type());
      Value mask = rewriter.create<vector::BroadcastOp>(loc, maskType, inside);
      piece = rewriter.create<arith::SelectOp>(loc, mask, piece, padSplat);
    }
    if (!result) {
      result = piece;
      break;
    }
    result = rewriter.create<vector::InsertOp>(loc, piece, result, position);
    for (int64_t i = int64_t(position.size()) - 1; i >= 0; --i) {
      if (++position[i] < outerShape[i])
        break;
      position[i] = 0;
    }
  }
  rewriter.create<scf::YieldOp>(loc, result);
  rewriter.replaceOp(read, branch.getResults());
  return success();
}

} // namespace

int64_t tilec::codegen::readPadsInPlace(func::FuncOp kernel) {
  SmallVector<vector::TransferReadOp> reads;
  kernel.walk([&](vector::TransferReadOp read) { reads.push_back(read); });
  IRRewriter rewriter(kernel.getContext());
  int64_t rewritten = 0;
  for (vector::TransferReadOp read : reads)
    rewritten += succeeded(rewriteRead(rewriter, read));
  if (rewritten)
    eraseDeadOps(kernel);
  return rewritten;
}
