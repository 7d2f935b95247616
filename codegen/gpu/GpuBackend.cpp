//===- GpuBackend.cpp - CUDA (NVVM -> PTX -> cubin) and ROCm (ROCDL -> HSACO)
//
// Steps, per kernel module (after applySchedule tiled the workgroups):
//   1. thread tiling: inside each workgroup tile, the result-writing op is
//      tiled again into an `scf.forall` with one thread per output element
//      (per row for row-wise normalizations: a reduction stays in one thread)
//      and its producers fused; if fusion leaves work outside or recomputes,
//      the block runs one thread (correct, slow; reported in the notes);
//   2. bufferization, shared with the CPU (bufferizeKernels, no outlining);
//   3. each kernel becomes a `gpu.func` in its own `gpu.module`: workgroup ids
//      from gpu.block_id x, thread ids from gpu.thread_id x (delinearized);
//   4. NVVM or ROCDL lowering, serialization: PTX (then ptxas -> cubin) or a
//      HSACO code object (ROCm device libraries, ld.lld).
//
// Between 2 and 3: pipelined staging's copies become cp.async (Pipeline.h),
// tensor-core kernels' bf16 buffers are retyped (TensorCores.h); after 3 the
// warp contractions become mma.sync / MFMA. Only device-independent math is
// used, so no GPU is needed to build.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuBackend.h"

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/LowerToLinalg.h"
#include "codegen/gpu/Accumulators.h"
#include "codegen/gpu/GpuThreads.h"
#include "codegen/gpu/GpuToolchain.h"
#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/Tma.h"
#include "codegen/gpu/TensorCores.h"
#include "codegen/gpu/WarpAttention.h"
#include "codegen/gpu/WorkgroupMemory.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace mlir;
using namespace tilec::codegen;
namespace art = tilec::artifact;

namespace {

constexpr int64_t kMaxThreads = 1024;

int64_t product(ArrayRef<int64_t> v) {
  int64_t p = 1;
  for (int64_t x : v)
    p *= x;
  return p;
}

/// A warp loop (tensor-core tiles): each iteration is run by a whole warp.
bool isWarpLoop(scf::ForallOp forall) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  return mapping && !mapping->empty() && isa<gpu::GPUWarpMappingAttr>((*mapping)[0]);
}

bool isThreadLoop(scf::ForallOp forall) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  return mapping && !mapping->empty() &&
         (isa<gpu::GPUThreadMappingAttr>((*mapping)[0]) || isWarpLoop(forall));
}

/// Threads a thread (or warp) loop runs on; `warp` threads per warp (32 on
/// NVIDIA, 64 on AMD).
int64_t threadsOf(scf::ForallOp loop, int64_t warp) {
  return product(*forallTripCounts(loop)) * (isWarpLoop(loop) ? warp : 1);
}

/// The thread loops of a block's body: every scf.forall in it, directly or
/// inside sequential loops (a K loop). False when the body does other work
/// with side effects outside them, which all threads would repeat.
bool collectThreadLoops(Block &body, SmallVector<scf::ForallOp> &loops) {
  for (Operation &op : body) {
    if (auto forall = dyn_cast<scf::ForallOp>(op)) {
      loops.push_back(forall);
    } else if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (!collectThreadLoops(*loop.getBody(), loops))
        return false;
    } else if (auto guard = dyn_cast<scf::IfOp>(op)) {
      // A pipeline's guarded copies (the same condition in every thread).
      if (!guard.getElseRegion().empty() || !collectThreadLoops(*guard.thenBlock(), loops))
        return false;
    } else if (!isMemoryEffectFree(&op) && !isa<scf::InParallelOp, scf::YieldOp>(op) &&
               !isa<NVVM::CpAsyncCommitGroupOp, NVVM::CpAsyncWaitGroupOp>(op) &&
               !isa<nvgpu::MBarrierCreateOp, nvgpu::MBarrierTryWaitParityOp>(op) &&
               !(isa<memref::AllocOp, memref::AllocaOp>(op) &&
                 isWorkgroupMemRef(op.getResult(0).getType())) &&
               !(isa<memref::DeallocOp>(op) && isWorkgroupMemRef(op.getOperand(0).getType()))) {
      return false;
    }
  }
  return true;
}

/// A thread loop of a software pipeline (Pipeline.h): its block's copies
/// (in the prologue or a step), or a step's compute.
bool inPipeline(scf::ForallOp loop) {
  auto step = loop->getParentOfType<scf::ForOp>();
  return loop->hasAttr(kStageCopyAttr) || (step && step->hasAttr(kPipelinedLoopAttr));
}

/// Each thread loop runs on the block's threads (thread id = its linear
/// index; threads beyond its trip count skip it), followed by a barrier when
/// the block has several, so that the next one sees what it wrote. A
/// pipelined reduction loop instead gets one barrier at the top of each step
/// (after the wait for the step's block, if its copies are asynchronous)
/// and one after it: the step's block was copied at least one barrier
/// earlier, and the buffer its copies overwrite was last read before it.
void mapThreadLoops(RewriterBase &rewriter, ArrayRef<scf::ForallOp> loops, int64_t threads,
                    int64_t warp, Location loc) {
  SetVector<Operation *> pipelines;
  for (scf::ForallOp loop : loops) {
    int64_t trips = threadsOf(loop, warp);
    if (auto step = loop->getParentOfType<scf::ForOp>(); step && step->hasAttr(kPipelinedLoopAttr))
      pipelines.insert(step);
    if (loops.size() > 1 && !inPipeline(loop)) {
      rewriter.setInsertionPointAfter(loop);
      rewriter.create<gpu::BarrierOp>(loc);
    }
    rewriter.setInsertionPoint(loop);
    Value tid = rewriter.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
    if (trips < threads) {
      Value bound = rewriter.create<arith::ConstantIndexOp>(loc, trips);
      Value inside = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, tid, bound);
      auto guard = rewriter.create<scf::IfOp>(loc, inside, /*withElseRegion=*/false);
      rewriter.moveOpBefore(loop, guard.thenBlock()->getTerminator());
      rewriter.setInsertionPoint(loop);
    }
    // A warp loop's iteration is the warp's index; all its lanes run it.
    if (isWarpLoop(loop))
      tid = rewriter.create<arith::DivUIOp>(
          loc, tid, rewriter.create<arith::ConstantIndexOp>(loc, warp));
    inlineForall(rewriter, loop, tid);
  }
  for (Operation *op : pipelines) {
    auto step = cast<scf::ForOp>(op);
    Block::iterator top = step.getBody()->begin();
    while (isa<NVVM::CpAsyncWaitGroupOp>(*top))
      ++top;
    rewriter.setInsertionPoint(step.getBody(), top);
    rewriter.create<gpu::BarrierOp>(loc);
    Block::iterator after = std::next(step->getIterator());
    while (after != step->getBlock()->end() && isa<NVVM::CpAsyncWaitGroupOp>(*after))
      ++after;
    rewriter.setInsertionPoint(step->getBlock(), after);
    rewriter.create<gpu::BarrierOp>(loc);
  }
}

/// Maps the thread loops of one block's body onto the block's threads
/// (setting launch.block), or, when the body does other work or needs too
/// many threads, runs them in turn on one thread.
LogicalResult mapBlock(RewriterBase &rewriter, Block &body, GpuLaunch &launch, int64_t warp,
                       Location loc) {
  SmallVector<scf::ForallOp> threadLoops;
  bool sharedWork = !collectThreadLoops(body, threadLoops);
  int64_t threads = 0;
  for (scf::ForallOp loop : threadLoops) {
    if (!forallTripCounts(loop))
      return failure();
    threads = std::max(threads, threadsOf(loop, warp));
  }
  if (!threadLoops.empty() && !sharedWork && threads <= kMaxThreads) {
    launch.block = {threads};
    mapThreadLoops(rewriter, threadLoops, threads, warp, loc);
    return success();
  }
  // One thread runs the block's tile: thread loops become sequential. Never
  // warp loops: their tensor-core instructions need every lane of the warp
  // (one thread would leave them undefined).
  SmallVector<scf::ForallOp> all;
  for (Operation &op : body)
    op.walk([&](scf::ForallOp f) { all.push_back(f); });
  if (llvm::any_of(all, isWarpLoop))
    return failure();
  for (scf::ForallOp f : all) {
    rewriter.setInsertionPoint(f);
    if (failed(scf::forallToForLoop(rewriter, f)))
      return failure();
  }
  return success();
}

/// Step 3: `func.func @k` (bufferized) -> `gpu.module @k_module { gpu.func @k }`.
FailureOr<GpuLaunch> outlineToGpu(func::FuncOp kernel, ModuleOp container, int64_t warp,
                                  int64_t staticShared) {
  GpuLaunch launch;
  launch.symbol = kernel.getName().str();
  IRRewriter rewriter(kernel.getContext());
  Location loc = kernel.getLoc();
  rewriter.setInsertionPointToEnd(container.getBody());
  auto gpuModule = rewriter.create<gpu::GPUModuleOp>(loc, launch.symbol + "_module");
  rewriter.setInsertionPointToStart(gpuModule.getBody());
  auto gpuFunc = rewriter.create<gpu::GPUFuncOp>(loc, launch.symbol, kernel.getFunctionType());
  gpuFunc->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), rewriter.getUnitAttr());
  if (isBF16MmaKernel(kernel))
    markBF16MmaKernel(gpuFunc);
  if (kernel->hasAttr(kTF32MmaAttr))
    gpuFunc->setAttr(kTF32MmaAttr, rewriter.getUnitAttr());
  if (Attribute n = kernel->getAttr(kWarpgroupMmaAttr))
    gpuFunc->setAttr(kWarpgroupMmaAttr, n);
  if (kernel->hasAttr(kWarpAttentionAttr))
    gpuFunc->setAttr(kWarpAttentionAttr, rewriter.getUnitAttr());
  // wgmma's 128-byte swizzle repeats every 1024 bytes from where its
  // buffers start (TensorCores.h); 16 bytes otherwise (4-float accesses).
  int64_t align = isWarpgroupMmaKernel(kernel) ? 1024 : 16;
  Block &entry = gpuFunc.getBody().front();
  rewriter.inlineBlockBefore(&kernel.getBody().front(), &entry, entry.end(),
                             entry.getArguments());
  // func.return -> gpu.return.
  gpuFunc.walk([&](func::ReturnOp ret) {
    rewriter.setInsertionPoint(ret);
    rewriter.replaceOpWithNewOp<gpu::ReturnOp>(ret);
  });
  // Blocks: the top-level forall; threads: the foralls inside it. A kernel
  // of one block (its one-trip block loop folded away) has its thread loops,
  // marked with a thread mapping, at the top level.
  SmallVector<scf::ForallOp> blocks;
  bool topLevelThreads = false;
  for (Operation &op : entry) {
    auto f = dyn_cast<scf::ForallOp>(op);
    if (f && isThreadLoop(f))
      topLevelThreads = true;
    else if (f)
      blocks.push_back(f);
  }
  launch.block = {1};
  if (blocks.size() > 1 || (topLevelThreads && !blocks.empty()))
    return failure();
  // A buffer allocated inside a thread loop is that thread's (a copy
  // bufferization made of a thread's tile of a workgroup intermediate takes
  // the intermediate's memory space): private memory, not one workgroup
  // buffer every thread writes.
  SmallVector<Operation *> threadAllocs;
  gpuFunc.walk([&](Operation *a) {
    auto owner = a->getParentOfType<scf::ForallOp>();
    if (isa<memref::AllocOp, memref::AllocaOp>(a) && owner && isThreadLoop(owner) &&
        !isWarpLoop(owner) && isWorkgroupMemRef(a->getResult(0).getType()))
      threadAllocs.push_back(a);
  });
  for (Operation *a : threadAllocs) {
    auto type = cast<MemRefType>(a->getResult(0).getType());
    rewriter.setInsertionPoint(a);
    for (Operation *user : llvm::make_early_inc_range(a->getUsers()))
      if (isa<memref::DeallocOp>(user))
        rewriter.eraseOp(user);
    auto local = rewriter.create<memref::AllocaOp>(
        a->getLoc(), MemRefType::get(type.getShape(), type.getElementType(), type.getLayout()),
        a->getOperands(), a->getAttrOfType<IntegerAttr>("alignment"));
    rewriter.replaceOpWithNewOp<memref::MemorySpaceCastOp>(a, type, local);
  }
  if (topLevelThreads && failed(mapBlock(rewriter, entry, launch, warp, loc)))
    return failure();
  if (blocks.size() == 1) {
    scf::ForallOp blockLoop = blocks.front();
    auto blockTrips = forallTripCounts(blockLoop);
    if (!blockTrips)
      return failure();
    launch.grid = product(*blockTrips);
    if (failed(mapBlock(rewriter, *blockLoop.getBody(), launch, warp, loc)))
      return failure();
    rewriter.setInsertionPoint(blockLoop);
    Value bid = rewriter.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
    auto group = kernel->getAttrOfType<IntegerAttr>(kBlockGroupAttr);
    inlineForall(rewriter, blockLoop, bid, group ? group.getInt() : 1);
  }
  // Constants the kernel reads (memref.global) move into its gpu.module.
  gpuFunc.walk([&](memref::GetGlobalOp get) {
    if (gpuModule.lookupSymbol(get.getNameAttr()))
      return;
    if (auto global = container.lookupSymbol<memref::GlobalOp>(get.getNameAttr())) {
      rewriter.setInsertionPointToStart(gpuModule.getBody());
      rewriter.clone(*global);
    }
  });
  // Accumulators read and written at the same place by every step of a
  // reduction loop become registers carried by the loop, before the
  // workgroup buffers can turn into views of one dynamic shared memory
  // (which the hoisting would take for aliases of each other): tensor-core
  // attention's running max, sum and output rows per warp, and the warp
  // tiles' accumulators of a GEMM whose epilogue reads them from workgroup
  // memory (else loaded and stored back at every K block).
  if (kernel->hasAttr(kWarpAttentionAttr) || hasWarpContractions(gpuFunc)) {
    // (MLIR's hoisting takes no transfer through a view: the warp tiles'
    // subviews of the accumulators fold into the transfers' indices first.)
    if (!kernel->hasAttr(kWarpAttentionAttr)) {
      RewritePatternSet patterns(gpuFunc.getContext());
      memref::populateFoldMemRefAliasOpPatterns(patterns);
      (void)applyPatternsAndFoldGreedily(gpuFunc, std::move(patterns));
    }
    gpuFunc.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
    linalg::hoistRedundantVectorTransfers(gpuFunc);
    // (Zero accumulators as registers now: the fill goes before the buffers'
    // lifetimes are measured below.)
    seedZeroAccumulators(gpuFunc);
  }
  // Workgroup memory (staged operands, block accumulators) becomes the
  // function's workgroup attributions.
  SmallVector<Operation *> workgroupAllocs;
  gpuFunc.walk([&](Operation *op) {
    if (isa<memref::AllocOp, memref::AllocaOp>(op) && isWorkgroupMemRef(op->getResult(0).getType()))
      workgroupAllocs.push_back(op);
  });
  // Past the static limit (48 KB on CUDA) they are views of the kernel's
  // dynamic shared memory instead, aligned as above, and the launch asks for
  // that much (the runtime opts the function in).
  int64_t total = 0;
  for (Operation *op : workgroupAllocs) {
    auto type = cast<MemRefType>(op->getResult(0).getType());
    total += llvm::alignTo(type.getNumElements() * type.getElementTypeBitWidth() / 8, align);
  }
  if (staticShared > 0 && total > staticShared) {
    rewriter.setInsertionPointToStart(&gpuFunc.getBody().front());
    auto bytes = MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                                 MemRefLayoutAttrInterface(),
                                 gpu::AddressSpaceAttr::get(rewriter.getContext(),
                                                            gpu::AddressSpace::Workgroup));
    Value base = rewriter.create<gpu::DynamicSharedMemoryOp>(loc, bytes);
    SmallVector<int64_t> offsets;
    total = placeWorkgroupBuffers(rewriter, gpuFunc, workgroupAllocs, align, offsets);
    rewriter.setInsertionPointAfter(base.getDefiningOp());
    for (auto [op, offset] : llvm::zip(workgroupAllocs, offsets)) {
      auto type = cast<MemRefType>(op->getResult(0).getType());
      Value at = rewriter.create<arith::ConstantIndexOp>(loc, offset);
      Value view = rewriter.create<memref::ViewOp>(loc, type, base, at, ValueRange{});
      for (Operation *user : llvm::make_early_inc_range(op->getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      rewriter.replaceOp(op, view);
    }
    launch.sharedBytes = total;
    workgroupAllocs.clear();
  }
  for (Operation *op : workgroupAllocs) {
    auto type = cast<MemRefType>(op->getResult(0).getType());
    BlockArgument buffer = gpuFunc.addWorkgroupAttribution(type, op->getLoc());
    gpuFunc.setWorkgroupAttributionAttr(gpuFunc.getNumWorkgroupAttributions() - 1,
                                        LLVM::LLVMDialect::getAlignAttrName(),
                                        rewriter.getI64IntegerAttr(align));
    for (Operation *user : llvm::make_early_inc_range(op->getUsers()))
      if (isa<memref::DeallocOp>(user))
        rewriter.eraseOp(user);
    rewriter.replaceOp(op, buffer);
  }
  // Per-thread temporaries become private attributions (address space 5 on
  // AMDGPU, local on NVPTX), seen through a cast as ordinary memrefs.
  SmallVector<memref::AllocaOp> allocas;
  gpuFunc.walk([&](memref::AllocaOp a) { allocas.push_back(a); });
  for (memref::AllocaOp a : allocas) {
    MemRefType type = a.getType();
    auto privateType = MemRefType::get(
        type.getShape(), type.getElementType(), type.getLayout(),
        gpu::AddressSpaceAttr::get(rewriter.getContext(), gpu::AddressSpace::Private));
    BlockArgument buffer = gpuFunc.addPrivateAttribution(privateType, a.getLoc());
    rewriter.setInsertionPoint(a);
    rewriter.replaceOpWithNewOp<memref::MemorySpaceCastOp>(a, type, buffer);
  }
  gpuFunc.setKnownBlockSizeAttr(rewriter.getDenseI32ArrayAttr(
      {int32_t(launch.block[0]), 1, 1}));
  rewriter.eraseOp(kernel);
  return launch;
}

/// LLVM 19's NVPTX backend selects `fpext (load <N x half/bfloat>)` as a
/// vector load of b16 into f32 registers, with no conversion: the values
/// come out as garbage (a loaded staged block of A, for example). So no
/// vector of 16-bit floats is extended whole on CUDA: bf16 widens exactly
/// as integers (its bits become the f32's upper half: what MLIR's
/// populateExpandBFloat16Patterns does, but that also expands truncf, which
/// NVPTX has natively; vectors of an even count two per 32-bit word before
/// this, WidenBF16InPairs), f16 one element at a time (each a scalar load
/// and cvt.f32.f16).
struct ExtendHalvesSafely : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op, PatternRewriter &rewriter) const override {
    auto narrow = dyn_cast<VectorType>(op.getIn().getType());
    auto wide = dyn_cast<VectorType>(op.getType());
    if (!narrow || !wide || !wide.getElementType().isF32() ||
        !(narrow.getElementType().isBF16() || narrow.getElementType().isF16()))
      return failure();
    Location loc = op.getLoc();
    if (narrow.getElementType().isBF16()) {
      Value bits = rewriter.create<arith::BitcastOp>(loc, narrow.clone(rewriter.getI16Type()),
                                                     op.getIn());
      VectorType i32 = narrow.clone(rewriter.getI32Type());
      Value wideBits = rewriter.create<arith::ExtUIOp>(loc, i32, bits);
      Value sixteen = rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(i32, rewriter.getI32IntegerAttr(16).getValue()));
      Value shifted = rewriter.create<arith::ShLIOp>(loc, wideBits, sixteen);
      rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, wide, shifted);
      return success();
    }
    auto flat = VectorType::get({narrow.getNumElements()}, narrow.getElementType());
    Value in = rewriter.create<vector::ShapeCastOp>(loc, flat, op.getIn());
    SmallVector<Value> elements;
    for (int64_t i = 0; i < flat.getNumElements(); ++i)
      elements.push_back(rewriter.create<arith::ExtFOp>(
          loc, rewriter.getF32Type(), rewriter.create<vector::ExtractOp>(loc, in, i).getResult()));
    Value out = rewriter.create<vector::FromElementsOp>(
        loc, VectorType::get({flat.getNumElements()}, rewriter.getF32Type()), elements);
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(op, wide, out);
    return success();
  }
};

/// Lets the GPU backends fuse a float multiply and the add or subtract
/// reading it into one fused multiply-add (`contract` on each arith.mulf,
/// addf and subf), as nvcc (--fmad=true) and clang's CUDA do by default and
/// as the CPU target machine does (FPOpFusion::Fast); MLIR's serialization
/// builds its NVPTX and AMDGPU target machines without that option. Without
/// it every scalar a * b + c was a mul.rn.f32 and an add.rn.f32, which
/// ptxas may not fuse: the per-thread attention's dot products and
/// epilogues ran twice the floating-point instructions. (Vector
/// contractions already lower to vector.fma.)
void allowFusedMultiplyAdd(ModuleOp kernels) {
  auto contract = arith::FastMathFlagsAttr::get(kernels.getContext(),
                                                arith::FastMathFlags::contract);
  kernels.walk([&](Operation *op) {
    if (!isa<arith::AddFOp, arith::SubFOp, arith::MulFOp>(op))
      return;
    auto math = cast<arith::ArithFastMathInterface>(op);
    auto flags = math.getFastMathFlagsAttr();
    op->setAttr(math.getFastMathAttrName(),
                flags ? arith::FastMathFlagsAttr::get(kernels.getContext(),
                                                      flags.getValue() |
                                                          arith::FastMathFlags::contract)
                      : contract);
  });
}

} // namespace

bool tilec::codegen::emitGpuKernels(ModuleOp kernels, const Target &target,
                                    const DumpOptions &dump, std::vector<art::GpuCode> &code,
                                    std::vector<GpuLaunch> &launches, std::string &error) {
  bool cuda = target.kind == TargetKind::Cuda;
  // 1. Threads: mapToThreads (GpuThreads.cpp) ran after applySchedule.
  // 2. Buffers.
  std::map<std::string, int64_t> unused;
  if (failed(bufferizeKernels(kernels, dump, unused, /*outline=*/false, /*stackBytes=*/1 << 20)))
    return error = "bufferizing the GPU kernels failed (see the diagnostics above)", false;
  // Thread-sized copies (staging into workgroup memory) as 16-byte vector loads.
  vectorizeCopies(kernels, /*maxChunkBytes=*/16);
  // Tensor-core kernels: views folded into the accesses of workgroup
  // buffers, bf16 operand buffers retyped for the mma.sync conversion.
  bool tensorCores = hasWarpContractions(kernels);
  bool pipelined = false;
  kernels.walk([&](scf::ForOp loop) { pipelined |= loop->hasAttr(kPipelinedLoopAttr); });
  std::vector<int64_t> instruction = target.matrixInstruction();
  if (tensorCores && instruction.empty())
    return error = "internal error: tensor-core tiles reached a target without them", false;
  if (tensorCores || pipelined) {
    if (failed(runPassPipeline(kernels, "fold-memref-alias-ops,cse")))
      return error = "internal error: simplifying the GPU kernels failed", false;
    for (auto func : kernels.getOps<func::FuncOp>())
      if (cuda && hasWarpContractions(func) && !func->hasAttr(kWarpAttentionAttr) &&
          failed(retypeBF16Operands(func)))
        return error = "internal error: staging bf16 tensor-core operands failed", false;
  }
  // Pipelines' copies as TMA loads (`tma=1` warpgroup tiles on sm_90,
  // Tma.h), else as cp.async where the GPU has it (sm_80+).
  std::map<std::string, std::vector<art::TensorMap>> tensorMaps;
  std::map<std::string, std::string> tmaNotes;
  std::set<std::string> mixedTma; // TMA and cp.async copies: the K loop keeps its barrier
  for (auto func : kernels.getOps<func::FuncOp>()) {
    if (func->hasAttr(kTmaAttr) && cuda && target.warpgroupMma()) {
      std::vector<art::TensorMap> maps;
      std::string why, others;
      std::string symbol = func.getName().str();
      if (tmaStageCopies(func, maps, why, others)) {
        tmaNotes[symbol] = "staged tiles loaded by TMA (" + std::to_string(maps.size()) +
                           " tensor map" + (maps.size() == 1 ? "" : "s") +
                           (others.empty() ? "" : "; the other operand by cp.async: " + others) +
                           "); ";
        tensorMaps[symbol] = std::move(maps);
        if (others.empty())
          continue;
        mixedTma.insert(symbol);
      } else {
        tmaNotes[symbol] = "tma=1 not applied (" + why + "); ";
      }
    }
    if (pipelined && target.asyncCopies())
      asyncStageCopies(func);
  }
  // 3. gpu.module per kernel.
  std::set<std::string> aligned, warpgroups;
  for (auto func : kernels.getOps<func::FuncOp>()) {
    if (func->hasAttr(kArgsAlignedAttr))
      aligned.insert(func.getName().str());
    if (isWarpgroupMmaKernel(func))
      warpgroups.insert(func.getName().str());
  }
  kernels->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(kernels.getContext()));
  for (auto func : llvm::make_early_inc_range(kernels.getOps<func::FuncOp>())) {
    FailureOr<GpuLaunch> launch = outlineToGpu(func, kernels, target.warpSize(),
                                               cuda ? target.sharedMemoryBytes : 0);
    if (failed(launch))
      return error = "internal error: kernel " + func.getName().str() +
                     " has an unexpected loop structure for GPU mapping",
             false;
    if (auto maps = tensorMaps.find(launch->symbol); maps != tensorMaps.end())
      launch->tensorMaps = maps->second;
    if (auto note = tmaNotes.find(launch->symbol); note != tmaNotes.end())
      launch->notes = note->second;
    launches.push_back(*launch);
  }
  // Thread-tile accumulators leave the K loop: with views folded into the
  // accesses and invariant code hoisted, each thread's vector.transfer_read /
  // transfer_write pair of its accumulator tile becomes a loop-carried vector
  // (registers). Safe here: the pair touches only the thread's own tile.
  if (failed(runPassPipeline(kernels, "fold-memref-alias-ops,cse,loop-invariant-code-motion,cse")))
    return error = "internal error: simplifying the GPU kernels failed", false;
  // Warp contractions in instruction-sized pieces first, so that each
  // accumulator tile is a read/write pair of its own to hoist.
  kernels.walk([&](gpu::GPUFuncOp f) {
    if (f->hasAttr(kWarpAttentionAttr))
      return; // whole warp tiles, lowered by lowerWarpAttention
    if (auto n = f->getAttrOfType<IntegerAttr>(kWarpgroupMmaAttr); n && hasWarpContractions(f))
      unrollWarpContractions(f, {16, n.getInt(), 16}); // each warp's strip
    else if (hasWarpContractions(f))
      unrollWarpContractions(f, f->hasAttr(kTF32MmaAttr) ? target.tf32Instruction() : instruction);
  });
  if (tensorCores && failed(runPassPipeline(kernels, "cse,loop-invariant-code-motion,cse")))
    return error = "internal error: simplifying the GPU kernels failed", false;
  kernels.walk([](gpu::GPUFuncOp f) {
    linalg::hoistRedundantVectorTransfers(f);
    seedZeroAccumulators(f);
    barrierAfterWriteBacks(f);
  });
  if (tensorCores)
    dumpStage(dump, "3-gpu-warp-tiles.mlir", [&] { return printModule(kernels); });
  bool converted = true;
  kernels.walk([&](gpu::GPUFuncOp f) {
    if (f->hasAttr(kWarpAttentionAttr))
      converted &= succeeded(lowerWarpAttention(f));
    else if (hasWarpContractions(f))
      converted &= succeeded(!cuda                     ? convertWarpContractionsToMfma(f)
                             : isWarpgroupMmaKernel(f) ? convertWarpgroupContractions(f)
                                                       : convertWarpContractions(f));
  });
  if (!converted)
    return error = std::string("internal error: tensor-core tiles could not become ") +
                   (cuda ? "mma.sync" : "MFMA") + " instructions (see the diagnostics above)",
           false;
  // TMA kernels: each stage released by its readers instead of a barrier
  // per K step (Tma.h).
  kernels.walk([&](gpu::GPUFuncOp f) {
    std::string symbol = f.getName().str();
    if (tensorMaps.count(symbol) && !mixedTma.count(symbol))
      converted &= succeeded(tmaReleaseStages(f));
  });
  if (!converted)
    return error = "internal error: a TMA kernel's stages could not be released by mbarriers "
                   "(see the diagnostics above)",
           false;
  // wgmma steps are warpgroup-wide asynchronous groups (Wgmma.cpp), warp
  // attention's loops are its own.
  kernels.walk([](gpu::GPUFuncOp f) {
    if (!isWarpgroupMmaKernel(f) && !f->hasAttr(kWarpAttentionAttr))
      unrollWarpSteps(f);
  });
  // NVPTX converts bf16 natively (cvt.rn.bf16.f32, sm_80+); AMDGPU gets the
  // integer expansion.
  if (failed(lowerVectorsAndMath(kernels, /*expandBF16=*/!cuda, /*bf16Pairs=*/true)))
    return error = "internal error: lowering the GPU kernels' vector ops failed", false;
  if (cuda) {
    RewritePatternSet halves(kernels.getContext());
    halves.add<ExtendHalvesSafely>(kernels.getContext());
    vector::populateVectorShapeCastLoweringPatterns(halves);
    if (failed(applyPatternsAndFoldGreedily(kernels, std::move(halves))))
      return error = "internal error: lowering the GPU kernels' extensions failed", false;
  }
  allowFusedMultiplyAdd(kernels);
  dumpStage(dump, "3-gpu.mlir", [&] { return printModule(kernels); });
  // 4. Lower and serialize.
  std::string toolkit = cuda ? "/usr/local/cuda" : rocmToolkit(error);
  if (toolkit.empty())
    return false;
  std::string attach = cuda ? "nvvm-attach-target{chip=" + target.arch + " O=3}"
                            : "rocdl-attach-target{chip=" + target.arch + " O=3}";
  // convert-math-to-llvm after the GPU conversion: it only sees what the
  // GPU patterns left (math.fma from the polynomial approximations).
  // convert-nvvm-to-llvm: NVVM ops without an LLVM intrinsic become inline
  // PTX (cp.async with a source size, the zero fill of padded windows: its
  // translation to the intrinsic would drop the size).
  std::string convert = cuda ? "convert-nvgpu-to-nvvm,convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=true},"
                               "convert-nvvm-to-llvm"
                             : "convert-gpu-to-rocdl{use-bare-ptr-memref-call-conv=true "
                               "runtime=HIP chipset=" + target.arch + "}";
  convert += ",convert-math-to-llvm";
  std::string pipeline = "convert-linalg-to-loops,convert-vector-to-scf{full-unroll=true},"
                         "lower-affine,convert-scf-to-cf,arith-expand,"
                         "expand-strided-metadata,lower-affine," +
                         attach + ",gpu.module(" + convert +
                         ",reconcile-unrealized-casts)";
  LogicalResult lowered = runPassPipeline(kernels, pipeline);
  if (succeeded(lowered)) {
    // Buffers of kernels marked aligned start on 16 bytes (the runtime's
    // allocations and the memory plan's offsets): LLVM can then prove vector
    // loads of 4 floats aligned and emit them as one ld.v4 / global_load_x4.
    // Dynamic shared memory is an external zero-length array (`.extern
    // .shared ... []`): MLIR declares it internal, which NVPTX demotes to a
    // one-byte static buffer that the kernel would index past.
    kernels.walk([&](LLVM::GlobalOp g) {
      if (g.getSymName().starts_with("__dynamic_shmem__"))
        g.setLinkage(LLVM::Linkage::External);
    });
    // wgmma exists on sm_90a, the architecture-specific variant of sm_90
    // (PTX 8.0), which those kernels are assembled for; their dynamic shared
    // memory starts on the 1024 bytes their swizzled buffers need.
    for (auto module : kernels.getOps<gpu::GPUModuleOp>()) {
      std::string symbol = module.getName().str();
      if (!warpgroups.count(symbol.substr(0, symbol.size() - std::string("_module").size())))
        continue;
      auto nvvm = cast<NVVM::NVVMTargetAttr>(module.getTargetsAttr()[0]);
      module.setTargetsAttr(ArrayAttr::get(
          module.getContext(),
          {NVVM::NVVMTargetAttr::get(module.getContext(), nvvm.getO(), nvvm.getTriple(),
                                     target.arch + "a", "+ptx80", nvvm.getFlags(),
                                     nvvm.getLink())}));
      module.walk([&](LLVM::GlobalOp g) {
        if (g.getSymName().starts_with("__dynamic_shmem__"))
          g.setAlignment(1024);
      });
    }
    kernels.walk([&](LLVM::LLVMFuncOp f) {
      if (!aligned.count(f.getName().str()))
        return;
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        if (isa<LLVM::LLVMPointerType>(f.getArgument(i).getType()))
          f.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                       IntegerAttr::get(IntegerType::get(f.getContext(), 64), 16));
    });
    lowered = runPassPipeline(kernels, "gpu-module-to-binary{format=" +
                                           std::string(cuda ? "isa" : "bin") +
                                           " toolkit=" + toolkit + "}");
  }
  if (!cuda)
    llvm::sys::fs::remove_directories(toolkit);
  if (failed(lowered))
    return error = "lowering the GPU kernels failed (see the diagnostics above)", false;
  llvm::SmallString<128> work;
  llvm::sys::path::system_temp_directory(true, work);
  llvm::sys::path::append(work, "tilec-gpu-" + std::to_string(::getpid()));
  for (auto binary : kernels.getOps<gpu::BinaryOp>()) {
    std::string symbol = binary.getName().str();
    symbol = symbol.substr(0, symbol.size() - std::string("_module").size());
    auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    art::GpuCode c;
    c.symbol = symbol;
    if (cuda) {
      c.text = object.getObject().str();
      while (!c.text.empty() && c.text.back() == '\0') // serialized with a terminator
        c.text.pop_back();
      dumpStage(dump, symbol + ".ptx", [&] { return c.text; });
      std::string arch = target.arch + (warpgroups.count(symbol) ? "a" : "");
      std::string report;
      if (!assemblePtx(c.text, arch, work.str().str(), c.binary, report, error))
        return false;
      for (GpuLaunch &l : launches)
        if (l.symbol == symbol)
          l.assembler = report;
      dumpStage(dump, symbol + ".cubin", [&] { return c.binary; });
    } else {
      c.binary = object.getObject().str();
      dumpStage(dump, symbol + ".hsaco", [&] { return c.binary; });
    }
    code.push_back(std::move(c));
  }
  return true;
}
