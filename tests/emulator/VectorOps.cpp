//===- VectorOps.cpp - vector ops and transfers, lane by lane --------------===//
//
// See Emulator.h.
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/Emulator.h"

namespace tilec::emulator::detail {


/// vector.transfer_read / transfer_write: vector element k (row-major) at
/// the indices plus, for each result of the permutation map that is a
/// memref dim, the vector index along that result (a constant result
/// broadcasts). Out-of-bounds elements (allowed only where in_bounds is
/// false) and masked-off ones read the padding and are not written.
bool Emulator::execTransfer(VectorTransferOpInterface x, const Lanes &lanes) {
  Operation *op = x.getOperation();
  auto read = dyn_cast<vector::TransferReadOp>(op);
  if (!isa<MemRefType>(x.getSource().getType()))
    return fail(op, "a transfer of a tensor");
  ArrayRef<int64_t> vs = x.getVectorType().getShape();
  AffineMap map = x.getPermutationMap();
  Value vector = read ? Value(read.getResult()) : cast<vector::TransferWriteOp>(op).getVector();
  for (int32_t l : lanes) {
    const Mem &m = mem(x.getSource(), l);
    SmallVector<int64_t, 4> base = indices(x.getIndices(), l);
    uint64_t *v = slot(vector).at(l);
    uint64_t pad = read ? bits(read.getPadding(), l) : 0;
    int64_t k = 0;
    bool ok = true;
    forEachIndex(vs, [&](ArrayRef<int64_t> idx) {
      if (!ok)
        return;
      SmallVector<int64_t, 4> at(base);
      bool inside = !x.getMask() || (slot(x.getMask()).at(l)[k] & 1);
      for (unsigned r = 0; r < map.getNumResults(); ++r) {
        auto d = dyn_cast<AffineDimExpr>(map.getResult(r));
        if (!d)
          continue; // broadcast
        int64_t p = at[d.getPosition()] += idx[r];
        if (p >= 0 && p < m.sizes[d.getPosition()])
          continue;
        if (x.isDimInBounds(r)) {
          ok = fail(op, std::string("an in_bounds transfer ") + (read ? "read" : "write") +
                            " outside its memref");
          return;
        }
        inside = false;
      }
      if (read) {
        v[k] = pad;
        ok = !inside || load(op, m, at, 1, l, &v[k]);
      } else {
        ok = !inside || store(op, m, at, 1, l, &v[k]);
      }
      ++k;
    });
    if (!ok)
      return false;
  }
  return true;
}

/// The flat offset of an extract's or insert's position (static sizes, or
/// kDynamic taken in turn from `dynamic`) in a vector of `shape`; -1 (with
/// the error set) when it is out of range.
int64_t Emulator::position(Operation *op, ArrayRef<int64_t> shape, ArrayRef<int64_t> pos,
                           ValueRange dynamic, int32_t lane) {
  SmallVector<int64_t> strides = stridesOf(shape);
  int64_t offset = 0;
  unsigned next = 0;
  for (size_t d = 0; d < pos.size(); ++d) {
    int64_t p = ShapedType::isDynamic(pos[d]) ? integer(dynamic[next++], lane) : pos[d];
    if (p < 0 || p >= shape[d])
      return fail(op, "a vector position out of range"), -1;
    offset += p * strides[d];
  }
  return offset;
}

bool Emulator::execVector(Operation &op, const Lanes &lanes, bool &handled) {
  handled = true;
  if (op.getNumResults() == 1 && !isa<MemRefType>(op.getResult(0).getType())) {
    Value r = op.getResult(0);
    Slot &out = slot(r);
    int64_t n = out.width;
    if (auto x = dyn_cast<vector::ExtractOp>(op)) {
      ArrayRef<int64_t> shape = shapeOf(x.getVector().getType());
      ArrayRef<int64_t> pos = x.getStaticPosition();
      for (int32_t l : lanes) {
        int64_t offset = position(&op, shape, pos, x.getDynamicPosition(), l);
        if (offset < 0)
          return false;
        std::memcpy(out.at(l), slot(x.getVector()).at(l) + offset, sizeof(uint64_t) * n);
      }
      return true;
    }
    if (auto x = dyn_cast<vector::InsertOp>(op)) {
      ArrayRef<int64_t> shape = shapeOf(x.getDest().getType());
      ArrayRef<int64_t> pos = x.getStaticPosition();
      int64_t sn = widthOf(x.getSource().getType());
      for (int32_t l : lanes) {
        std::memcpy(out.at(l), slot(x.getDest()).at(l), sizeof(uint64_t) * n);
        int64_t offset = position(&op, shape, pos, x.getDynamicPosition(), l);
        if (offset < 0)
          return false;
        std::memcpy(out.at(l) + offset, slot(x.getSource()).at(l), sizeof(uint64_t) * sn);
      }
      return true;
    }
    if (auto x = dyn_cast<vector::ExtractElementOp>(op)) {
      for (int32_t l : lanes)
        out.at(l)[0] = slot(x.getVector()).at(l)[x.getPosition() ? integer(x.getPosition(), l) : 0];
      return true;
    }
    if (auto x = dyn_cast<vector::InsertElementOp>(op)) {
      for (int32_t l : lanes) {
        std::memcpy(out.at(l), slot(x.getDest()).at(l), sizeof(uint64_t) * n);
        out.at(l)[x.getPosition() ? integer(x.getPosition(), l) : 0] = bits(x.getSource(), l);
      }
      return true;
    }
    if (auto x = dyn_cast<vector::ExtractStridedSliceOp>(op)) {
      ArrayRef<int64_t> src = shapeOf(x.getVector().getType()), res = shapeOf(r.getType());
      SmallVector<int64_t> ss = stridesOf(src);
      SmallVector<int64_t> offsets, steps;
      for (Attribute a : x.getOffsets())
        offsets.push_back(cast<IntegerAttr>(a).getInt());
      for (Attribute a : x.getStrides())
        steps.push_back(cast<IntegerAttr>(a).getInt());
      for (int32_t l : lanes) {
        int64_t k = 0;
        const uint64_t *s = slot(x.getVector()).at(l);
        uint64_t *o = out.at(l);
        forEachIndex(res, [&](ArrayRef<int64_t> idx) {
          int64_t at = 0;
          for (size_t d = 0; d < idx.size(); ++d)
            at += (d < offsets.size() ? offsets[d] + idx[d] * steps[d] : idx[d]) * ss[d];
          o[k++] = s[at];
        });
      }
      return true;
    }
    if (auto x = dyn_cast<vector::InsertStridedSliceOp>(op)) {
      ArrayRef<int64_t> src = shapeOf(x.getSourceVectorType()), dst = shapeOf(x.getDestVectorType());
      SmallVector<int64_t> ds = stridesOf(dst);
      SmallVector<int64_t> offsets;
      for (Attribute a : x.getOffsets())
        offsets.push_back(cast<IntegerAttr>(a).getInt());
      size_t lead = dst.size() - src.size();
      for (int32_t l : lanes) {
        uint64_t *o = out.at(l);
        std::memcpy(o, slot(x.getDest()).at(l), sizeof(uint64_t) * n);
        const uint64_t *s = slot(x.getSource()).at(l);
        int64_t k = 0;
        forEachIndex(src, [&](ArrayRef<int64_t> idx) {
          int64_t at = 0;
          for (size_t d = 0; d < dst.size(); ++d)
            at += (offsets[d] + (d >= lead ? idx[d - lead] : 0)) * ds[d];
          o[at] = s[k++];
        });
      }
      return true;
    }
    if (auto x = dyn_cast<vector::ShuffleOp>(op)) {
      int64_t n1 = shapeOf(x.getV1().getType()).empty() ? 1 : shapeOf(x.getV1().getType())[0];
      ArrayRef<int64_t> rs = shapeOf(r.getType());
      int64_t inner = product(rs.drop_front());
      SmallVector<int64_t> mask;
      for (Attribute a : x.getMask())
        mask.push_back(cast<IntegerAttr>(a).getInt());
      for (int32_t l : lanes)
        for (size_t j = 0; j < mask.size(); ++j) {
          int64_t m = mask[j];
          const uint64_t *s = m < n1 ? slot(x.getV1()).at(l) + m * inner
                                     : slot(x.getV2()).at(l) + (m - n1) * inner;
          std::memcpy(out.at(l) + j * inner, s, sizeof(uint64_t) * inner);
        }
      return true;
    }
    if (isa<vector::SplatOp, vector::BroadcastOp>(op)) {
      Value s = op.getOperand(0);
      ArrayRef<int64_t> ss = shapeOf(s.getType()), rs = shapeOf(r.getType());
      SmallVector<int64_t> sst = stridesOf(ss);
      size_t lead = rs.size() - ss.size();
      for (int32_t l : lanes) {
        const uint64_t *src = slot(s).at(l);
        uint64_t *o = out.at(l);
        if (ss.empty()) {
          std::fill(o, o + n, src[0]);
          continue;
        }
        int64_t k = 0;
        forEachIndex(rs, [&](ArrayRef<int64_t> idx) {
          int64_t at = 0;
          for (size_t d = 0; d < ss.size(); ++d)
            at += (ss[d] == 1 ? 0 : idx[d + lead]) * sst[d];
          o[k++] = src[at];
        });
      }
      return true;
    }
    if (isa<vector::FromElementsOp>(op)) {
      for (int32_t l : lanes)
        for (int64_t i = 0; i < n; ++i)
          out.at(l)[i] = bits(op.getOperand(i), l);
      return true;
    }
    if (auto x = dyn_cast<vector::ReductionOp>(op)) {
      Type e = elementOf(x.getVector().getType());
      int64_t m = widthOf(x.getVector().getType());
      using K = vector::CombiningKind;
      K kind = x.getKind();
      bool isFloat = isa<FloatType>(e);
      for (int32_t l : lanes) {
        const uint64_t *v = slot(x.getVector()).at(l);
        double acc = isFloat ? toDouble(e, v[0]) : double(toInt(e, v[0]));
        int64_t iacc = toInt(e, v[0]);
        for (int64_t i = 1; i <= m; ++i) {
          bool fromAcc = i == m;
          if (fromAcc && !x.getAcc())
            break;
          uint64_t b = fromAcc ? bits(x.getAcc(), l) : v[i];
          double y = isFloat ? toDouble(e, b) : 0;
          int64_t iy = toInt(e, b);
          switch (kind) {
          case K::ADD: acc = acc + y; iacc += iy; break;
          case K::MUL: acc = acc * y; iacc *= iy; break;
          case K::MAXNUMF: acc = std::fmax(acc, y); break;
          case K::MINNUMF: acc = std::fmin(acc, y); break;
          case K::MAXIMUMF: acc = std::isnan(acc) || std::isnan(y) ? NAN : std::max(acc, y); break;
          case K::MINIMUMF: acc = std::isnan(acc) || std::isnan(y) ? NAN : std::min(acc, y); break;
          case K::MAXSI: iacc = std::max(iacc, iy); break;
          case K::MINSI: iacc = std::min(iacc, iy); break;
          case K::AND: iacc &= iy; break;
          case K::OR: iacc |= iy; break;
          case K::XOR: iacc ^= iy; break;
          default: return fail(&op, "a reduction kind the emulator does not know");
          }
          // Each step rounds to the element type, as a sequential reduction does.
          if (isFloat)
            acc = toDouble(e, fromDouble(e, acc));
        }
        out.at(l)[0] = isFloat ? fromDouble(e, acc) : fromInt(e, iacc);
      }
      return true;
    }
    if (isa<vector::CreateMaskOp, vector::ConstantMaskOp>(op)) {
      // Element set where every index is below its dim's bound.
      ArrayRef<int64_t> rs = shapeOf(r.getType());
      SmallVector<int64_t> fixed;
      if (auto c = dyn_cast<vector::ConstantMaskOp>(op))
        for (Attribute a : c.getMaskDimSizes())
          fixed.push_back(cast<IntegerAttr>(a).getInt());
      for (int32_t l : lanes) {
        int64_t k = 0;
        SmallVector<int64_t> bounds = fixed.empty() ? indices(op.getOperands(), l) : fixed;
        forEachIndex(rs, [&](ArrayRef<int64_t> idx) {
          bool in = true;
          for (size_t d = 0; d < idx.size(); ++d)
            in &= idx[d] < bounds[d];
          out.at(l)[k++] = in;
        });
      }
      return true;
    }
    if (auto x = dyn_cast<LLVM::ExtractValueOp>(op)) {
      ArrayRef<int64_t> pos = x.getPosition();
      if (pos.size() != 1)
        return fail(&op, "a nested extractvalue");
      for (int32_t l : lanes)
        out.at(l)[0] = bits(x.getContainer(), l, pos[0]);
      return true;
    }
    if (auto x = dyn_cast<LLVM::InsertValueOp>(op)) {
      ArrayRef<int64_t> pos = x.getPosition();
      if (pos.size() != 1)
        return fail(&op, "a nested insertvalue");
      for (int32_t l : lanes) {
        std::memcpy(out.at(l), slot(x.getContainer()).at(l), sizeof(uint64_t) * n);
        out.at(l)[pos[0]] = bits(x.getValue(), l);
      }
      return true;
    }
  }
  // Transfers and vector loads/stores.
  if (auto x = dyn_cast<VectorTransferOpInterface>(op))
    return execTransfer(x, lanes);
  if (isa<vector::LoadOp, vector::StoreOp>(op)) {
    bool isLoad = isa<vector::LoadOp>(op);
    Value base = isLoad ? cast<vector::LoadOp>(op).getBase() : cast<vector::StoreOp>(op).getBase();
    ValueRange idxs =
        isLoad ? cast<vector::LoadOp>(op).getIndices() : cast<vector::StoreOp>(op).getIndices();
    VectorType vt = isLoad ? cast<vector::LoadOp>(op).getVectorType()
                           : cast<vector::StoreOp>(op).getVectorType();
    ArrayRef<int64_t> vs = vt.getShape();
    Value v = isLoad ? Value(op.getResult(0)) : Value(cast<vector::StoreOp>(op).getValueToStore());
    int64_t inner = vs.empty() ? 1 : vs.back();
    ArrayRef<int64_t> outer = vs.empty() ? ArrayRef<int64_t>{} : vs.drop_back();
    for (int32_t l : lanes) {
      const Mem &m = mem(base, l);
      SmallVector<int64_t, 4> at0 = indices(idxs, l);
      uint64_t *data = slot(v).at(l);
      int64_t k = 0;
      bool ok = true;
      forEachIndex(outer, [&](ArrayRef<int64_t> idx) {
        if (!ok)
          return;
        SmallVector<int64_t, 4> at(at0);
        size_t lead = at.size() - vs.size();
        for (size_t d = 0; d < idx.size(); ++d)
          at[lead + d] += idx[d];
        ok = isLoad ? load(&op, m, at, inner, l, data + k) : store(&op, m, at, inner, l, data + k);
        k += inner;
      });
      if (!ok)
        return false;
    }
    return true;
  }
  handled = false;
  return true;
}

} // namespace tilec::emulator::detail
