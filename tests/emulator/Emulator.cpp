//===- Emulator.cpp - workgroups in lockstep, memory, dispatch -------------===//
//
// See Emulator.h.
//
//===----------------------------------------------------------------------===//

#include "tests/emulator/Emulator.h"

#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Pass/PassManager.h"

namespace tilec::emulator::detail {

uint8_t *Emulator::address(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count) {
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

bool Emulator::touch(Operation *op, const Mem &m, uint8_t *p, int64_t bytes, int32_t lane, bool write,
           const uint8_t *data) {
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

bool Emulator::load(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count, int32_t lane,
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

bool Emulator::store(Operation *op, const Mem &m, ArrayRef<int64_t> idx, int64_t count, int32_t lane,
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

SmallVector<int64_t, 4> Emulator::indices(ValueRange values, int32_t lane) {
  SmallVector<int64_t, 4> out;
  for (Value v : values)
    out.push_back(integer(v, lane));
  return out;
}

Mem Emulator::descriptor(MemRefType type, uint8_t *base, uint8_t *lo, uint8_t *hi, int32_t region) {
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
    // A yielded value that is itself an iter_arg (a swap) goes through a
    // copy of its slot; the others are copied straight.
    bool swaps = llvm::any_of(yielded, [&](Value y) {
      auto arg = dyn_cast<BlockArgument>(y);
      return arg && arg.getOwner() == &body;
    });
    std::vector<Slot> saved;
    if (swaps)
      for (Value y : yielded)
        saved.push_back(slot(y));
    for (auto [i, arg] : llvm::enumerate(op.getRegionIterArgs())) {
      Slot &d = slot(arg);
      Slot &value = swaps ? saved[i] : slot(yielded[i]);
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

} // namespace tilec::emulator::detail

namespace tilec::emulator {

using namespace mlir;

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
  detail::Emulator e(kernel, launch, args);
  return e.run(error);
}

} // namespace tilec::emulator
