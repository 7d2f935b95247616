//===- LowerToLinalg.cpp - tilec ops to linalg on tensors -----------------===//
//
// Assumes: the dispatch body holds tilec ops on static f32 tensors (the graph
// verifier guarantees static shapes).
// Guarantees: the kernel function computes exactly what the reference
// interpreter computes for the region, in f32 (reductions accumulate in f32,
// the reference in f64: conformance tolerances allow for that).
//
// Every op is lowered by one function below; elementwise ops share one
// broadcasting helper, reductions another. Padding is an explicit `tensor.pad`
// so that tiling can fuse it into the consumer's tile.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/LowerToLinalg.h"
#include "codegen/common/Lowerer.h"

#include "codegen/common/ScalarOps.h"

#include "ir/ShapeUtils.h"
#include "ir/Weights.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tilec;

namespace tilec::codegen::detail {


Value Lowerer::lowerMatmul(MatmulOp op, IRMapping &map) {
  Value lhs = map.lookup(op.getLhs()), rhs = map.lookup(op.getRhs());
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t rank = outType.getRank();
  Operation *mm;
  if (rank == 2 && typeOf(lhs).getRank() == 2 && typeOf(rhs).getRank() == 2) {
    mm = b.create<linalg::MatmulOp>(loc, TypeRange{outType}, ValueRange{lhs, rhs},
                                    ValueRange{fill(outType, 0.0)});
  } else {
    // Batched with NumPy broadcasting of the batch dims: loops (batch..., m, n, k).
    MLIRContext *ctx = b.getContext();
    ArrayRef<int64_t> outShape = outType.getShape();
    auto operandMap = [&](RankedTensorType t, bool isLhs) {
      SmallVector<AffineExpr> exprs;
      int64_t lead = (rank - 2) - (t.getRank() - 2);
      for (int64_t i = 0; i + 2 < t.getRank(); ++i)
        exprs.push_back(t.getDimSize(i) == 1 && outShape[lead + i] != 1
                            ? getAffineConstantExpr(0, ctx)
                            : getAffineDimExpr(lead + i, ctx));
      AffineExpr m = getAffineDimExpr(rank - 2, ctx), n = getAffineDimExpr(rank - 1, ctx),
                 k = getAffineDimExpr(rank, ctx);
      exprs.append(isLhs ? SmallVector<AffineExpr>{m, k} : SmallVector<AffineExpr>{k, n});
      return AffineMap::get(rank + 1, 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps = {operandMap(typeOf(lhs), true), operandMap(typeOf(rhs), false),
                                   AffineMap::getMultiDimIdentityMap(rank + 1, ctx).dropResult(rank)};
    SmallVector<IteratorType> iters(rank, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    mm = b.create<linalg::GenericOp>(
        loc, TypeRange{outType}, ValueRange{lhs, rhs}, ValueRange{fill(outType, 0.0)}, maps,
        iters, multiplyAccumulate);
  }
  mm->setAttr(codegen::kRootAttr, b.getStringAttr("matmul"));
  return mm->getResult(0);
}

Value Lowerer::lowerLinear(LinearOp op, IRMapping &map) {
  // out[..., n] = bias[n] + sum_k x[..., k] w[n, k], one generic over the
  // leading dims as they are (a reshape to 2-D would stop tiling and fusion
  // at the reshape).
  Value x = map.lookup(op.getInput()), w = map.lookup(op.getWeight());
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t rank = outType.getRank();
  MLIRContext *ctx = b.getContext();
  Value init = op.getBias() ? elementwise(outType, ValueRange{map.lookup(op.getBias())},
                                          [](OpBuilder &, Location, ValueRange a) { return a[0]; })
                            : fill(outType, 0.0);
  SmallVector<AffineExpr> xExprs;
  for (int64_t d = 0; d + 1 < rank; ++d)
    xExprs.push_back(getAffineDimExpr(d, ctx));
  AffineExpr n = getAffineDimExpr(rank - 1, ctx), k = getAffineDimExpr(rank, ctx);
  xExprs.push_back(k);
  SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, xExprs, ctx),
                                 AffineMap::get(rank + 1, 0, {n, k}, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank + 1, ctx).dropResult(rank)};
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  iters.push_back(IteratorType::reduction);
  auto mm = b.create<linalg::GenericOp>(
      loc, TypeRange{outType}, ValueRange{x, w}, ValueRange{init}, maps, iters,
      multiplyAccumulate);
  mm->setAttr(codegen::kRootAttr, b.getStringAttr("matmul"));
  return mm.getResult(0);
}

Value batchedContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                                RankedTensorType outType, Value init, bool rhsTransposed) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outType.getRank();
  SmallVector<AffineExpr> lead;
  for (int64_t d = 0; d + 2 < rank; ++d)
    lead.push_back(getAffineDimExpr(d, ctx));
  AffineExpr i = getAffineDimExpr(rank - 2, ctx), j = getAffineDimExpr(rank - 1, ctx),
             r = getAffineDimExpr(rank, ctx);
  auto with = [&](AffineExpr a, AffineExpr c) {
    SmallVector<AffineExpr> e = lead;
    e.append({a, c});
    return AffineMap::get(rank + 1, 0, e, ctx);
  };
  SmallVector<AffineMap> maps = {with(i, r), rhsTransposed ? with(j, r) : with(r, j),
                                 AffineMap::getMultiDimIdentityMap(rank + 1, ctx).dropResult(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  return b
      .create<linalg::GenericOp>(loc, TypeRange{outType}, ValueRange{lhs, rhs}, ValueRange{init},
                                 maps, iters,
                                 codegen::multiplyAccumulate)
      .getResult(0);
}

Value Lowerer::lowerSoftmax(Value x, int64_t axis) {
  RankedTensorType t = typeOf(x);
  if (axis < 0)
    axis += t.getRank();
  Value mx = reduce(x, {axis}, -INFINITY, [](OpBuilder &nb, Location l, Value a, Value acc) {
    return nb.create<arith::MaximumFOp>(l, a, acc);
  });
  Value e = withReduced(x, mx, {axis}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return nb.create<math::ExpOp>(l, nb.create<arith::SubFOp>(l, a[0], a[1]));
  });
  Value sum = reduce(e, {axis}, 0.0, [](OpBuilder &nb, Location l, Value a, Value acc) {
    return nb.create<arith::AddFOp>(l, a, acc);
  });
  return withReduced(e, sum, {axis}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return nb.create<arith::DivFOp>(l, a[0], a[1]);
  });
}

Value Lowerer::lowerAttention(AttentionOp op, IRMapping &map) {
  // scores[..., s, t] = scale * q[..., s, :] . k[..., t, :]; softmax over t;
  // out[..., s, :] = p[..., s, :] v. Leading (batch, head) dims stay as they
  // are, so tiling the output over (batch, head, s) gives each workgroup its
  // own [s_tile, T] block of scores, computed in the tile and never stored.
  Value q = map.lookup(op.getQuery()), k = map.lookup(op.getKey()), v = map.lookup(op.getValue());
  auto outType = cast<RankedTensorType>(op.getType());
  RankedTensorType qt = typeOf(q), kt = typeOf(k);
  SmallVector<int64_t> scoreShape(qt.getShape().drop_back());
  scoreShape.push_back(kt.getShape().end()[-2]);
  auto scoreType = RankedTensorType::get(scoreShape, outType.getElementType());
  Value scores = batchedContraction(b, loc, q, k, scoreType, fill(scoreType, 0.0), true);
  // Both contractions are roots: each gets register tiles and vector code.
  scores.getDefiningOp()->setAttr(codegen::kRootAttr, b.getStringAttr("attention"));
  // The CPU streams key blocks with an online softmax (OnlineAttention.cpp),
  // rebuilding the kernel from q, k, v and this scale.
  scores.getDefiningOp()->setAttr(codegen::kAttentionScaleAttr, op.getScaleAttr());
  Value scaleV = f32(op.getScale().convertToDouble());
  scores = elementwise(scoreType, ValueRange{scores},
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return nb.create<arith::MulFOp>(l, a[0], scaleV);
                       });
  Value p = lowerSoftmax(scores, scoreType.getRank() - 1);
  Value out = batchedContraction(b, loc, p, v, outType, fill(outType, 0.0), false);
  out.getDefiningOp()->setAttr(codegen::kRootAttr, b.getStringAttr("attention"));
  return out;
}

Value Lowerer::lowerLayerNorm(LayerNormOp op, IRMapping &map) {
  Value x = map.lookup(op.getInput());
  RankedTensorType t = typeOf(x);
  // I64Attr getters return uint64_t: convert before testing the sign.
  int64_t axis = int64_t(op.getAxis());
  if (axis < 0)
    axis += t.getRank();
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t dim = axis; dim < t.getRank(); ++dim) {
    axes.push_back(dim);
    count *= t.getDimSize(dim);
  }
  auto add = [](OpBuilder &nb, Location l, Value a, Value acc) -> Value {
    return nb.create<arith::AddFOp>(l, a, acc);
  };
  Value inv = f32(1.0 / double(count)), eps = f32(op.getEpsilon().convertToDouble());
  Value sum = reduce(x, axes, 0.0, add);
  Value centred = withReduced(x, sum, axes, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return nb.create<arith::SubFOp>(l, a[0], nb.create<arith::MulFOp>(l, a[1], inv));
  });
  Value sq = elementwise(t, ValueRange{centred}, [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return nb.create<arith::MulFOp>(l, a[0], a[0]);
  });
  Value var = reduce(sq, axes, 0.0, add);
  Value w = map.lookup(op.getWeight()), bias = map.lookup(op.getBias());
  Value y = withReduced(
      centred, var, axes,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = nb.create<arith::AddFOp>(l, nb.create<arith::MulFOp>(l, a[1], inv), eps);
        Value n = nb.create<arith::MulFOp>(l, a[0], nb.create<math::RsqrtOp>(l, v));
        return nb.create<arith::AddFOp>(l, nb.create<arith::MulFOp>(l, n, a[2]), a[3]);
      },
      {w, bias});
  y.getDefiningOp()->setAttr(codegen::kRootAttr, b.getStringAttr("layer_norm"));
  return y;
}

Value Lowerer::lowerReduce(Operation *op, ArrayRef<int64_t> axesIn, bool keepdims, IRMapping &map) {
  Value x = map.lookup(op->getOperand(0));
  RankedTensorType t = typeOf(x);
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t a : axesIn) {
    axes.push_back(a < 0 ? a + t.getRank() : a);
    count *= t.getDimSize(axes.back());
  }
  llvm::sort(axes);
  Value r;
  if (isa<ReduceMaxOp>(op))
    r = reduce(x, axes, -INFINITY, [](OpBuilder &nb, Location l, Value a, Value acc) {
      return nb.create<arith::MaximumFOp>(l, a, acc);
    });
  else
    r = reduce(x, axes, 0.0, [](OpBuilder &nb, Location l, Value a, Value acc) {
      return nb.create<arith::AddFOp>(l, a, acc);
    });
  r.getDefiningOp()->setAttr(codegen::kRootAttr, b.getStringAttr("reduce"));
  if (isa<ReduceMeanOp, GlobalAvgPoolOp>(op)) {
    Value inv = f32(1.0 / double(count));
    r = elementwise(typeOf(r), ValueRange{r}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
      return nb.create<arith::MulFOp>(l, a[0], inv);
    });
  }
  (void)keepdims; // the result type says whether reduced dims stay as 1s
  return reshape(r, cast<RankedTensorType>(op->getResult(0).getType()));
}

Value Lowerer::lowerConcat(ConcatOp op, IRMapping &map) {
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t axis = int64_t(op.getAxis());
  if (axis < 0)
    axis += outType.getRank();
  Value result = empty(outType);
  int64_t offset = 0;
  for (Value in : op.getInputs()) {
    Value v = map.lookup(in);
    RankedTensorType t = typeOf(v);
    SmallVector<int64_t> offsets(t.getRank(), 0), strides(t.getRank(), 1);
    offsets[axis] = offset;
    result = b.create<tensor::InsertSliceOp>(loc, v, result, ValueRange{}, ValueRange{},
                                             ValueRange{}, offsets, t.getShape(), strides);
    offset += t.getDimSize(axis);
  }
  return result;
}

Value Lowerer::lowerSlice(SliceOp op, IRMapping &map) {
  Value x = map.lookup(op.getInput());
  RankedTensorType t = typeOf(x);
  auto outType = cast<RankedTensorType>(op.getType());
  SmallVector<int64_t> offsets(t.getRank(), 0), strides(t.getRank(), 1);
  for (auto [i, axis] : llvm::enumerate(op.getAxes())) {
    int64_t a = axis < 0 ? axis + t.getRank() : axis, dim = t.getDimSize(a);
    int64_t start = op.getStarts()[i];
    start = start < 0 ? std::max<int64_t>(0, start + dim) : std::min(start, dim);
    offsets[a] = start;
    strides[a] = op.getSteps()[i];
  }
  return b.create<tensor::ExtractSliceOp>(loc, outType, x, ValueRange{}, ValueRange{},
                                          ValueRange{}, offsets, outType.getShape(), strides);
}

Value Lowerer::lowerLrn(LrnOp op, IRMapping &map) {
  // Sum of squares over a channel window as a generic whose body loops over the
  // window (channels outside [0, C) contribute nothing).
  Value x = map.lookup(op.getInput());
  RankedTensorType t = typeOf(x);
  int64_t size = op.getSize(), channels = t.getDimSize(1);
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble();
  double bias = op.getBias().convertToDouble();
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(t.getRank()),
                                 b.getMultiDimIdentityMap(t.getRank())};
  SmallVector<IteratorType> iters(t.getRank(), IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{t}, ValueRange{x}, ValueRange{empty(t)}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        auto cIdx = [&](int64_t v) { return nb.create<arith::ConstantIndexOp>(l, v).getResult(); };
        SmallVector<Value> idx;
        for (int64_t d = 0; d < t.getRank(); ++d)
          idx.push_back(nb.create<linalg::IndexOp>(l, d));
        Value c = idx[1];
        Value lo = nb.create<arith::MaxSIOp>(l, nb.create<arith::SubIOp>(l, c, cIdx(before)), cIdx(0));
        Value hi = nb.create<arith::MinSIOp>(
            l, nb.create<arith::AddIOp>(l, c, cIdx(after + 1)), cIdx(channels));
        auto loop = nb.create<scf::ForOp>(
            l, lo, hi, cIdx(1), ValueRange{f32(0.0)},
            [&](OpBuilder &ib, Location il, Value ch, ValueRange acc) {
              SmallVector<Value> at = idx;
              at[1] = ch;
              Value e = ib.create<tensor::ExtractOp>(il, x, at);
              Value sq = ib.create<arith::MulFOp>(il, e, e);
              ib.create<scf::YieldOp>(il, ValueRange{ib.create<arith::AddFOp>(il, acc[0], sq)});
            });
        Value scaled = nb.create<arith::MulFOp>(l, loop.getResult(0), f32(alpha / double(size)));
        Value base = nb.create<arith::AddFOp>(l, scaled, f32(bias));
        Value denom = nb.create<math::PowFOp>(l, base, f32(beta));
        nb.create<linalg::YieldOp>(l, ValueRange{nb.create<arith::DivFOp>(l, a[0], denom)});
      });
  generic->setAttr(codegen::kRootAttr, b.getStringAttr("lrn"));
  return generic.getResult(0);
}

/// tilec.im2col: one generic over [N*OH*OW, KH*KW*C]; each element reads
/// its input pixel at a clamped position (zero outside the input), so the
/// kernel is elementwise over the matrix, one read per element.
Value Lowerer::lowerIm2Col(Im2ColOp o, IRMapping &map) {
  Value x = map.lookup(o.getInput());
  auto type = cast<RankedTensorType>(o.getType());
  ArrayRef<int64_t> in = cast<RankedTensorType>(x.getType()).getShape();
  ArrayRef<int64_t> kernel = o.getKernel(), strides = o.getStrides(), padding = o.getPadding(),
                    dilations = o.getDilations();
  int64_t channels = in[3];
  int64_t oh = (in[1] + padding[0] + padding[2] - dilations[0] * (kernel[0] - 1) - 1) / strides[0] + 1;
  int64_t ow = (in[2] + padding[1] + padding[3] - dilations[1] * (kernel[1] - 1) - 1) / strides[1] + 1;
  SmallVector<utils::IteratorType> iters(2, utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{type}, ValueRange{}, ValueRange{empty(type)},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2)}, iters,
      [&](OpBuilder &nb, Location l, ValueRange) {
        auto c = [&](int64_t v) { return nb.create<arith::ConstantIndexOp>(l, v).getResult(); };
        Value row = nb.create<linalg::IndexOp>(l, 0), col = nb.create<linalg::IndexOp>(l, 1);
        // row = (n * OH + y) * OW + x; col = (i * KW + j) * C + k.
        Value xw = nb.create<arith::RemUIOp>(l, row, c(ow));
        Value rest = nb.create<arith::DivUIOp>(l, row, c(ow));
        Value yh = nb.create<arith::RemUIOp>(l, rest, c(oh));
        Value n = nb.create<arith::DivUIOp>(l, rest, c(oh));
        Value k = nb.create<arith::RemUIOp>(l, col, c(channels));
        Value ij = nb.create<arith::DivUIOp>(l, col, c(channels));
        Value j = nb.create<arith::RemUIOp>(l, ij, c(kernel[1]));
        Value i = nb.create<arith::DivUIOp>(l, ij, c(kernel[1]));
        auto position = [&](Value out, Value tap, int64_t d) {
          Value p = nb.create<arith::MulIOp>(l, out, c(strides[d]));
          p = nb.create<arith::AddIOp>(l, p, nb.create<arith::MulIOp>(l, tap, c(dilations[d])));
          return nb.create<arith::SubIOp>(l, p, c(padding[d])).getResult();
        };
        Value iy = position(yh, i, 0), ix = position(xw, j, 1);
        auto inRange = [&](Value v, int64_t size) {
          return nb.create<arith::AndIOp>(
              l, nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, v, c(0)),
              nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, v, c(size)));
        };
        Value inside = nb.create<arith::AndIOp>(l, inRange(iy, in[1]), inRange(ix, in[2]));
        // Columns past the window (`columns`: whole K steps) are zero; the
        // position read for them is clamped like padding's.
        int64_t taps = kernel[0] * kernel[1] * channels;
        if (type.getDimSize(1) > taps)
          inside = nb.create<arith::AndIOp>(
              l, inside, nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult, col, c(taps)));
        // Rows past the windows (`rows`: whole tensor-core tiles) are zero.
        if (type.getDimSize(0) > in[0] * oh * ow) {
          inside = nb.create<arith::AndIOp>(
              l, inside,
              nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult, row, c(in[0] * oh * ow)));
          n = nb.create<arith::MinUIOp>(l, n, c(in[0] - 1));
        }
        auto clamp = [&](Value v, int64_t size) {
          return nb.create<arith::MinSIOp>(l, nb.create<arith::MaxSIOp>(l, v, c(0)), c(size - 1))
              .getResult();
        };
        Value v = nb.create<tensor::ExtractOp>(
            l, x, ValueRange{n, clamp(iy, in[1]), clamp(ix, in[2]), k});
        Value zero = nb.create<arith::ConstantOp>(l, nb.getZeroAttr(type.getElementType()));
        nb.create<linalg::YieldOp>(l, ValueRange{nb.create<arith::SelectOp>(l, inside, v, zero)});
      });
  generic->setAttr(kGatherRunsAttr, b.getI64IntegerAttr(channels));
  return generic.getResult(0);
}

LogicalResult Lowerer::lower(Operation *op, IRMapping &map) {
  SmallVector<Type> types(op->getOperandTypes());
  llvm::append_range(types, op->getResultTypes());
  // 16-bit tensors only where tilec-set-precision puts them: converts and the
  // input / weight of contractions, the zero rows tilec-pad-rows adds to
  // such an input, and the slices, transposes and max pools that move such
  // an input (narrowed before them: ViT's Q, K and V, a stem's pool).
  bool narrowOk = isa<ConvertOp, PadOp, Im2ColOp, SliceOp, TransposeOp, MaxPool2DOp>(op);
  for (auto [i, type] : llvm::enumerate(types)) {
    Type element = cast<ShapedType>(type).getElementType();
    bool contractionOperand =
        (isa<Conv2DOp, MatmulOp, LinearOp>(op) && i < 2) || (isa<AttentionOp>(op) && i < 3);
    if (!element.isF32() && !((narrowOk || contractionOperand) &&
                              (element.isBF16() || element.isF16())))
      return op->emitOpError("code generation handles f32 tensors (and bf16 / f16 operands "
                             "of convolutions, matrix products and attention) only (got ")
             << type << "); convert the model to f32";
  }
  // Elementwise ops: one generic with the op's scalar body (ScalarOps.h).
  if (codegen::ScalarBody body = codegen::scalarBody(op)) {
    SmallVector<Value> operands;
    for (Value v : op->getOperands())
      operands.push_back(map.lookup(v));
    map.map(op->getResult(0),
            elementwise(cast<RankedTensorType>(op->getResult(0).getType()), operands, body));
    return success();
  }
  Value result =
      llvm::TypeSwitch<Operation *, Value>(op)
          .Case([&](ConstantOp c) -> Value {
            std::vector<float> data;
            std::string ignored;
            if (failed(readAsFloats(c.getValue(), data, ignored)))
              return Value();
            return b.create<arith::ConstantOp>(
                loc, DenseElementsAttr::get(cast<ShapedType>(c.getType()), ArrayRef<float>(data)));
          })
          .Case([&](Conv2DOp o) { return lowerConv(o, map); })
          .Case([&](MatmulOp o) { return lowerMatmul(o, map); })
          .Case([&](LinearOp o) { return lowerLinear(o, map); })
          .Case([&](AttentionOp o) { return lowerAttention(o, map); })
          .Case([&](DropoutOp o) { return map.lookup(o.getInput()); })
          .Case([&](SoftmaxOp o) {
            Value s = lowerSoftmax(map.lookup(o.getInput()), o.getAxis());
            s.getDefiningOp()->setAttr(codegen::kRootAttr, b.getStringAttr("softmax"));
            return s;
          })
          .Case([&](LayerNormOp o) { return lowerLayerNorm(o, map); })
          .Case([&](BatchNormOp o) {
            SmallVector<Value> ins;
            for (Value v : o->getOperands())
              ins.push_back(map.lookup(v));
            auto t = cast<RankedTensorType>(o.getType());
            // Per-channel parameters broadcast along dim 1: reshape [C] to [C, 1, ...].
            SmallVector<int64_t> shape(t.getRank() - 1, 1);
            shape[0] = t.getDimSize(1);
            for (Value &v : MutableArrayRef<Value>(ins).drop_front())
              v = reshape(v, RankedTensorType::get(shape, t.getElementType()));
            Value eps = f32(o.getEpsilon().convertToDouble());
            return elementwise(t, ins, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
              Value inv = nb.create<math::RsqrtOp>(l, nb.create<arith::AddFOp>(l, a[4], eps));
              Value n = nb.create<arith::MulFOp>(l, nb.create<arith::SubFOp>(l, a[0], a[3]), inv);
              return nb.create<arith::AddFOp>(l, nb.create<arith::MulFOp>(l, n, a[1]), a[2]);
            });
          })
          .Case([&](LrnOp o) { return lowerLrn(o, map); })
          .Case<MaxPool2DOp, AvgPool2DOp>([&](Operation *o) { return lowerPool(o, map); })
          .Case([&](GlobalAvgPoolOp o) {
            return o.isChannelsLast() ? lowerReduce(o, {1, 2}, true, map)
                                      : lowerReduce(o, {2, 3}, true, map);
          })
          .Case([&](AdaptiveAvgPool2DOp o) { return lowerAdaptivePool(o, map); })
          .Case([&](ReduceMeanOp o) { return lowerReduce(o, o.getAxes(), o.getKeepdims(), map); })
          .Case([&](ReduceSumOp o) { return lowerReduce(o, o.getAxes(), o.getKeepdims(), map); })
          .Case([&](ReduceMaxOp o) { return lowerReduce(o, o.getAxes(), o.getKeepdims(), map); })
          .Case([&](ConcatOp o) { return lowerConcat(o, map); })
          .Case<ReshapeOp, FlattenOp>([&](Operation *o) {
            return reshape(map.lookup(o->getOperand(0)),
                           cast<RankedTensorType>(o->getResult(0).getType()));
          })
          .Case([&](BroadcastOp o) {
            return elementwise(cast<RankedTensorType>(o.getType()),
                               ValueRange{map.lookup(o.getInput())},
                               [](OpBuilder &, Location, ValueRange a) { return a[0]; });
          })
          .Case([&](TransposeOp o) {
            auto t = cast<RankedTensorType>(o.getType());
            return b
                .create<linalg::TransposeOp>(loc, map.lookup(o.getInput()), empty(t),
                                             o.getPermutation())
                ->getResult(0);
          })
          .Case([&](SliceOp o) { return lowerSlice(o, map); })
          .Case([&](Im2ColOp o) { return lowerIm2Col(o, map); })
          .Case([&](PadOp o) {
            int64_t r = o.getPads().size() / 2;
            return pad(map.lookup(o.getInput()), o.getPads().take_front(r),
                       o.getPads().drop_front(r), o.getValue().convertToDouble());
          })
          .Default([](Operation *) { return Value(); });
  if (!result)
    return op->emitOpError("has no lowering to linalg in code generation yet");
  map.map(op->getResult(0), result);
  return success();
}

} // namespace tilec::codegen::detail

FailureOr<func::FuncOp> tilec::codegen::lowerDispatchToLinalg(DispatchOp dispatch, ModuleOp module,
                                                              StringRef name) {
  Location loc = dispatch.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  // 1. Signature: one memref per operand, then one per result.
  SmallVector<Type> argTypes;
  SmallVector<Type> types(dispatch->getOperandTypes());
  llvm::append_range(types, dispatch->getResultTypes());
  for (Type t : types) {
    auto tensor = cast<RankedTensorType>(t);
    argTypes.push_back(MemRefType::get(tensor.getShape(), tensor.getElementType()));
  }
  auto func = b.create<func::FuncOp>(loc, name, b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  // 2. Inputs as tensors (read-only), the body lowered op by op.
  IRMapping map;
  Block &body = dispatch.getBody().front();
  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    map.map(arg, b.create<bufferization::ToTensorOp>(loc, entry->getArgument(i),
                                                     /*restrict=*/true, /*writable=*/false));
  detail::Lowerer lowerer(b, loc);
  for (Operation &op : body.without_terminator()) {
    Operation *before = entry->empty() ? nullptr : &entry->back();
    if (failed(lowerer.lower(&op, map))) {
      func.erase();
      return failure();
    }
    // A contraction allowed TF32 (--precision tf32) passes that on to its
    // root, where the schedule sees it (DispatchShape::operandBits = 19).
    if (op.hasAttr(kTF32Attr))
      for (Operation *o = before ? before->getNextNode() : &entry->front(); o; o = o->getNextNode())
        o->walk([&](Operation *inner) {
          if (inner->hasAttr(kRootAttr))
            inner->setAttr(kTF32Attr, b.getUnitAttr());
        });
  }
  // 3. Results written into the output buffers.
  auto yield = cast<YieldOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    Value result = map.lookup(v);
    if (Operation *def = result.getDefiningOp())
      def->setAttr(kConsumerAttr, b.getUnitAttr());
    Value out = entry->getArgument(dispatch->getNumOperands() + i);
    auto m = b.create<bufferization::MaterializeInDestinationOp>(loc, result, out);
    m.setRestrict(true);
    m.setWritable(true);
  }
  b.create<func::ReturnOp>(loc);
  return func;
}
