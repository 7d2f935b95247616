//===- WarpOps.cpp - ids, barriers, shuffles, ldmatrix, mma.sync -----------===//
//
// See Emulator.h.
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/Emulator.h"

namespace tilec::emulator::detail {


bool Emulator::warpsWhole(Operation *op, const Lanes &lanes) {
  std::vector<int> count((threads + kWarp - 1) / kWarp, 0);
  for (int32_t l : lanes)
    ++count[l / kWarp];
  for (size_t w = 0; w < count.size(); ++w) {
    int present = std::min<int>(kWarp, threads - int(w) * kWarp);
    if (count[w] != 0 && count[w] != present)
      return fail(op, "a warp-wide op reached by " + std::to_string(count[w]) + " of warp " +
                          std::to_string(w) + "'s " + std::to_string(present) + " lanes");
  }
  return true;
}

bool Emulator::retire(Operation *op, int32_t lane, size_t keep) {
  auto &groups = committed[lane];
  while (groups.size() > keep) {
    for (Copy &c : groups.front()) {
      if (!touch(op, c.dst, c.to, c.data.size(), c.lane, true, c.data.data()))
        return false;
      std::memcpy(c.to, c.data.data(), c.data.size());
    }
    groups.pop_front();
  }
  return true;
}

bool Emulator::execLdmatrix(nvgpu::LdMatrixOp op, const Lanes &lanes) {
  if (!warpsWhole(op, lanes))
    return false;
  // Each of the numTiles 8x8 matrices of 16-bit values is 8 rows of 16
  // bytes, row r from the address lane 8 m + r gives; a lane receives 32
  // bits of each: row lane / 4, bytes 4 (lane % 4) .. + 3 (two 16-bit values,
  // or one 32-bit value, as tf32 operands are loaded), or with .trans the
  // 16-bit values (2 (lane % 4) + e, lane / 4).
  VectorType vt = op.getRes().getType();
  int64_t tiles = op.getNumTiles();
  unsigned bitsPer = bitWidth(vt.getElementType());
  int64_t perLane = 32 / bitsPer, perRow = 128 / bitsPer;
  if ((bitsPer != 16 && bitsPer != 32) || vt.getNumElements() != perLane * tiles ||
      (op.getTranspose() && bitsPer != 16))
    return fail(op, "an ldmatrix the emulator does not know (16-bit values, or 32-bit "
                    "without .trans)");
  Slot &out = slot(op.getRes());
  DenseSet<int32_t> warps;
  for (int32_t l : lanes)
    warps.insert(l / kWarp);
  for (int32_t w : warps) {
    uint64_t rows[4][8][8];
    for (int64_t m = 0; m < tiles; ++m)
      for (int64_t r = 0; r < 8; ++r) {
        int32_t lane = w * kWarp + int32_t(8 * m + r);
        if (lane >= threads)
          return fail(op, "ldmatrix rows from lanes past the workgroup");
        if (!load(op, mem(op.getSrcMemref(), lane), indices(op.getIndices(), lane), perRow, lane,
                  rows[m][r]))
          return false;
      }
    for (int32_t i = 0; i < kWarp && w * kWarp + i < threads; ++i) {
      uint64_t *o = out.at(w * kWarp + i);
      for (int64_t m = 0; m < tiles; ++m)
        for (int64_t e = 0; e < perLane; ++e)
          o[perLane * m + e] = op.getTranspose() ? rows[m][2 * (i % 4) + e][i / 4]
                                                 : rows[m][i / 4][perLane * (i % 4) + e];
    }
  }
  return true;
}

/// One warp's mma.sync m16n8k16 (16-bit operands) or m16n8k8 (tf32), f32
/// accumulators, from each lane's 32-bit registers of A (4) and B (2) and its
/// 4 accumulator floats (PTX ISA fragment layouts; a register of 16-bit
/// values holds two, the first in its low half).
bool Emulator::execMma(Operation *op, const Lanes &lanes, const Register &aWord,
                       const Register &bWord, const Register &cBits, int64_t k, Type input,
                       Value result) {
  if (!warpsWhole(op, lanes))
    return false;
  DenseSet<int32_t> warps;
  for (int32_t l : lanes)
    warps.insert(l / kWarp);
  bool tf32 = k == 8;
  auto value = [&](uint64_t w, int part) -> double {
    if (tf32)
      return half::floatOf(uint32_t(w) & 0xFFFFE000u); // tf32 keeps 10 mantissa bits
    uint16_t h = uint16_t(w >> (16 * part));
    return input.isBF16() ? half::fromBF16(h) : half::fromF16(h);
  };
  Slot &out = slot(result);
  for (int32_t w : warps) {
    double a[16][16] = {}, b[16][8] = {}, c[16][8] = {};
    for (int32_t i = 0; i < kWarp; ++i) {
      int32_t lane = w * kWarp + i;
      if (lane >= threads)
        return fail(op, "mma.sync in a warp past the workgroup's threads");
      int g = i / 4, t = i % 4;
      for (int64_t r = 0; r < 4; ++r) {
        uint64_t x = aWord(lane, r);
        if (tf32)
          a[g + 8 * (r % 2)][t + 4 * (r / 2)] = value(x, 0);
        else
          for (int e = 0; e < 2; ++e)
            a[g + 8 * (r % 2)][2 * t + e + 8 * (r / 2)] = value(x, e);
      }
      for (int64_t r = 0; r < 2; ++r) {
        uint64_t x = bWord(lane, r);
        if (tf32)
          b[t + 4 * r][g] = value(x, 0);
        else
          for (int e = 0; e < 2; ++e)
            b[2 * t + e + 8 * r][g] = value(x, e);
      }
      for (int e = 0; e < 4; ++e)
        c[g + 8 * (e / 2)][2 * t + e % 2] = half::floatOf(uint32_t(cBits(lane, e)));
    }
    for (int32_t i = 0; i < kWarp; ++i) {
      int g = i / 4, t = i % 4;
      uint64_t *o = out.at(w * kWarp + i);
      for (int e = 0; e < 4; ++e) {
        int row = g + 8 * (e / 2), col = 2 * t + e % 2;
        double s = c[row][col];
        for (int kk = 0; kk < k; ++kk)
          s += a[row][kk] * b[kk][col];
        o[e] = half::bitsOf(float(s));
      }
    }
  }
  return true;
}

bool Emulator::execGpu(Operation &op, const Lanes &lanes, bool &handled) {
  handled = true;
  auto dimOf = [](gpu::Dimension d) { return d == gpu::Dimension::x ? 0 : d == gpu::Dimension::y ? 1 : 2; };
  if (auto x = dyn_cast<gpu::ThreadIdOp>(op)) {
    int d = dimOf(x.getDimension());
    for (int32_t l : lanes) {
      int64_t id = d == 0 ? l % launch.block[0]
                  : d == 1 ? l / launch.block[0] % launch.block[1]
                           : l / (launch.block[0] * launch.block[1]);
      slot(x.getResult()).at(l)[0] = uint64_t(id);
    }
    return true;
  }
  if (auto x = dyn_cast<gpu::BlockIdOp>(op)) {
    for (int32_t l : lanes)
      slot(x.getResult()).at(l)[0] = uint64_t(blockId[dimOf(x.getDimension())]);
    return true;
  }
  if (auto x = dyn_cast<gpu::BlockDimOp>(op)) {
    for (int32_t l : lanes)
      slot(x.getResult()).at(l)[0] = uint64_t(launch.block[dimOf(x.getDimension())]);
    return true;
  }
  if (auto x = dyn_cast<gpu::GridDimOp>(op)) {
    for (int32_t l : lanes)
      slot(x.getResult()).at(l)[0] = uint64_t(launch.grid[dimOf(x.getDimension())]);
    return true;
  }
  if (auto x = dyn_cast<gpu::LaneIdOp>(op)) {
    for (int32_t l : lanes)
      slot(x.getResult()).at(l)[0] = uint64_t(l % kWarp);
    return true;
  }
  if (isa<gpu::BarrierOp>(op) || (isa<NVVM::Barrier0Op>(op))) {
    if (int32_t(lanes.size()) != threads)
      return fail(&op, "a barrier reached by " + std::to_string(lanes.size()) + " of " +
                           std::to_string(threads) + " threads");
    ++epoch;
    return true;
  }
  if (auto x = dyn_cast<gpu::ShuffleOp>(op)) {
    if (!warpsWhole(&op, lanes))
      return false;
    Slot &out = slot(x.getShuffleResult()), &valid = slot(x.getValid());
    std::vector<uint64_t> value(threads);
    for (int32_t l : lanes)
      value[l] = bits(x.getValue(), l);
    for (int32_t l : lanes) {
      int64_t offset = integer(x.getOffset(), l), width = integer(x.getWidth(), l);
      int64_t lane = l % kWarp, segment = lane / width * width, src = lane;
      switch (x.getMode()) {
      case gpu::ShuffleMode::XOR: src = lane ^ offset; break;
      case gpu::ShuffleMode::IDX: src = segment + offset; break;
      case gpu::ShuffleMode::DOWN: src = lane + offset; break;
      case gpu::ShuffleMode::UP: src = lane - offset; break;
      }
      bool ok = src >= segment && src < segment + width && l - lane + src < threads;
      out.at(l)[0] = ok ? value[l - lane + src] : value[l];
      valid.at(l)[0] = ok;
    }
    return true;
  }
  if (auto x = dyn_cast<gpu::DynamicSharedMemoryOp>(op)) {
    std::vector<uint8_t> &r = regions.back();
    for (int32_t l : lanes) {
      Mem m = descriptor(x.getType(), r.data(), r.data(), r.data() + r.size(),
                         int32_t(regions.size() - 1));
      m.sizes = {int64_t(r.size())};
      m.strides = {1};
      mem(x.getResult(), l) = m;
    }
    return true;
  }
  if (auto x = dyn_cast<nvgpu::LdMatrixOp>(op))
    return execLdmatrix(x, lanes);
  if (auto x = dyn_cast<nvgpu::MmaSyncOp>(op)) {
    SmallVector<int64_t> shape;
    for (Attribute a : x.getMmaShape())
      shape.push_back(cast<IntegerAttr>(a).getInt());
    Type input = elementOf(x.getMatrixA().getType());
    if (shape[0] != 16 || shape[1] != 8 || (shape[2] != 16 && shape[2] != 8) ||
        !elementOf(x.getMatrixC().getType()).isF32())
      return fail(&op, "an mma.sync shape the emulator does not know");
    // nvgpu's fragments: A [4 x 2] (or [4 x 1] tf32), B [2 x 2] (or
    // [2 x 1]), C [2 x 2]: a row per register.
    bool tf32 = shape[2] == 8;
    auto word = [&](Value v) {
      return [this, v, tf32](int32_t lane, int64_t r) -> uint64_t {
        const uint64_t *p = slot(v).at(lane);
        return tf32 ? p[r] : (p[2 * r] & 0xFFFF) | ((p[2 * r + 1] & 0xFFFF) << 16);
      };
    };
    Value c = x.getMatrixC();
    return execMma(&op, lanes, word(x.getMatrixA()), word(x.getMatrixB()),
                   [this, c](int32_t lane, int64_t e) { return slot(c).at(lane)[e]; }, shape[2],
                   input, x.getRes());
  }
  if (auto x = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
    StringRef name = x.getIntrin();
    if (name == "llvm.nvvm.ex2.approx.ftz.f" || name == "llvm.nvvm.ex2.approx.f") {
      for (int32_t l : lanes) {
        float v = half::floatOf(uint32_t(bits(op.getOperand(0), l)));
        float e = std::exp2(v);
        if (name.ends_with("ftz.f") && std::fpclassify(e) == FP_SUBNORMAL)
          e = 0;
        slot(op.getResult(0)).at(l)[0] = half::bitsOf(e);
      }
      return true;
    }
    if (name == "llvm.nvvm.mma.m16n8k16.row.col.bf16" ||
        name == "llvm.nvvm.mma.m16n8k16.row.col.f32.f32") {
      if (op.getNumOperands() != 10)
        return fail(&op, "an mma.sync intrinsic with unexpected operands");
      Type input = name.ends_with("bf16") ? Type(BFloat16Type::get(op.getContext()))
                                          : Type(Float16Type::get(op.getContext()));
      // A register: an i32, or a vector of two 16-bit values.
      auto word = [this, &op](int64_t first) {
        return [this, &op, first](int32_t lane, int64_t r) -> uint64_t {
          Slot &s = slot(op.getOperand(first + r));
          return s.width == 1 ? s.at(lane)[0] & 0xFFFFFFFFu
                              : (s.at(lane)[0] & 0xFFFF) | ((s.at(lane)[1] & 0xFFFF) << 16);
        };
      };
      return execMma(&op, lanes, word(0), word(4),
                     [this, &op](int32_t lane, int64_t e) { return bits(op.getOperand(6 + e), lane); },
                     16, input, op.getResult(0));
    }
    return fail(&op, "an intrinsic the emulator does not know: " + name.str());
  }
  if (auto x = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op))
    return execWgmma(x, lanes);
  if (auto x = dyn_cast<nvgpu::TmaAsyncLoadOp>(op))
    return execTmaLoad(x, lanes);
  if (!execMBarrier(op, lanes, handled) || handled)
    return handled && error.empty();
  handled = true;
  if (isa<NVVM::WgmmaFenceAlignedOp>(op))
    return true; // orders register accesses only: the emulator runs in order
  if (isa<NVVM::WgmmaGroupSyncAlignedOp>(op)) {
    DenseSet<int32_t> groups;
    for (int32_t l : lanes)
      groups.insert(l / 128);
    for (int32_t g : groups) {
      wgCommitted[g].push_back(std::move(wgOpen[g]));
      wgOpen[g].clear();
    }
    return true;
  }
  if (auto x = dyn_cast<NVVM::WgmmaWaitGroupSyncOp>(op)) {
    DenseSet<int32_t> groups;
    for (int32_t l : lanes)
      groups.insert(l / 128);
    for (int32_t g : groups)
      retireWarpgroup(g, size_t(x.getGroup()));
    return true;
  }
  if (auto x = dyn_cast<NVVM::FenceProxyOp>(op)) {
    if (x.getKind() != NVVM::ProxyKind::async_shared)
      return fail(&op, "a proxy fence the emulator does not know");
    for (int32_t l : lanes)
      fenced[l / kWarp] = writes;
    return true;
  }
  if (auto x = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op)) {
    int64_t n = x.getDstElements().getZExtValue();
    for (int32_t l : lanes) {
      const Mem &src = mem(x.getSrc(), l), &dst = mem(x.getDst(), l);
      int64_t from = x.getSrcElements() ? integer(x.getSrcElements(), l) : n;
      Copy c;
      c.dst = dst;
      c.lane = l;
      c.to = address(&op, dst, indices(x.getDstIndices(), l), n);
      if (!c.to)
        return false;
      // The copy may land any time from now until its group retires: its
      // bytes must not be in use now.
      if (dst.region >= 0) {
        Shadow *sh = shadows[dst.region].data() + (c.to - regions[dst.region].data());
        for (int64_t b = 0; b < n * dst.elementBytes; ++b, ++sh) {
          if (sh->inFlight)
            return fail(&op, "a cp.async into workgroup memory a wgmma group in flight reads "
                             "(its wait.group comes too late)");
          if (sh->readEpoch == epoch && sh->reader != l / kWarp)
            return fail(&op, "race: a cp.async into workgroup memory another warp read since "
                             "the last barrier");
        }
      }
      c.data.assign(n * dst.elementBytes, 0);
      if (from > 0) {
        uint8_t *p = address(&op, src, indices(x.getSrcIndices(), l), std::min(from, n));
        if (!p)
          return false;
        std::memcpy(c.data.data(), p, std::min(from, n) * src.elementBytes);
      }
      open[l].push_back(std::move(c));
      slot(x.getAsyncToken()).at(l)[0] = 0;
    }
    return true;
  }
  if (isa<NVVM::CpAsyncCommitGroupOp>(op) || isa<nvgpu::DeviceAsyncCreateGroupOp>(op)) {
    for (int32_t l : lanes) {
      committed[l].push_back(std::move(open[l]));
      open[l].clear();
    }
    return true;
  }
  if (auto x = dyn_cast<NVVM::CpAsyncWaitGroupOp>(op)) {
    for (int32_t l : lanes)
      if (!retire(&op, l, size_t(x.getN())))
        return false;
    return true;
  }
  if (auto x = dyn_cast<nvgpu::DeviceAsyncWaitOp>(op)) {
    size_t keep = x.getNumGroups() ? size_t(*x.getNumGroups()) : 0;
    for (int32_t l : lanes)
      if (!retire(&op, l, keep))
        return false;
    return true;
  }
  handled = false;
  return true;
}

} // namespace tilec::emulator::detail
