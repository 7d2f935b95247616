//===- AsyncOps.cpp - wgmma, mbarriers and TMA loads -----------------------===//
//
// See Emulator.h.
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/Emulator.h"

namespace tilec::emulator::detail {

uint8_t *Emulator::shared(Operation *op, int64_t address, int64_t bytes, int32_t &region) {
  for (size_t r = 0; r < regions.size(); ++r)
    if (address >= sharedBase[r] && address + bytes <= sharedBase[r] + int64_t(regions[r].size())) {
      region = int32_t(r);
      return regions[r].data() + (address - sharedBase[r]);
    }
  fail(op, "a wgmma descriptor addresses bytes outside every workgroup buffer (shared address " +
               std::to_string(address) + ")");
  return nullptr;
}

bool Emulator::retireWarpgroup(int32_t group, size_t keep) {
  auto &groups = wgCommitted[group];
  while (groups.size() > keep) {
    for (const Span &sp : groups.front())
      for (int64_t b = 0; b < sp.bytes; ++b)
        --shadows[sp.region][sp.offset + b].inFlight;
    groups.pop_front();
  }
  return true;
}

/// wgmma.mma_async m64nNk16, 16-bit operands from workgroup memory through
/// matrix descriptors (PTX ISA "Matrix Descriptor Format": start address,
/// leading and stride byte offsets in 16 bytes; swizzle mode 1 = 128 bytes),
/// f32 accumulators in registers: warp w of the warpgroup, lane l, value i
/// holds row 16 w + l / 4 + 8 ((i / 2) mod 2), column 8 (i / 4) + 2 (l mod 4)
/// + i mod 2. The canonical 128-byte-swizzled layouts (in bytes, before the
/// swizzle, which XORs address bits 4-6 with bits 7-9):
///   K-major   (row r, k):  start + (r mod 8) 128 + (r / 8) SBO + 2 k
///   MN-major  (mn, k):     start + 2 (mn mod 64) + (mn / 64) LBO
///                                + (k mod 8) 128 + (k / 8) SBO
/// A is K-major when its layout is row, B when its layout is col. The
/// operands are read when the instruction issues and stay in flight (no
/// writes to them) until a wait.group retires its group; they must have
/// been written before the last fence.proxy.async of the warp that wrote
/// them.
bool Emulator::execWgmma(NVVM::WgmmaMmaAsyncOp op, const Lanes &lanes) {
  int64_t m = op.getShape().getM(), n = op.getShape().getN(), k = op.getShape().getK();
  bool bf16 = op.getTypeA() == NVVM::WGMMATypes::bf16;
  if (m != 64 || k != 16 || op.getTypeA() != op.getTypeB() ||
      (!bf16 && op.getTypeA() != NVVM::WGMMATypes::f16) || op.getTypeD() != NVVM::WGMMATypes::f32 ||
      op.getScaleA() != NVVM::WGMMAScaleIn::one || op.getScaleB() != NVVM::WGMMAScaleIn::one)
    return fail(op, "a wgmma the emulator does not know (m64nNk16, bf16/f16 into f32, scale 1)");
  // Whole warpgroups only.
  std::vector<int> count((threads + 127) / 128, 0);
  for (int32_t l : lanes)
    ++count[l / 128];
  for (size_t g = 0; g < count.size(); ++g)
    if (count[g] != 0 && count[g] != 128)
      return fail(op, "a wgmma reached by " + std::to_string(count[g]) + " of warpgroup " +
                          std::to_string(g) + "'s 128 threads");
  bool aK = op.getLayoutA() == NVVM::MMALayout::row, bK = op.getLayoutB() == NVVM::MMALayout::col;
  Slot &out = slot(op.getResults());
  for (size_t g = 0; g < count.size(); ++g) {
    if (!count[g])
      continue;
    int32_t first = int32_t(g * 128);
    uint64_t descA = bits(op.getDescriptorA(), first), descB = bits(op.getDescriptorB(), first);
    for (int32_t i = 1; i < 128; ++i)
      if (bits(op.getDescriptorA(), first + i) != descA ||
          bits(op.getDescriptorB(), first + i) != descB)
        return fail(op, "a warpgroup's threads give different wgmma descriptors");
    // Element (outer, k) of an operand: outer = A's row or B's column.
    auto read = [&](uint64_t desc, bool kMajor, int64_t outer, int64_t kk, double &v) -> bool {
      if ((desc >> 62) != 1)
        return fail(op, "a wgmma descriptor without the 128-byte swizzle");
      int64_t start = int64_t(desc & 0x3FFF) << 4, lbo = int64_t((desc >> 16) & 0x3FFF) << 4,
              sbo = int64_t((desc >> 32) & 0x3FFF) << 4;
      int64_t at = kMajor ? start + (outer % 8) * 128 + (outer / 8) * sbo + 2 * kk
                          : start + 2 * (outer % 64) + (outer / 64) * lbo + (kk % 8) * 128 +
                                (kk / 8) * sbo;
      at ^= ((at >> 7) & 7) << 4;
      int32_t region;
      uint8_t *p = shared(op, at, 2, region);
      if (!p)
        return false;
      int64_t offset = p - regions[region].data();
      for (int64_t b = 0; b < 2; ++b) {
        Shadow &sh = shadows[region][offset + b];
        if (sh.writeEpoch == epoch && sh.writer != first / kWarp)
          return fail(op, "race: a wgmma reads workgroup memory another warp wrote since the "
                          "last barrier");
        if (sh.lastWriter >= 0 && sh.seq > fenced[sh.lastWriter])
          return fail(op, "a wgmma reads workgroup memory warp " + std::to_string(sh.lastWriter) +
                              " wrote after its last fence.proxy.async (the async proxy may not "
                              "see it)");
        ++sh.inFlight;
      }
      wgOpen[g].push_back({region, offset, 2});
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = bf16 ? half::fromBF16(h) : half::fromF16(h);
      return true;
    };
    std::vector<double> a(64 * 16), b(16 * n);
    for (int64_t r = 0; r < 64; ++r)
      for (int64_t kk = 0; kk < 16; ++kk)
        if (!read(descA, aK, r, kk, a[r * 16 + kk]))
          return false;
    for (int64_t c = 0; c < n; ++c)
      for (int64_t kk = 0; kk < 16; ++kk)
        if (!read(descB, bK, c, kk, b[kk * n + c]))
          return false;
    bool accumulate = op.getScaleD() == NVVM::WGMMAScaleOut::one;
    for (int32_t t = 0; t < 128; ++t) {
      int32_t lane = first + t;
      int64_t w = t / kWarp, l = t % kWarp;
      const uint64_t *c = slot(op.getInouts()).at(lane);
      uint64_t *o = out.at(lane);
      for (int64_t i = 0; i < n / 2; ++i) {
        int64_t row = 16 * w + l / 4 + 8 * ((i / 2) % 2), col = 8 * (i / 4) + 2 * (l % 4) + i % 2;
        double s = accumulate ? half::floatOf(uint32_t(c[i])) : 0;
        for (int64_t kk = 0; kk < 16; ++kk)
          s += a[row * 16 + kk] * b[kk * n + col];
        o[i] = half::bitsOf(float(s));
      }
    }
  }
  return true;
}

MBarrier *Emulator::barrier(Operation *op, Value group, Value id, int32_t lane) {
  int64_t at = int64_t(bits(group, lane)) + integer(id, lane);
  if (at < 0 || at >= int64_t(mbarriers.size())) {
    fail(op, "an mbarrier index outside its group");
    return nullptr;
  }
  return &mbarriers[at];
}

/// A phase completes when every arrival and every transaction byte it
/// expects came: the next phase expects as many arrivals again.
bool Emulator::complete(Operation *op, MBarrier &b) {
  if (b.tx < 0)
    return fail(op, "an mbarrier received more transaction bytes than were expected");
  if (b.pending == 0 && b.tx == 0) {
    ++b.phase;
    b.pending = b.count;
  }
  return true;
}

bool Emulator::execMBarrier(Operation &op, const Lanes &lanes, bool &handled) {
  handled = true;
  auto predicated = [&](Value predicate, int32_t l) { return !predicate || (bits(predicate, l) & 1); };
  if (auto x = dyn_cast<nvgpu::MBarrierCreateOp>(op)) {
    int64_t n = x.getBarriers().getType().getNumBarriers();
    uint64_t first = mbarriers.size();
    mbarriers.resize(mbarriers.size() + n);
    for (int32_t l : lanes)
      slot(x.getBarriers()).at(l)[0] = first;
    return true;
  }
  if (auto x = dyn_cast<nvgpu::MBarrierInitOp>(op)) {
    for (int32_t l : lanes) {
      if (!predicated(x.getPredicate(), l))
        continue;
      MBarrier *b = barrier(&op, x.getBarriers(), x.getMbarId(), l);
      if (!b)
        return false;
      b->count = b->pending = integer(x.getCount(), l);
      b->tx = b->phase = 0;
      b->initialized = true;
      b->loads.clear();
    }
    return true;
  }
  if (isa<NVVM::FenceMbarrierInitOp>(op))
    return true;
  if (auto x = dyn_cast<nvgpu::MBarrierArriveExpectTxOp>(op)) {
    for (int32_t l : lanes) {
      if (!predicated(x.getPredicate(), l))
        continue;
      MBarrier *b = barrier(&op, x.getBarriers(), x.getMbarId(), l);
      if (!b || !b->initialized)
        return b ? fail(&op, "an arrival at an mbarrier never initialized") : false;
      b->tx += integer(x.getTxcount(), l);
      --b->pending;
      if (!complete(&op, *b))
        return false;
    }
    return true;
  }
  if (auto x = dyn_cast<nvgpu::MBarrierArriveOp>(op)) {
    for (int32_t l : lanes) {
      MBarrier *b = barrier(&op, x.getBarriers(), x.getMbarId(), l);
      if (!b || !b->initialized)
        return b ? fail(&op, "an arrival at an mbarrier never initialized") : false;
      if (b->pending <= 0)
        return fail(&op, "more arrivals at an mbarrier than its phase expects");
      --b->pending;
      if (!complete(&op, *b))
        return false;
      slot(x.getToken()).at(l)[0] = 0;
    }
    return true;
  }
  if (auto x = dyn_cast<nvgpu::MBarrierTryWaitParityOp>(op)) {
    for (int32_t l : lanes) {
      MBarrier *b = barrier(&op, x.getBarriers(), x.getMbarId(), l);
      if (!b || !b->initialized)
        return b ? fail(&op, "a wait on an mbarrier never initialized") : false;
      int64_t parity = int64_t(bits(x.getPhaseParity(), l) & 1);
      if ((b->phase & 1) != parity)
        continue; // the phase of that parity completed
      // Its TMA loads land now (their transaction bytes arrive).
      for (Copy &c : b->loads) {
        Shadow *sh = shadows[c.dst.region].data() + (c.to - regions[c.dst.region].data());
        for (size_t i = 0; i < c.data.size(); ++i, ++sh) {
          if (sh->inFlight)
            return fail(&op, "a TMA load landed on workgroup memory a wgmma group in flight "
                              "reads");
          // Written by the async proxy, for the async proxy (wgmma) and, after
          // this wait, for every thread: no epoch or fence to track.
          sh->writeEpoch = 0;
          sh->writer = sh->lastWriter = -1;
          sh->seq = 0;
        }
        std::memcpy(c.to, c.data.data(), c.data.size());
        b->tx -= int64_t(c.data.size());
      }
      b->loads.clear();
      if (!complete(&op, *b))
        return false;
      if ((b->phase & 1) == parity)
        return fail(&op, "an mbarrier wait nothing earlier in the program completes (" +
                             std::to_string(b->pending) + " arrivals and " +
                             std::to_string(b->tx) +
                             " transaction bytes missing; the emulator runs threads in "
                             "lockstep and cannot wait for threads behind)");
    }
    return true;
  }
  handled = false;
  return true;
}

/// A 2-D box of a tensor map (TensorMap) into workgroup memory at `dst`,
/// rows of box[0] elements one after the other, the 16-byte chunks of each
/// 128-byte row XORed with address bits 7-9 (128-byte swizzle); elements
/// outside the tensor are zero. Read now, landed when a wait on its
/// mbarrier's phase needs it.
bool Emulator::execTmaLoad(nvgpu::TmaAsyncLoadOp op, const Lanes &lanes) {
  if (op.getMulticastMask())
    return fail(op, "a multicast TMA load (the emulator runs one block at a time)");
  auto coords = op.getCoordinates();
  if (coords.size() != 2)
    return fail(op, "a TMA load of a rank other than 2");
  for (int32_t l : lanes) {
    if (op.getPredicate() && !(bits(op.getPredicate(), l) & 1))
      continue;
    auto *map = reinterpret_cast<const TensorMap *>(uintptr_t(bits(op.getTensorMapDescriptor(), l)));
    if (!map || map->magic != TensorMap::kMagic)
      return fail(op, "a TMA load whose tensor map the emulating driver did not encode");
    const Mem &dst = mem(op.getDst(), l);
    if (dst.region < 0)
      return fail(op, "a TMA load into memory that is not workgroup memory");
    MBarrier *b = barrier(op, op.getBarriers(), op.getMbarId(), l);
    if (!b || !b->initialized)
      return b ? fail(op, "a TMA load on an mbarrier never initialized") : false;
    int64_t x0 = integer(coords[0], l), y0 = integer(coords[1], l);
    int64_t e = map->elementBytes, rowBytes = int64_t(map->box[0]) * e;
    int64_t boxBytes = rowBytes * map->box[1];
    uint8_t *start = dst.base + dst.offset * dst.elementBytes;
    int64_t address = sharedBase[dst.region] + (start - regions[dst.region].data());
    if (start < dst.lo || start + boxBytes > dst.hi)
      return fail(op, "a TMA box past the end of its workgroup buffer");
    if (map->swizzleBytes == 128 && (address % 1024 != 0 || rowBytes > 128))
      return fail(op, "a 128-byte-swizzled TMA box must start on 1024 bytes and have rows "
                      "of at most 128 bytes");
    if (map->swizzleBytes != 0 && map->swizzleBytes != 128)
      return fail(op, "a TMA swizzle the emulator does not know");
    // Element by element, each a 2-byte copy into its swizzled place: one
    // Copy per box row chunk would do, but the box is small.
    for (int64_t r = 0; r < map->box[1]; ++r)
      for (int64_t c = 0; c < map->box[0]; ++c) {
        int64_t at = address + r * rowBytes + c * e;
        if (map->swizzleBytes == 128)
          at ^= ((at >> 7) & 7) << 4;
        Copy copy;
        copy.dst = dst;
        copy.lane = l;
        copy.to = regions[dst.region].data() + (at - sharedBase[dst.region]);
        copy.data.assign(e, 0);
        int64_t x = x0 + c, y = y0 + r;
        if (x >= 0 && y >= 0 && uint64_t(x) < map->dims[0] && uint64_t(y) < map->dims[1])
          std::memcpy(copy.data.data(),
                      reinterpret_cast<const uint8_t *>(uintptr_t(map->address)) +
                          y * map->rowBytes + x * e,
                      e);
        // It may land from now on: its bytes must not be in use.
        Shadow *sh = shadows[dst.region].data() + (copy.to - regions[dst.region].data());
        for (int64_t i = 0; i < e; ++i, ++sh) {
          if (sh->inFlight)
            return fail(op, "a TMA load into workgroup memory a wgmma group in flight reads "
                            "(no wait on the stage's release?)");
          if (sh->readEpoch == epoch && sh->reader != l / kWarp && sh->reader != -1)
            return fail(op, "race: a TMA load into workgroup memory another warp read since "
                            "the last barrier");
        }
        b->loads.push_back(std::move(copy));
      }
  }
  return true;
}

} // namespace tilec::emulator::detail
