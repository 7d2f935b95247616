//===- Compiler.h - a whole model to one artifact file --------------------===//
//
// The driver of code generation: every `tilec.dispatch` of an optimized graph
// (passes/ ran) becomes one kernel (lowerDispatchToLinalg, a schedule,
// applySchedule, the target's backend); the dispatches' arena offsets become
// the plan; the constants they read become the weights section. Dispatches
// with the same signature share one kernel.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMPILER_H
#define TILEC_CODEGEN_COMPILER_H

#include "codegen/common/Schedule.h"
#include "codegen/cpu/CpuBackend.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tilec::codegen {

struct CompileOptions {
  Target target;
  DumpOptions dump;
  /// A schedule for a dispatch signature (e.g. from the tuning database),
  /// given the heuristic default and the kernel's shape; nullopt: use the
  /// default. Illegal ones fall back to the default with a note in the report.
  std::function<std::optional<Schedule>(const std::string &signature,
                                        const Schedule &defaultSchedule,
                                        const DispatchShape &shape)>
      scheduleFor;
  /// Recorded in the artifact for `tilec run --check` (see Plan::source).
  std::string source;
  /// Progress lines ("kernel 12/56 ...") go here when set.
  std::function<void(const std::string &)> progress;
};

/// One kernel as compiled, for reports and tests.
struct KernelReport {
  std::string symbol, signature, schedule, notes;
  int64_t grid = 1;
  bool vectorized = false;
  int dispatches = 0;  ///< how many dispatches run this kernel
};

struct CompileReport {
  std::vector<KernelReport> kernels;
  int64_t weightBytes = 0, arenaBytes = 0, codeBytes = 0;
  /// Concats whose operands plan-memory placed in their slices, and slices
  /// it placed inside their operands: no kernel.
  int64_t inPlaceDispatches = 0;
};

/// Compiles `module` (its `@main` after the graph pipeline) for
/// `options.target` and writes the artifact to `outputPath` atomically (a
/// temporary file renamed into place). On failure returns false with `error`
/// set and leaves no file behind.
bool compileModel(mlir::ModuleOp module, const CompileOptions &options,
                  const std::string &outputPath, CompileReport &report, std::string &error);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_COMPILER_H
