//===- LowerWindowOps.cpp - convolutions and pools to linalg --------------===//
//
// Part of lowerDispatchToLinalg (Lowerer.h). Convolutions become linalg's named
// conv ops (NCHW/FCHW, depthwise, grouped; NHWC/HWCF and depthwise NHWC when
// the op is channels last), pools its pooling ops; padding is an explicit
// `tensor.pad` of the input (padWindow) so tiling can move it into the tiles.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/Lowerer.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

namespace tilec::codegen::detail {

Value Lowerer::lowerConv(Conv2DOp op, IRMapping &map) {
  auto outType = cast<RankedTensorType>(op.getType());
  Value x = map.lookup(op.getInput()), w = map.lookup(op.getWeight());
  RankedTensorType wType = typeOf(w);
  int64_t groups = op.getGroups();
  bool channelsLast = op.isChannelsLast();
  ArrayRef<int64_t> kernel =
      channelsLast ? wType.getShape().take_front(2) : wType.getShape().drop_front(2);
  x = padWindow(x, kernel, op.getStrides(), op.getDilations(), op.getPadding(), outType, 0.0,
                channelsLast);
  // The accumulator starts at the bias (or zero), so the bias costs no pass.
  // Its [C] broadcasts along NHWC's last dim as it is; NCHW needs [C, 1, 1].
  Value init = fill(outType, 0.0);
  if (Value bias = op.getBias() ? map.lookup(op.getBias()) : Value()) {
    if (!channelsLast)
      bias = reshape(bias, RankedTensorType::get({outType.getDimSize(1), 1, 1},
                                                 outType.getElementType()));
    init = elementwise(outType, ValueRange{bias},
                       [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  }
  auto strides = i64Vector(op.getStrides()), dilations = i64Vector(op.getDilations());
  if (channelsLast) {
    Operation *conv;
    if (groups == 1) {
      conv = b.create<linalg::Conv2DNhwcHwcfOp>(loc, TypeRange{outType}, ValueRange{x, w},
                                                ValueRange{init}, strides, dilations);
    } else {
      // Depthwise (the verifier allows no other grouping): [KH, KW, 1, C] -> [KH, KW, C].
      auto dwType = RankedTensorType::get({kernel[0], kernel[1], outType.getDimSize(3)},
                                          wType.getElementType());
      conv = b.create<linalg::DepthwiseConv2DNhwcHwcOp>(loc, TypeRange{outType},
                                                        ValueRange{x, reshape(w, dwType)},
                                                        ValueRange{init}, strides, dilations);
    }
    conv->setAttr(codegen::kRootAttr,
                  b.getStringAttr(groups == 1 ? "conv_nhwc" : "depthwise_nhwc"));
    return conv->getResult(0);
  }
  int64_t cin = typeOf(x).getDimSize(1), cout = outType.getDimSize(1);
  Operation *conv;
  if (groups == 1) {
    conv = b.create<linalg::Conv2DNchwFchwOp>(loc, TypeRange{outType}, ValueRange{x, w},
                                              ValueRange{init}, strides, dilations);
  } else if (groups == cin && cout == cin) {
    // Depthwise: weight [C, 1, KH, KW] -> [C, KH, KW].
    auto dwType = RankedTensorType::get({cout, kernel[0], kernel[1]}, wType.getElementType());
    conv = b.create<linalg::DepthwiseConv2DNchwChwOp>(loc, TypeRange{outType},
                                                      ValueRange{x, reshape(w, dwType)},
                                                      ValueRange{init}, strides, dilations);
  } else {
    // Grouped: [N, G, C/G, H, W] x [G, F/G, C/G, KH, KW] -> [N, G, F/G, OH, OW].
    RankedTensorType xt = typeOf(x);
    auto gx = RankedTensorType::get(
        {xt.getDimSize(0), groups, cin / groups, xt.getDimSize(2), xt.getDimSize(3)},
        xt.getElementType());
    auto gw = RankedTensorType::get({groups, cout / groups, cin / groups, kernel[0], kernel[1]},
                                    wType.getElementType());
    auto go = RankedTensorType::get({outType.getDimSize(0), groups, cout / groups,
                                     outType.getDimSize(2), outType.getDimSize(3)},
                                    outType.getElementType());
    auto grouped = b.create<linalg::Conv2DNgchwGfchwOp>(
        loc, TypeRange{go}, ValueRange{reshape(x, gx), reshape(w, gw)},
        ValueRange{reshape(init, go)}, strides, dilations);
    grouped->setAttr(codegen::kRootAttr, b.getStringAttr("grouped_conv"));
    return reshape(grouped.getResult(0), outType);
  }
  conv->setAttr(codegen::kRootAttr, b.getStringAttr(groups == 1 ? "conv" : "depthwise"));
  return conv->getResult(0);
}

Value Lowerer::lowerPool(Operation *op, IRMapping &map) {
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  Value x = map.lookup(op->getOperand(0));
  auto layout = op->getAttrOfType<StringAttr>("layout");
  bool channelsLast = layout && layout == "nhwc";
  int64_t sh = channelsLast ? 1 : 2; // the first spatial dim
  int64_t h = typeOf(x).getDimSize(sh), w = typeOf(x).getDimSize(sh + 1);
  bool isMax = isa<MaxPool2DOp>(op);
  ArrayRef<int64_t> kernel, strides, padding;
  SmallVector<int64_t> dilations = {1, 1};
  if (auto mp = dyn_cast<MaxPool2DOp>(op)) {
    kernel = mp.getKernel(), strides = mp.getStrides(), padding = mp.getPadding();
    dilations.assign(mp.getDilations().begin(), mp.getDilations().end());
  } else {
    auto ap = cast<AvgPool2DOp>(op);
    kernel = ap.getKernel(), strides = ap.getStrides(), padding = ap.getPadding();
  }
  x = padWindow(x, kernel, strides, dilations, padding, outType, isMax ? -INFINITY : 0.0,
                channelsLast);
  // A 16-bit max pool (its input rounded before it: tilec-set-precision)
  // compares in f32 (the pool op widens what it reads; 16-bit floats have no
  // comparison on every target) and rounds its result back, exactly: the
  // largest value is one of the 16-bit inputs.
  RankedTensorType result = outType;
  if (isMax && outType.getElementTypeBitWidth() == 16)
    outType = outType.clone(b.getF32Type());
  auto window = b.create<tensor::EmptyOp>(loc, kernel, outType.getElementType());
  SmallVector<Value> ins = {x, window};
  Value init = fill(outType, isMax ? -INFINITY : 0.0);
  auto s = i64Vector(strides), d = i64Vector(dilations);
  Operation *pool;
  if (isMax && channelsLast)
    pool = b.create<linalg::PoolingNhwcMaxOp>(loc, TypeRange{outType}, ins, init, s, d);
  else if (isMax)
    pool = b.create<linalg::PoolingNchwMaxOp>(loc, TypeRange{outType}, ins, init, s, d);
  else if (channelsLast)
    pool = b.create<linalg::PoolingNhwcSumOp>(loc, TypeRange{outType}, ins, init, s, d);
  else
    pool = b.create<linalg::PoolingNchwSumOp>(loc, TypeRange{outType}, ins, init, s, d);
  pool->setAttr(codegen::kRootAttr, b.getStringAttr(channelsLast ? "pool_nhwc" : "pool"));
  if (isMax && result != outType)
    return elementwise(result, pool->getResults(),
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return nb.create<arith::TruncFOp>(l, result.getElementType(), a[0]);
                       });
  if (isMax)
    return pool->getResult(0);
  // Divide by PyTorch's count (the reference's formula), a [OH, OW] constant
  // ([OH, OW, 1] channels last).
  bool includePad = cast<AvgPool2DOp>(op).getCountIncludePad();
  int64_t oh = outType.getDimSize(sh), ow = outType.getDimSize(sh + 1);
  std::vector<float> inverse(oh * ow);
  for (int64_t r = 0; r < oh; ++r)
    for (int64_t c = 0; c < ow; ++c) {
      int64_t h0 = r * strides[0] - padding[0], w0 = c * strides[1] - padding[1];
      int64_t h1 = std::min(h0 + kernel[0], h + padding[2]);
      int64_t w1 = std::min(w0 + kernel[1], w + padding[3]);
      int64_t padded = (h1 - h0) * (w1 - w0);
      h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
      h1 = std::min(h1, h), w1 = std::min(w1, w);
      int64_t count = includePad ? padded : (h1 - h0) * (w1 - w0);
      inverse[r * ow + c] = count > 0 ? float(1.0 / count) : 0.f;
    }
  auto invType = channelsLast ? RankedTensorType::get({oh, ow, 1}, outType.getElementType())
                              : RankedTensorType::get({oh, ow}, outType.getElementType());
  Value inv =
      b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(invType, ArrayRef<float>(inverse)));
  return elementwise(outType, ValueRange{pool->getResult(0), inv},
                     [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       return nb.create<arith::MulFOp>(l, a[0], a[1]);
                     });
}

Value Lowerer::lowerAdaptivePool(AdaptiveAvgPool2DOp op, IRMapping &map) {
  auto outType = cast<RankedTensorType>(op.getType());
  Value x = map.lookup(op.getInput());
  int64_t h = typeOf(x).getDimSize(2), w = typeOf(x).getDimSize(3);
  int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
  if (h % oh == 0 && w % ow == 0) {
    // Equal, non-overlapping windows: a sum pool scaled by one constant.
    SmallVector<int64_t> k = {h / oh, w / ow};
    auto window = b.create<tensor::EmptyOp>(loc, k, outType.getElementType());
    auto pool = b.create<linalg::PoolingNchwSumOp>(loc, TypeRange{outType}, ValueRange{x, window},
                                                   ValueRange{fill(outType, 0.0)}, i64Vector(k),
                                                   i64Vector({1, 1}));
    pool->setAttr(codegen::kRootAttr, b.getStringAttr("pool"));
    Value inv = f32(1.0 / double(k[0] * k[1]));
    return elementwise(outType, pool->getResults(),
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return nb.create<arith::MulFOp>(l, a[0], inv);
                       });
  }
  // Overlapping windows of varying size: each output reads its window with
  // loops inside the generic's body.
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(4)};
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{outType}, ValueRange{}, ValueRange{empty(outType)}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange) {
        auto idx = [&](int64_t d) { return nb.create<linalg::IndexOp>(l, d).getResult(); };
        auto cIdx = [&](int64_t v) { return nb.create<arith::ConstantIndexOp>(l, v).getResult(); };
        Value n = idx(0), c = idx(1), r = idx(2), col = idx(3);
        auto bounds = [&](Value i, int64_t in, int64_t out) {
          Value lo =
              nb.create<arith::DivUIOp>(l, nb.create<arith::MulIOp>(l, i, cIdx(in)), cIdx(out));
          Value next = nb.create<arith::AddIOp>(l, i, cIdx(1));
          Value hi = nb.create<arith::CeilDivUIOp>(l, nb.create<arith::MulIOp>(l, next, cIdx(in)),
                                                   cIdx(out));
          return std::pair<Value, Value>(lo, hi);
        };
        auto [h0, h1] = bounds(r, h, oh);
        auto [w0, w1] = bounds(col, w, ow);
        auto outer = nb.create<scf::ForOp>(
            l, h0, h1, cIdx(1), ValueRange{f32(0.0)},
            [&](OpBuilder &ob, Location ol, Value y, ValueRange acc) {
              auto inner = ob.create<scf::ForOp>(
                  ol, w0, w1, cIdx(1), acc,
                  [&](OpBuilder &ib, Location il, Value xx, ValueRange a) {
                    Value e = ib.create<tensor::ExtractOp>(il, x, ValueRange{n, c, y, xx});
                    ib.create<scf::YieldOp>(il, ValueRange{ib.create<arith::AddFOp>(il, a[0], e)});
                  });
              ob.create<scf::YieldOp>(ol, inner.getResults());
            });
        Value count = nb.create<arith::MulIOp>(l, nb.create<arith::SubIOp>(l, h1, h0),
                                               nb.create<arith::SubIOp>(l, w1, w0));
        Value countF = nb.create<arith::UIToFPOp>(
            l, nb.getF32Type(), nb.create<arith::IndexCastOp>(l, nb.getI64Type(), count));
        nb.create<linalg::YieldOp>(
            l, ValueRange{nb.create<arith::DivFOp>(l, outer.getResult(0), countF)});
      });
  generic->setAttr(codegen::kRootAttr, b.getStringAttr("pool"));
  return generic.getResult(0);
}

} // namespace tilec::codegen::detail
