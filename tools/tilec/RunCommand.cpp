//===- RunCommand.cpp - `tilec run`: run a model, print its predictions ---===//

#include "ir/Analysis.h"
#include "ir/Weights.h"
#include "reference/Interpreter.h"
#include "tools/tilec/Commands.h"
#include "tools/tilec/ModelSource.h"
#include "tools/tilec/Npy.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <thread>

using namespace mlir;
using namespace tilec;
using namespace tilec::cli;
using reference::Tensor;

namespace {

} // namespace

Tensor tilec::cli::deterministicInput(std::vector<int64_t> shape, uint64_t seed) {
  Tensor t(std::move(shape));
  uint64_t state = 0x5eed ^ (seed * 0x9e3779b97f4a7c15ULL);
  for (float &v : t.data) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL; // PCG-style LCG
    v = float(double(state >> 40) / double(1ULL << 24) * 2.0 - 1.0);
  }
  return t;
}

namespace {

/// Replaces every named weight that has DIR/<name>.npy. Returns the count, or -1
/// after printing an error.
int attachWeights(ModuleOp module, const std::string &dir, const ArgParser &parser) {
  if (!std::filesystem::is_directory(dir)) {
    parser.error("--weights: '" + dir + "' is not a directory");
    return -1;
  }
  int attached = 0;
  std::string error;
  WalkResult walk = module.walk([&](ConstantOp constant) {
    if (!constant.getName())
      return WalkResult::advance();
    std::string path = dir + "/" + constant.getName()->str() + ".npy";
    if (!std::filesystem::exists(path))
      return WalkResult::advance();
    Tensor t;
    if (!npy::read(path, t, error) || failed(setWeight(constant, t.data, error)))
      return WalkResult::interrupt();
    ++attached;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted()) {
    parser.error("--weights: " + error);
    return -1;
  }
  if (attached == 0) {
    parser.error("--weights: no file in '" + dir + "' is named after a weight of the model "
                 "(expected e.g. '<dir>/fc.weight.npy')");
    return -1;
  }
  return attached;
}

} // namespace

void tilec::cli::printTopK(const Tensor &logits, int64_t k) {
  if (logits.rank() != 2)
    return;
  int64_t rows = logits.dim(0), classes = logits.dim(1);
  k = std::min(k, classes);
  for (int64_t r = 0; r < std::min<int64_t>(rows, 4); ++r) {
    std::vector<int64_t> order(classes);
    std::iota(order.begin(), order.end(), 0);
    const float *row = &logits.data[r * classes];
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    std::printf("top-%lld      ", (long long)k);
    if (rows > 1)
      std::printf("[%lld] ", (long long)r);
    for (int64_t i = 0; i < k; ++i)
      std::printf("%s%lld (%.4g)", i ? ", " : "", (long long)order[i], row[order[i]]);
    std::printf("\n");
  }
  if (rows > 4)
    std::printf("             (%lld more rows; use --output to save all)\n", (long long)rows - 4);
}

int tilec::cli::runCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec run", "<model|file.mlir|file.onnx>",
                   "Runs a model and prints its top classes, time, parameters and FLOPs.\n"
                   "Without --input the input is deterministic (uniform in [-1, 1) from --seed).");
  parser.flag("reference", "run on the reference interpreter (the numerical oracle)");
  parser.option("input", "x.npy", "input tensor, one per model input, in order", std::nullopt,
                /*repeatable=*/true);
  parser.option("output", "y.npy", "write output tensors here, one per model output, in order",
                std::nullopt, /*repeatable=*/true);
  parser.option("weights", "dir", "replace each weight <name> by <dir>/<name>.npy when present");
  parser.option("threads", "N", "threads (default: all cores)");
  parser.option("top", "K", "how many top classes to print", "5");
  addPipelineOptions(parser, /*fusionDefault=*/std::nullopt);
  addModelOptions(parser);
  for (const std::string &a : args)
    if (!a.empty() && a[0] != '-' && isArtifact(a))
      return runArtifactCommand(args);
  if (!parser.parse(args))
    return parser.exitCode();
  if (!parser.expectOnePositional("model name or file"))
    return 2;
  if (!parser.has("reference")) {
    parser.error("a model name or graph file runs on the reference interpreter: pass "
                 "--reference; to run compiled code, `tilec compile` it and run the artifact");
    return 2;
  }
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  if (parser.has("threads")) {
    std::optional<int64_t> t = parser.getInt("threads", 1, 1024);
    if (!t)
      return 2;
    threads = int(*t);
  }
  std::optional<int64_t> top = parser.getInt("top", 1, 1 << 20);
  if (!top)
    return 2;

  MLIRContext context;
  int exitCode = 1;
  context.disableMultithreading(); // the interpreter has its own threads
  const std::string &source = parser.positionals()[0];
  auto module = loadModel(context, source, parser, models::WeightInit::Seeded, exitCode);
  if (failed(module))
    return exitCode;
  if (parser.has("weights")) {
    int attached = attachWeights(module->get(), parser.get("weights"), parser);
    if (attached < 0)
      return 1;
    std::printf("weights    %d tensors from %s\n", attached, parser.get("weights").c_str());
  }
  std::string error;
  if (parser.has("fusion")) {
    // --fusion runs the graph pipeline first (BN folding, layouts, dispatch
    // regions): the interpreter then evaluates what the compiler would see.
    std::optional<GraphPipelineOptions> pipeline = pipelineOptions(parser);
    if (!pipeline)
      return 2;
    if (failed(runGraphPipeline(module->get(), *pipeline, error))) {
      parser.error(error);
      return 1;
    }
  }
  FailureOr<func::FuncOp> function = entryFunction(module->get(), parser);
  if (failed(function))
    return 1;

  std::vector<Tensor> inputs;
  std::vector<std::string> inputFiles = parser.getAll("input");
  for (const std::string &path : inputFiles) {
    inputs.emplace_back();
    if (!npy::read(path, inputs.back(), error)) {
      parser.error(error);
      return 1;
    }
  }
  if (inputFiles.empty())
    for (Type t : function->getArgumentTypes()) {
      ArrayRef<int64_t> s = cast<ShapedType>(t).getShape();
      inputs.push_back(deterministicInput({s.begin(), s.end()},
                                          uint64_t(parser.getInt("seed", 0, INT64_MAX).value_or(0))));
    }

  int64_t params = countParameters(module->get()), macs = countTotalMacs(function->getOperation());
  std::printf("model      %s\n", source.c_str());
  for (size_t i = 0; i < inputs.size(); ++i)
    std::printf("input      %s%s\n", shapeString(function->getArgumentTypes()[i]).c_str(),
                inputFiles.empty() ? " (deterministic, uniform in [-1, 1))" : "");
  std::printf("parameters %s\n", withCommas(params).c_str());
  std::printf("MACs       %s (%.3g GFLOPs)\n", withCommas(macs).c_str(), 2.0 * macs / 1e9);
  std::fflush(stdout);

  reference::Interpreter interpreter({.threads = threads, .onOpDone = {}});
  auto start = std::chrono::steady_clock::now();
  auto outputs = interpreter.run(*function, std::move(inputs), error);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed(outputs)) {
    parser.error(error);
    return 1;
  }
  std::printf("time       %.3f s on the reference interpreter (%d threads)\n", seconds, threads);
  std::printf("output     %s\n", shapeString(function->getResultTypes()[0]).c_str());
  printTopK(outputs->front(), *top);
  std::vector<std::string> outputFiles = parser.getAll("output");
  if (outputFiles.size() > outputs->size()) {
    parser.error("the model has " + std::to_string(outputs->size()) + " output(s) but " +
                 std::to_string(outputFiles.size()) + " --output files were given");
    return 2;
  }
  for (size_t i = 0; i < outputFiles.size(); ++i)
    if (!npy::write(outputFiles[i], (*outputs)[i], error)) {
      parser.error(error);
      return 1;
    }
  return 0;
}
