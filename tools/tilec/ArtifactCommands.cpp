//===- ArtifactCommands.cpp - `tilec run` / `tilec bench` on artifacts ----===//
//
// Both go through the runtime's C API only, as a deployed program would.
// `run --check` rebuilds the model from the source recorded in the artifact
// and compares with the reference interpreter.
//
//===----------------------------------------------------------------------===//

#include "reference/Interpreter.h"
#include "reference/RuntimeTensors.h"
#include "tilec/artifact_format.h"
#include "tilec/runtime.h"
#include "tools/tilec/Commands.h"
#include "tools/tilec/ModelSource.h"
#include "tools/tilec/Npy.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

using namespace mlir;
using namespace tilec;
using namespace tilec::cli;
using reference::Tensor;

namespace {

struct ModelDeleter {
  void operator()(tilec_model *m) const { tilec_model_free(m); }
};
using ModelPtr = std::unique_ptr<tilec_model, ModelDeleter>;

/// Prints a failed status (and frees it); true if there was one.
bool failedStatus(tilec_status *s, const char *command) {
  if (!s)
    return false;
  std::fprintf(stderr, "%s: error: %s\n", command, tilec_status_message(s));
  tilec_status_free(s);
  return true;
}

ModelPtr loadArtifact(const std::string &path, const ArgParser &parser, const char *command) {
  tilec_load_options options{0};
  if (parser.has("threads"))
    options.threads = int32_t(parser.getInt("threads", 1, 1024).value_or(0));
  tilec_model *m = nullptr;
  if (failedStatus(tilec_model_load(path.c_str(), &options, &m), command))
    return nullptr;
  return ModelPtr(m);
}

std::vector<Tensor> modelInputs(tilec_model *m, const ArgParser &parser, std::string &error) {
  std::vector<Tensor> inputs;
  for (const std::string &path : parser.getAll("input")) {
    inputs.emplace_back();
    if (!npy::read(path, inputs.back(), error))
      return {};
  }
  if (inputs.empty())
    for (size_t i = 0; i < tilec_model_num_inputs(m); ++i) {
      tilec_tensor_info info;
      tilec_status_free(tilec_model_input_info(m, i, &info));
      inputs.push_back(deterministicInput({info.shape, info.shape + info.rank}, 0));
    }
  return inputs;
}

std::vector<Tensor> emptyOutputs(tilec_model *m) {
  std::vector<Tensor> outputs;
  for (size_t i = 0; i < tilec_model_num_outputs(m); ++i) {
    tilec_tensor_info info;
    tilec_status_free(tilec_model_output_info(m, i, &info));
    outputs.emplace_back(std::vector<int64_t>(info.shape, info.shape + info.rank));
  }
  return outputs;
}

/// Runs once on float tensors, converted to and from the model's element
/// types (a 16-bit input is rounded in place, so --check sees it as the model
/// did).
tilec_status *runOnce(tilec_model *m, std::vector<Tensor> &inputs, std::vector<Tensor> &outputs) {
  auto dtype = [&](bool input, size_t i) {
    tilec_tensor_info info{};
    tilec_status *s =
        input ? tilec_model_input_info(m, i, &info) : tilec_model_output_info(m, i, &info);
    tilec_status_free(s);
    return s ? TILEC_F32 : info.dtype; // a count mismatch is reported by the run
  };
  reference::RuntimeTensors io;
  for (size_t i = 0; i < inputs.size(); ++i)
    io.addInput(inputs[i], dtype(true, i));
  for (size_t i = 0; i < outputs.size(); ++i)
    io.addOutput(outputs[i], dtype(false, i));
  if (tilec_status *s = tilec_model_run(m, io.inputs.data(), io.inputs.size(),
                                        io.outputs.data(), io.outputs.size()))
    return s;
  for (size_t i = 0; i < outputs.size(); ++i)
    io.readOutput(i, outputs[i]);
  return nullptr;
}

/// The source arguments recorded by `tilec compile`, from the artifact's plan
/// (only the header and the plan are read, not the weights and code).
bool recordedSource(const std::string &path, std::vector<std::string> &args, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  artifact::Header h;
  artifact::Plan plan;
  if (!in.read(reinterpret_cast<char *>(&h), sizeof(h)))
    return error = "not an artifact", false;
  in.seekg(0, std::ios::end);
  uint64_t size = uint64_t(in.tellg());
  std::vector<uint8_t> bytes(h.planOffset + h.planBytes <= size ? h.planBytes : 0);
  if (h.planOffset + h.planBytes > size || !in.seekg(std::streamoff(h.planOffset)) ||
      !in.read(reinterpret_cast<char *>(bytes.data()), std::streamsize(bytes.size())) ||
      !artifact::deserializePlan(bytes.data(), h.planBytes, plan))
    return error = "the artifact's plan is malformed", false;
  std::string cur;
  for (char c : plan.source) {
    if (c == '\n') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (args.empty())
    return error = "the artifact records no model source", false;
  return true;
}

/// The largest max |diff| / max |ref| `--check` accepts for a model compiled
/// with `--precision` against the fp32 reference (docs/precision.md has the
/// measurements behind them).
double precisionErrorLimit(const std::string &precision) {
  if (precision == "bf16")
    return 1e-1;
  if (precision == "fp16" || precision == "tf32")
    return 1e-2;
  return 1e-4;
}

/// ", bf16" when the artifact was compiled with --precision (from its recorded
/// source), else "".
std::string recordedPrecision(const std::string &path) {
  std::vector<std::string> args;
  std::string error;
  if (!recordedSource(path, args, error))
    return "";
  for (const std::string &a : args)
    if (a.rfind("--precision=", 0) == 0)
      return ", " + a.substr(12);
  return "";
}

/// --check: the reference interpreter on the recorded model, compared output by
/// output (max |diff| / max |ref|) and by top-1 class.
int checkAgainstReference(const std::string &path, std::vector<Tensor> inputs,
                          const std::vector<Tensor> &outputs) {
  std::vector<std::string> args;
  std::string error;
  if (!recordedSource(path, args, error)) {
    std::fprintf(stderr, "tilec run: --check: %s\n", error.c_str());
    return 1;
  }
  ArgParser parser("tilec run --check", "<model>", "");
  addPipelineOptions(parser);
  parser.flag("verbose", "");
  addModelOptions(parser);
  if (!parser.parse(args) || parser.positionals().size() != 1)
    return std::fprintf(stderr, "tilec run: --check: cannot parse the recorded source\n"), 1;
  MLIRContext context;
  context.disableMultithreading();
  int exitCode = 1;
  auto module = loadModel(context, parser.positionals()[0], parser, models::WeightInit::Seeded,
                          exitCode);
  if (failed(module))
    return exitCode;
  FailureOr<func::FuncOp> function = entryFunction(module->get(), parser);
  if (failed(function))
    return 1;
  reference::Interpreter interpreter({.threads = 0, .onOpDone = {}});
  auto expected = interpreter.run(*function, std::move(inputs), error);
  if (failed(expected)) {
    std::fprintf(stderr, "tilec run: --check: %s\n", error.c_str());
    return 1;
  }
  // The fp32 reference against a model compiled at a lower precision: the
  // limit is that precision's (docs/precision.md).
  std::string precision = parser.get("precision");
  double limit = precisionErrorLimit(precision);
  bool ok = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &got = outputs[i], &want = (*expected)[i];
    double maxDiff = 0, maxRef = 0;
    for (size_t j = 0; j < want.data.size(); ++j) {
      maxDiff = std::max(maxDiff, double(std::fabs(got.data[j] - want.data[j])));
      maxRef = std::max(maxRef, double(std::fabs(want.data[j])));
    }
    double rel = maxDiff / std::max(maxRef, 1e-30);
    // Top-1 per row of a [batch, classes] output. A different class counts
    // unless the reference's two values are closer than the measured error
    // can explain (each moved by at most max |diff|): a near-tie may flip
    // (rows of a bf16 GEMM; never so far in a zoo model's logits).
    bool top1 = true;
    int64_t ties = 0;
    if (want.rank() == 2)
      for (int64_t r = 0; r < want.dim(0); ++r) {
        auto argmax = [&](const Tensor &t) {
          auto b = t.data.begin() + r * t.dim(1);
          return std::max_element(b, b + t.dim(1)) - b;
        };
        int64_t g = argmax(got), w = argmax(want);
        if (g == w)
          continue;
        const float *row = want.data.data() + r * want.dim(1);
        if (double(row[w]) - double(row[g]) <= 2 * maxDiff)
          ++ties;
        else
          top1 = false;
      }
    bool pass = rel <= limit && top1;
    ok &= pass;
    std::string tieNote =
        ties ? " (" + std::to_string(ties) + " row(s) a tie within the error)" : "";
    std::printf("check      output %zu: max rel. error %.2e (limit %.0e, %s), top-1 %s%s: %s\n",
                i, rel, limit, precision.c_str(),
                want.rank() == 2 ? (top1 ? "same" : "DIFFERENT") : "n/a", tieNote.c_str(),
                pass ? "PASS" : "FAIL");
  }
  return ok ? 0 : 1;
}

} // namespace

bool tilec::cli::isArtifact(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, sizeof(magic));
  return in && std::memcmp(magic, artifact::kMagic, sizeof(magic)) == 0;
}

int tilec::cli::runArtifactCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec run", "<model.tilec>",
                   "Runs a compiled artifact through the runtime and prints its top classes\n"
                   "and time. Without --input the input is deterministic (as `tilec run\n"
                   "--reference` uses), so --check can compare with the reference.");
  parser.option("input", "x.npy", "input tensor, one per model input, in order", std::nullopt, true);
  parser.option("output", "y.npy", "write output tensors here, in order", std::nullopt, true);
  parser.option("threads", "N", "threads (default: all cores)");
  parser.option("top", "K", "how many top classes to print", "5");
  parser.flag("check", "compare with the fp32 reference interpreter (max rel. error <= 1e-4, "
                       "or the --precision it was compiled with allows; same top-1, or a tie "
                       "within the measured error)");
  parser.flag("profile", "print the time of each kernel");
  if (!parser.parse(args))
    return parser.exitCode();
  if (!parser.expectOnePositional("artifact"))
    return 2;
  const std::string &path = parser.positionals()[0];
  ModelPtr m = loadArtifact(path, parser, "tilec run");
  if (!m)
    return 1;
  std::string error;
  std::vector<Tensor> inputs = modelInputs(m.get(), parser, error);
  if (!error.empty()) {
    parser.error(error);
    return 1;
  }
  std::vector<Tensor> outputs = emptyOutputs(m.get());
  tilec_model_set_profiling(m.get(), parser.has("profile"));
  auto start = std::chrono::steady_clock::now();
  if (failedStatus(runOnce(m.get(), inputs, outputs), "tilec run"))
    return 1;
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count();
  std::printf("model      %s (%s, %s%s)\n", path.c_str(), tilec_model_name(m.get()),
              tilec_model_target(m.get()), recordedPrecision(path).c_str());
  std::printf("time       %.2f ms (first run, %d threads)\n", ms, tilec_model_threads(m.get()));
  printTopK(outputs.front(), parser.getInt("top", 1, 1 << 20).value_or(5));
  if (parser.has("profile"))
    printProfile(m.get());
  std::vector<std::string> outputFiles = parser.getAll("output");
  for (size_t i = 0; i < outputFiles.size() && i < outputs.size(); ++i)
    if (!npy::write(outputFiles[i], outputs[i], error)) {
      parser.error(error);
      return 1;
    }
  if (parser.has("check"))
    return checkAgainstReference(path, std::move(inputs), outputs);
  return 0;
}

void tilec::cli::printProfile(tilec_model *m) {
  struct Row {
    double ms;
    tilec_kernel_profile p;
  };
  std::vector<Row> rows;
  double total = 0;
  for (size_t i = 0; i < tilec_model_num_kernels(m); ++i) {
    tilec_kernel_profile p;
    tilec_status_free(tilec_model_kernel_profile(m, i, &p));
    double per = p.calls ? p.total_ms / double(p.calls) : 0;
    rows.push_back({per, p});
    total += per;
  }
  std::sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) { return a.ms > b.ms; });
  std::printf("profile    %zu dispatches, %.2f ms per run in kernels; the slowest:\n", rows.size(),
              total);
  for (size_t i = 0; i < std::min<size_t>(rows.size(), 10); ++i)
    std::printf("  %8.3f ms %5.1f%%  grid %-5lld %s\n", rows[i].ms, 100 * rows[i].ms / total,
                (long long)rows[i].p.grid, rows[i].p.signature);
  // Time by the dispatch's root op (its signature's first op; a grouped conv2d
  // counts apart: depthwise layers are bandwidth-bound, the others are not).
  std::map<std::string, double> byKind;
  for (const Row &r : rows) {
    std::string signature = r.p.signature ? r.p.signature : "";
    std::string kind = signature.substr(0, signature.find('('));
    size_t groups = signature.find("groups = ");
    if (kind == "conv2d" && groups != std::string::npos &&
        signature.compare(groups, 11, "groups = 1 ") != 0)
      kind = "conv2d (grouped)";
    byKind[kind] += r.ms;
  }
  std::vector<std::pair<std::string, double>> kinds(byKind.begin(), byKind.end());
  std::sort(kinds.begin(), kinds.end(), [](auto &a, auto &b) { return a.second > b.second; });
  std::printf("by op     ");
  for (const auto &[kind, ms] : kinds)
    std::printf(" %s %.2f ms (%.0f%%);", kind.c_str(), ms, 100 * ms / total);
  std::printf("\n");
}

int tilec::cli::benchCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec bench", "<model.tilec>",
                   "Measures a compiled artifact: warm-up runs, then timed runs; prints the\n"
                   "median and p90 latency and the throughput. GPU artifacts: the inputs are\n"
                   "copied to the device once and each run is timed by device events\n"
                   "(launches included, copies not).");
  parser.option("threads", "N", "threads (default: all cores)");
  parser.option("warmup", "N", "untimed runs first (at least 1 on a GPU: it uploads the inputs)", "3");
  parser.option("runs", "N", "timed runs (at least; see --min-time)", "20");
  parser.option("min-time", "seconds", "keep running until this much time is spent", "1");
  parser.flag("profile", "also print the time of each kernel");
  if (!parser.parse(args))
    return parser.exitCode();
  if (!parser.expectOnePositional("artifact"))
    return 2;
  auto warmup = parser.getInt("warmup", 0, 1 << 20), runs = parser.getInt("runs", 1, 1 << 24);
  auto minTime = parser.getInt("min-time", 0, 3600);
  if (!warmup || !runs || !minTime)
    return 2;
  auto loadStart = std::chrono::steady_clock::now();
  ModelPtr m = loadArtifact(parser.positionals()[0], parser, "tilec bench");
  if (!m)
    return 1;
  double loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                            loadStart)
                      .count();
  std::string error;
  std::vector<Tensor> inputs = modelInputs(m.get(), parser, error);
  std::vector<Tensor> outputs = emptyOutputs(m.get());
  // GPU artifacts: the inputs stay on the device (the warm-up, at least one
  // run, puts them there) and each run is timed by device events, copies left
  // out; the profile comes from runs of its own.
  bool onDevice = tilec_model_on_gpu(m.get());
  for (int64_t i = 0; i < std::max<int64_t>(*warmup, onDevice ? 1 : 0); ++i)
    if (failedStatus(runOnce(m.get(), inputs, outputs), "tilec bench"))
      return 1;
  tilec_model_set_profiling(m.get(), parser.has("profile") && !onDevice);
  std::vector<double> ms;
  auto begin = std::chrono::steady_clock::now();
  double spent = 0;
  while (int64_t(ms.size()) < *runs || spent < double(*minTime)) {
    auto start = std::chrono::steady_clock::now();
    if (onDevice) {
      double t = 0;
      if (failedStatus(tilec_model_time_on_device(m.get(), 1, &t), "tilec bench"))
        return 1;
      ms.push_back(t);
    } else {
      if (failedStatus(runOnce(m.get(), inputs, outputs), "tilec bench"))
        return 1;
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             start)
                       .count());
    }
    spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  if (onDevice && parser.has("profile")) {
    tilec_model_set_profiling(m.get(), 1);
    for (int64_t i = 0; i < std::min<int64_t>(*runs, 20); ++i)
      if (failedStatus(runOnce(m.get(), inputs, outputs), "tilec bench"))
        return 1;
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2], p90 = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  tilec_tensor_info info;
  tilec_status_free(tilec_model_input_info(m.get(), 0, &info));
  int64_t batch = info.rank > 0 ? info.shape[0] : 1;
  std::printf("model      %s (%s, %s%s, %d threads)\n", parser.positionals()[0].c_str(),
              tilec_model_name(m.get()), tilec_model_target(m.get()),
              recordedPrecision(parser.positionals()[0]).c_str(), tilec_model_threads(m.get()));
  std::printf("load       %.1f ms (read, verify, map code)\n", loadMs);
  std::printf("latency    median %.3f ms, p90 %.3f ms, min %.3f ms over %zu runs%s\n", median,
              p90, ms.front(), ms.size(),
              onDevice ? " (device events; inputs already on the device)" : "");
  std::printf("throughput %.1f inferences/s (batch %lld)\n", 1000.0 * double(batch) / median,
              (long long)batch);
  if (onDevice)
    std::printf("launches   %s\n", tilec_model_launches(m.get()));
  if (parser.has("profile"))
    printProfile(m.get());
  return 0;
}
