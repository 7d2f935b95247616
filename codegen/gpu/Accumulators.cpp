//===- Accumulators.cpp - a K loop's accumulators and steps after mapping -===//
//
// See Accumulators.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/Accumulators.h"

#include "codegen/gpu/GpuThreads.h"
#include "codegen/gpu/WorkgroupMemory.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace tilec::codegen;

namespace {

/// The buffer a view is taken of, through subviews only (views of dynamic
/// shared memory stay distinct buffers).
Value bufferOf(Value v) {
  while (auto view = v.getDefiningOp<memref::SubViewOp>())
    v = view.getSource();
  return v;
}

} // namespace

/// Accumulators that start from a zero fill (GpuThreads tags it) start from
/// zero registers: after hoisting, the reads of the filled buffer that seed a
/// loop's iteration arguments become constants, and the fill goes when
/// nothing else reads that buffer before those loops end (the thread or warp
/// tiles then write every element of it after the loop; an epilogue reads
/// it after that). Saves a write and a read of the block's
/// outputs (on a 128x128 bf16 GEMM block, 64 KB each way) and a barrier.
void tilec::codegen::seedZeroAccumulators(gpu::GPUFuncOp func) {
  SmallVector<linalg::FillOp> fills;
  func.walk([&](linalg::FillOp fill) {
    if (fill->hasAttr(kZeroAccumulatorAttr) && fill.hasPureBufferSemantics())
      fills.push_back(fill);
  });
  for (linalg::FillOp fill : fills) {
    Value buffer = bufferOf(fill.getDpsInits()[0]);
    SmallVector<vector::TransferReadOp> seeds;
    SmallVector<Operation *> others; // the buffer's other reads
    bool otherReads = false;
    func.walk([&](Operation *op) {
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects || op == fill.getOperation())
        return;
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffects(list);
      bool reads = llvm::any_of(list, [&](MemoryEffects::EffectInstance &e) {
        return isa<MemoryEffects::Read>(e.getEffect()) &&
               (!e.getValue() || bufferOf(e.getValue()) == buffer);
      });
      if (!reads)
        return;
      auto read = dyn_cast<vector::TransferReadOp>(op);
      bool seed = read && !read->use_empty() && llvm::all_of(read->getUses(), [](OpOperand &use) {
        auto loop = dyn_cast<scf::ForOp>(use.getOwner());
        return loop && use.getOperandNumber() >= loop.getNumControlOperands();
      });
      if (seed && read->getBlock() == fill->getBlock() && fill->isBeforeInBlock(read))
        seeds.push_back(read);
      else
        others.push_back(op);
    });
    // Reads after the last loop the seeds start (an epilogue's, after the
    // barrier that follows it) see what the tiles wrote back there.
    Block *top = fill->getBlock();
    Operation *lastLoop = nullptr;
    for (vector::TransferReadOp seed : seeds)
      for (Operation *user : seed->getUsers())
        if (Operation *loop = top->findAncestorOpInBlock(*user);
            loop && (!lastLoop || lastLoop->isBeforeInBlock(loop)))
          lastLoop = loop;
    for (Operation *op : others) {
      Operation *at = top->findAncestorOpInBlock(*op);
      otherReads |= !at || !lastLoop || !lastLoop->isBeforeInBlock(at);
    }
    IRRewriter rewriter(func.getContext());
    for (vector::TransferReadOp read : seeds) {
      rewriter.setInsertionPoint(read);
      Attribute zero = rewriter.getZeroAttr(read.getVectorType());
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(read, cast<TypedAttr>(zero));
    }
    if (!otherReads && !seeds.empty()) {
      // The barrier after the fill's thread loop ordered only the fill.
      if (isa_and_nonnull<gpu::BarrierOp>(fill->getNextNode()))
        rewriter.eraseOp(fill->getNextNode());
      rewriter.eraseOp(fill);
    }
  }
}

/// Accumulators a K loop carried in registers are written back after it
/// (hoisting moved each tile's write out of the loop, past the barrier that
/// ended each step of a loop that is not pipelined), and an epilogue then
/// reads other warps' (or threads') tiles: a barrier after the last of the
/// writes, where none follows already. Only at the kernel's top level, which
/// every thread runs.
void tilec::codegen::barrierAfterWriteBacks(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  IRRewriter rewriter(func.getContext());
  for (Operation &op : llvm::make_early_inc_range(entry)) {
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop)
      continue;
    Operation *last = nullptr;
    for (Operation *next = loop->getNextNode(); next; next = next->getNextNode()) {
      auto write = dyn_cast<vector::TransferWriteOp>(next);
      if (write && write.getVector().getDefiningOp() == loop &&
          isWorkgroupMemRef(write.getSource().getType())) {
        last = write;
        continue;
      }
      if (!isMemoryEffectFree(next))
        break;
    }
    if (!last)
      continue;
    Operation *after = last->getNextNode();
    while (after && isMemoryEffectFree(after))
      after = after->getNextNode();
    if (after && isa<gpu::BarrierOp>(after))
      continue;
    rewriter.setInsertionPointAfter(last);
    rewriter.create<gpu::BarrierOp>(last->getLoc());
  }
}

/// The warp tiles' K steps within one staged block (2 for a K block of 32,
/// 4 of 64), a loop of their own until here, unrolled once they are
/// mma.sync / MFMA instructions (chained contractions would not convert):
/// the back edge kept ptxas from loading the next step's fragments
/// (ldmatrix) under the current step's instructions. Loops of loops, and
/// loops of more than 8 steps, stay.
void tilec::codegen::unrollWarpSteps(gpu::GPUFuncOp func) {
  SmallVector<std::pair<scf::ForOp, int64_t>> steps;
  func.walk([&](scf::ForOp loop) {
    bool contracts = false, nested = false;
    for (Operation &op : *loop.getBody()) {
      auto call = dyn_cast<LLVM::CallIntrinsicOp>(op); // bf16 mma.sync (TensorCores.cpp)
      contracts |= isa<nvgpu::MmaSyncOp, amdgpu::MFMAOp>(op) ||
                   (call && call.getIntrin().starts_with("llvm.nvvm.mma."));
      nested |= op.getNumRegions() > 0;
    }
    std::optional<int64_t> trips =
        constantTripCount(loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
    if (contracts && !nested && trips && *trips > 1 && *trips <= 8)
      steps.push_back({loop, *trips});
  });
  // By hand: MLIR 19's loopUnrollByFactor crashed on these loops (their
  // body, 64 carried fragments).
  IRRewriter rewriter(func.getContext());
  for (auto [loop, trips] : steps) {
    rewriter.setInsertionPoint(loop);
    auto lower = getConstantIntValue(loop.getLowerBound());
    auto step = getConstantIntValue(loop.getStep());
    SmallVector<Value> carried(loop.getInitArgs());
    for (int64_t i = 0; i < trips; ++i) {
      IRMapping map;
      map.map(loop.getInductionVar(),
              rewriter.create<arith::ConstantIndexOp>(loop.getLoc(), *lower + i * *step));
      map.map(loop.getRegionIterArgs(), carried);
      for (Operation &op : loop.getBody()->without_terminator())
        rewriter.clone(op, map);
      carried.clear();
      for (Value v : loop.getBody()->getTerminator()->getOperands())
        carried.push_back(map.lookupOrDefault(v));
    }
    rewriter.replaceOp(loop, carried);
  }
}

