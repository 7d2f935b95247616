//===- Lowerer.h - the dispatch-to-linalg lowerer (internal) ----*- C++ -*-===//
//
// The class behind lowerDispatchToLinalg (LowerToLinalg.h), shared by its two
// source files: LowerToLinalg.cpp (contractions, normalizations, reductions,
// data movement, the op switch) and LowerWindowOps.cpp (convolutions and
// pools, in NCHW and channels last). Not a public interface.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMMON_LOWERER_H
#define TILEC_CODEGEN_COMMON_LOWERER_H

#include "codegen/common/LowerToLinalg.h"
#include "codegen/common/ScalarOps.h"

#include "ir/TilecDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/IRMapping.h"

namespace tilec::codegen::detail {

using namespace mlir;

using utils::IteratorType;
using BodyFn = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Builds linalg on tensors for one dispatch body.
/// out[..., i, j] = sum_r lhs[..., i, r] * rhs[..., (j, r) or (r, j)] over
/// equal leading dims, as one contraction generic.
Value batchedContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         RankedTensorType outType, Value init, bool rhsTransposed);

class Lowerer {
public:
  Lowerer(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  LogicalResult lower(Operation *op, IRMapping &map);

private:
  OpBuilder &b;
  Location loc;

  RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
  Value f32(double v) { return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(v))); }
  Value empty(RankedTensorType t) {
    return b.create<tensor::EmptyOp>(loc, t.getShape(), t.getElementType());
  }
  Value fill(RankedTensorType t, double v) {
    return b.create<linalg::FillOp>(loc, ValueRange{f32(v)}, ValueRange{empty(t)}).getResult(0);
  }

  /// The map that reads an operand of `shape` broadcast (NumPy rules) into a
  /// result of rank `rank`.
  AffineMap broadcastMap(ArrayRef<int64_t> shape, ArrayRef<int64_t> result) {
    SmallVector<AffineExpr> exprs;
    int64_t lead = result.size() - shape.size();
    for (auto [i, size] : llvm::enumerate(shape))
      exprs.push_back(size == 1 && result[lead + i] != 1 ? b.getAffineConstantExpr(0)
                                                         : b.getAffineDimExpr(lead + i));
    return AffineMap::get(result.size(), 0, exprs, b.getContext());
  }

  /// out[i...] = fn(operands broadcast to out's shape).
  Value elementwise(RankedTensorType out, ValueRange operands, BodyFn fn) {
    SmallVector<AffineMap> maps;
    for (Value v : operands)
      maps.push_back(broadcastMap(typeOf(v).getShape(), out.getShape()));
    maps.push_back(b.getMultiDimIdentityMap(out.getRank()));
    SmallVector<IteratorType> iters(out.getRank(), IteratorType::parallel);
    auto generic =
        b.create<linalg::GenericOp>(loc, TypeRange{out}, operands, ValueRange{empty(out)}, maps,
                                    iters, [&](OpBuilder &nb, Location l, ValueRange args) {
                                      nb.create<linalg::YieldOp>(l, fn(nb, l, args.drop_back()));
                                    });
    return generic.getResult(0);
  }

  /// Reduces `in` over `axes` (sorted) with `combine`, starting from `init`;
  /// the result drops the reduced dimensions.
  Value reduce(Value in, ArrayRef<int64_t> axes, double init,
               llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
    RankedTensorType t = typeOf(in);
    SmallVector<int64_t> kept;
    SmallVector<AffineExpr> outExprs;
    SmallVector<IteratorType> iters;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      bool reduced = llvm::is_contained(axes, d);
      iters.push_back(reduced ? IteratorType::reduction : IteratorType::parallel);
      if (!reduced) {
        kept.push_back(t.getDimSize(d));
        outExprs.push_back(b.getAffineDimExpr(d));
      }
    }
    auto outType = RankedTensorType::get(kept, t.getElementType());
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(t.getRank()),
                                   AffineMap::get(t.getRank(), 0, outExprs, b.getContext())};
    return b
        .create<linalg::GenericOp>(
            loc, TypeRange{outType}, ValueRange{in}, ValueRange{fill(outType, init)}, maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              nb.create<linalg::YieldOp>(l, combine(nb, l, args[0], args[1]));
            })
        .getResult(0);
  }

  /// out = fn(x, r) where r (a reduction over `axes` of x) is broadcast back.
  Value withReduced(Value x, Value r, ArrayRef<int64_t> axes, BodyFn fn,
                    ArrayRef<Value> extra = {}) {
    RankedTensorType t = typeOf(x);
    SmallVector<AffineExpr> rExprs;
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (!llvm::is_contained(axes, d))
        rExprs.push_back(b.getAffineDimExpr(d));
    SmallVector<Value> ins = {x, r};
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(t.getRank()),
                                   AffineMap::get(t.getRank(), 0, rExprs, b.getContext())};
    for (Value e : extra) {
      ins.push_back(e);
      maps.push_back(broadcastMap(typeOf(e).getShape(), t.getShape()));
    }
    maps.push_back(b.getMultiDimIdentityMap(t.getRank()));
    SmallVector<IteratorType> iters(t.getRank(), IteratorType::parallel);
    return b
        .create<linalg::GenericOp>(loc, TypeRange{t}, ins, ValueRange{empty(t)}, maps, iters,
                                   [&](OpBuilder &nb, Location l, ValueRange args) {
                                     nb.create<linalg::YieldOp>(l, fn(nb, l, args.drop_back()));
                                   })
        .getResult(0);
  }

  /// Reshape between static shapes with the same element count.
  Value reshape(Value in, RankedTensorType to) {
    RankedTensorType from = typeOf(in);
    if (from == to)
      return in;
    if (to.getRank() < from.getRank())
      if (auto re = getReassociationIndicesForReshape(from, to))
        return b.create<tensor::CollapseShapeOp>(loc, to, in, *re);
    if (to.getRank() > from.getRank())
      if (auto re = getReassociationIndicesForReshape(to, from))
        return b.create<tensor::ExpandShapeOp>(loc, to, in, *re);
    auto flat = RankedTensorType::get({from.getNumElements()}, from.getElementType());
    Value collapsed = from.getRank() == 1 ? in : reshape(in, flat);
    return to.getRank() == 1 ? collapsed : reshape(collapsed, to);
  }

  Value pad(Value in, ArrayRef<int64_t> low, ArrayRef<int64_t> high, double value) {
    if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
        llvm::all_of(high, [](int64_t p) { return p == 0; }))
      return in;
    RankedTensorType t = typeOf(in);
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < t.getRank(); ++d)
      shape.push_back(t.getDimSize(d) + low[d] + high[d]);
    auto padded = RankedTensorType::get(shape, t.getElementType());
    return b.create<tensor::PadOp>(loc, padded, in, getAsIndexOpFoldResult(b.getContext(), low),
                                   getAsIndexOpFoldResult(b.getContext(), high),
                                   Value(b.create<arith::ConstantOp>(
                                       loc, b.getFloatAttr(t.getElementType(), value))));
  }

  /// Pads an NCHW input for a 2-D window so that every output position's window
  /// lies inside (covers ceil_mode's extra bottom/right rows too).
  Value padWindow(Value in, ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> dilations, ArrayRef<int64_t> padding, RankedTensorType out,
                  double value, bool channelsLast) {
    RankedTensorType t = typeOf(in);
    int64_t h = channelsLast ? 1 : 2; // the first spatial dim (NHWC or NCHW)
    SmallVector<int64_t> low(4, 0), high(4, 0);
    for (int i = 0; i < 2; ++i) {
      low[h + i] = padding[i];
      high[h + i] = padding[2 + i];
      int64_t need = (out.getDimSize(h + i) - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
      int64_t have = t.getDimSize(h + i) + low[h + i] + high[h + i];
      high[h + i] += std::max<int64_t>(0, need - have);
    }
    return pad(in, low, high, value);
  }

  DenseIntElementsAttr i64Vector(ArrayRef<int64_t> values) { return b.getI64VectorAttr(values); }

  Value lowerConv(Conv2DOp op, IRMapping &map);
  Value lowerMatmul(MatmulOp op, IRMapping &map);
  Value lowerLinear(LinearOp op, IRMapping &map);
  Value lowerAttention(AttentionOp op, IRMapping &map);
  Value lowerSoftmax(Value x, int64_t axis);
  Value lowerLayerNorm(LayerNormOp op, IRMapping &map);
  Value lowerPool(Operation *op, IRMapping &map);
  Value lowerAdaptivePool(AdaptiveAvgPool2DOp op, IRMapping &map);
  Value lowerReduce(Operation *op, ArrayRef<int64_t> axes, bool keepdims, IRMapping &map);
  Value lowerConcat(ConcatOp op, IRMapping &map);
  Value lowerSlice(SliceOp op, IRMapping &map);
  Value lowerIm2Col(Im2ColOp op, IRMapping &map);
  Value lowerLrn(LrnOp op, IRMapping &map);
};

} // namespace tilec::codegen::detail

#endif // TILEC_CODEGEN_COMMON_LOWERER_H
