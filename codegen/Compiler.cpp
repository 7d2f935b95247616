//===- Compiler.cpp - dispatches to kernels, plan and weights to a file ---===//
//
// Steps of compileModel:
//   1. walk @main: inputs, dispatches (with their arena offsets), views that
//      alias their operand, constants (weights), the returned values;
//   2. one kernel per distinct dispatch signature: lower to linalg, choose and
//      verify a schedule, apply it;
//   3. the target backend turns the kernel module into code;
//   4. header + plan + weights + code, written to a temporary file that is
//      renamed over the output only when complete.
//
//===----------------------------------------------------------------------===//

#include "codegen/Compiler.h"

#include "ir/HalfFloat.h"

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/LowerToLinalg.h"
#include "codegen/gpu/GpuBackend.h"
#include "codegen/gpu/GpuThreads.h"
#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/WarpAttention.h"
#include "ir/HalfFloat.h"
#include "ir/Weights.h"
#include "tilec/artifact_format.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <fstream>

using namespace mlir;
using namespace tilec;
using namespace tilec::codegen;
namespace art = tilec::artifact;

namespace {

uint64_t alignUp(uint64_t v) { return (v + art::kAlignment - 1) / art::kAlignment * art::kAlignment; }

uint64_t bytesOf(Value v) {
  auto t = cast<ShapedType>(v.getType());
  return t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
}

art::ElementType elementTypeOf(Value v) {
  Type t = cast<ShapedType>(v.getType()).getElementType();
  return t.isBF16() ? art::ElementType::BF16
                    : t.isF16() ? art::ElementType::F16 : art::ElementType::F32;
}

std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<ShapedType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

/// Step 1 and the plan half of step 4: buffer references for every value.
class PlanBuilder {
public:
  art::Plan plan;
  std::vector<uint8_t> weights;

  LogicalResult bindInputs(func::FuncOp main) {
    for (auto [i, arg] : llvm::enumerate(main.getArguments())) {
      art::BufferRef ref{art::BufferKind::Input, uint32_t(i), 0, bytesOf(arg)};
      refs[arg] = ref;
      plan.inputs.push_back({"input" + std::to_string(i), shapeOf(arg), elementTypeOf(arg), ref});
    }
    if (auto names = main->getAttrOfType<ArrayAttr>("tilec.input_names"))
      for (auto [i, n] : llvm::enumerate(names))
        if (i < plan.inputs.size())
          plan.inputs[i].name = cast<StringAttr>(n).str();
    return success();
  }

  FailureOr<art::BufferRef> refFor(Value v) {
    auto it = refs.find(v);
    if (it != refs.end())
      return it->second;
    auto constant = v.getDefiningOp<ConstantOp>();
    if (!constant)
      return failure();
    std::vector<float> data;
    std::string ignored;
    if (failed(readAsFloats(constant.getValue(), data, ignored)))
      return failure();
    // In the constant's own element type (bf16 / f16 weights of
    // reduced-precision contractions take 2 bytes each).
    Type element = cast<ShapedType>(v.getType()).getElementType();
    uint64_t offset = alignUp(weights.size()), bytes = bytesOf(v);
    weights.resize(offset + bytes);
    uint8_t *out = weights.data() + offset;
    if (element.isF32()) {
      std::memcpy(out, data.data(), bytes);
    } else {
      for (size_t i = 0; i < data.size(); ++i) {
        uint16_t h = half::narrow(data[i], element.isBF16());
        std::memcpy(out + 2 * i, &h, 2);
      }
    }
    art::BufferRef ref{art::BufferKind::Weight, 0, offset, bytes};
    refs[v] = ref;
    return ref;
  }

  LogicalResult bindDispatchResults(DispatchOp d) {
    auto offsets = d->getAttrOfType<DenseI64ArrayAttr>("arena_offsets");
    if (!offsets || offsets.size() != int64_t(d->getNumResults()))
      return d.emitOpError("has no arena offsets; run the graph pipeline (plan-memory) first");
    for (auto [r, off] : llvm::zip(d->getResults(), offsets.asArrayRef())) {
      refs[r] = art::BufferRef{art::BufferKind::Arena, 0, uint64_t(off), bytesOf(r)};
      plan.arenaBytes = std::max(plan.arenaBytes, uint64_t(off) + bytesOf(r));
    }
    return success();
  }

  /// A view shares its source's buffer; a view of a constant weight makes
  /// the weight's buffer first (lookup alone gave arena offset 0).
  LogicalResult alias(Value view, Value source) {
    FailureOr<art::BufferRef> ref = refFor(source);
    if (failed(ref))
      return failure();
    refs[view] = *ref;
    return success();
  }

private:
  llvm::DenseMap<Value, art::BufferRef> refs;
};

bool writeArtifact(const std::string &path, const Target &target, const std::string &model,
                   const art::Plan &plan, const std::vector<uint8_t> &weights,
                   const std::vector<uint8_t> &code, std::string &error) {
  std::vector<uint8_t> planBytes = art::serializePlan(plan);
  art::Header h{};
  std::memcpy(h.magic, art::kMagic, sizeof(h.magic));
  h.formatVersion = art::kFormatVersion;
  h.targetKind = uint32_t(target.kind == TargetKind::Cpu    ? art::TargetKind::Cpu
                          : target.kind == TargetKind::Cuda ? art::TargetKind::Cuda
                                                            : art::TargetKind::Rocm);
  h.planOffset = art::kHeaderBytes;
  h.planBytes = planBytes.size();
  h.weightsOffset = alignUp(h.planOffset + h.planBytes);
  h.weightsBytes = weights.size();
  h.codeOffset = alignUp(h.weightsOffset + h.weightsBytes);
  h.codeBytes = code.size();
  h.fileBytes = h.codeOffset + h.codeBytes;
  std::snprintf(h.target, sizeof(h.target), "%s", target.str().c_str());
  std::snprintf(h.tilecVersion, sizeof(h.tilecVersion), "%s", TILEC_VERSION_STRING);
  std::snprintf(h.model, sizeof(h.model), "%s", model.c_str());
  std::vector<uint8_t> body(h.fileBytes - art::kHeaderBytes, 0);
  auto place = [&](uint64_t offset, const std::vector<uint8_t> &bytes) {
    std::copy(bytes.begin(), bytes.end(), body.begin() + (offset - art::kHeaderBytes));
  };
  place(h.planOffset, planBytes);
  place(h.weightsOffset, weights);
  place(h.codeOffset, code);
  h.checksum = art::fnv1a(body.data(), body.size());
  std::vector<uint8_t> header(art::kHeaderBytes, 0);
  std::memcpy(header.data(), &h, sizeof(h));
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(header.data()), header.size());
    out.write(reinterpret_cast<const char *>(body.data()), body.size());
    if (!out) {
      error = "cannot write " + tmp;
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path;
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

/// Chooses the kernel's schedule: the caller's (if legal), else the default.
Schedule chooseSchedule(func::FuncOp kernel, const std::string &signature,
                        const CompileOptions &options, std::string &notes) {
  DispatchShape shape = describeKernel(kernel);
  Schedule fallback = defaultSchedule(shape, options.target);
  if (options.scheduleFor)
    if (std::optional<Schedule> s = options.scheduleFor(signature, fallback, shape)) {
      std::string why = verifySchedule(*s, shape, options.target);
      if (why.empty())
        return *s;
      notes += "requested schedule rejected (" + why + "), default used; ";
    }
  return fallback;
}

} // namespace

bool tilec::codegen::compileModel(ModuleOp module, const CompileOptions &options,
                                  const std::string &outputPath, CompileReport &report,
                                  std::string &error) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main) {
    error = "the module has no @main function";
    return false;
  }
  MLIRContext *ctx = module.getContext();
  // Kernels are built with upstream dialects the graph never used.
  ctx->loadAllAvailableDialects();
  // 1. The graph: buffers for inputs, dispatch results, views, weights.
  PlanBuilder planner;
  planner.plan.source = options.source;
  if (options.target.kind == TargetKind::Cpu)
    for (const char *isa : {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma", "avx"})
      if (options.target.features.find(std::string("+") + isa + ",") != std::string::npos ||
          llvm::StringRef(options.target.features).ends_with(std::string("+") + isa))
        planner.plan.requiredIsa += (planner.plan.requiredIsa.empty() ? "" : ",") + std::string(isa);
  (void)planner.bindInputs(main);
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(UnknownLoc::get(ctx));
  llvm::StringMap<size_t> kernelBySignature;
  std::vector<DispatchOp> dispatches;
  for (Operation &op : main.getBody().front()) {
    if (auto d = dyn_cast<DispatchOp>(op)) {
      if (failed(planner.bindDispatchResults(d)))
        return error = "dispatch without a memory plan", false;
      // An in-place concat's operands were written into its slices by their
      // producers, an in-place slice is a run of its operand's bytes
      // (plan-memory): no kernel.
      if (d->hasAttr("in_place")) {
        ++report.inPlaceDispatches;
        continue;
      }
      dispatches.push_back(d);
    } else if (isa<ReshapeOp, FlattenOp>(op)) {
      if (failed(planner.alias(op.getResult(0), op.getOperand(0)))) {
        op.emitOpError("views a value with no buffer");
        return error = "graph not ready for code generation", false;
      }
    } else if (!isa<ConstantOp, func::ReturnOp>(op)) {
      InFlightDiagnostic diag = op.emitOpError("is outside any dispatch region; run the graph "
                                               "pipeline (form-dispatches) before compiling");
      error = "graph not ready for code generation";
      return false;
    }
  }
  // 2. Kernels, one per distinct signature.
  for (auto [i, d] : llvm::enumerate(dispatches)) {
    std::string signature = d.getSignature().str();
    art::Kernel kernel;
    SmallVector<Value> values(d->getOperands());
    llvm::append_range(values, d->getResults());
    // GPU kernels may assume 16-byte aligned buffers (vector loads) only if
    // every dispatch that runs them passes such buffers; a dispatch writing
    // into a slice (an in-place concat) may not, and gets its own kernel.
    bool aligned = options.target.kind != TargetKind::Cpu;
    for (Value v : values) {
      FailureOr<art::BufferRef> ref = planner.refFor(v);
      aligned &= succeeded(ref) && ref->offset % 16 == 0;
    }
    auto found = kernelBySignature.find(signature + (aligned ? "" : " unaligned"));
    if (found == kernelBySignature.end()) {
      std::string symbol = "tilec_k" + std::to_string(report.kernels.size());
      if (options.progress)
        options.progress("kernel " + std::to_string(report.kernels.size() + 1) + " (dispatch " +
                         std::to_string(i + 1) + "/" + std::to_string(dispatches.size()) +
                         "): " + d.getKind().str());
      FailureOr<func::FuncOp> func = lowerDispatchToLinalg(d, *kernels, symbol);
      if (failed(func))
        return error = "dispatch " + std::to_string(i) + " (" + signature +
                       ") cannot be compiled (see the diagnostic above)",
               false;
      if (failed(verify(*func)))
        return error = "internal error: the linalg form of dispatch " + std::to_string(i) +
                       " does not verify (see above)",
               false;
      KernelReport kr;
      kr.symbol = symbol;
      kr.signature = signature;
      Schedule schedule = chooseSchedule(*func, signature, options, kr.notes);
      if (options.target.threaded())
        prepareCopyKernelsForThreads(*func);
      KernelPlan kp;
      if (options.target.threaded() &&
          isWarpAttentionSchedule(schedule, describeKernel(*func).rootKind)) {
        // Tensor-core attention builds its own blocks, warps and threads;
        // where it does not apply, the SIMT stream of the same blocks.
        kp.grid = streamAttentionOnWarps(*func, schedule, options.target, kp.notes);
        if (kp.grid == 0) {
          Schedule simt = schedule;
          simt.mmaShape.clear();
          std::string why = kp.notes;
          kp = applySchedule(*func, simt, options.target);
          kp.notes = why + kp.notes;
        }
      } else {
        kp = applySchedule(*func, schedule, options.target);
      }
      if (options.target.threaded())
        kp.notes += mapToThreads(*func, schedule, options.target);
      if (aligned)
        (*func)->setAttr(kArgsAlignedAttr, UnitAttr::get(ctx));
      kr.schedule = schedule.str();
      kr.grid = kp.grid;
      kr.vectorized = kp.vectorized;
      kr.notes += kp.notes;
      std::string key = signature + (aligned ? "" : " unaligned");
      kernelBySignature[key] = report.kernels.size();
      report.kernels.push_back(kr);
      found = kernelBySignature.find(key);
    }
    KernelReport &kr = report.kernels[found->second];
    ++kr.dispatches;
    kernel.symbol = kr.symbol;
    kernel.signature = signature;
    kernel.schedule = kr.schedule;
    kernel.grid = kr.grid;
    for (Value v : values) {
      FailureOr<art::BufferRef> ref = planner.refFor(v);
      if (failed(ref))
        return error = "dispatch " + std::to_string(i) + " reads a value with no buffer", false;
      kernel.args.push_back(*ref);
    }
    planner.plan.kernels.push_back(kernel);
  }
  // Outputs: where each returned value lives.
  auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    FailureOr<art::BufferRef> ref = planner.refFor(v);
    if (failed(ref))
      return error = "output " + std::to_string(i) + " has no buffer", false;
    planner.plan.outputs.push_back(
        {"output" + std::to_string(i), shapeOf(v), elementTypeOf(v), *ref});
  }
  // 3. Code.
  std::vector<uint8_t> code;
  if (options.target.kind == TargetKind::Cpu) {
    std::string soPath = outputPath + ".kernels.so";
    std::map<std::string, int64_t> grids;
    if (!emitCpuSharedObject(*kernels, options.target, options.dump, soPath, grids, error))
      return false;
    // Bufferization has the last word on the grid (see outlineWorkgroups).
    for (art::Kernel &k : planner.plan.kernels)
      k.grid = grids[k.symbol];
    for (KernelReport &k : report.kernels)
      if (grids[k.symbol] != k.grid) {
        k.notes += "single workgroup (bufferization left a shared write outside the tile loop); ";
        k.grid = grids[k.symbol];
      }
    auto buffer = llvm::MemoryBuffer::getFile(soPath);
    llvm::sys::fs::remove(soPath);
    if (!buffer)
      return error = "cannot read back " + soPath, false;
    code.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  } else {
    std::vector<art::GpuCode> gpuCode;
    std::vector<GpuLaunch> launches;
    if (!emitGpuKernels(*kernels, options.target, options.dump, gpuCode, launches, error))
      return false;
    for (art::Kernel &k : planner.plan.kernels)
      for (const GpuLaunch &l : launches)
        if (l.symbol == k.symbol) {
          k.block = l.block;
          k.grid = l.grid;
          k.sharedBytes = l.sharedBytes;
          k.tensorMaps = l.tensorMaps;
        }
    for (KernelReport &k : report.kernels)
      for (const GpuLaunch &l : launches)
        if (l.symbol == k.symbol)
          k.notes += (l.sharedBytes > 0
                          ? std::to_string(l.sharedBytes) + " bytes of dynamic shared memory; "
                          : "") +
                     l.notes + l.assembler;
    code = art::serializeGpuCode(gpuCode);
  }
  // Staging pipelines that could not be built (Pipeline.h) say so, and the
  // simt target's TMA emulation (Tma.h). The CPU backend names a kernel's
  // body `<symbol>.impl` (its entry point wraps it).
  if (auto notes = (*kernels)->getAttrOfType<DictionaryAttr>(kPipelineNotesAttr))
    for (KernelReport &k : report.kernels)
      for (const std::string &name : {k.symbol, k.symbol + ".impl"})
        if (auto note = notes.getAs<StringAttr>(name))
          k.notes += note.str() + "; ";
  // 4. The file.
  std::string model = "model";
  if (auto name = module->getAttrOfType<StringAttr>("tilec.model"))
    model = name.str();
  report.weightBytes = planner.weights.size();
  report.arenaBytes = planner.plan.arenaBytes;
  report.codeBytes = code.size();
  return writeArtifact(outputPath, options.target, model, planner.plan, planner.weights, code,
                       error);
}
