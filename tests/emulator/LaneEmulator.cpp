//===- LaneEmulator.cpp - GPU kernels run lane by lane on the CPU ---------===//
//
// See LaneEmulator.h. Every SSA value of the kernel has a slot holding its
// bits for every thread of the workgroup (lane-major: a thread's elements
// together); an op runs over the list of active threads. Memrefs are
// descriptors (base, offset, sizes, strides) per thread.
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/LaneEmulator.h"

#include "ir/HalfFloat.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>

using namespace mlir;

namespace tilec::emulator {
namespace {

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

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

ArrayRef<int64_t> shapeOf(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getShape();
  return {};
}

int64_t widthOf(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getNumElements();
  if (auto s = dyn_cast<LLVM::LLVMStructType>(t))
    return std::max<int64_t>(1, s.getBody().size());
  return 1;
}

Type elementOf(Type t, int64_t i = 0) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getElementType();
  if (auto s = dyn_cast<LLVM::LLVMStructType>(t))
    return s.getBody()[i];
  return t;
}

unsigned bitWidth(Type t) {
  if (t.isIndex())
    return 64;
  if (t.isIntOrFloat())
    return t.getIntOrFloatBitWidth();
  return 64;
}

int64_t toInt(Type t, uint64_t b) {
  unsigned w = bitWidth(t);
  if (w >= 64)
    return int64_t(b);
  uint64_t m = (uint64_t(1) << w) - 1;
  b &= m;
  if (w > 1 && (b >> (w - 1)) & 1)
    b |= ~m;
  return int64_t(b);
}

uint64_t toUnsigned(Type t, uint64_t b) {
  unsigned w = bitWidth(t);
  return w >= 64 ? b : b & ((uint64_t(1) << w) - 1);
}

uint64_t fromInt(Type t, int64_t v) { return toUnsigned(t, uint64_t(v)); }

double toDouble(Type t, uint64_t b) {
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

uint64_t fromDouble(Type t, double d) {
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
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Calls f(index) for every multi-index of `shape`, in row-major order.
void forEachIndex(ArrayRef<int64_t> shape, const std::function<void(ArrayRef<int64_t>)> &f) {
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

std::string describe(Operation *op) {
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
  uint8_t *address(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count) {
    if (idx.size() != m.sizes.size())
      return fail(op, "indices of the wrong rank"), nullptr;
    int64_t linear = m.offset;
    for (size_t d = 0; d < idx.size(); ++d) {
      int64_t last = idx[d] + (d + 1 == idx.size() ? count - 1 : 0);
      if (idx[d] < 0 || last >= m.sizes[d]) {
        std::string at;
        for (int64_t i : idx)
          at += (at.empty() ? "" : ", ") + std::to_string(i);
        return fail(op, "access [" + at + "] (" + std::to_string(count) +
                            " elements) outside the memref's shape"),
               nullptr;
      }
      linear += idx[d] * m.strides[d];
    }
    uint8_t *p = m.base + linear * m.elementBytes;
    if (p < m.lo || p + count * m.elementBytes > m.hi)
      return fail(op, "access outside the allocation"), nullptr;
    return p;
  }

  bool touch(Operation *op, const Mem &m, uint8_t *p, int64_t bytes, int32_t lane, bool write,
             const uint8_t *data = nullptr) {
    if (m.region < 0)
      return true;
    int32_t warp = lane / kWarp;
    if (write)
      ++writes;
    Shadow *s = shadows[m.region].data() + (p - regions[m.region].data());
    for (int64_t b = 0; b < bytes; ++b, ++s) {
      if (write) {
        if (s->inFlight)
          return fail(op, "warp " + std::to_string(warp) +
                              " overwrites workgroup memory a wgmma group in flight reads (its "
                              "wait.group comes too late)");
        if (s->writeEpoch == epoch && s->writer != warp && p[b] != data[b])
          return fail(op, "race: warp " + std::to_string(warp) +
                              " overwrites workgroup memory warp " + std::to_string(s->writer) +
                              " wrote since the last barrier");
        if (s->readEpoch == epoch && s->reader != warp)
          return fail(op, "race: warp " + std::to_string(warp) +
                              " writes workgroup memory another warp read since the last "
                              "barrier");
        s->writer = s->writeEpoch == epoch && s->writer != warp ? -2 : warp;
        s->writeEpoch = epoch;
        s->lastWriter = warp;
        s->seq = writes;
      } else {
        if (s->writeEpoch == epoch && s->writer != warp)
          return fail(op, "race: warp " + std::to_string(warp) +
                              " reads workgroup memory another warp wrote since the last "
                              "barrier (a barrier missing?)");
        s->reader = s->readEpoch == epoch && s->reader != warp ? -2 : warp;
        s->readEpoch = epoch;
      }
    }
    return true;
  }

  bool load(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count, int32_t lane,
            uint64_t *out) {
    uint8_t *p = address(op, m, idx, count);
    if (!p || !touch(op, m, p, count * m.elementBytes, lane, false))
      return false;
    for (int64_t i = 0; i < count; ++i) {
      out[i] = 0;
      std::memcpy(&out[i], p + i * m.elementBytes, m.elementBytes);
    }
    return true;
  }

  bool store(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count, int32_t lane,
             const uint64_t *in) {
    uint8_t *p = address(op, m, idx, count);
    if (!p)
      return false;
    SmallVector<uint8_t, 64> data(count * m.elementBytes);
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(data.data() + i * m.elementBytes, &in[i], m.elementBytes);
    if (!touch(op, m, p, data.size(), lane, true, data.data()))
      return false;
    std::memcpy(p, data.data(), data.size());
    return true;
  }

  SmallVector<int64_t, 4> indices(ValueRange values, int32_t lane) {
    SmallVector<int64_t, 4> out;
    for (Value v : values)
      out.push_back(integer(v, lane));
    return out;
  }

  Mem descriptor(MemRefType type, uint8_t *base, uint8_t *lo, uint8_t *hi, int32_t region) {
    Mem m;
    m.base = base;
    m.lo = lo;
    m.hi = hi;
    m.region = region;
    m.sizes.assign(type.getShape().begin(), type.getShape().end());
    m.elementBytes = (bitWidth(type.getElementType()) + 7) / 8;
    int64_t offset;
    SmallVector<int64_t> strides;
    if (succeeded(getStridesAndOffset(type, strides, offset)) && !ShapedType::isDynamic(offset) &&
        llvm::none_of(strides, ShapedType::isDynamic)) {
      m.strides.assign(strides.begin(), strides.end());
      m.offset = offset;
    } else {
      m.strides = stridesOf(m.sizes);
    }
    return m;
  }

  // --- execution ----------------------------------------------------------

  bool runBlock(Block &block, const Lanes &lanes, SmallVectorImpl<Value> *yielded);
  bool exec(Operation &op, const Lanes &lanes);
  bool execFor(scf::ForOp op, const Lanes &lanes);
  bool execIf(scf::IfOp op, const Lanes &lanes);
  bool execElementwise(Operation &op, const Lanes &lanes, bool &handled);
  bool execVector(Operation &op, const Lanes &lanes, bool &handled);
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

bool Emulator::run(std::string &errorOut) {
  threads = int32_t(launch.block[0] * launch.block[1] * launch.block[2]);
  // Number every value once; slots are reused by every workgroup.
  for (BlockArgument a : func.getArguments())
    number(a);
  func.walk([&](Operation *op) {
    for (Region &r : op->getRegions())
      for (Block &b : r)
        for (BlockArgument a : b.getArguments())
          number(a);
    for (Value v : op->getResults())
      number(v);
  });
  if (func.getNumArguments() != args.size()) {
    errorOut = "the kernel takes " + std::to_string(func.getNumArguments()) +
               " arguments; the launch passed " + std::to_string(args.size());
    return false;
  }
  Lanes all(threads);
  for (int32_t l = 0; l < threads; ++l)
    all[l] = l;
  // Workgroup attributions (static) and the dynamic shared memory.
  SmallVector<BlockArgument> workgroup(func.getWorkgroupAttributions());
  regions.resize(workgroup.size() + 1);
  shadows.resize(workgroup.size() + 1);
  for (size_t i = 0; i < workgroup.size(); ++i) {
    auto type = cast<MemRefType>(workgroup[i].getType());
    int64_t bytes = type.getNumElements() * ((bitWidth(type.getElementType()) + 7) / 8);
    regions[i].resize(bytes);
    shadows[i].resize(bytes);
  }
  regions.back().resize(launch.dynamicSharedBytes);
  shadows.back().resize(launch.dynamicSharedBytes);
  // The shared window: static buffers first, each aligned as its llvm.align
  // says (at least 16 bytes), then the dynamic shared memory (16-byte
  // aligned, as MLIR declares it): where the hardware's 128-byte swizzle
  // takes its address bits from.
  int64_t window = 0;
  for (size_t i = 0; i < regions.size(); ++i) {
    int64_t align = 16;
    if (i < workgroup.size())
      if (auto a = func.getWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName()))
        align = std::max<int64_t>(align, cast<IntegerAttr>(a).getInt());
    window = (window + align - 1) / align * align;
    sharedBase.push_back(window);
    window += int64_t(regions[i].size());
  }
  int32_t groups = (threads + 127) / 128;
  fenced.assign((threads + kWarp - 1) / kWarp, 0);
  for (int64_t b = 0; b < launch.grid[0] * launch.grid[1] * launch.grid[2]; ++b) {
    blockId[0] = b % launch.grid[0];
    blockId[1] = b / launch.grid[0] % launch.grid[1];
    blockId[2] = b / (launch.grid[0] * launch.grid[1]);
    ++epoch;
    for (auto &r : regions)
      std::fill(r.begin(), r.end(), 0xFF);
    privates.clear();
    open.assign(threads, {});
    committed.assign(threads, {});
    mbarriers.clear();
    wgOpen.assign(groups, {});
    wgCommitted.assign(groups, {});
    for (int32_t l = 0; l < threads; ++l) {
      for (size_t i = 0; i < args.size(); ++i) {
        if (isa<LLVM::LLVMPointerType>(func.getArgument(i).getType())) {
          slot(func.getArgument(i)).at(l)[0] = uint64_t(reinterpret_cast<uintptr_t>(args[i].data));
          continue;
        }
        auto type = dyn_cast<MemRefType>(func.getArgument(i).getType());
        if (!type) {
          errorOut = "argument " + std::to_string(i) + " is neither a memref nor a pointer";
          return false;
        }
        slot(func.getArgument(i)).mems[l] =
            descriptor(type, args[i].data, args[i].data, args[i].data + args[i].bytes, -1);
      }
      for (size_t i = 0; i < workgroup.size(); ++i) {
        uint8_t *p = regions[i].data();
        slot(workgroup[i]).mems[l] = descriptor(cast<MemRefType>(workgroup[i].getType()), p, p,
                                                p + regions[i].size(), int32_t(i));
      }
      for (BlockArgument a : func.getPrivateAttributions()) {
        auto type = cast<MemRefType>(a.getType());
        int64_t bytes = type.getNumElements() * ((bitWidth(type.getElementType()) + 7) / 8);
        privates.emplace_back(new uint8_t[bytes]);
        std::memset(privates.back().get(), 0xFF, bytes);
        uint8_t *p = privates.back().get();
        slot(a).mems[l] = descriptor(type, p, p, p + bytes, -1);
      }
    }
    returned = false;
    if (!runBlock(func.getBody().front(), all, nullptr)) {
      errorOut = func.getName().str() + ": " + error;
      return false;
    }
    // Groups a block left in flight end with it.
    for (int32_t g = 0; g < groups; ++g) {
      wgCommitted[g].push_back(std::move(wgOpen[g]));
      wgOpen[g].clear();
      retireWarpgroup(g, 0);
    }
  }
  return true;
}

bool Emulator::runBlock(Block &block, const Lanes &lanes, SmallVectorImpl<Value> *yielded) {
  for (Operation &op : block) {
    if (returned)
      return true;
    if (isa<scf::YieldOp>(op)) {
      if (yielded)
        yielded->assign(op.getOperands().begin(), op.getOperands().end());
      return true;
    }
    if (isa<gpu::ReturnOp>(op)) {
      returned = true;
      return true;
    }
    if (!exec(op, lanes))
      return false;
  }
  return true;
}

bool Emulator::execFor(scf::ForOp op, const Lanes &lanes) {
  Block &body = *op.getBody();
  std::vector<int64_t> trips(threads, 0);
  int64_t most = 0;
  for (int32_t l : lanes) {
    int64_t lb = integer(op.getLowerBound(), l), ub = integer(op.getUpperBound(), l),
            step = integer(op.getStep(), l);
    if (step <= 0)
      return fail(op, "a loop step that is not positive");
    trips[l] = ub > lb ? (ub - lb + step - 1) / step : 0;
    most = std::max(most, trips[l]);
  }
  for (auto [arg, init] : llvm::zip(op.getRegionIterArgs(), op.getInitArgs()))
    copyLanes(arg, init, lanes);
  Lanes active;
  SmallVector<Value> yielded;
  Value iv = op.getInductionVar();
  Slot &ivSlot = slot(iv);
  for (int64_t k = 0; k < most; ++k) {
    active.clear();
    for (int32_t l : lanes)
      if (trips[l] > k)
        active.push_back(l);
    for (int32_t l : active)
      ivSlot.at(l)[0] = fromInt(iv.getType(), integer(op.getLowerBound(), l) +
                                                  k * integer(op.getStep(), l));
    yielded.clear();
    if (!runBlock(body, active, &yielded))
      return false;
    if (returned)
      return fail(op, "a return inside a loop");
    // Through temporaries: a yielded value may be another iter_arg.
    std::vector<Slot> values;
    for (Value y : yielded)
      values.push_back(slot(y));
    for (auto [arg, value] : llvm::zip(op.getRegionIterArgs(), values)) {
      Slot &d = slot(arg);
      for (int32_t l : active) {
        if (!d.mems.empty())
          d.mems[l] = value.mems[l];
        else
          std::memcpy(d.at(l), value.at(l), sizeof(uint64_t) * d.width);
      }
    }
  }
  for (auto [result, arg] : llvm::zip(op.getResults(), op.getRegionIterArgs()))
    copyLanes(result, arg, lanes);
  return true;
}

bool Emulator::execIf(scf::IfOp op, const Lanes &lanes) {
  Lanes yes, no;
  for (int32_t l : lanes)
    (bits(op.getCondition(), l) & 1 ? yes : no).push_back(l);
  for (auto [branch, part] : {std::pair(&op.getThenRegion(), &yes), {&op.getElseRegion(), &no}}) {
    if (part->empty() || branch->empty())
      continue;
    SmallVector<Value> yielded;
    if (!runBlock(branch->front(), *part, &yielded))
      return false;
    if (returned)
      return fail(op, "a return inside a conditional");
    for (auto [result, y] : llvm::zip(op.getResults(), yielded))
      copyLanes(result, y, *part);
  }
  return true;
}

const std::vector<uint64_t> &Emulator::constant(Operation *op, Attribute value, Type type) {
  auto [it, inserted] = constants.try_emplace(op);
  if (!inserted)
    return it->second;
  std::vector<uint64_t> &out = it->second;
  int64_t n = widthOf(type);
  Type e = elementOf(type);
  auto scalar = [&](Attribute a) -> uint64_t {
    if (auto i = dyn_cast<IntegerAttr>(a))
      return fromInt(e, i.getValue().getSExtValue());
    if (auto f = dyn_cast<FloatAttr>(a))
      return f.getValue().bitcastToAPInt().getZExtValue();
    if (auto b = dyn_cast<BoolAttr>(a))
      return b.getValue();
    return 0;
  };
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    for (Attribute a : dense.getValues<Attribute>())
      out.push_back(scalar(a));
    if (dense.isSplat())
      out.assign(n, out.empty() ? 0 : out[0]);
  } else {
    out.assign(n, scalar(value));
  }
  out.resize(n, 0);
  return out;
}

bool Emulator::exec(Operation &op, const Lanes &lanes) {
  if (lanes.empty())
    return true;
  if (auto f = dyn_cast<scf::ForOp>(op))
    return execFor(f, lanes);
  if (auto i = dyn_cast<scf::IfOp>(op))
    return execIf(i, lanes);
  bool handled = false;
  if (!execElementwise(op, lanes, handled) || handled)
    return handled && error.empty();
  if (!execVector(op, lanes, handled) || handled)
    return handled && error.empty();
  if (!execMemory(op, lanes, handled) || handled)
    return handled && error.empty();
  if (!execGpu(op, lanes, handled) || handled)
    return handled && error.empty();
  return fail(&op, "the emulator does not know " + op.getName().getStringRef().str());
}

// --- arith, math, affine, llvm scalars ---------------------------------------

double applyUnary(StringRef name, double x, bool &known) {
  known = true;
  if (name == "arith.negf")
    return -x;
  if (name == "math.exp")
    return std::exp(float(x));
  if (name == "math.exp2")
    return std::exp2(float(x));
  if (name == "math.expm1")
    return std::expm1(float(x));
  if (name == "math.log")
    return std::log(float(x));
  if (name == "math.log2")
    return std::log2(float(x));
  if (name == "math.log1p")
    return std::log1p(float(x));
  if (name == "math.sqrt")
    return std::sqrt(float(x));
  if (name == "math.rsqrt")
    return 1.0f / std::sqrt(float(x));
  if (name == "math.tanh")
    return std::tanh(float(x));
  if (name == "math.erf")
    return std::erf(float(x));
  if (name == "math.floor")
    return std::floor(x);
  if (name == "math.ceil")
    return std::ceil(x);
  if (name == "math.absf")
    return std::fabs(x);
  if (name == "math.sin")
    return std::sin(float(x));
  if (name == "math.cos")
    return std::cos(float(x));
  if (name == "math.trunc")
    return std::trunc(x);
  if (name == "math.round")
    return std::round(x);
  if (name == "math.roundeven")
    return std::nearbyint(x);
  known = false;
  return 0;
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
  bool known = false;
  applyUnary(name, 0, known);
  if (known) {
    for (int32_t l : lanes)
      for (int64_t i = 0; i < n; ++i)
        out.at(l)[i] = fromDouble(re, applyUnary(name, toDouble(re, operandElement(op.getOperand(0), l, i)), known));
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

// --- vector ops ---------------------------------------------------------------

bool Emulator::execVector(Operation &op, const Lanes &lanes, bool &handled) {
  handled = true;
  if (op.getNumResults() == 1 && !isa<MemRefType>(op.getResult(0).getType())) {
    Value r = op.getResult(0);
    Slot &out = slot(r);
    int64_t n = out.width;
    if (auto x = dyn_cast<vector::ExtractOp>(op)) {
      ArrayRef<int64_t> shape = shapeOf(x.getVector().getType());
      SmallVector<int64_t> strides = stridesOf(shape);
      ArrayRef<int64_t> pos = x.getStaticPosition();
      for (int32_t l : lanes) {
        int64_t offset = 0;
        unsigned dyn = 0;
        for (size_t d = 0; d < pos.size(); ++d) {
          int64_t p = ShapedType::isDynamic(pos[d]) ? integer(x.getDynamicPosition()[dyn++], l) : pos[d];
          if (p < 0 || p >= shape[d])
            return fail(&op, "an extract position out of range");
          offset += p * strides[d];
        }
        std::memcpy(out.at(l), slot(x.getVector()).at(l) + offset, sizeof(uint64_t) * n);
      }
      return true;
    }
    if (auto x = dyn_cast<vector::InsertOp>(op)) {
      ArrayRef<int64_t> shape = shapeOf(x.getDest().getType());
      SmallVector<int64_t> strides = stridesOf(shape);
      ArrayRef<int64_t> pos = x.getStaticPosition();
      int64_t sn = widthOf(x.getSource().getType());
      for (int32_t l : lanes) {
        std::memcpy(out.at(l), slot(x.getDest()).at(l), sizeof(uint64_t) * n);
        int64_t offset = 0;
        unsigned dyn = 0;
        for (size_t d = 0; d < pos.size(); ++d) {
          int64_t p = ShapedType::isDynamic(pos[d]) ? integer(x.getDynamicPosition()[dyn++], l) : pos[d];
          if (p < 0 || p >= shape[d])
            return fail(&op, "an insert position out of range");
          offset += p * strides[d];
        }
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
    if (auto x = dyn_cast<vector::CreateMaskOp>(op)) {
      ArrayRef<int64_t> rs = shapeOf(r.getType());
      for (int32_t l : lanes) {
        int64_t k = 0;
        SmallVector<int64_t> bounds = indices(x.getOperands(), l);
        forEachIndex(rs, [&](ArrayRef<int64_t> idx) {
          bool in = true;
          for (size_t d = 0; d < idx.size(); ++d)
            in &= idx[d] < bounds[d];
          out.at(l)[k++] = in;
        });
      }
      return true;
    }
    if (auto x = dyn_cast<vector::ConstantMaskOp>(op)) {
      ArrayRef<int64_t> rs = shapeOf(r.getType());
      SmallVector<int64_t> bounds;
      for (Attribute a : x.getMaskDimSizes())
        bounds.push_back(cast<IntegerAttr>(a).getInt());
      for (int32_t l : lanes) {
        int64_t k = 0;
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
  if (auto x = dyn_cast<vector::TransferReadOp>(op)) {
    if (!isa<MemRefType>(x.getSource().getType()))
      return fail(&op, "a transfer from a tensor");
    Slot &out = slot(x.getResult());
    ArrayRef<int64_t> vs = x.getVectorType().getShape();
    AffineMap map = x.getPermutationMap();
    for (int32_t l : lanes) {
      const Mem &m = mem(x.getSource(), l);
      SmallVector<int64_t, 4> base = indices(x.getIndices(), l);
      uint64_t pad = bits(x.getPadding(), l);
      int64_t k = 0;
      bool ok = true;
      forEachIndex(vs, [&](ArrayRef<int64_t> idx) {
        if (!ok)
          return;
        SmallVector<int64_t, 4> at(base);
        bool inside = true;
        for (unsigned rI = 0; rI < map.getNumResults(); ++rI) {
          auto d = dyn_cast<AffineDimExpr>(map.getResult(rI));
          if (!d)
            continue; // broadcast
          at[d.getPosition()] += idx[rI];
          int64_t v = at[d.getPosition()];
          if (v < 0 || v >= m.sizes[d.getPosition()]) {
            if (x.isDimInBounds(rI)) {
              ok = fail(&op, "an in_bounds transfer read outside its memref");
              return;
            }
            inside = false;
          }
        }
        if (x.getMask() && !(slot(x.getMask()).at(l)[k] & 1))
          inside = false;
        uint64_t v = pad;
        if (inside && !load(&op, m, at, 1, l, &v))
          ok = false;
        out.at(l)[k++] = v;
      });
      if (!ok)
        return false;
    }
    return true;
  }
  if (auto x = dyn_cast<vector::TransferWriteOp>(op)) {
    if (!isa<MemRefType>(x.getSource().getType()))
      return fail(&op, "a transfer to a tensor");
    ArrayRef<int64_t> vs = x.getVectorType().getShape();
    AffineMap map = x.getPermutationMap();
    for (int32_t l : lanes) {
      const Mem &m = mem(x.getSource(), l);
      SmallVector<int64_t, 4> base = indices(x.getIndices(), l);
      const uint64_t *v = slot(x.getVector()).at(l);
      int64_t k = 0;
      bool ok = true;
      forEachIndex(vs, [&](ArrayRef<int64_t> idx) {
        if (!ok)
          return;
        SmallVector<int64_t, 4> at(base);
        bool inside = true;
        for (unsigned rI = 0; rI < map.getNumResults(); ++rI) {
          auto d = cast<AffineDimExpr>(map.getResult(rI));
          at[d.getPosition()] += idx[rI];
          int64_t p = at[d.getPosition()];
          if (p < 0 || p >= m.sizes[d.getPosition()]) {
            if (x.isDimInBounds(rI)) {
              ok = fail(&op, "an in_bounds transfer write outside its memref");
              return;
            }
            inside = false;
          }
        }
        if (x.getMask() && !(slot(x.getMask()).at(l)[k] & 1))
          inside = false;
        if (inside && !store(&op, m, at, 1, l, &v[k]))
          ok = false;
        ++k;
      });
      if (!ok)
        return false;
    }
    return true;
  }
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

// --- memrefs ------------------------------------------------------------------

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

// --- gpu, nvgpu, nvvm -----------------------------------------------------------

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

} // namespace

void registerDialects(DialectRegistry &registry) { mlir::registerAllDialects(registry); }

bool prepareModule(ModuleOp module, std::string &error) {
  PassManager pm(module.getContext());
  pm.addPass(createConvertLinalgToLoopsPass());
  if (failed(pm.run(module))) {
    error = "lowering the kernels' linalg ops to loops failed";
    return false;
  }
  return true;
}

bool runKernel(gpu::GPUFuncOp kernel, const Launch &launch, const std::vector<Argument> &args,
               std::string &error) {
  Emulator e(kernel, launch, args);
  return e.run(error);
}

} // namespace tilec::emulator
