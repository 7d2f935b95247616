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
// Limitations (admitted): kernels are plain SIMT loops (one output element
// per thread, no shared-memory staging or tensor cores yet: issue 7 builds
// those); only device-independent math is used, so no GPU is needed to build.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuBackend.h"

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/LowerToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <fstream>

using namespace mlir;
using namespace tilec::codegen;
namespace art = tilec::artifact;

namespace {

constexpr int64_t kMaxThreads = 1024;

Operation *findConsumer(func::FuncOp kernel) {
  Operation *found = nullptr;
  kernel.walk([&](Operation *op) {
    if (op->hasAttr(kConsumerAttr))
      found = op;
  });
  return found;
}

/// Step 1. Returns false (kernel unchanged) when threads cannot be formed.
bool tileThreads(func::FuncOp kernel, bool keepInner) {
  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(findConsumer(kernel));
  if (!consumer || consumer->getNumResults() != 1)
    return false;
  AffineMap outMap = consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0));
  SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
  SmallVector<int64_t> tiles(ranges.size(), 0);
  int64_t threads = 1;
  unsigned results = outMap.getNumResults();
  for (auto [i, expr] : llvm::enumerate(outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || (keepInner && i + 1 == results) || ranges[dim.getPosition()] == 1)
      continue;
    tiles[dim.getPosition()] = 1;
    threads *= ranges[dim.getPosition()];
  }
  if (threads <= 1 || threads > kMaxThreads)
    return false;
  func::FuncOp backup = kernel.clone();
  IRRewriter rewriter(kernel.getContext());
  rewriter.setInsertionPoint(consumer);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(getAsIndexOpFoldResult(kernel.getContext(), tiles))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(consumer.getOperation()), options);
  bool ok = succeeded(result);
  if (ok) {
    for (auto [original, replacement] : result->replacements)
      rewriter.replaceAllUsesWith(original, replacement);
    Operation *threadLoop = result->loops.front().getOperation();
    // Every linalg op must now be inside the thread loop (dead ones aside).
    eraseDeadOps(kernel);
    kernel.walk([&](linalg::LinalgOp op) {
      if (!threadLoop->isProperAncestor(op))
        ok = false;
    });
  }
  if (!ok)
    kernel.getBody().takeBody(backup.getBody());
  backup.erase();
  return ok;
}

/// Step 3: `func.func @k` (bufferized) -> `gpu.module @k_module { gpu.func @k }`.
FailureOr<GpuLaunch> outlineToGpu(func::FuncOp kernel, ModuleOp container) {
  GpuLaunch launch;
  launch.symbol = kernel.getName().str();
  IRRewriter rewriter(kernel.getContext());
  Location loc = kernel.getLoc();
  rewriter.setInsertionPointToEnd(container.getBody());
  auto gpuModule = rewriter.create<gpu::GPUModuleOp>(loc, launch.symbol + "_module");
  rewriter.setInsertionPointToStart(gpuModule.getBody());
  auto gpuFunc = rewriter.create<gpu::GPUFuncOp>(loc, launch.symbol, kernel.getFunctionType());
  gpuFunc->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), rewriter.getUnitAttr());
  Block &entry = gpuFunc.getBody().front();
  rewriter.inlineBlockBefore(&kernel.getBody().front(), &entry, entry.end(),
                             entry.getArguments());
  // func.return -> gpu.return.
  gpuFunc.walk([&](func::ReturnOp ret) {
    rewriter.setInsertionPoint(ret);
    rewriter.replaceOpWithNewOp<gpu::ReturnOp>(ret);
  });
  // Blocks: the top-level forall; threads: a forall directly inside it.
  SmallVector<scf::ForallOp> blocks;
  for (Operation &op : entry)
    if (auto f = dyn_cast<scf::ForallOp>(op))
      blocks.push_back(f);
  launch.block = {1};
  if (blocks.size() > 1)
    return failure();
  if (blocks.size() == 1) {
    scf::ForallOp blockLoop = blocks.front();
    SmallVector<scf::ForallOp> threadLoops;
    bool sharedWork = false;
    for (Operation &op : *blockLoop.getBody()) {
      if (auto f = dyn_cast<scf::ForallOp>(op))
        threadLoops.push_back(f);
      else if (!isMemoryEffectFree(&op) && !isa<scf::InParallelOp>(op))
        sharedWork = true;
    }
    auto blockTrips = forallTripCounts(blockLoop);
    if (!blockTrips)
      return failure();
    launch.grid = 1;
    for (int64_t t : *blockTrips)
      launch.grid *= t;
    if (threadLoops.size() == 1 && !sharedWork) {
      auto threadTrips = forallTripCounts(threadLoops.front());
      if (!threadTrips)
        return failure();
      int64_t threads = 1;
      for (int64_t t : *threadTrips)
        threads *= t;
      launch.block = {threads};
      rewriter.setInsertionPoint(threadLoops.front());
      Value tid = rewriter.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
      inlineForall(rewriter, threadLoops.front(), tid);
    } else {
      // One thread runs the block's tile: thread loops become sequential.
      for (scf::ForallOp f : threadLoops) {
        rewriter.setInsertionPoint(f);
        (void)scf::forallToForLoop(rewriter, f);
      }
    }
    rewriter.setInsertionPoint(blockLoop);
    Value bid = rewriter.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
    inlineForall(rewriter, blockLoop, bid);
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

/// ptxas: PTX text -> cubin bytes.
bool assemblePtx(const std::string &ptx, const std::string &arch, const std::string &work,
                 std::string &cubin, std::string &error) {
  std::string ptxas = findTool({"ptxas", "/usr/local/cuda/bin/ptxas"});
  if (ptxas.empty())
    return error = "ptxas not found; install the CUDA toolkit (/usr/local/cuda/bin)", false;
  std::string in = work + ".ptx", out = work + ".cubin";
  std::ofstream(in) << ptx;
  std::string message;
  llvm::SmallVector<llvm::StringRef> args = {ptxas, "-arch", arch, "-O3", in, "-o", out};
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, {}, 0, 0, &message);
  auto buffer = llvm::MemoryBuffer::getFile(out);
  llvm::sys::fs::remove(in);
  llvm::sys::fs::remove(out);
  if (rc != 0 || !buffer)
    return error = "ptxas failed for " + arch + " (" + std::to_string(rc) + ") " + message, false;
  cubin = (*buffer)->getBuffer().str();
  return true;
}

/// MLIR's ROCDL serializer looks for `<toolkit>/llvm/bin/ld.lld` and
/// `<toolkit>/amdgcn/bitcode`; Debian keeps them elsewhere, so a private
/// toolkit directory of links points at them.
std::string rocmToolkit(std::string &error) {
  llvm::SmallString<128> dir;
  llvm::sys::path::system_temp_directory(true, dir);
  llvm::sys::path::append(dir, "tilec-rocm-toolkit-" + std::to_string(::getpid()));
  std::string root = dir.str().str();
  std::string lld = findTool({"/usr/lib/llvm-19/bin/ld.lld", "ld.lld-19", "ld.lld"});
  std::string bitcode = "/usr/lib/x86_64-linux-gnu/amdgcn/bitcode";
  if (lld.empty() || !llvm::sys::fs::exists(bitcode + "/ocml.bc")) {
    error = "ROCm code generation needs ld.lld and the ROCm device libraries "
            "(Debian packages lld-19 and rocm-device-libs; scripts/setup.sh installs them)";
    return "";
  }
  llvm::sys::fs::create_directories(root + "/llvm/bin");
  llvm::sys::fs::create_directories(root + "/amdgcn");
  llvm::sys::fs::create_link(lld, root + "/llvm/bin/ld.lld");
  llvm::sys::fs::create_link(bitcode, root + "/amdgcn/bitcode");
  return root;
}

} // namespace

bool tilec::codegen::emitGpuKernels(ModuleOp kernels, const Target &target,
                                    const DumpOptions &dump, std::vector<art::GpuCode> &code,
                                    std::vector<GpuLaunch> &launches, std::string &error) {
  bool cuda = target.kind == TargetKind::Cuda;
  // 1. Threads.
  for (auto func : llvm::make_early_inc_range(kernels.getOps<func::FuncOp>())) {
    DispatchShape shape = describeKernel(func);
    bool keepInner = shape.rootKind == "softmax" || shape.rootKind == "layer_norm" ||
                     shape.rootKind == "reduce" || shape.rootKind == "attention";
    if (tileThreads(func, keepInner))
      movePadsIntoTiles(func);
  }
  // 2. Buffers.
  std::map<std::string, int64_t> unused;
  if (failed(bufferizeKernels(kernels, dump, unused, /*outline=*/false, /*stackBytes=*/1 << 20)))
    return error = "bufferizing the GPU kernels failed (see the diagnostics above)", false;
  // 3. gpu.module per kernel.
  kernels->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(kernels.getContext()));
  for (auto func : llvm::make_early_inc_range(kernels.getOps<func::FuncOp>())) {
    FailureOr<GpuLaunch> launch = outlineToGpu(func, kernels);
    if (failed(launch))
      return error = "internal error: kernel " + func.getName().str() +
                     " has an unexpected loop structure for GPU mapping",
             false;
    launches.push_back(*launch);
  }
  {
    RewritePatternSet patterns(kernels.getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    (void)applyPatternsAndFoldGreedily(kernels, std::move(patterns));
  }
  dumpStage(dump, "3-gpu.mlir", [&] { return printModule(kernels); });
  // 4. Lower and serialize.
  std::string toolkit = cuda ? "/usr/local/cuda" : rocmToolkit(error);
  if (toolkit.empty())
    return false;
  std::string attach = cuda ? "nvvm-attach-target{chip=" + target.arch + " O=3}"
                            : "rocdl-attach-target{chip=" + target.arch + " O=3}";
  // convert-math-to-llvm after the GPU conversion: it only sees what the
  // GPU patterns left (math.fma from the polynomial approximations).
  std::string convert = cuda ? "convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=true}"
                             : "convert-gpu-to-rocdl{use-bare-ptr-memref-call-conv=true "
                               "runtime=HIP}";
  convert += ",convert-math-to-llvm";
  std::string pipeline = "convert-linalg-to-loops,lower-affine,convert-scf-to-cf,arith-expand,"
                         "expand-strided-metadata,lower-affine," +
                         attach + ",gpu.module(" + convert + ",reconcile-unrealized-casts)," +
                         "gpu-module-to-binary{format=" + (cuda ? "isa" : "bin") +
                         " toolkit=" + toolkit + "}";
  LogicalResult lowered = runPassPipeline(kernels, pipeline);
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
      if (!assemblePtx(c.text, target.arch, work.str().str(), c.binary, error))
        return false;
      dumpStage(dump, symbol + ".cubin", [&] { return c.binary; });
    } else {
      c.binary = object.getObject().str();
      dumpStage(dump, symbol + ".hsaco", [&] { return c.binary; });
    }
    code.push_back(std::move(c));
  }
  return true;
}
