//===- ScalarOps.cpp - the scalar body of every elementwise tilec op ------===//
//
// One function per op kind, on f32 scalars; LowerToLinalg wraps the body in a
// broadcasting linalg.generic. Formulas match the reference interpreter's
// (reference/Kernels.cpp): gelu with erf or its tanh form, PyTorch's
// hardswish / hardsigmoid constants, leaky relu's default slope.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/ScalarOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace tilec;
using namespace tilec::codegen;

void tilec::codegen::multiplyAccumulate(OpBuilder &b, Location loc, ValueRange args) {
  Type acc = args[2].getType();
  auto extend = [&](Value v) {
    return v.getType() == acc ? v : b.create<arith::ExtFOp>(loc, acc, v).getResult();
  };
  Value product = b.create<arith::MulFOp>(loc, extend(args[0]), extend(args[1]));
  b.create<linalg::YieldOp>(loc, ValueRange{b.create<arith::AddFOp>(loc, args[2], product)});
}

ScalarBody tilec::codegen::scalarBody(Operation *op) {
  auto binary = [](auto make) -> ScalarBody {
    return [make](OpBuilder &nb, Location l, ValueRange a) -> Value { return make(nb, l, a[0], a[1]); };
  };
  if (auto convert = dyn_cast<ConvertOp>(op)) {
    Type to = cast<ShapedType>(convert.getType()).getElementType();
    return [to](OpBuilder &nb, Location l, ValueRange a) -> Value {
      unsigned from = a[0].getType().getIntOrFloatBitWidth();
      if (from == to.getIntOrFloatBitWidth())
        return a[0];
      if (from > to.getIntOrFloatBitWidth())
        return nb.create<arith::TruncFOp>(l, to, a[0]);
      return nb.create<arith::ExtFOp>(l, to, a[0]);
    };
  }
  if (isa<AddOp>(op))
    return binary([](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return nb.create<arith::AddFOp>(l, x, y);
    });
  if (isa<SubOp>(op))
    return binary([](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return nb.create<arith::SubFOp>(l, x, y);
    });
  if (isa<MulOp>(op))
    return binary([](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return nb.create<arith::MulFOp>(l, x, y);
    });
  if (isa<DivOp>(op))
    return binary([](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return nb.create<arith::DivFOp>(l, x, y);
    });
  std::function<Value(OpBuilder &, Location, Value)> f;
  auto c = [](OpBuilder &nb, Location l, double v) -> Value {
    return nb.create<arith::ConstantOp>(l, nb.getF32FloatAttr(float(v)));
  };
  auto sigmoid = [c](OpBuilder &nb, Location l, Value v) -> Value {
    Value e = nb.create<math::ExpOp>(l, nb.create<arith::NegFOp>(l, v));
    return nb.create<arith::DivFOp>(l, c(nb, l, 1.0), nb.create<arith::AddFOp>(l, c(nb, l, 1.0), e));
  };
  auto clamp = [c](OpBuilder &nb, Location l, Value v, double lo, double hi) -> Value {
    Value m = nb.create<arith::MaximumFOp>(l, v, c(nb, l, lo));
    return nb.create<arith::MinimumFOp>(l, m, c(nb, l, hi));
  };
  if (isa<ReluOp>(op))
    f = [c](OpBuilder &nb, Location l, Value v) -> Value {
      return nb.create<arith::MaximumFOp>(l, v, c(nb, l, 0.0));
    };
  else if (isa<SigmoidOp>(op))
    f = sigmoid;
  else if (isa<TanhOp>(op))
    f = [](OpBuilder &nb, Location l, Value v) -> Value { return nb.create<math::TanhOp>(l, v); };
  else if (isa<SiluOp>(op))
    f = [sigmoid](OpBuilder &nb, Location l, Value v) -> Value {
      return nb.create<arith::MulFOp>(l, v, sigmoid(nb, l, v));
    };
  else if (isa<HardswishOp>(op))
    f = [c, clamp](OpBuilder &nb, Location l, Value v) -> Value {
      Value r = clamp(nb, l, nb.create<arith::AddFOp>(l, v, c(nb, l, 3.0)), 0.0, 6.0);
      return nb.create<arith::MulFOp>(l, v, nb.create<arith::MulFOp>(l, r, c(nb, l, 1.0 / 6.0)));
    };
  else if (isa<ExpOp>(op))
    f = [](OpBuilder &nb, Location l, Value v) -> Value { return nb.create<math::ExpOp>(l, v); };
  else if (isa<SqrtOp>(op))
    f = [](OpBuilder &nb, Location l, Value v) -> Value { return nb.create<math::SqrtOp>(l, v); };
  else if (isa<ReciprocalOp>(op))
    f = [c](OpBuilder &nb, Location l, Value v) -> Value {
      return nb.create<arith::DivFOp>(l, c(nb, l, 1.0), v);
    };
  else if (isa<ErfOp>(op))
    f = [](OpBuilder &nb, Location l, Value v) -> Value { return nb.create<math::ErfOp>(l, v); };
  else if (isa<NegOp>(op))
    f = [](OpBuilder &nb, Location l, Value v) -> Value { return nb.create<arith::NegFOp>(l, v); };
  else if (auto lr = dyn_cast<LeakyReluOp>(op)) {
    double alpha = lr.getAlpha().convertToDouble();
    f = [c, alpha](OpBuilder &nb, Location l, Value v) -> Value {
      Value pos = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGE, v, c(nb, l, 0.0));
      return nb.create<arith::SelectOp>(l, pos, v,
                                        nb.create<arith::MulFOp>(l, v, c(nb, l, alpha)));
    };
  } else if (auto cl = dyn_cast<ClipOp>(op)) {
    double lo = cl.getMin().convertToDouble(), hi = cl.getMax().convertToDouble();
    f = [clamp, lo, hi](OpBuilder &nb, Location l, Value v) { return clamp(nb, l, v, lo, hi); };
  } else if (auto hs = dyn_cast<HardsigmoidOp>(op)) {
    double alpha = hs.getAlpha().convertToDouble(), beta = hs.getBeta().convertToDouble();
    f = [c, clamp, alpha, beta](OpBuilder &nb, Location l, Value v) -> Value {
      Value lin = nb.create<arith::AddFOp>(l, nb.create<arith::MulFOp>(l, v, c(nb, l, alpha)),
                                           c(nb, l, beta));
      return clamp(nb, l, lin, 0.0, 1.0);
    };
  } else if (auto g = dyn_cast<GeluOp>(op)) {
    bool tanhForm = g.getApproximate() == "tanh";
    f = [c, tanhForm](OpBuilder &nb, Location l, Value v) -> Value {
      Value inner;
      if (tanhForm) {
        Value cube = nb.create<arith::MulFOp>(l, v, nb.create<arith::MulFOp>(l, v, v));
        Value s = nb.create<arith::AddFOp>(l, v, nb.create<arith::MulFOp>(l, cube, c(nb, l, 0.044715)));
        inner = nb.create<math::TanhOp>(l, nb.create<arith::MulFOp>(l, s, c(nb, l, 0.7978845608028654)));
      } else {
        inner = nb.create<math::ErfOp>(l, nb.create<arith::MulFOp>(l, v, c(nb, l, 0.7071067811865476)));
      }
      Value half = nb.create<arith::MulFOp>(l, v, c(nb, l, 0.5));
      return nb.create<arith::MulFOp>(l, half, nb.create<arith::AddFOp>(l, inner, c(nb, l, 1.0)));
    };
  } else {
    return nullptr;
  }
  return [f](OpBuilder &nb, Location l, ValueRange a) { return f(nb, l, a[0]); };
}
