//===- BenchUtil.h - what every tilec benchmark does the same way ---------===//
//
// compileGraph: a graph in MLIR text -> graph pipeline -> default schedules ->
// an artifact loaded through the runtime, as a user's model would be.
// RatioReporter: Google Benchmark's console output, plus each run's GFLOP/s
// kept by name for the ratio table printed at the end.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_BENCH_BENCHUTIL_H
#define TILEC_BENCH_BENCHUTIL_H

#include "autotune/Database.h"
#include "autotune/Fingerprint.h"
#include "codegen/Compiler.h"
#include "codegen/common/LowerToLinalg.h"
#include "passes/Pipeline.h"
#include "tilec/runtime.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace tilec::bench {

/// Compiles `text` (a module with func @main) for the host CPU and loads it with
/// `threads` threads (0: all cores); null after printing why on failure.
/// With TILEC_BENCH_DB=<tuning.db> set, dispatches with a record for this
/// machine and thread count get their tuned schedule (docs/knobs.md).
inline tilec_model *compileGraph(const std::string &text, const std::string &tag, int threads) {
  mlir::DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  mlir::MLIRContext context(registry);
  context.disableMultithreading();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  mlir::PassManager pm(&context);
  buildGraphPipeline(pm, {.fusion = "default"});
  if (!module || mlir::failed(pm.run(*module)))
    return nullptr;
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  std::unique_ptr<autotune::Database> db;
  std::string fingerprint, why;
  if (const char *path = std::getenv("TILEC_BENCH_DB"); path && *path) {
    db = autotune::Database::open(path, why);
    fingerprint = autotune::fingerprint(options.target, threads, why);
    if (!db || fingerprint.empty()) {
      std::fprintf(stderr, "TILEC_BENCH_DB: %s\n", why.c_str());
      return nullptr;
    }
    options.scheduleFor = [&](const std::string &signature, const codegen::Schedule &,
                              const codegen::DispatchShape &) -> std::optional<codegen::Schedule> {
      return autotune::tunedSchedule(*db, fingerprint, signature);
    };
  }
  std::string path =
      (std::filesystem::temp_directory_path() / ("tilec-bench-" + tag + ".tilec")).string();
  codegen::CompileReport report;
  std::string error;
  if (!codegen::compileModel(*module, options, path, report, error)) {
    std::fprintf(stderr, "compile failed: %s\n", error.c_str());
    return nullptr;
  }
  tilec_model *model = nullptr;
  tilec_load_options load{threads};
  tilec_status *status = tilec_model_load(path.c_str(), &load, &model);
  std::filesystem::remove(path);
  if (status) {
    std::fprintf(stderr, "load failed: %s\n", tilec_status_message(status));
    tilec_status_free(status);
    return nullptr;
  }
  return model;
}

class RatioReporter : public benchmark::ConsoleReporter {
public:
  std::map<std::string, double> gflops; ///< run name -> GFLOP/s

  void ReportRuns(const std::vector<Run> &runs) override {
    for (const Run &r : runs)
      if (!r.error_occurred && r.counters.count("GFLOP/s"))
        gflops[r.run_name.str()] = r.counters.at("GFLOP/s") / 1e9;
    ConsoleReporter::ReportRuns(runs);
  }
};

} // namespace tilec::bench

#endif // TILEC_BENCH_BENCHUTIL_H
