//===- ScalarOps.cpp - arith, math, affine and casts, lane by lane ---------===//
//
// See Emulator.h.
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/Emulator.h"

namespace tilec::emulator::detail {


/// Unary float ops by name, computed in float where the GPU computes in f32.
const llvm::StringMap<double (*)(double)> &unaryOps() {
  static const llvm::StringMap<double (*)(double)> ops = {
      {"arith.negf", [](double x) { return -x; }},
      {"math.exp", [](double x) { return double(std::exp(float(x))); }},
      {"math.exp2", [](double x) { return double(std::exp2(float(x))); }},
      {"math.expm1", [](double x) { return double(std::expm1(float(x))); }},
      {"math.log", [](double x) { return double(std::log(float(x))); }},
      {"math.log2", [](double x) { return double(std::log2(float(x))); }},
      {"math.log1p", [](double x) { return double(std::log1p(float(x))); }},
      {"math.sqrt", [](double x) { return double(std::sqrt(float(x))); }},
      {"math.rsqrt", [](double x) { return double(1.0f / std::sqrt(float(x))); }},
      {"math.tanh", [](double x) { return double(std::tanh(float(x))); }},
      {"math.erf", [](double x) { return double(std::erf(float(x))); }},
      {"math.floor", [](double x) { return std::floor(x); }},
      {"math.ceil", [](double x) { return std::ceil(x); }},
      {"math.absf", [](double x) { return std::fabs(x); }},
      {"math.sin", [](double x) { return double(std::sin(float(x))); }},
      {"math.cos", [](double x) { return double(std::cos(float(x))); }},
      {"math.trunc", [](double x) { return std::trunc(x); }},
      {"math.round", [](double x) { return std::round(x); }},
      {"math.roundeven", [](double x) { return std::nearbyint(x); }},
  };
  return ops;
}

bool Emulator::execElementwise(Operation &op, const Lanes &lanes, bool &handled) {
  handled = true;
  StringRef name = op.getName().getStringRef();
  if (op.getNumResults() != 1) {
    handled = false;
    return true;
  }
  Value r = op.getResult(0);
  Type rt = r.getType();
  if (isa<MemRefType>(rt)) {
    handled = false;
    return true;
  }
  int64_t n = widthOf(rt);
  Type re = elementOf(rt);
  Slot &out = slot(r);
  // Constants.
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    const std::vector<uint64_t> &v = constant(&op, c.getValue(), rt);
    for (int32_t l : lanes)
      std::memcpy(out.at(l), v.data(), sizeof(uint64_t) * n);
    return true;
  }
  if (auto c = dyn_cast<LLVM::ConstantOp>(op)) {
    const std::vector<uint64_t> &v = constant(&op, c.getValue(), rt);
    for (int32_t l : lanes)
      std::memcpy(out.at(l), v.data(), sizeof(uint64_t) * n);
    return true;
  }
  if (isa<LLVM::UndefOp, LLVM::PoisonOp, LLVM::ZeroOp>(op)) {
    for (int32_t l : lanes)
      std::memset(out.at(l), 0, sizeof(uint64_t) * n);
    return true;
  }
  // Affine index arithmetic.
  if (isa<affine::AffineApplyOp, affine::AffineMinOp, affine::AffineMaxOp>(op)) {
    AffineMap map = isa<affine::AffineApplyOp>(op) ? cast<affine::AffineApplyOp>(op).getAffineMap()
                    : isa<affine::AffineMinOp>(op) ? cast<affine::AffineMinOp>(op).getAffineMap()
                                                   : cast<affine::AffineMaxOp>(op).getAffineMap();
    bool isMin = isa<affine::AffineMinOp>(op);
    for (int32_t l : lanes) {
      SmallVector<int64_t, 8> operands;
      for (Value v : op.getOperands())
        operands.push_back(integer(v, l));
      ArrayRef<int64_t> dims(operands.data(), map.getNumDims());
      ArrayRef<int64_t> syms(operands.data() + map.getNumDims(), map.getNumSymbols());
      std::function<int64_t(AffineExpr)> eval = [&](AffineExpr e) -> int64_t {
        if (auto d = dyn_cast<AffineDimExpr>(e))
          return dims[d.getPosition()];
        if (auto s = dyn_cast<AffineSymbolExpr>(e))
          return syms[s.getPosition()];
        if (auto c = dyn_cast<AffineConstantExpr>(e))
          return c.getValue();
        auto b = cast<AffineBinaryOpExpr>(e);
        int64_t x = eval(b.getLHS()), y = eval(b.getRHS());
        switch (e.getKind()) {
        case AffineExprKind::Add:
          return x + y;
        case AffineExprKind::Mul:
          return x * y;
        case AffineExprKind::Mod:
          return y == 0 ? 0 : ((x % y) + y) % y;
        case AffineExprKind::FloorDiv:
          return y == 0 ? 0 : (x / y - ((x % y != 0) && ((x < 0) != (y < 0))));
        case AffineExprKind::CeilDiv:
          return y == 0 ? 0 : (x / y + ((x % y != 0) && ((x < 0) == (y < 0))));
        default:
          return 0;
        }
      };
      int64_t v = eval(map.getResult(0));
      for (AffineExpr e : map.getResults().drop_front())
        v = isMin ? std::min(v, eval(e)) : std::max(v, eval(e));
      out.at(l)[0] = fromInt(rt, v);
    }
    return true;
  }
  auto operandElement = [&](Value v, int32_t l, int64_t i) {
    Slot &s = slot(v);
    return s.at(l)[s.width == 1 ? 0 : i];
  };
  // Integer binary ops.
  using IntOp = std::function<bool(int64_t, int64_t, uint64_t, uint64_t, int64_t &)>;
  static const llvm::StringMap<IntOp> intOps = {
      {"arith.addi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = a + b, true; }},
      {"arith.subi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = a - b, true; }},
      {"arith.muli", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = a * b, true; }},
      {"arith.andi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = a & b, true; }},
      {"arith.ori", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = a | b, true; }},
      {"arith.xori", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = a ^ b, true; }},
      {"arith.divui", [](int64_t, int64_t, uint64_t a, uint64_t b, int64_t &r) { return b && (r = int64_t(a / b), true); }},
      {"arith.remui", [](int64_t, int64_t, uint64_t a, uint64_t b, int64_t &r) { return b && (r = int64_t(a % b), true); }},
      {"arith.ceildivui", [](int64_t, int64_t, uint64_t a, uint64_t b, int64_t &r) { return b && (r = int64_t(a / b + (a % b != 0)), true); }},
      {"arith.divsi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return b && (r = a / b, true); }},
      {"arith.remsi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return b && (r = a % b, true); }},
      {"arith.floordivsi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) {
         return b && (r = a / b - ((a % b != 0) && ((a < 0) != (b < 0))), true); }},
      {"arith.ceildivsi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) {
         return b && (r = a / b + ((a % b != 0) && ((a < 0) == (b < 0))), true); }},
      {"arith.shli", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = b >= 64 ? 0 : int64_t(uint64_t(a) << b), true; }},
      {"arith.shrui", [](int64_t, int64_t b, uint64_t a, uint64_t, int64_t &r) { return r = b >= 64 ? 0 : int64_t(a >> b), true; }},
      {"arith.shrsi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = a >> std::min<int64_t>(b, 63), true; }},
      {"arith.minsi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = std::min(a, b), true; }},
      {"arith.maxsi", [](int64_t a, int64_t b, uint64_t, uint64_t, int64_t &r) { return r = std::max(a, b), true; }},
      {"arith.minui", [](int64_t, int64_t, uint64_t a, uint64_t b, int64_t &r) { return r = int64_t(std::min(a, b)), true; }},
      {"arith.maxui", [](int64_t, int64_t, uint64_t a, uint64_t b, int64_t &r) { return r = int64_t(std::max(a, b)), true; }},
  };
  if (auto it = intOps.find(name); it != intOps.end()) {
    Type t = elementOf(op.getOperand(0).getType());
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i) {
        uint64_t a = operandElement(op.getOperand(0), l, i),
                 b = operandElement(op.getOperand(1), l, i);
        int64_t v;
        if (!it->second(toInt(t, a), toInt(t, b), toUnsigned(t, a), toUnsigned(t, b), v))
          return fail(&op, "integer division by zero");
        out.at(l)[i] = fromInt(re, v);
      }
    return true;
  }
  using FloatOp = double (*)(double, double);
  static const llvm::StringMap<FloatOp> floatOps = {
      {"arith.addf", [](double a, double b) { return a + b; }},
      {"arith.subf", [](double a, double b) { return a - b; }},
      {"arith.mulf", [](double a, double b) { return a * b; }},
      {"arith.divf", [](double a, double b) { return a / b; }},
      {"arith.remf", [](double a, double b) { return std::fmod(a, b); }},
      {"math.powf", [](double a, double b) { return double(std::pow(float(a), float(b))); }},
      {"arith.maximumf", [](double a, double b) {
         return std::isnan(a) || std::isnan(b) ? NAN : (a == b ? (std::signbit(a) ? b : a) : std::max(a, b)); }},
      {"arith.minimumf", [](double a, double b) {
         return std::isnan(a) || std::isnan(b) ? NAN : (a == b ? (std::signbit(a) ? a : b) : std::min(a, b)); }},
      {"arith.maxnumf", [](double a, double b) { return std::fmax(a, b); }},
      {"arith.minnumf", [](double a, double b) { return std::fmin(a, b); }},
  };
  if (auto it = floatOps.find(name); it != floatOps.end()) {
    Type t = elementOf(op.getOperand(0).getType());
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i)
        out.at(l)[i] = fromDouble(re, it->second(toDouble(t, operandElement(op.getOperand(0), l, i)),
                                                 toDouble(t, operandElement(op.getOperand(1), l, i))));
    return true;
  }
  if (isa<math::FmaOp, vector::FMAOp>(op)) {
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i) {
        double a = toDouble(re, operandElement(op.getOperand(0), l, i)),
               b = toDouble(re, operandElement(op.getOperand(1), l, i)),
               c = toDouble(re, operandElement(op.getOperand(2), l, i));
        out.at(l)[i] = fromDouble(re, re.isF32() ? double(std::fmaf(float(a), float(b), float(c)))
                                                 : a * b + c);
      }
    return true;
  }
  if (auto it = unaryOps().find(name); it != unaryOps().end()) {
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i)
        out.at(l)[i] =
            fromDouble(re, it->second(toDouble(re, operandElement(op.getOperand(0), l, i))));
    return true;
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    Type t = elementOf(cmp.getLhs().getType());
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i) {
        uint64_t ab = operandElement(cmp.getLhs(), l, i), bb = operandElement(cmp.getRhs(), l, i);
        int64_t a = toInt(t, ab), b = toInt(t, bb);
        uint64_t ua = toUnsigned(t, ab), ub = toUnsigned(t, bb);
        bool v = false;
        switch (cmp.getPredicate()) {
        case arith::CmpIPredicate::eq: v = ua == ub; break;
        case arith::CmpIPredicate::ne: v = ua != ub; break;
        case arith::CmpIPredicate::slt: v = a < b; break;
        case arith::CmpIPredicate::sle: v = a <= b; break;
        case arith::CmpIPredicate::sgt: v = a > b; break;
        case arith::CmpIPredicate::sge: v = a >= b; break;
        case arith::CmpIPredicate::ult: v = ua < ub; break;
        case arith::CmpIPredicate::ule: v = ua <= ub; break;
        case arith::CmpIPredicate::ugt: v = ua > ub; break;
        case arith::CmpIPredicate::uge: v = ua >= ub; break;
        }
        out.at(l)[i] = v;
      }
    return true;
  }
  if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
    Type t = elementOf(cmp.getLhs().getType());
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i) {
        double a = toDouble(t, operandElement(cmp.getLhs(), l, i)),
               b = toDouble(t, operandElement(cmp.getRhs(), l, i));
        bool unordered = std::isnan(a) || std::isnan(b), v = false;
        using P = arith::CmpFPredicate;
        switch (cmp.getPredicate()) {
        case P::AlwaysFalse: v = false; break;
        case P::OEQ: v = !unordered && a == b; break;
        case P::OGT: v = !unordered && a > b; break;
        case P::OGE: v = !unordered && a >= b; break;
        case P::OLT: v = !unordered && a < b; break;
        case P::OLE: v = !unordered && a <= b; break;
        case P::ONE: v = !unordered && a != b; break;
        case P::ORD: v = !unordered; break;
        case P::UEQ: v = unordered || a == b; break;
        case P::UGT: v = unordered || a > b; break;
        case P::UGE: v = unordered || a >= b; break;
        case P::ULT: v = unordered || a < b; break;
        case P::ULE: v = unordered || a <= b; break;
        case P::UNE: v = unordered || a != b; break;
        case P::UNO: v = unordered; break;
        case P::AlwaysTrue: v = true; break;
        }
        out.at(l)[i] = v;
      }
    return true;
  }
  if (auto sel = dyn_cast<arith::SelectOp>(op)) {
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i)
        out.at(l)[i] = operandElement(sel.getCondition(), l, i) & 1
                           ? operandElement(sel.getTrueValue(), l, i)
                           : operandElement(sel.getFalseValue(), l, i);
    return true;
  }
  // Casts.
  if (isa<arith::ExtFOp, arith::TruncFOp, arith::SIToFPOp, arith::UIToFPOp, arith::FPToSIOp,
          arith::FPToUIOp, arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp, arith::IndexCastOp,
          arith::IndexCastUIOp, arith::BitcastOp, LLVM::BitcastOp, vector::BitCastOp,
          vector::ShapeCastOp, UnrealizedConversionCastOp>(op)) {
    Value x = op.getOperand(0);
    Type xt = elementOf(x.getType());
    if (isa<arith::BitcastOp, LLVM::BitcastOp, vector::BitCastOp, UnrealizedConversionCastOp>(op) ||
        (isa<vector::ShapeCastOp>(op))) {
      if (isa<MemRefType>(x.getType()))
        return handled = false, true;
      // The same bytes: pack the source's elements, unpack as the result's.
      int64_t xn = widthOf(x.getType());
      unsigned xw = bitWidth(xt), rw = bitWidth(re);
      if (xw * xn != rw * n || xw % 8 || rw % 8)
        return fail(&op, "a bitcast the emulator cannot reinterpret");
      for (int32_t l : lanes) {
        SmallVector<uint8_t, 64> bytes(xw / 8 * xn);
        for (int64_t i = 0; i < xn; ++i)
          std::memcpy(bytes.data() + i * (xw / 8), &slot(x).at(l)[i], xw / 8);
        for (int64_t i = 0; i < n; ++i) {
          uint64_t v = 0;
          std::memcpy(&v, bytes.data() + i * (rw / 8), rw / 8);
          out.at(l)[i] = v;
        }
      }
      return true;
    }
    bool toFloat = isa<FloatType>(re), fromFloat = isa<FloatType>(xt);
    bool unsignedSrc = isa<arith::UIToFPOp, arith::ExtUIOp, arith::IndexCastUIOp>(op);
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i) {
        uint64_t b = slot(x).at(l)[i];
        if (fromFloat && toFloat) {
          out.at(l)[i] = fromDouble(re, toDouble(xt, b));
        } else if (fromFloat) {
          double d = std::trunc(toDouble(xt, b));
          out.at(l)[i] = isa<arith::FPToUIOp>(op) ? toUnsigned(re, uint64_t(d)) : fromInt(re, int64_t(d));
        } else if (toFloat) {
          out.at(l)[i] = fromDouble(re, unsignedSrc ? double(toUnsigned(xt, b)) : double(toInt(xt, b)));
        } else {
          out.at(l)[i] = fromInt(re, unsignedSrc ? int64_t(toUnsigned(xt, b)) : toInt(xt, b));
        }
      }
    return true;
  }
  handled = false;
  return true;
}

} // namespace tilec::emulator::detail
