//===- Worker.cpp - the worker's side: compile, verify, time one candidate ===//
//
// Runs in its own process (`tilec tune-worker`, started by LocalMeasurer), so
// nothing here has to survive a miscompiled kernel: a crash or hang is the
// tuner's to classify. Per request:
//   1. the task's module (parsed once per task), its seeded random inputs and
//      the reference interpreter's outputs (computed once per task);
//   2. compile with the requested schedule (an illegal one is an error, never
//      silently replaced by the default);
//   3. load through the runtime, run once, compare with the reference
//      (max |diff| <= 1e-4 max |ref|, as the conformance suite);
//   4. two warm-up runs, then timed runs until minRepeats and minSeconds are
//      both reached; the median is the result. A candidate whose checked run
//      exceeds the request's cutoff is timed by that run alone.
//
//===----------------------------------------------------------------------===//

#include "autotune/Measure.h"

#include "codegen/Compiler.h"
#include "codegen/common/LowerToLinalg.h"
#include "reference/Interpreter.h"
#include "reference/RuntimeTensors.h"
#include "tilec/runtime.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <unistd.h>

using namespace mlir;
using namespace tilec;
using namespace tilec::autotune;

namespace {

struct TaskState {
  OwningOpRef<ModuleOp> module;
  std::vector<reference::Tensor> inputs, expected;
  /// The task module's argument and result element types (a dispatch of a
  /// --precision model reads and writes bf16 / f16 tensors).
  std::vector<tilec_dtype> inputTypes, outputTypes;
};

tilec_dtype dtypeOf(Type type) {
  Type element = cast<ShapedType>(type).getElementType();
  return element.isBF16() ? TILEC_BF16 : element.isF16() ? TILEC_F16 : TILEC_F32;
}

struct Faults {
  double crash = 0, hang = 0, wrong = 0;
  uint64_t seed = 0;
};

Faults parseFaults(const std::string &spec) {
  Faults f;
  SmallVector<StringRef> parts;
  StringRef(spec).split(parts, ',', -1, false);
  for (StringRef p : parts) {
    auto [key, value] = p.split('=');
    double v = std::strtod(value.str().c_str(), nullptr);
    if (key == "crash")
      f.crash = v;
    else if (key == "hang")
      f.hang = v;
    else if (key == "wrong")
      f.wrong = v;
    else if (key == "seed")
      f.seed = uint64_t(v);
  }
  return f;
}

uint64_t fnv1a(const std::string &text, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ (seed * 0x9e3779b97f4a7c15ull);
  for (unsigned char c : text)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

class Worker {
public:
  explicit Worker(const WorkerOptions &options);
  ~Worker() {
    if (ownsScratch)
      std::filesystem::remove_all(scratch);
  }
  MeasureResult measure(const MeasureRequest &request);

private:
  TaskState *task(const MeasureRequest &request, std::string &error);
  bool check(const std::vector<reference::Tensor> &got, const TaskState &t, std::string &error);

  WorkerOptions options;
  Faults faults;
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  codegen::Target target;
  std::map<std::string, TaskState> tasks;
  std::string scratch, diagnostics;
  bool ownsScratch = false;
};

Worker::Worker(const WorkerOptions &options) : options(options) {
  faults = parseFaults(options.faults);
  codegen::registerCodegenDialects(registry);
  context = std::make_unique<MLIRContext>(registry);
  context->disableMultithreading();
  context->getDiagEngine().registerHandler([this](Diagnostic &d) {
    diagnostics += (diagnostics.empty() ? "" : "; ") + d.str();
    return success();
  });
  std::string error;
  target = codegen::parseTarget(options.target, error).value_or(codegen::hostTarget());
  scratch = options.scratch;
  if (scratch.empty()) {
    char dir[] = "/tmp/tilec-tune-XXXXXX";
    ownsScratch = mkdtemp(dir) != nullptr;
    scratch = ownsScratch ? dir : "/tmp";
  }
}

TaskState *Worker::task(const MeasureRequest &request, std::string &error) {
  auto found = tasks.find(request.taskId);
  if (found != tasks.end())
    return &found->second;
  TaskState t;
  t.module = parseSourceString<ModuleOp>(request.moduleText, context.get());
  auto main = t.module ? t.module->lookupSymbol<func::FuncOp>("main") : nullptr;
  if (!main)
    return error = "the task module does not parse: " + diagnostics, nullptr;
  std::mt19937 rng(uint32_t(fnv1a(request.taskId, 0)));
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  for (Type type : main.getArgumentTypes()) {
    auto shaped = cast<ShapedType>(type);
    reference::Tensor x(std::vector<int64_t>(shaped.getShape().begin(), shaped.getShape().end()));
    t.inputTypes.push_back(dtypeOf(type));
    for (float &v : x.data)
      v = t.inputTypes.back() == TILEC_F32
              ? uniform(rng)
              : half::round(uniform(rng), t.inputTypes.back() == TILEC_BF16);
    t.inputs.push_back(std::move(x));
  }
  for (Type type : main.getResultTypes())
    t.outputTypes.push_back(dtypeOf(type));
  reference::Interpreter interpreter({.threads = options.threads});
  FailureOr<std::vector<reference::Tensor>> out = interpreter.run(main, t.inputs, error);
  if (failed(out))
    return error = "reference interpreter: " + error, nullptr;
  t.expected = std::move(*out);
  return &(tasks[request.taskId] = std::move(t));
}

bool Worker::check(const std::vector<reference::Tensor> &got, const TaskState &t,
                   std::string &error) {
  for (size_t i = 0; i < got.size(); ++i) {
    double maxDiff = 0, maxRef = 0;
    for (size_t j = 0; j < got[i].data.size(); ++j) {
      double a = got[i].data[j], b = t.expected[i].data[j];
      if (std::isnan(a) != std::isnan(b))
        return error = "output " + std::to_string(i) + " has a NaN where the reference has not",
               false;
      if (std::isnan(a))
        continue;
      maxDiff = std::max(maxDiff, std::abs(a - b));
      maxRef = std::max(maxRef, std::abs(b));
    }
    if (maxDiff > 1e-4 * std::max(maxRef, 1e-30)) {
      error = "output " + std::to_string(i) + " differs from the reference: max |diff| " +
              std::to_string(maxDiff) + " (max |ref| " + std::to_string(maxRef) + ")";
      return false;
    }
  }
  return true;
}

MeasureResult Worker::measure(const MeasureRequest &request) {
  MeasureResult result;
  diagnostics.clear();
  auto fail = [&](const std::string &status, const std::string &why) {
    result.status = status;
    result.error = why;
    return result;
  };
  std::string error;
  TaskState *t = task(request, error);
  if (!t)
    return fail("compile_error", error);
  std::optional<codegen::Schedule> schedule = codegen::parseSchedule(request.schedule, error);
  if (!schedule)
    return fail("compile_error", error);
  // 2. Compile with exactly this schedule.
  OwningOpRef<ModuleOp> module = t->module->clone();
  codegen::CompileOptions compile;
  compile.target = target;
  compile.scheduleFor = [&](const std::string &, const codegen::Schedule &,
                            const codegen::DispatchShape &) { return schedule; };
  codegen::CompileReport report;
  std::string path = scratch + "/candidate.tilec";
  if (!codegen::compileModel(*module, compile, path, report, error))
    return fail("compile_error", error + (diagnostics.empty() ? "" : ": " + diagnostics));
  for (const codegen::KernelReport &k : report.kernels)
    if (k.notes.find("requested schedule rejected") != std::string::npos)
      return fail("compile_error", "illegal schedule: " + k.notes);
  // Fault injection happens after compiling, where a real kernel would fail.
  double u = double(fnv1a(request.taskId + "|" + request.schedule, faults.seed) >> 11) * 0x1p-53;
  if (u < faults.crash)
    std::raise(SIGSEGV);
  if (u < faults.crash + faults.hang)
    for (;;)
      pause();
  bool corrupt = u < faults.crash + faults.hang + faults.wrong;
  // 3. Load, run, compare.
  tilec_model *model = nullptr;
  tilec_load_options load{options.threads};
  tilec_status *loaded = tilec_model_load(path.c_str(), &load, &model);
  std::filesystem::remove(path); // the runtime holds what it needs
  if (loaded) {
    std::string why = tilec_status_message(loaded);
    tilec_status_free(loaded);
    return fail("compile_error", "the runtime refused the kernel: " + why);
  }
  std::vector<reference::Tensor> outputs;
  reference::RuntimeTensors io; // 16-bit inputs packed (already rounded)
  for (size_t i = 0; i < t->inputs.size(); ++i)
    io.addInput(t->inputs[i], t->inputTypes[i]);
  for (const reference::Tensor &e : t->expected)
    outputs.emplace_back(e.shape);
  for (size_t i = 0; i < outputs.size(); ++i)
    io.addOutput(outputs[i], t->outputTypes[i]);
  // GPU kernels are timed by device events (the runtime's profile), not by
  // the host: a run also copies the inputs in and the outputs out.
  bool gpu = tilec_model_on_gpu(model);
  tilec_model_set_profiling(model, gpu ? 1 : 0);
  auto deviceMs = [&] {
    double ms = 0;
    tilec_kernel_profile profile;
    for (size_t k = 0; k < tilec_model_num_kernels(model); ++k)
      if (!tilec_model_kernel_profile(model, k, &profile))
        ms += profile.total_ms;
    return ms;
  };
  double lastUs = 0; // the last run's device time (GPU)
  auto run = [&] {
    double before = gpu ? deviceMs() : 0;
    tilec_status *s = tilec_model_run(model, io.inputs.data(), io.inputs.size(),
                                      io.outputs.data(), io.outputs.size());
    if (s) {
      error = tilec_status_message(s);
      tilec_status_free(s);
    }
    if (gpu)
      lastUs = (deviceMs() - before) * 1000;
    return s == nullptr;
  };
  auto checkedStart = std::chrono::steady_clock::now();
  bool ok = run();
  for (size_t i = 0; ok && i < outputs.size(); ++i)
    io.readOutput(i, outputs[i]);
  double checkedUs =
      gpu ? lastUs
          : std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                      checkedStart)
                .count();
  if (ok && corrupt && !outputs.empty() && !outputs[0].data.empty())
    outputs[0].data[0] += 1.f + std::abs(outputs[0].data[0]);
  if (ok && !check(outputs, *t, error)) {
    tilec_model_free(model);
    return fail("wrong", error);
  }
  // 4. Time (a candidate far slower than the best known: its checked run).
  if (ok && request.cutoffUs > 0 && checkedUs > request.cutoffUs) {
    tilec_model_free(model);
    result.timesUs = {checkedUs};
    result.medianUs = checkedUs;
    return result;
  }
  using clock = std::chrono::steady_clock;
  for (int i = 0; ok && i < 2; ++i)
    ok = run();
  auto start = clock::now();
  while (ok &&
         (int(result.timesUs.size()) < options.minRepeats ||
          std::chrono::duration<double>(clock::now() - start).count() < options.minSeconds) &&
         result.timesUs.size() < 1000) {
    auto t0 = clock::now();
    ok = run();
    result.timesUs.push_back(
        gpu ? lastUs : std::chrono::duration<double, std::micro>(clock::now() - t0).count());
  }
  tilec_model_free(model);
  if (!ok)
    return fail("crash", "the runtime failed to run the kernel: " + error);
  std::vector<double> sorted = result.timesUs;
  std::sort(sorted.begin(), sorted.end());
  result.medianUs = sorted[sorted.size() / 2];
  return result;
}

/// Reads exactly `n` bytes from stdin; false on EOF.
bool readBytes(size_t n, std::string &out) {
  out.resize(n);
  std::cin.read(out.data(), std::streamsize(n));
  return size_t(std::cin.gcount()) == n;
}

} // namespace

int tilec::autotune::runWorker(const WorkerOptions &options) {
  Worker worker(options);
  std::string header;
  while (std::getline(std::cin, header)) {
    std::optional<size_t> bytes = requestPayloadBytes(header);
    std::string payload;
    MeasureRequest request;
    if (!bytes || !readBytes(*bytes, payload) || !decodeRequest(header + "\n" + payload, request)) {
      std::fprintf(stderr, "tilec tune-worker: malformed request '%s'\n", header.c_str());
      return 2;
    }
    std::string line = encodeResult(worker.measure(request));
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
  return 0;
}
