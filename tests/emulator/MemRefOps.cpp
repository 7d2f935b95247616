//===- MemRefOps.cpp - memref views, loads and stores ----------------------===//
//
// See Emulator.h.
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/Emulator.h"

namespace tilec::emulator::detail {


bool Emulator::execMemory(Operation &op, const Lanes &lanes, bool &handled) {
  handled = true;
  if (auto x = dyn_cast<memref::LoadOp>(op)) {
    for (int32_t l : lanes)
      if (!load(&op, mem(x.getMemRef(), l), indices(x.getIndices(), l), 1, l,
                slot(x.getResult()).at(l)))
        return false;
    return true;
  }
  if (auto x = dyn_cast<memref::StoreOp>(op)) {
    for (int32_t l : lanes)
      if (!store(&op, mem(x.getMemRef(), l), indices(x.getIndices(), l), 1, l,
                 slot(x.getValue()).at(l)))
        return false;
    return true;
  }
  if (auto x = dyn_cast<memref::SubViewOp>(op)) {
    llvm::SmallBitVector dropped = x.getDroppedDims();
    for (int32_t l : lanes) {
      const Mem &s = mem(x.getSource(), l);
      Mem m = s;
      SmallVector<int64_t> offsets, sizes, steps;
      unsigned dyn = 0;
      for (int64_t o : x.getStaticOffsets())
        offsets.push_back(ShapedType::isDynamic(o) ? integer(x.getOffsets()[dyn++], l) : o);
      dyn = 0;
      for (int64_t z : x.getStaticSizes())
        sizes.push_back(ShapedType::isDynamic(z) ? integer(x.getSizes()[dyn++], l) : z);
      dyn = 0;
      for (int64_t t : x.getStaticStrides())
        steps.push_back(ShapedType::isDynamic(t) ? integer(x.getStrides()[dyn++], l) : t);
      m.sizes.clear();
      m.strides.clear();
      for (size_t d = 0; d < offsets.size(); ++d) {
        if (offsets[d] < 0 || (sizes[d] > 0 && offsets[d] + (sizes[d] - 1) * steps[d] >= s.sizes[d]))
          return fail(&op, "a subview outside its source");
        m.offset += offsets[d] * s.strides[d];
        if (dropped.test(d))
          continue;
        m.sizes.push_back(sizes[d]);
        m.strides.push_back(s.strides[d] * steps[d]);
      }
      mem(x.getResult(), l) = m;
    }
    return true;
  }
  if (auto x = dyn_cast<memref::ExpandShapeOp>(op)) {
    ArrayRef<int64_t> rs = x.getResultType().getShape();
    for (int32_t l : lanes) {
      const Mem &s = mem(x.getSrc(), l);
      Mem m = s;
      m.sizes.assign(rs.begin(), rs.end());
      m.strides.assign(rs.size(), 1);
      for (auto [i, group] : llvm::enumerate(x.getReassociationIndices())) {
        int64_t stride = s.strides[i];
        for (int64_t d = int64_t(group.size()) - 1; d >= 0; --d) {
          m.strides[group[d]] = stride;
          stride *= rs[group[d]];
        }
      }
      mem(x.getResult(), l) = m;
    }
    return true;
  }
  if (auto x = dyn_cast<memref::CollapseShapeOp>(op)) {
    for (int32_t l : lanes) {
      const Mem &s = mem(x.getSrc(), l);
      Mem m = s;
      m.sizes.clear();
      m.strides.clear();
      for (ReassociationIndices group : x.getReassociationIndices()) {
        int64_t size = 1;
        for (int64_t d : group)
          size *= s.sizes[d];
        m.sizes.push_back(size);
        m.strides.push_back(s.strides[group.back()]);
      }
      mem(x.getResult(), l) = m;
    }
    return true;
  }
  if (auto x = dyn_cast<memref::ViewOp>(op)) {
    auto type = x.getType();
    for (int32_t l : lanes) {
      const Mem &s = mem(x.getSource(), l);
      uint8_t *start = s.base + (s.offset + integer(x.getByteShift(), l)) * s.elementBytes;
      Mem m = descriptor(type, start, s.lo, s.hi, s.region);
      unsigned dyn = 0;
      for (size_t d = 0; d < m.sizes.size(); ++d)
        if (ShapedType::isDynamic(type.getDimSize(d)))
          m.sizes[d] = integer(x.getSizes()[dyn++], l);
      m.strides = stridesOf(m.sizes);
      mem(x.getResult(), l) = m;
    }
    return true;
  }
  if (auto x = dyn_cast<memref::ReinterpretCastOp>(op)) {
    for (int32_t l : lanes) {
      const Mem &s = mem(x.getSource(), l);
      Mem m = s;
      m.offset = x.getStaticOffsets()[0];
      if (ShapedType::isDynamic(m.offset))
        m.offset = integer(x.getOffsets()[0], l);
      m.sizes.clear();
      m.strides.clear();
      unsigned dyn = 0;
      for (int64_t z : x.getStaticSizes())
        m.sizes.push_back(ShapedType::isDynamic(z) ? integer(x.getSizes()[dyn++], l) : z);
      dyn = 0;
      for (int64_t t : x.getStaticStrides())
        m.strides.push_back(ShapedType::isDynamic(t) ? integer(x.getStrides()[dyn++], l) : t);
      mem(x.getResult(), l) = m;
    }
    return true;
  }
  if (isa<memref::MemorySpaceCastOp, memref::CastOp, UnrealizedConversionCastOp,
          memref::AssumeAlignmentOp>(op) &&
      op.getNumResults() == 1 && isa<MemRefType>(op.getResult(0).getType())) {
    auto type = cast<MemRefType>(op.getResult(0).getType());
    int64_t bytes = (bitWidth(type.getElementType()) + 7) / 8;
    for (int32_t l : lanes) {
      Mem m = mem(op.getOperand(0), l);
      if (m.elementBytes != bytes)
        return fail(&op, "a cast between element sizes");
      mem(op.getResult(0), l) = m;
    }
    return true;
  }
  if (isa<memref::AssumeAlignmentOp, memref::DeallocOp>(op))
    return true;
  if (auto x = dyn_cast<memref::GetGlobalOp>(op)) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(&op, x.getNameAttr());
    auto init = global ? dyn_cast_or_null<DenseElementsAttr>(global.getConstantInitValue())
                       : DenseElementsAttr();
    if (!init)
      return fail(&op, "a memref.global without a constant initial value");
    MemRefType type = x.getType();
    int64_t bytes = (bitWidth(type.getElementType()) + 7) / 8;
    auto [it, fresh] = globals.try_emplace(global);
    std::vector<uint8_t> &data = it->second;
    if (fresh) {
      const std::vector<uint64_t> &values = constant(global, init, VectorType::get({type.getNumElements()}, type.getElementType()));
      data.resize(values.size() * bytes);
      for (size_t i = 0; i < values.size(); ++i)
        std::memcpy(data.data() + i * bytes, &values[i], bytes);
    }
    for (int32_t l : lanes)
      mem(x.getResult(), l) =
          descriptor(type, data.data(), data.data(), data.data() + data.size(), -1);
    return true;
  }
  if (auto x = dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(op)) {
    // Workgroup memory: its address in the shared window; elsewhere the
    // host address.
    for (int32_t l : lanes) {
      const Mem &m = mem(x.getSource(), l);
      slot(x.getResult()).at(l)[0] =
          m.region >= 0 ? uint64_t(sharedBase[m.region] + (m.base - regions[m.region].data()))
                        : uint64_t(reinterpret_cast<uintptr_t>(m.base));
    }
    return true;
  }
  if (auto x = dyn_cast<memref::AllocaOp>(op)) {
    MemRefType type = x.getType();
    if (!type.hasStaticShape())
      return fail(&op, "a dynamic alloca");
    int64_t bytes = type.getNumElements() * ((bitWidth(type.getElementType()) + 7) / 8);
    for (int32_t l : lanes) {
      privates.emplace_back(new uint8_t[std::max<int64_t>(bytes, 1)]);
      uint8_t *p = privates.back().get();
      std::memset(p, 0xFF, bytes);
      mem(x.getResult(), l) = descriptor(type, p, p, p + bytes, -1);
    }
    return true;
  }
  handled = false;
  return true;
}

} // namespace tilec::emulator::detail
