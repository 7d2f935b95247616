//===- CpuBackend.h - kernels to an x86-64 shared object ------------------===//
//
// Takes a module of scheduled kernels (linalg/vector on tensors, as left by
// applySchedule) through bufferization, lowering to the LLVM dialect, LLVM's
// O3 pipeline for the target CPU and its code generator, and links the object
// with ld.lld into a shared object.
//
// Kernel ABI (DESIGN.md): every kernel `k` is exported as
//
//   void k(void **buffers, int64_t workgroup);
//
// where `buffers` holds one pointer per kernel argument (dispatch operands,
// then results) and `workgroup` is in [0, grid). The runtime's thread pool
// calls it once per workgroup.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_CPU_CPUBACKEND_H
#define TILEC_CODEGEN_CPU_CPUBACKEND_H

#include "codegen/common/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <initializer_list>
#include <map>
#include <string>

namespace tilec::codegen {

/// Where `TILEC_DUMP_KERNELS` writes each stage (empty: nowhere).
struct DumpOptions {
  std::string directory;
};

/// Bufferizes and lowers `kernels` in place (to the LLVM dialect), then emits
/// and links `soPath`; `grids` gets each kernel's final workgroup count. On
/// failure returns false with `error` set.
bool emitCpuSharedObject(mlir::ModuleOp kernels, const Target &target, const DumpOptions &dump,
                         const std::string &soPath, std::map<std::string, int64_t> &grids,
                         std::string &error);

/// Bufferizes the scheduled kernels (shared by every target); temporaries up
/// to `stackBytes` live on the stack (GPU: private memory, which has no heap
/// alternative). With `outline`
/// (CPU), replaces their workgroup loops with the workgroup argument and
/// records each kernel's grid.
mlir::LogicalResult bufferizeKernels(mlir::ModuleOp kernels, const DumpOptions &dump,
                                     std::map<std::string, int64_t> &grids, bool outline = true,
                                     int64_t stackBytes = 262144);

/// Static copies between buffers (concat slices, copy-outs) as loops over all
/// but the innermost dim, which moves in vector chunks of at most
/// `maxChunkBytes` (256 on CPUs: 64 floats; 16 on GPUs: one 16-byte load per
/// thread, 4 floats or 8 bf16 / f16 values).
void vectorizeCopies(mlir::ModuleOp kernels, int64_t maxChunkBytes = 256);

/// Vector lowering shared by every target: contractions to outer products
/// (FMAs), n-D transfers and masks to simpler forms, math functions to
/// polynomials. With `expandBF16`, conversions to and from bf16 become integer
/// arithmetic (round to nearest even), for targets whose LLVM backend would
/// call a runtime helper (`__truncsfbf2`) an artifact cannot link. With
/// `bf16Pairs`, vectors of an even number of bf16 values widen to f32 two
/// per 32-bit word (populateWidenBF16InPairsPatterns): GPU targets, and the
/// simt target, which runs the GPUs' code on this CPU.
mlir::LogicalResult lowerVectorsAndMath(mlir::ModuleOp module, bool expandBF16,
                                        bool bf16Pairs = false);

/// arith.extf of a vector of 2n bf16 values to f32 as n 32-bit words: the
/// word's low element shifted up 16 bits, its high element masked (one
/// integer instruction each; extending each 16-bit half to 32 bits first
/// took two or three on NVPTX), the two halves interleaved back.
void populateWidenBF16InPairsPatterns(mlir::RewritePatternSet &patterns,
                                      mlir::PatternBenefit benefit = 3);

/// Writes `text` to `<dump.directory>/<name>` when dumping is on.
/// (`text` is only evaluated when dumping: printing a large module is slow.)
void dumpStage(const DumpOptions &dump, const std::string &name,
               const std::function<std::string()> &text);

/// Runs a textual pipeline of module-level passes, e.g. "canonicalize,cse".
mlir::LogicalResult runPassPipeline(mlir::ModuleOp module, const std::string &pipeline);

/// The first of `candidates` (names or paths) found as a program; "" if none.
std::string findTool(std::initializer_list<const char *> candidates);

/// The module printed as MLIR text (for dumps).
std::string printModule(mlir::ModuleOp module);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_CPU_CPUBACKEND_H
