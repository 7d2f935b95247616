//===- TuneCommand.cpp - `tilec tune` and its measurement worker ----------===//

#include "autotune/Fingerprint.h"
#include "autotune/MpiMeasure.h"
#include "autotune/TaskScheduler.h"
#include "codegen/common/LowerToLinalg.h"
#include "tools/tilec/Commands.h"
#include "tools/tilec/ModelSource.h"

#include "mlir/IR/MLIRContext.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace tilec;
using namespace tilec::cli;

namespace {

/// "90", "90s", "10m", "1h" -> seconds; nullopt if malformed.
std::optional<double> parseDuration(const std::string &text) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0)
    return std::nullopt;
  std::string unit(end);
  if (unit.empty() || unit == "s")
    return v;
  if (unit == "m")
    return v * 60;
  if (unit == "h")
    return v * 3600;
  return std::nullopt;
}

std::string clock(double seconds) {
  int s = int(std::lround(seconds));
  char buffer[32];
  if (s >= 60)
    std::snprintf(buffer, sizeof buffer, "%dm%02ds", s / 60, s % 60);
  else
    std::snprintf(buffer, sizeof buffer, "%ds", s);
  return buffer;
}

/// "conv2d(1x64x56x56xf32,...)+relu" -> "conv2d 1x64x56x56 +relu" (table width).
std::string shortSignature(const std::string &signature) {
  size_t open = signature.find('('), comma = signature.find_first_of(",)", open);
  std::string s = signature.substr(0, open);
  if (open != std::string::npos && comma != std::string::npos)
    s += " " + signature.substr(open + 1, comma - open - 1);
  size_t plus = signature.find(")+");
  if (plus != std::string::npos) {
    std::string tail = signature.substr(plus + 1);
    for (size_t p; (p = tail.find('(')) != std::string::npos;) {
      size_t close = tail.find(')', p);
      tail.erase(p, close == std::string::npos ? std::string::npos : close - p + 1);
    }
    s += " " + tail;
  }
  if (s.size() > 44)
    s = s.substr(0, 41) + "...";
  return s;
}

std::string ms(double us) {
  if (!std::isfinite(us))
    return "failed";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", us / 1000);
  return buffer;
}

void printTable(const std::vector<autotune::Task> &tasks, const autotune::TuneSummary &s) {
  std::printf("\n %-3s %-44s %5s %11s %10s %8s %7s\n", "#", "dispatch", "count", "default ms",
              "tuned ms", "speed-up", "trials");
  double before = 0, after = 0;
  int reused = 0;
  for (size_t i = 0; i < tasks.size(); ++i) {
    const autotune::TaskOutcome &o = s.tasks[i];
    double best = std::min(o.bestUs, o.defaultUs);
    std::string speedup = std::isfinite(o.defaultUs) && std::isfinite(best)
                              ? std::to_string(o.defaultUs / best).substr(0, 4) + "x"
                              : "-";
    std::printf(" %-3zu %-44s %5d %11s %10s %8s %7s\n", i + 1,
                shortSignature(tasks[i].signature).c_str(), tasks[i].count, ms(o.defaultUs).c_str(),
                ms(best).c_str(), speedup.c_str(),
                o.reused ? "reused" : std::to_string(o.trials).c_str());
    reused += o.reused;
    if (std::isfinite(o.defaultUs) && std::isfinite(best)) {
      before += o.defaultUs * tasks[i].count;
      after += best * tasks[i].count;
    }
  }
  std::printf("\nsum of kernel times: default %.3f ms -> tuned %.3f ms (%.2fx)\n", before / 1000,
              after / 1000, after > 0 ? before / after : 0.0);
  std::printf("%d trials (%d failed) in %s; within 5%% of the final estimate after %s\n", s.trials,
              s.failures, clock(s.seconds).c_str(), clock(s.secondsToWithin5Percent).c_str());
  if (reused)
    std::printf("%d of %zu dispatches reused from the database (--retune measures them again)\n",
                reused, tasks.size());
}

} // namespace

int tilec::cli::tuneWorkerCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec tune-worker", "",
                   "Internal: the measurement worker `tilec tune` starts (requests on stdin).");
  parser.option("target", "T", "target", "cpu");
  parser.option("threads", "N", "runtime threads", "0");
  parser.option("min-repeats", "N", "timed runs at least", "5");
  parser.option("min-seconds", "S", "timed for at least", "0.05");
  parser.option("faults", "SPEC", "fault injection (tests)", "");
  parser.option("scratch", "DIR", "where candidate artifacts go (default: a new temporary one)",
                "");
  if (!parser.parse(args))
    return parser.exitCode();
  autotune::WorkerOptions w;
  w.target = parser.get("target");
  w.threads = std::atoi(parser.get("threads").c_str());
  w.minRepeats = std::max(1, std::atoi(parser.get("min-repeats").c_str()));
  w.minSeconds = std::strtod(parser.get("min-seconds").c_str(), nullptr);
  w.faults = parser.get("faults");
  w.scratch = parser.get("scratch");
  return autotune::runWorker(w);
}

int tilec::cli::tuneCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec tune", "<model|file.mlir|file.onnx>",
                   "Tunes the schedules of a model's dispatches on this machine and stores\n"
                   "every measurement in a tuning database that `tilec compile --db` reads.\n"
                   "Candidates are compiled, checked against the reference interpreter and\n"
                   "timed in a separate worker process; crashes, hangs and wrong results are\n"
                   "recorded as such and never chosen.");
  parser.option("target", "cpu", "what to tune for: the host CPU, or cuda:sm_NN / rocm:gfxNNN when that GPU is here (kernels timed by device events)", "cpu");
  parser.option("db", "file", "the tuning database (SQLite; created if missing)", "tuning.db");
  parser.option("trials", "N", "measurements in total (default: 32 per dispatch to tune)", "0");
  parser.option("time-budget", "T", "stop after this long: 90s, 10m, 1h (default: none)", "0");
  parser.option("strategy", "evolutionary|random", "search strategy", "evolutionary");
  parser.option("round-size", "N", "candidates measured per round", "8");
  parser.option("threads", "N", "threads each measurement runs with (0: all cores)", "0");
  parser.option("timeout", "S", "seconds a candidate may take to compile, check and time", "30");
  parser.option("seed", "S", "seed of the search", "0");
  addPipelineOptions(parser);
  parser.flag("retune", "measure dispatches again even if the database has records for them");
  parser.flag("mpi", "run under mpirun: rank 0 searches, the other ranks measure");
  parser.flag("verbose", "show the worker's compiler diagnostics");
  addModelOptions(parser);
  if (!parser.parse(args))
    return parser.exitCode();
  // Ranks other than 0 only measure; they need none of the model.
  int rank = 0, size = 1;
  if (parser.has("mpi")) {
    std::string error;
    if (!autotune::mpiInit(rank, size, error)) {
      parser.error("--mpi: " + error);
      return 2;
    }
  }
  auto finish = [&](int code) {
    if (parser.has("mpi"))
      autotune::mpiFinalize();
    return code;
  };
  std::optional<int64_t> threads = parser.getInt("threads", 0, 1024);
  std::optional<int64_t> trials = parser.getInt("trials", 0, 10000000);
  std::optional<int64_t> batch = parser.getInt("round-size", 1, 1024);
  std::optional<int64_t> seed = parser.getInt("seed", 0, UINT32_MAX);
  std::optional<double> budget = parseDuration(parser.get("time-budget"));
  std::optional<double> timeout = parseDuration(parser.get("timeout"));
  if (!threads || !trials || !batch || !seed)
    return finish(2);
  if (!budget || !timeout || *timeout <= 0) {
    parser.error("--time-budget and --timeout take a duration such as 90s, 10m or 1h");
    return finish(2);
  }
  std::string strategy = parser.get("strategy");
  if (strategy != "evolutionary" && strategy != "random") {
    parser.error("--strategy must be 'evolutionary' or 'random', got '" + strategy + "'");
    return finish(2);
  }
  std::string error;
  std::optional<codegen::Target> target = codegen::parseTarget(parser.get("target"), error);
  if (!target) {
    parser.error(error);
    return finish(2);
  }
  autotune::TuneOptions options;
  options.target = *target;
  options.threads = int(*threads);
  options.fingerprint = autotune::fingerprint(*target, options.threads, error);
  if (options.fingerprint.empty()) {
    parser.error(error);
    return finish(2);
  }
  // CPU candidates run here, so they are compiled for this machine's CPU:
  // code for another CPU may use instructions this one lacks (and would
  // crash), or would be timed on the wrong core. GPU candidates run on
  // device 0, whose architecture the fingerprint above checked.
  codegen::Target host = codegen::hostTarget();
  if (target->kind == codegen::TargetKind::Cpu && target->arch != host.arch) {
    parser.error("--target " + target->str() + ": tuning measures on this machine (" +
                 host.str() + "); use --target cpu here, or tune on a machine of that kind");
    return finish(2);
  }
  // The measurement worker of this rank, pinned to its own cores under MPI.
  autotune::MeasureOptions measure;
  measure.worker.target = parser.get("target");
  measure.worker.threads = options.threads;
  measure.timeoutS = *timeout;
  measure.quiet = !parser.has("verbose");
  // TILEC_TUNE_FAULTS: fault injection for the tuner's own tests (docs/knobs.md).
  if (const char *faults = std::getenv("TILEC_TUNE_FAULTS"))
    measure.worker.faults = faults;
  if (size > 1 && rank > 0) {
    int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    int per = options.threads > 0 ? options.threads : std::max(1, cores / (size - 1));
    if (per * (size - 1) <= cores)
      for (int c = 0; c < per; ++c)
        measure.cpus.push_back((rank - 1) * per + c);
    auto local = autotune::makeLocalMeasurer(measure);
    return finish(autotune::serveMpi(*local));
  }
  if (!parser.expectOnePositional("model name or file"))
    return finish(2);

  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  int exitCode = 1;
  auto module =
      loadModel(context, parser.positionals()[0], parser, models::WeightInit::Seeded, exitCode);
  if (failed(module))
    return finish(exitCode);
  std::optional<GraphPipelineOptions> pipeline = pipelineOptions(parser);
  if (!pipeline)
    return finish(2);
  if (failed(runGraphPipeline(module->get(), *pipeline, error))) {
    parser.error(error);
    return finish(1);
  }
  std::vector<autotune::Task> tasks;
  if (!autotune::extractTasks(module->get(), *target, tasks, error)) {
    std::fprintf(stderr, "tilec tune: error: %s\n", error.c_str());
    return finish(1);
  }
  std::unique_ptr<autotune::Database> db = autotune::Database::open(parser.get("db"), error);
  if (!db) {
    std::fprintf(stderr, "tilec tune: error: %s\n", error.c_str());
    return finish(1);
  }
  options.strategy = strategy;
  options.trials = int(*trials);
  options.timeBudgetS = *budget;
  options.batch = int(*batch);
  options.seed = unsigned(*seed);
  options.retune = parser.has("retune");
  std::unique_ptr<autotune::Measurer> measurer = autotune::makeLocalMeasurer(measure);
  if (parser.has("mpi"))
    measurer = autotune::makeMpiMeasurer(size, std::move(measurer));
  std::fprintf(stderr, "[tune] %s: %zu dispatch kernels, fingerprint %s, %s search%s\n",
               parser.positionals()[0].c_str(), tasks.size(), options.fingerprint.c_str(),
               strategy.c_str(),
               size > 1 ? (", " + std::to_string(size - 1) + " measuring ranks").c_str() : "");
  bool tty = isatty(2);
  double lastLine = -10;
  auto progress = [&](const autotune::Progress &p) {
    if (!tty && p.elapsedS - lastLine < 5 && p.trials < p.budget)
      return;
    lastLine = p.elapsedS;
    const autotune::Task &t = tasks[p.task];
    std::fprintf(stderr,
                 "%s[tune] %d/%d trials | %zu/%zu %-28s | model %.3f ms (default %.3f, %.2fx) "
                 "| %s, ETA %s%s",
                 tty ? "\r\033[K" : "", p.trials, p.budget, p.task + 1, tasks.size(),
                 shortSignature(t.signature).substr(0, 28).c_str(), p.modelUs / 1000,
                 p.defaultModelUs / 1000, p.modelUs > 0 ? p.defaultModelUs / p.modelUs : 0.0,
                 clock(p.elapsedS).c_str(), clock(p.etaS).c_str(), tty ? "" : "\n");
    std::fflush(stderr);
  };
  autotune::TuneSummary summary;
  bool ok = autotune::tuneTasks(tasks, *db, *measurer, options, progress, summary, error);
  if (tty)
    std::fprintf(stderr, "\n");
  measurer.reset(); // stops the workers (and the serving ranks)
  if (!ok) {
    std::fprintf(stderr, "tilec tune: error: %s (records measured so far are kept)\n",
                 error.c_str());
    return finish(1);
  }
  printTable(tasks, summary);
  if (!summary.costModelNote.empty())
    std::printf("note: %s\n", summary.costModelNote.c_str());
  // The pipeline options that shaped the kernels: without them the compile
  // would form other dispatches and find none of these records.
  std::string shaping;
  GraphPipelineOptions defaults;
  if (pipeline->fusion != defaults.fusion)
    shaping += " --fusion " + pipeline->fusion;
  if (pipeline->layout != defaults.layout)
    shaping += " --layout " + pipeline->layout;
  if (pipeline->precision != defaults.precision)
    shaping += " --precision " + pipeline->precision;
  std::printf("database %s; compile with: tilec compile %s%s --db %s\n", parser.get("db").c_str(),
              parser.positionals()[0].c_str(), shaping.c_str(), parser.get("db").c_str());
  return finish(0);
}
