//===- OptimizeCommand.cpp - `tilec optimize`: run the graph pipeline -----===//

#include "codegen/common/Target.h"
#include "passes/GraphStats.h"
#include "passes/Pipeline.h"
#include "tools/tilec/Commands.h"
#include "tools/tilec/ModelSource.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

using namespace mlir;
using namespace tilec;
using namespace tilec::cli;

void tilec::cli::addPipelineOptions(ArgParser &parser, std::optional<std::string> fusionDefault) {
  parser.option("fusion", "none|default",
                "fusion rule of tilec-form-dispatches ('none': one dispatch per op)",
                fusionDefault);
  parser.option("layout", "auto|nhwc|nchw",
                "activation layout of convolutions and pools (tilec-assign-layouts): channels "
                "last with HWIO weights, NCHW as imported, or auto (NHWC unless the graph's "
                "in-place NCHW concats outweigh it)",
                GraphPipelineOptions().layout);
  parser.option("precision", "fp32|tf32|bf16|fp16",
                "operand type of convolutions, matrix products and attention "
                "(tilec-set-precision): "
                "bf16/fp16: weights stored and activations read in 16 bits, products "
                "accumulated in fp32; everything else stays fp32. tf32: everything stays "
                "fp32, but tensor cores (cuda:sm_80+) may round the operands of convolutions "
                "and matrix products to TF32 (10-bit mantissa)",
                GraphPipelineOptions().precision);
}

std::optional<GraphPipelineOptions> tilec::cli::pipelineOptions(const ArgParser &parser) {
  GraphPipelineOptions options;
  if (parser.has("fusion"))
    options.fusion = parser.get("fusion");
  options.layout = parser.get("layout");
  if (options.fusion != "none" && options.fusion != "default") {
    parser.error("--fusion must be 'none' or 'default', got '" + options.fusion + "'");
    return std::nullopt;
  }
  if (options.layout != "auto" && options.layout != "nhwc" && options.layout != "nchw") {
    parser.error("--layout must be 'auto', 'nhwc' or 'nchw', got '" + options.layout + "'");
    return std::nullopt;
  }
  options.precision = parser.get("precision");
  if (options.precision != "fp32" && options.precision != "tf32" &&
      options.precision != "bf16" && options.precision != "fp16") {
    parser.error("--precision must be 'fp32', 'tf32', 'bf16' or 'fp16', got '" +
                 options.precision + "'");
    return std::nullopt;
  }
  // Targets with tensor cores take their products in 16-row tiles: rows
  // padded to a multiple of 16 (tilec-pad-rows), convolutions as GEMMs.
  std::string error;
  std::optional<codegen::Target> target =
      parser.has("target") ? codegen::parseTarget(parser.get("target"), error) : std::nullopt;
  bool tensorCores = target && (options.precision == "tf32" ? !target->tf32Instruction().empty()
                                                              : target->tensorCores());
  if (tensorCores && options.precision != "fp32") {
    options.padRows = 16;
    options.convsAsGemms = true;
  }
  // GPU targets split products and attention into blocks that divide their
  // rows (any precision): rows padded to whole 16-row blocks.
  options.padAnyPrecision = target && target->threaded();
  // GPU kernels give each pool output a thread: large pools in two stages.
  options.splitPools = target && target->threaded() ? 256 : 0;
  return options;
}

void tilec::cli::printLayout(ModuleOp module) {
  module.walk([](func::FuncOp f) {
    auto layout = f->getAttrOfType<StringAttr>("tilec.layout");
    if (!layout)
      return;
    auto reason = f->getAttrOfType<StringAttr>("tilec.layout_reason");
    std::printf("layout     %s%s%s\n", layout.str().c_str(), reason ? " (kept: " : "",
                reason ? (reason.str() + ")").c_str() : "");
  });
}

LogicalResult tilec::cli::runGraphPipeline(ModuleOp module, const GraphPipelineOptions &options,
                                           std::string &error) {
  PassManager pm(module.getContext());
  buildGraphPipeline(pm, options);
  // TILEC_DUMP_IR: "1" prints the IR after each pass to stderr; a directory
  // receives one file per pass instead.
  if (const char *dump = std::getenv("TILEC_DUMP_IR"); dump && *dump) {
    module.getContext()->disableMultithreading();
    auto never = [](Pass *, Operation *) { return false; };
    auto always = [](Pass *, Operation *) { return true; };
    if (std::string(dump) != "1") {
      std::filesystem::create_directories(dump);
      pm.enableIRPrintingToFileTree(never, always, /*printModuleScope=*/false,
                                    /*printAfterOnlyOnChange=*/false,
                                    /*printAfterOnlyOnFailure=*/false, dump);
    } else {
      pm.enableIRPrinting(never, always, /*printModuleScope=*/false,
                          /*printAfterOnlyOnChange=*/false);
    }
  }
  if (failed(pm.run(module))) {
    error = "the graph pipeline failed (see the diagnostics above)";
    return failure();
  }
  return success();
}

namespace {

void printStats(const char *label, const GraphStats &s) {
  std::printf("%-8s %6lld compute ops  %5lld kernels  %10.2f MB activation traffic", label,
              (long long)s.computeOps, (long long)s.kernels, s.trafficBytes / 1e6);
  if (s.arenaBytes)
    std::printf("  arena %.2f MB (naive %.2f MB)", s.arenaBytes / 1e6, s.naiveBytes / 1e6);
  std::printf("\n");
}

} // namespace

int tilec::cli::optimizeCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec optimize", "<model|file.mlir|file.onnx>",
                   "Runs the graph pipeline (batch-norm folding, fusion into dispatch regions,\n"
                   "memory planning) and prints what it changed; -o writes the result.");
  addPipelineOptions(parser);
  parser.flag("print-pipeline", "print the pipeline's steps and why they are in that order");
  parser.option("o", "file.mlir", "write the optimized graph (MLIR text) here");
  addModelOptions(parser);
  if (!parser.parse(args))
    return parser.exitCode();
  std::optional<GraphPipelineOptions> pipeline = pipelineOptions(parser);
  if (!pipeline)
    return 2;
  if (parser.has("print-pipeline")) {
    std::printf("%s", describeGraphPipeline(*pipeline).c_str());
    if (parser.positionals().empty())
      return 0;
  }
  if (!parser.expectOnePositional("model name or file"))
    return 2;
  MLIRContext context;
  int exitCode = 1;
  auto module = loadModel(context, parser.positionals()[0], parser,
                          parser.has("o") ? models::WeightInit::Seeded : models::WeightInit::Zeros,
                          exitCode);
  if (failed(module))
    return exitCode;
  std::string error;
  FailureOr<func::FuncOp> function = entryFunction(module->get(), parser);
  if (failed(function))
    return 1;
  GraphStats before = computeGraphStats(*function);
  if (failed(runGraphPipeline(module->get(), *pipeline, error))) {
    parser.error(error);
    return 1;
  }
  printStats("before", before);
  printStats("after", computeGraphStats(*function));
  printLayout(module->get());
  if (parser.has("o")) {
    std::string message;
    auto out = openOutputFile(parser.get("o"), &message);
    if (!out) {
      parser.error("cannot write '" + parser.get("o") + "': " + message);
      return 1;
    }
    module->get()->print(out->os());
    out->keep();
  }
  return 0;
}
