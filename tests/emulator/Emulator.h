//===- Emulator.h - the lane emulator's state and op handlers -------------===//
//
// Internal to tests/emulator (LaneEmulator.h is the interface). Every SSA
// value of the kernel has a slot holding its bits for every thread of the
// workgroup (lane-major: a thread's elements together); an op runs over the
// list of active threads. Memrefs are descriptors (base, offset, sizes,
// strides) per thread. The op handlers are grouped by file: Emulator.cpp
// (control flow, memory, dispatch), ScalarOps.cpp (arith, math, affine,
// casts), VectorOps.cpp, MemRefOps.cpp, WarpOps.cpp (ids, barriers,
// shuffles, ldmatrix, mma.sync, cp.async), AsyncOps.cpp (wgmma, mbarriers,
// TMA).
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_TESTS_EMULATOR_EMULATOR_H
#define TILEC_TESTS_EMULATOR_EMULATOR_H

#include "tests/emulator/LaneEmulator.h"

#include "ir/HalfFloat.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"


#include <cmath>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>

namespace tilec::emulator::detail {

using namespace mlir;

using Lanes = std::vector<int32_t>;
constexpr int kWarp = 32;

/// A memref as one thread sees it.
struct Mem {
  uint8_t *base = nullptr; ///< byte address of linear element 0
  int64_t offset = 0;      ///< elements
  SmallVector<int64_t, 4> sizes, strides;
  int64_t elementBytes = 0;
  int32_t region = -1;               ///< workgroup buffer, -1 elsewhere
  uint8_t *lo = nullptr, *hi = nullptr; ///< the allocation's bytes
};

struct Slot {
  int64_t width = 1;
  std::vector<uint64_t> bits; ///< lane * width + i
  std::vector<Mem> mems;      ///< memrefs: one per lane
  uint64_t *at(int32_t lane) { return bits.data() + int64_t(lane) * width; }
};

/// Who last touched a byte of workgroup memory, and in which barrier epoch.
struct Shadow {
  uint32_t writeEpoch = 0, readEpoch = 0;
  int32_t writer = -1, reader = -1; ///< warps; -2: several
  int32_t lastWriter = -1;          ///< the warp that wrote last
  uint32_t inFlight = 0;            ///< wgmma groups in flight that read it
  uint64_t seq = 0;                 ///< when it was last written (generic proxy)
};

/// Bytes of workgroup memory a wgmma group reads while in flight.
struct Span {
  int32_t region;
  int64_t offset, bytes;
};

/// A cp.async copy waiting for its group's retirement.
struct Copy {
  Mem dst;
  uint8_t *to = nullptr;
  std::vector<uint8_t> data;
  int32_t lane = 0;
};

/// An mbarrier (nvgpu's groups of them): arrivals still expected in the
/// current phase, transaction bytes still expected, completed phases, and
/// the TMA loads that complete its transactions (landed when a wait needs
/// them).
struct MBarrier {
  int64_t count = 0, pending = 0, tx = 0, phase = 0;
  bool initialized = false;
  std::vector<Copy> loads;
};

inline int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

inline ArrayRef<int64_t> shapeOf(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getShape();
  return {};
}

inline int64_t widthOf(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getNumElements();
  if (auto s = dyn_cast<LLVM::LLVMStructType>(t))
    return std::max<int64_t>(1, s.getBody().size());
  return 1;
}

inline Type elementOf(Type t, int64_t i = 0) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getElementType();
  if (auto s = dyn_cast<LLVM::LLVMStructType>(t))
    return s.getBody()[i];
  return t;
}

inline unsigned bitWidth(Type t) {
  if (t.isIndex())
    return 64;
  if (t.isIntOrFloat())
    return t.getIntOrFloatBitWidth();
  return 64;
}

inline int64_t toInt(Type t, uint64_t b) {
  unsigned w = bitWidth(t);
  if (w >= 64)
    return int64_t(b);
  uint64_t m = (uint64_t(1) << w) - 1;
  b &= m;
  if (w > 1 && (b >> (w - 1)) & 1)
    b |= ~m;
  return int64_t(b);
}

inline uint64_t toUnsigned(Type t, uint64_t b) {
  unsigned w = bitWidth(t);
  return w >= 64 ? b : b & ((uint64_t(1) << w) - 1);
}

inline uint64_t fromInt(Type t, int64_t v) { return toUnsigned(t, uint64_t(v)); }

inline double toDouble(Type t, uint64_t b) {
  if (t.isF32())
    return half::floatOf(uint32_t(b));
  if (t.isBF16())
    return half::fromBF16(uint16_t(b));
  if (t.isF16())
    return half::fromF16(uint16_t(b));
  if (t.isF64()) {
    double d;
    std::memcpy(&d, &b, 8);
    return d;
  }
  return double(toInt(t, b));
}

inline uint64_t fromDouble(Type t, double d) {
  if (t.isF32())
    return half::bitsOf(float(d));
  if (t.isBF16())
    return half::toBF16(float(d));
  if (t.isF16())
    return half::toF16(float(d));
  if (t.isF64()) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
  }
  return fromInt(t, int64_t(d));
}

/// Row-major strides of a shape.
inline SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Calls f(index) for every multi-index of `shape`, in row-major order.
inline void forEachIndex(ArrayRef<int64_t> shape, const std::function<void(ArrayRef<int64_t>)> &f) {
  int64_t n = product(shape);
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    f(idx);
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

inline std::string describe(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os, OpPrintingFlags().skipRegions().elideLargeElementsAttrs());
  if (text.size() > 300)
    text = text.substr(0, 300) + "...";
  return text;
}

class Emulator {
public:
  Emulator(gpu::GPUFuncOp func, const Launch &launch, const std::vector<Argument> &args)
      : func(func), launch(launch), args(args) {}

  bool run(std::string &errorOut);

private:
  gpu::GPUFuncOp func;
  const Launch &launch;
  const std::vector<Argument> &args;
  int32_t threads = 1;
  int64_t blockId[3] = {0, 0, 0};
  DenseMap<Value, unsigned> ids;
  std::vector<Slot> slots;
  std::vector<std::vector<uint8_t>> regions;
  std::vector<std::vector<Shadow>> shadows;
  uint32_t epoch = 1;
  std::vector<std::unique_ptr<uint8_t[]>> privates;
  std::vector<std::vector<Copy>> open;                   ///< per lane
  std::vector<std::deque<std::vector<Copy>>> committed;  ///< per lane
  /// Shared-window address of each workgroup buffer (the attributions in
  /// order, then the dynamic shared memory), as the descriptors of wgmma see.
  std::vector<int64_t> sharedBase;
  /// Per warpgroup: the spans of its wgmma instructions since the last
  /// commit, and its committed groups in flight.
  std::vector<std::vector<Span>> wgOpen;
  std::vector<std::deque<std::vector<Span>>> wgCommitted;
  /// Generic-proxy writes are numbered; a warp's fence.proxy.async makes its
  /// writes up to then visible to wgmma's reads.
  uint64_t writes = 0;
  std::vector<uint64_t> fenced; ///< per warp
  std::vector<MBarrier> mbarriers; ///< this block's
  DenseMap<Operation *, std::vector<uint64_t>> constants;
  /// memref.global constants, as bytes (the first get_global reads them).
  DenseMap<Operation *, std::vector<uint8_t>> globals;
  std::string error;
  bool returned = false;

  bool fail(Operation *op, const std::string &what) {
    if (error.empty())
      error = "block " + std::to_string(blockId[0]) + ": " + what + "\n  at " + describe(op);
    return false;
  }

  Slot &slot(Value v) { return slots[ids.find(v)->second]; }
  uint64_t bits(Value v, int32_t lane, int64_t i = 0) { return slot(v).at(lane)[i]; }
  int64_t integer(Value v, int32_t lane) { return toInt(v.getType(), bits(v, lane)); }
  Mem &mem(Value v, int32_t lane) { return slot(v).mems[lane]; }

  void number(Value v) {
    if (ids.count(v))
      return;
    ids[v] = slots.size();
    Slot s;
    s.width = widthOf(v.getType());
    if (isa<MemRefType>(v.getType()))
      s.mems.resize(threads);
    else
      s.bits.assign(size_t(threads) * s.width, 0);
    slots.push_back(std::move(s));
  }

  void copyLanes(Value to, Value from, const Lanes &lanes) {
    if (to == from)
      return;
    Slot &d = slot(to), &s = slot(from);
    for (int32_t l : lanes) {
      if (!d.mems.empty())
        d.mems[l] = s.mems[l];
      else
        std::memcpy(d.at(l), s.at(l), sizeof(uint64_t) * d.width);
    }
  }

  // --- memory -------------------------------------------------------------

  /// The address of `idx` in `m` for `count` consecutive elements along the
  /// last dim (checked against the shape and the allocation), or null.
  uint8_t *address(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count);

  /// Race bookkeeping of `bytes` at `p` in `m` (workgroup memory only) for a
  /// read or a write (`data`: the bytes written) by `lane`.
  bool touch(Operation *op, const Mem &m, uint8_t *p, int64_t bytes, int32_t lane, bool write,
             const uint8_t *data = nullptr);

  /// `count` elements along the last dim at `idx` into `out` (one per
  /// uint64), checked.
  bool load(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count, int32_t lane,
            uint64_t *out);

  /// `count` elements from `in` to `idx`, checked.
  bool store(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count, int32_t lane,
             const uint64_t *in);

  /// Index operands' values for `lane`.
  SmallVector<int64_t, 4> indices(ValueRange values, int32_t lane);

  /// A descriptor of `type` over bytes at `base` (in [lo, hi)).
  Mem descriptor(MemRefType type, uint8_t *base, uint8_t *lo, uint8_t *hi, int32_t region);


  // --- execution ----------------------------------------------------------

  bool runBlock(Block &block, const Lanes &lanes, SmallVectorImpl<Value> *yielded);
  bool exec(Operation &op, const Lanes &lanes);
  bool execFor(scf::ForOp op, const Lanes &lanes);
  bool execIf(scf::IfOp op, const Lanes &lanes);
  bool execElementwise(Operation &op, const Lanes &lanes, bool &handled);
  bool execVector(Operation &op, const Lanes &lanes, bool &handled);
  bool execTransfer(VectorTransferOpInterface x, const Lanes &lanes);
  int64_t position(Operation *op, ArrayRef<int64_t> shape, ArrayRef<int64_t> pos,
                   ValueRange dynamic, int32_t lane);
  bool execMemory(Operation &op, const Lanes &lanes, bool &handled);
  bool execGpu(Operation &op, const Lanes &lanes, bool &handled);
  bool execLdmatrix(nvgpu::LdMatrixOp op, const Lanes &lanes);
  using Register = std::function<uint64_t(int32_t lane, int64_t index)>;
  bool execMma(Operation *op, const Lanes &lanes, const Register &aWord, const Register &bWord,
               const Register &cBits, int64_t k, Type input, Value result);
  bool warpsWhole(Operation *op, const Lanes &lanes);
  bool retire(Operation *op, int32_t lane, size_t keep);
  bool execWgmma(NVVM::WgmmaMmaAsyncOp op, const Lanes &lanes);
  bool execMBarrier(Operation &op, const Lanes &lanes, bool &handled);
  bool execTmaLoad(nvgpu::TmaAsyncLoadOp op, const Lanes &lanes);
  MBarrier *barrier(Operation *op, Value group, Value id, int32_t lane);
  bool complete(Operation *op, MBarrier &b);
  bool retireWarpgroup(int32_t group, size_t keep);
  uint8_t *shared(Operation *op, int64_t address, int64_t bytes, int32_t &region);
  const std::vector<uint64_t> &constant(Operation *op, Attribute value, Type type);
};

} // namespace tilec::emulator::detail

#endif // TILEC_TESTS_EMULATOR_EMULATOR_H
