//===- CompileCommand.cpp - `tilec compile`: a model to one artifact ------===//

#include "autotune/Database.h"
#include "autotune/Fingerprint.h"
#include "codegen/Compiler.h"
#include "codegen/common/LowerToLinalg.h"
#include "passes/Pipeline.h"
#include "tools/tilec/Commands.h"
#include "tools/tilec/ModelSource.h"

#include "mlir/IR/MLIRContext.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

using namespace mlir;
using namespace tilec;
using namespace tilec::cli;

int tilec::cli::compileCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec compile", "<model|file.mlir|file.onnx>",
                   "Compiles a model for a target into one artifact file (plan, kernels,\n"
                   "weights) that `tilec run`, `tilec bench` and the runtime's C API load.\n"
                   "Every dispatch gets a default schedule (no tuning needed).");
  parser.option("o", "file", "output artifact", "model.tilec");
  parser.option("target", "cpu|cuda:sm_XX|rocm:gfxXXX|simt",
                "what to generate code for (simt: GPU schedules run on this CPU, to check them)",
                "cpu");
  addPipelineOptions(parser);
  parser.option("schedule", "SIG=SCHED",
                "use schedule SCHED for dispatches whose signature contains SIG "
                "(e.g. 'conv2d(1x64x56x56=wg=1x8x56x56 reg=1x8x1x16x1x1x0')",
                std::nullopt, /*repeatable=*/true);
  parser.option("db", "file",
                "tuning database (`tilec tune`): use its best schedule for every dispatch it "
                "has a record for on this machine, defaults for the rest");
  parser.option("threads", "N",
                "with --db: the thread count the records were tuned for (0: all cores)", "0");
  parser.flag("print-pipeline", "print the graph pipeline with the reason for its order and exit");
  parser.flag("verbose", "print one line per kernel: schedule, workgroups, vectorized, notes");
  addModelOptions(parser);
  if (!parser.parse(args))
    return parser.exitCode();
  std::optional<GraphPipelineOptions> pipeline = pipelineOptions(parser);
  if (!pipeline)
    return 2;
  if (parser.has("print-pipeline")) {
    std::printf("%s", describeGraphPipeline(*pipeline).c_str());
    return 0;
  }
  if (!parser.expectOnePositional("model name or file"))
    return 2;
  std::string targetError;
  std::optional<codegen::Target> target = codegen::parseTarget(parser.get("target"), targetError);
  if (!target) {
    parser.error(targetError);
    return 2;
  }
  std::vector<std::pair<std::string, codegen::Schedule>> overrides;
  for (const std::string &spec : parser.getAll("schedule")) {
    size_t eq = spec.find('=');
    std::string error;
    std::optional<codegen::Schedule> s =
        eq == std::string::npos ? std::nullopt : codegen::parseSchedule(spec.substr(eq + 1), error);
    if (!s) {
      parser.error("--schedule '" + spec +
                   "': " + (error.empty() ? "expected SIGNATURE-SUBSTRING=SCHEDULE" : error));
      return 2;
    }
    overrides.emplace_back(spec.substr(0, eq), *s);
  }

  // Tuned schedules: only records of this machine class and code generator.
  std::unique_ptr<autotune::Database> db;
  std::string fingerprint;
  if (parser.has("db")) {
    std::optional<int64_t> threads = parser.getInt("threads", 0, 1024);
    if (!threads)
      return 2;
    std::string error;
    fingerprint = autotune::fingerprint(*target, int(*threads), error);
    if (fingerprint.empty()) {
      parser.error("--db: " + error);
      return 2;
    }
    if (!std::filesystem::exists(parser.get("db"))) {
      parser.error("--db: no tuning database at '" + parser.get("db") +
                   "' (create one with `tilec tune`)");
      return 1;
    }
    db = autotune::Database::open(parser.get("db"), error);
    if (!db) {
      parser.error(error);
      return 1;
    }
  }
  int tuned = 0, lookedUp = 0;

  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  int exitCode = 1;
  const std::string &source = parser.positionals()[0];
  auto start = std::chrono::steady_clock::now();
  auto module = loadModel(context, source, parser, models::WeightInit::Seeded, exitCode);
  if (failed(module))
    return exitCode;
  std::string error;
  if (failed(runGraphPipeline(module->get(), *pipeline, error))) {
    parser.error(error);
    return 1;
  }
  codegen::CompileOptions options;
  options.target = *target;
  if (const char *dump = std::getenv("TILEC_DUMP_KERNELS"); dump && *dump)
    options.dump.directory = dump;
  // What `tilec run --check` needs to rebuild the reference: the model and the
  // options that shape it (a file is recorded by absolute path).
  std::string recorded = source;
  if (std::filesystem::exists(source))
    recorded = std::filesystem::absolute(source).string();
  recorded += "\n";
  for (const char *name : {"batch", "resolution", "classes", "seed"})
    if (parser.has(name))
      recorded += std::string("--") + name + "=" + parser.get(name) + "\n";
  if (pipeline->precision != GraphPipelineOptions().precision)
    recorded += "--precision=" + pipeline->precision + "\n";
  options.source = recorded;
  options.scheduleFor = [&](const std::string &signature, const codegen::Schedule &,
                            const codegen::DispatchShape &) -> std::optional<codegen::Schedule> {
    for (const auto &[pattern, schedule] : overrides)
      if (signature.find(pattern) != std::string::npos)
        return schedule;
    if (!db)
      return std::nullopt;
    ++lookedUp;
    std::optional<codegen::Schedule> s = autotune::tunedSchedule(*db, fingerprint, signature);
    tuned += s.has_value();
    return s;
  };
  bool verbose = parser.has("verbose");
  options.progress = [&](const std::string &line) {
    if (verbose)
      std::fprintf(stderr, "[compile] %s\n", line.c_str());
  };
  codegen::CompileReport report;
  std::string out = parser.get("o");
  if (!codegen::compileModel(module->get(), options, out, report, error)) {
    std::fprintf(stderr, "tilec compile: error: %s\n", error.c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int vectorized = 0, multi = 0, dispatches = 0;
  for (const codegen::KernelReport &k : report.kernels) {
    vectorized += k.vectorized;
    multi += k.grid > 1;
    dispatches += k.dispatches;
    if (verbose)
      std::printf("%-9s x%-3d grid %-5lld %s  %s%s\n  %s\n", k.symbol.c_str(), k.dispatches,
                  (long long)k.grid, k.vectorized ? "vector" : "loops ", k.schedule.c_str(),
                  k.notes.empty() ? "" : ("  [" + k.notes + "]").c_str(), k.signature.c_str());
  }
  std::printf("compiled   %s for %s in %.1f s\n", source.c_str(), target->str().c_str(), seconds);
  std::printf("kernels    %zu for %d dispatches (%d with explicit vector code, %d with >1 "
              "workgroup)\n",
              report.kernels.size(), dispatches, vectorized, multi);
  printLayout(module->get());
  if (report.inPlaceDispatches > 0)
    std::printf("in place   %lld concats and slices placed in their operands' bytes (no kernel)\n",
                (long long)report.inPlaceDispatches);
  if (db)
    std::printf("tuned      %d of %d kernels from %s (the rest: default schedules)\n", tuned,
                lookedUp, parser.get("db").c_str());
  std::printf("artifact   %s: code %.1f KB, weights %.1f MB, arena %.2f MB\n", out.c_str(),
              report.codeBytes / 1024.0, report.weightBytes / 1e6, report.arenaBytes / 1e6);
  if (pipeline->precision == "tf32" && target->tf32Instruction().empty())
    std::printf("note       tf32 only changes tensor-core kernels on cuda:sm_80 and later; on %s "
                "the model computes in fp32\n",
                target->str().c_str());
  else if (pipeline->precision != "fp32" && pipeline->precision != "tf32" &&
           target->kind == codegen::TargetKind::Cpu && !target->simt)
    std::printf("note       CPU kernels compute %s operands with fp32 multiply-adds (no 16-bit dot "
                "products yet): half the weight bytes, but slower than fp32 (about 1.3-2x, "
                "docs/precision.md)\n",
                pipeline->precision.c_str());
  return 0;
}
