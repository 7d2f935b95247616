//===- CpuBackend.cpp - bufferize, lower to LLVM, emit, link --------------===//
//
// The pipeline, in order:
//   1. Bufferize (shared with GPU targets, bufferizeKernels):
//      a. hoist loop-invariant accumulator reads/writes out of the k loop
//         (on tensors, before bufferization: afterwards the buffers may alias
//         and the hoisting is no longer provably safe);
//      b. empty-tensor elimination, so results are computed in the output
//         buffer instead of a temporary that is copied;
//      c. one-shot bufferization; small temporaries go to the stack, the rest
//         get deallocations;
//      d. the workgroup forall becomes the kernel's workgroup argument.
//   2. Vector lowering: contractions to outer products (FMAs on broadcast
//      rows), n-D transfers to 1-D, math functions to polynomials (vectorizable,
//      no libm calls in hot loops).
//   3. Conversion to the LLVM dialect with bare-pointer memrefs (every shape is
//      static, so a pointer is all a kernel needs).
//   4. LLVM IR: an exported `void k(void **, int64_t)` entry per kernel, then
//      O3 for the target CPU, then the object file.
//   5. ld.lld -shared.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuBackend.h"
#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/Tma.h"

#include "codegen/common/ApplySchedule.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <fstream>
#include <map>

using namespace mlir;
using namespace tilec::codegen;

void tilec::codegen::dumpStage(const DumpOptions &dump, const std::string &name,
                               const std::function<std::string()> &text) {
  if (dump.directory.empty())
    return;
  llvm::sys::fs::create_directories(dump.directory);
  std::ofstream(dump.directory + "/" + name) << text();
}

LogicalResult tilec::codegen::runPassPipeline(ModuleOp module, const std::string &pipeline) {
  PassManager pm(module.getContext());
  if (failed(parsePassPipeline(pipeline, pm)))
    return module.emitError("internal error: bad pass pipeline: ") << pipeline;
  return pm.run(module);
}

std::string tilec::codegen::findTool(std::initializer_list<const char *> candidates) {
  for (const char *candidate : candidates)
    if (auto path = llvm::sys::findProgramByName(candidate))
      return *path;
  return "";
}

std::string tilec::codegen::printModule(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, OpPrintingFlags().elideLargeElementsAttrs(16).assumeVerified());
  return text;
}

namespace {

/// f32 -> bf16 (scalar or vector) as integer arithmetic, round to nearest even,
/// NaN made quiet: bits + 0x7fff + lsb, high half (ir/HalfFloat.h's toBF16).
/// MLIR's own expansion selects between bf16 values, which LLVM's x86 backend
/// (without AVX512-BF16) legalizes through f32 and a `__truncsfbf2` call per
/// element, a symbol an artifact cannot resolve; here the only bf16 value is
/// the final bitcast.
struct TruncToBF16AsIntegers : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op, PatternRewriter &rewriter) const override {
    Type from = getElementTypeOrSelf(op.getIn().getType());
    Type to = getElementTypeOrSelf(op.getType());
    if (!from.isF32() || !to.isBF16())
      return failure();
    Location loc = op.getLoc();
    auto like = [&](Type element) -> Type {
      if (auto v = dyn_cast<VectorType>(op.getType()))
        return v.clone(element);
      return element;
    };
    Type i32 = like(rewriter.getI32Type()), i16 = like(rewriter.getI16Type());
    auto constant = [&](Type t, int64_t v) -> Value {
      Type element = getElementTypeOrSelf(t);
      TypedAttr attr = rewriter.getIntegerAttr(element, v);
      if (auto vt = dyn_cast<VectorType>(t))
        attr = DenseElementsAttr::get(vt, attr);
      return rewriter.create<arith::ConstantOp>(loc, attr);
    };
    Value bits = rewriter.create<arith::BitcastOp>(loc, i32, op.getIn());
    Value high = rewriter.create<arith::ShRUIOp>(loc, bits, constant(i32, 16));
    Value lsb = rewriter.create<arith::AndIOp>(loc, high, constant(i32, 1));
    Value bias = rewriter.create<arith::AddIOp>(loc, lsb, constant(i32, 0x7fff));
    Value biased = rewriter.create<arith::AddIOp>(loc, bits, bias);
    // A NaN is not rounded (that could carry into the exponent) but made quiet.
    // The select is on i32 so that LLVM cannot move it past the final bitcast.
    Value isNan = rewriter.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, op.getIn(),
                                                 op.getIn());
    Value quiet = rewriter.create<arith::OrIOp>(loc, bits, constant(i32, 0x400000));
    Value chosen = rewriter.create<arith::SelectOp>(loc, isNan, quiet, biased);
    Value narrow = rewriter.create<arith::TruncIOp>(
        loc, i16, rewriter.create<arith::ShRUIOp>(loc, chosen, constant(i32, 16)));
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, op.getType(), narrow);
    return success();
  }
};

/// 16-bit float values in the LLVM dialect become i16. After
/// TruncToBF16AsIntegers and MLIR's extf expansion, bf16 values are only
/// loaded, stored, moved and bitcast, never computed with, and f16 values only
/// feed or come from fpext / fptrunc (F16C's conversions), so everywhere else
/// the types are interchangeable. But LLVM's x86 backend promotes every 16-bit
/// float value it moves (a broadcast, an insert, a select) to f32 and back:
/// for bf16 without AVX512-BF16 through a `__truncsfbf2` call, a symbol an
/// artifact cannot resolve; for f16 through a conversion each time
/// (ResNet-18 with --precision fp16 ran 2x slower).
LogicalResult store16BitFloatsAsI16(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  Type i16 = IntegerType::get(ctx, 16);
  auto isHalf = [](Type t) { return t.isBF16() || t.isF16(); };
  AttrTypeReplacer replacer;
  replacer.addReplacement([&](Type t) -> std::optional<Type> {
    if (isHalf(t))
      return i16;
    return std::nullopt;
  });
  replacer.addReplacement([&](Attribute a) -> AttrTypeReplacer::ReplaceFnResult<Attribute> {
    if (auto f = dyn_cast<FloatAttr>(a); f && isHalf(f.getType()))
      return {{IntegerAttr::get(i16, f.getValue().bitcastToAPInt()), WalkResult::skip()}};
    if (auto d = dyn_cast<DenseFPElementsAttr>(a); d && isHalf(d.getElementType()))
      return {{d.bitcast(i16), WalkResult::skip()}};
    return std::nullopt;
  });
  // The f16 conversions keep their f16 side, reached through bitcasts.
  SmallVector<std::pair<Operation *, Type>> conversions;
  module.walk([&](Operation *op) {
    auto ext = dyn_cast<LLVM::FPExtOp>(op);
    if (ext && getElementTypeOrSelf(ext.getArg().getType()).isF16())
      conversions.push_back({op, ext.getArg().getType()});
    auto trunc = dyn_cast<LLVM::FPTruncOp>(op);
    if (trunc && getElementTypeOrSelf(trunc.getType()).isF16())
      conversions.push_back({op, trunc.getType()});
  });
  replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true, /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
  for (auto [op, halfType] : conversions) {
    OpBuilder b(op);
    if (isa<LLVM::FPExtOp>(op)) {
      op->setOperand(0, b.create<LLVM::BitcastOp>(op->getLoc(), halfType, op->getOperand(0)));
      continue;
    }
    Value result = op->getResult(0);
    Type intType = result.getType();
    result.setType(halfType);
    b.setInsertionPointAfter(op);
    auto cast = b.create<LLVM::BitcastOp>(op->getLoc(), intType, result);
    result.replaceAllUsesExcept(cast, cast);
  }
  // Bitcasts between 16-bit floats and i16 are now i16 -> i16.
  SmallVector<LLVM::BitcastOp> identities;
  module.walk([&](LLVM::BitcastOp cast) {
    if (cast.getArg().getType() == cast.getType())
      identities.push_back(cast);
  });
  for (LLVM::BitcastOp cast : identities) {
    cast.replaceAllUsesWith(cast.getArg());
    cast.erase();
  }
  return verify(module);
}

/// extf(broadcast(x)) -> broadcast(extf(x)) and extf(transpose(x)) ->
/// transpose(extf(x)): a 16-bit operand broadcast across a register tile is
/// extended before it is replicated. (MLIR's sink-broadcast patterns also move
/// casts past shape_casts, building a shape_cast that changes the element
/// type: invalid.)
struct ExtendBeforeBroadcast : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op, PatternRewriter &rewriter) const override {
    Operation *def = op.getIn().getDefiningOp();
    if (!isa_and_nonnull<vector::BroadcastOp, vector::TransposeOp>(def))
      return failure();
    Value source = def->getOperand(0);
    // A splat of one f16 value is better extended after it (F16C converts 8
    // lanes per instruction; scalar f16 is slow): ResNet-18 ran 2x slower.
    // bf16's extension is a shift either way; a broadcast of several values
    // is lowered element by element, so it is extended first in any case.
    auto sourceVector = dyn_cast<VectorType>(source.getType());
    bool splat = !sourceVector || sourceVector.getNumElements() == 1;
    if (isa<vector::BroadcastOp>(def) && splat &&
        !getElementTypeOrSelf(op.getIn().getType()).isBF16())
      return failure();
    Type wide = getElementTypeOrSelf(op.getType());
    Type extendedType = wide;
    if (auto v = dyn_cast<VectorType>(source.getType()))
      extendedType = v.clone(wide);
    Value extended = rewriter.create<arith::ExtFOp>(op.getLoc(), extendedType, source);
    if (auto transpose = dyn_cast<vector::TransposeOp>(def))
      rewriter.replaceOpWithNewOp<vector::TransposeOp>(op, extended, transpose.getPermutation());
    else
      rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, op.getType(), extended);
    return success();
  }
};

/// populateWidenBF16InPairsPatterns (CpuBackend.h). Little-endian targets:
/// element 2i is the low half of word i.
struct WidenBF16InPairs : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op, PatternRewriter &rewriter) const override {
    auto narrow = dyn_cast<VectorType>(op.getIn().getType());
    auto wide = dyn_cast<VectorType>(op.getType());
    if (!narrow || !wide || narrow.isScalable() || !narrow.getElementType().isBF16() ||
        !wide.getElementType().isF32() || narrow.getNumElements() % 2 != 0)
      return failure();
    Location loc = op.getLoc();
    int64_t count = narrow.getNumElements();
    Value in = rewriter.create<vector::ShapeCastOp>(
        loc, VectorType::get({count}, narrow.getElementType()), op.getIn());
    auto words = VectorType::get({count / 2}, rewriter.getI32Type());
    Value bits = rewriter.create<vector::BitCastOp>(loc, words, in);
    auto splat = [&](uint32_t v) {
      return rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(words, rewriter.getI32IntegerAttr(int32_t(v)).getValue()));
    };
    auto halves = VectorType::get({count / 2}, rewriter.getF32Type());
    Value even = rewriter.create<arith::BitcastOp>(
        loc, halves, rewriter.create<arith::ShLIOp>(loc, bits, splat(16)));
    Value odd = rewriter.create<arith::BitcastOp>(
        loc, halves, rewriter.create<arith::AndIOp>(loc, bits, splat(0xFFFF0000u)));
    SmallVector<int64_t> order;
    for (int64_t i = 0; i < count / 2; ++i)
      order.append({i, count / 2 + i});
    Value out = rewriter.create<vector::ShuffleOp>(loc, even, odd, order);
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(op, wide, out);
    return success();
  }
};

} // namespace

void tilec::codegen::populateWidenBF16InPairsPatterns(RewritePatternSet &patterns,
                                                      PatternBenefit benefit) {
  patterns.add<WidenBF16InPairs>(patterns.getContext(), benefit);
}

LogicalResult tilec::codegen::lowerVectorsAndMath(ModuleOp module, bool expandBF16,
                                                  bool bf16Pairs) {
  MLIRContext *ctx = module.getContext();
  // Masked transfers (partial register tiles) first become transfers with a
  // mask operand, so the lowerings below see one op instead of a mask region.
  RewritePatternSet maskPatterns(ctx);
  vector::populateVectorMaskLoweringPatternsForSideEffectingOps(maskPatterns);
  if (failed(applyPatternsAndFoldGreedily(module, std::move(maskPatterns))))
    return failure();
  // Transfers with broadcast dims become a read and a broadcast (or
  // transpose), and extensions move before them: before the broadcast is
  // lowered to per-element inserts, which would then be extended one by one.
  RewritePatternSet early(ctx);
  vector::populateVectorTransferPermutationMapLoweringPatterns(early);
  early.add<ExtendBeforeBroadcast>(ctx);
  if (failed(applyPatternsAndFoldGreedily(module, std::move(early))))
    return failure();
  RewritePatternSet patterns(ctx);
  vector::VectorTransformsOptions options;
  options.setVectorTransformsOptions(vector::VectorContractLowering::OuterProduct);
  vector::populateVectorContractLoweringPatterns(patterns, options);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateVectorMultiReductionLoweringPatterns(
      patterns, vector::VectorMultiReductionLowering::InnerParallel);
  vector::populateVectorOuterProductLoweringPatterns(patterns);
  vector::populateVectorTransposeLoweringPatterns(patterns, options);
  vector::populateVectorShapeCastLoweringPatterns(patterns);
  vector::populateVectorBroadcastLoweringPatterns(patterns);
  vector::populateVectorMaskOpLoweringPatterns(patterns);
  populateMathPolynomialApproximationPatterns(patterns);
  if (bf16Pairs)
    populateWidenBF16InPairsPatterns(patterns);
  if (expandBF16) {
    // Ours first (benefit 2): MLIR's truncf expansion would select on bf16.
    patterns.add<TruncToBF16AsIntegers>(ctx, /*benefit=*/2);
    arith::populateExpandBFloat16Patterns(patterns);
  }
  return applyPatternsAndFoldGreedily(module, std::move(patterns));
}

namespace {

/// Adds `void <name>(ptr buffers, i64 workgroup)` calling the lowered kernel
/// `<name>.impl(ptr, ..., i64)`, and makes the impl internal.
void addEntryPoints(llvm::Module &module, ArrayRef<std::string> kernels) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  for (const std::string &name : kernels) {
    llvm::Function *impl = module.getFunction(name + ".impl");
    if (!impl)
      continue;
    impl->setLinkage(llvm::GlobalValue::InternalLinkage);
    impl->addFnAttr(llvm::Attribute::AlwaysInline);
    auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, i64}, false);
    auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, name, module);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
    std::vector<llvm::Value *> args;
    for (unsigned i = 0; i + 1 < impl->arg_size(); ++i) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, entry->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    args.push_back(entry->getArg(1));
    b.CreateCall(impl, args);
    b.CreateRetVoid();
  }
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const Target &target,
                                                         std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!t)
    return nullptr;
  llvm::TargetOptions options;
  // Multiply-adds become FMAs (one rounding instead of two: as accurate or
  // more, and what every BLAS does).
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  return std::unique_ptr<llvm::TargetMachine>(
      t->createTargetMachine(triple, target.arch, target.features, options, llvm::Reloc::PIC_,
                             std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

} // namespace

namespace {

/// Kernels marked for TMA loads (simt: their copies as the loads' boxes,
/// tmaStageCopies(emulate)); each says which it took in the module's
/// pipeline notes. True when any changed.
bool emulateTmaLoads(ModuleOp kernels) {
  bool changed = false;
  std::map<std::string, std::string> notes;
  if (auto old = kernels->getAttrOfType<DictionaryAttr>(kPipelineNotesAttr))
    for (NamedAttribute n : old)
      notes[n.getName().str()] = cast<StringAttr>(n.getValue()).str();
  for (auto func : kernels.getOps<func::FuncOp>()) {
    if (!func->hasAttr(kTmaAttr))
      continue;
    RewritePatternSet folds(func.getContext());
    memref::populateFoldMemRefAliasOpPatterns(folds);
    (void)applyPatternsAndFoldGreedily(func, std::move(folds));
    std::vector<tilec::artifact::TensorMap> maps;
    std::string why, others;
    bool done = tmaStageCopies(func, maps, why, others, /*emulate=*/true);
    changed |= done;
    std::string note = done ? "staged tiles copied as TMA boxes (simt emulation" +
                                  (others.empty() ? "" : "; the other operand: " + others) + ")"
                            : "tma=1 not applied (" + why + ")";
    std::string &entry = notes[func.getName().str()];
    entry = entry.empty() ? note : entry + "; " + note;
  }
  if (notes.empty())
    return changed;
  SmallVector<NamedAttribute> attrs;
  Builder b(kernels.getContext());
  for (auto &[name, note] : notes)
    attrs.emplace_back(b.getStringAttr(name), b.getStringAttr(note));
  kernels->setAttr(kPipelineNotesAttr, b.getDictionaryAttr(attrs));
  return changed;
}

} // namespace

LogicalResult tilec::codegen::bufferizeKernels(ModuleOp kernels, const DumpOptions &dump,
                                              std::map<std::string, int64_t> &grids,
                                              bool outline, int64_t stackBytes) {
  dumpStage(dump, "1-scheduled.mlir", [&] { return printModule(kernels); });
  if (failed(runPassPipeline(kernels, "func.func(canonicalize,"
                                  "loop-invariant-subset-hoisting,canonicalize,"
                                  "eliminate-empty-tensors),"
                                  "one-shot-bufferize{bufferize-function-boundaries=false},"
                                  "canonicalize,cse,"
                                  "func.func(promote-buffers-to-stack{max-alloc-size-in-bytes=" +
                                      std::to_string(stackBytes) +
                                      " max-rank-of-allocated-memref=8}),"
                                      "buffer-deallocation-pipeline,canonicalize")))
    return failure();
  // Copies between strided views become loops (MLIR would call `memrefCopy`
  // from its C runner library, which an artifact must not depend on), with
  // the innermost dim copied as vectors.
  kernels.walk([](memref::CopyOp copy) {
    OpBuilder b(copy);
    b.create<linalg::CopyOp>(copy.getLoc(), copy.getSource(), copy.getTarget());
    copy.erase();
  });
  // GPU tilings (and the simt target's) with stages > 1: staged reduction
  // blocks as a software pipeline, while thread loops are still loops.
  pipelineStagedLoops(kernels);
  if (outline) // CPU; GPU kernels copy one element per thread
    vectorizeCopies(kernels);
  // The simt target: `tma=1` warpgroup tiles copy their stages as the TMA
  // loads would (the same boxes, plain copies; Tma.h), so that the CPU
  // checks what a card's loads read.
  if (outline && emulateTmaLoads(kernels))
    vectorizeCopies(kernels);
  for (auto func : kernels.getOps<func::FuncOp>()) {
    if (!outline)
      break;
    // Thread loops inside a workgroup (the simt target's) run one after
    // another: each is a barrier-separated step of the block.
    SmallVector<scf::ForallOp> threadLoops;
    func.walk([&](scf::ForallOp f) {
      if (f->getParentOfType<scf::ForallOp>())
        threadLoops.push_back(f);
    });
    IRRewriter rewriter(func.getContext());
    for (scf::ForallOp f : threadLoops) {
      rewriter.setInsertionPoint(f);
      if (failed(scf::forallToForLoop(rewriter, f)))
        return func.emitError("internal error: cannot serialize a thread loop");
    }
    FailureOr<int64_t> grid = outlineWorkgroups(func);
    if (failed(grid))
      return failure();
    grids[func.getName().str()] = *grid;
  }
  dumpStage(dump, "2-bufferized.mlir", [&] { return printModule(kernels); });
  return success();
}

void tilec::codegen::vectorizeCopies(ModuleOp kernels, int64_t maxChunkBytes) {
  // Left as scalar loops, a concat along the innermost dim (channels last)
  // became a nest LLVM unrolled fully: 40 s to compile 25 copies of
  // [14, 14, 32]. Instead: loops over every dim but the last, which moves in
  // chunks of at most 64 elements (a divisor, so each chunk is static) as one
  // vector read and write.
  SmallVector<linalg::CopyOp> copies;
  kernels.walk([&](linalg::CopyOp copy) {
    auto type = dyn_cast<MemRefType>(copy.getDpsInits()[0].getType());
    if (type && type.hasStaticShape() && type.getRank() >= 1 && copy.hasPureBufferSemantics())
      copies.push_back(copy);
  });
  for (linalg::CopyOp copy : copies) {
    auto type = cast<MemRefType>(copy.getDpsInits()[0].getType());
    int64_t maxChunk = maxChunkBytes / ((type.getElementTypeBitWidth() + 7) / 8);
    int64_t inner = type.getShape().back(), chunk = 1;
    for (int64_t d = std::min<int64_t>(inner, maxChunk); d >= 1; --d)
      if (inner % d == 0) {
        chunk = d;
        break;
      }
    SmallVector<int64_t> tiles(type.getRank(), 1);
    tiles.back() = chunk;
    IRRewriter rewriter(copy->getContext());
    rewriter.setInsertionPoint(copy);
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(copy->getContext(), tiles));
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(copy.getOperation()), options);
    if (failed(tiled))
      continue; // stays a whole-tensor copy: correct, only slower to compile
    rewriter.eraseOp(copy);
    for (Operation *op : tiled->tiledOps) {
      rewriter.setInsertionPoint(op);
      (void)linalg::vectorize(rewriter, op); // a copy that does not vectorize stays a loop
    }
  }
}

bool tilec::codegen::emitCpuSharedObject(ModuleOp kernels, const Target &target,
                                         const DumpOptions &dump, const std::string &soPath,
                                         std::map<std::string, int64_t> &grids,
                                         std::string &error) {
  std::vector<std::string> names;
  for (auto func : kernels.getOps<func::FuncOp>()) {
    names.push_back(func.getName().str());
    func.setName((func.getName() + ".impl").str());
  }
  // 1-3. Bufferize, lower vectors and math, convert to the LLVM dialect.
  std::map<std::string, int64_t> implGrids;
  if (failed(bufferizeKernels(kernels, dump, implGrids)) ||
      failed(lowerVectorsAndMath(kernels, /*expandBF16=*/true, /*bf16Pairs=*/target.simt)) ||
      failed(runPassPipeline(kernels,
                             "convert-linalg-to-loops,"
                             "convert-vector-to-scf{full-unroll=true},lower-affine,"
                             "convert-scf-to-cf,arith-expand,expand-strided-metadata,lower-affine,"
                             "convert-vector-to-llvm{enable-x86vector=false},"
                             "finalize-memref-to-llvm,convert-math-to-llvm,"
                             "convert-arith-to-llvm,convert-index-to-llvm,"
                             "convert-func-to-llvm{use-bare-ptr-memref-call-conv=true},"
                             "convert-cf-to-llvm,reconcile-unrealized-casts")) ||
      failed(store16BitFloatsAsI16(kernels))) {
    error = "lowering the kernels to LLVM failed (see the diagnostics above)";
    return false;
  }
  for (const std::string &name : names)
    grids[name] = implGrids[name + ".impl"];
  dumpStage(dump, "3-llvm-dialect.mlir", [&] { return printModule(kernels); });
  // 4. LLVM IR, entry points, O3, object code.
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> module = translateModuleToLLVMIR(kernels, llvmContext, "tilec");
  if (!module) {
    error = "translation to LLVM IR failed";
    return false;
  }
  addEntryPoints(*module, names);
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(target, error);
  if (!machine)
    return false;
  module->setDataLayout(machine->createDataLayout());
  module->setTargetTriple(machine->getTargetTriple().str());
  for (llvm::Function &f : *module) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", target.arch);
    if (!target.features.empty())
      f.addFnAttr("target-features", target.features);
    // LLVM prefers 256-bit vectors on AVX-512 parts by default (frequency
    // licences on old Xeons); tilec's kernels are compute-bound, use all 512.
    f.addFnAttr("prefer-vector-width", std::to_string(target.vectorBits));
  }
  if (auto err = makeOptimizingTransformer(3, 0, machine.get())(module.get())) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(err));
    return false;
  }
  if (!dump.directory.empty()) {
    std::string ir;
    llvm::raw_string_ostream os(ir);
    module->print(os, nullptr);
    dumpStage(dump, "4-optimized.ll", [&] { return ir; });
    llvm::SmallVector<char> assembly;
    llvm::raw_svector_ostream as(assembly);
    llvm::legacy::PassManager pm;
    auto clone = llvm::CloneModule(*module);
    if (!machine->addPassesToEmitFile(pm, as, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
      pm.run(*clone);
      dumpStage(dump, "5-kernels.s", [&] { return std::string(assembly.begin(), assembly.end()); });
    }
  }
  std::string objectPath = soPath + ".o";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(objectPath, ec);
    if (ec) {
      error = "cannot write " + objectPath + ": " + ec.message();
      return false;
    }
    llvm::legacy::PassManager pm;
    if (machine->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
      error = "the target machine cannot emit object files";
      return false;
    }
    pm.run(*module);
  }
  // 5. Link.
  std::string linker = findTool({"/usr/lib/llvm-19/bin/ld.lld", "ld.lld-19", "ld.lld"});
  if (linker.empty()) {
    error = "ld.lld not found; install lld-19 (scripts/setup.sh does)";
    return false;
  }
  std::string message;
  llvm::SmallVector<llvm::StringRef> args = {linker, "-shared", "--no-undefined-version", "-O2",
                                             "-o", soPath, objectPath};
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0, &message);
  llvm::sys::fs::remove(objectPath);
  if (rc != 0) {
    error = "ld.lld failed (" + std::to_string(rc) + ") " + message;
    return false;
  }
  return true;
}
