//===- GraphCommands.cpp - `tilec models`, `tilec info`, `tilec emit` -----===//

#include "ir/Analysis.h"
#include "models/onnx/OnnxExport.h"
#include "models/onnx/OnnxImport.h"
#include "tools/tilec/Commands.h"
#include "tools/tilec/ModelSource.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdio>
#include <iostream>

using namespace mlir;
using namespace tilec;
using namespace tilec::cli;

namespace {

std::string giga(int64_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", double(value) / 1e9);
  return text;
}

/// The layer name recorded in an op's location (the PyTorch module path).
std::string layerName(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return "";
}

/// Prints the op-type coverage table of an ONNX file. Returns 0 if every op is
/// supported, kExitUnsupported if not, 1 if the file cannot be read.
int printOnnxCoverage(const std::string &path, const ArgParser &parser) {
  onnx_import::OnnxCoverage coverage;
  std::string error;
  if (failed(onnx_import::checkOnnxCoverage(path, coverage, error))) {
    parser.error(error);
    return 1;
  }
  std::printf("%s: ONNX IR version %lld, opset %lld, produced by %s\n", path.c_str(),
              (long long)coverage.irVersion, (long long)coverage.opset, coverage.producer.c_str());
  std::printf("%-24s %7s  %s\n", "op type", "count", "supported");
  int64_t nodes = 0, unsupported = 0;
  for (const auto &row : coverage.rows) {
    nodes += row.count;
    unsupported += !row.unsupported.empty();
    std::printf("%-24s %7lld  %s\n", row.opType.c_str(), (long long)row.count,
                row.unsupported.empty() ? "yes" : ("no: " + row.unsupported).c_str());
  }
  bool opsetOk = coverage.opset >= onnx_import::kMinOpset && coverage.opset <= onnx_import::kMaxOpset;
  std::printf("%lld nodes of %zu op types: %s\n\n", (long long)nodes, coverage.rows.size(),
              unsupported == 0 && opsetOk
                  ? "all supported"
                  : (std::to_string(unsupported) + " op type(s) unsupported" +
                     (opsetOk ? "" : ", opset outside " + std::to_string(onnx_import::kMinOpset) +
                                         "-" + std::to_string(onnx_import::kMaxOpset)))
                        .c_str());
  return unsupported == 0 && opsetOk ? 0 : kExitUnsupported;
}

/// "conv2d", or "dispatch:conv2d" for a dispatch region rooted at a conv.
std::string opLabel(Operation *op) {
  if (auto dispatch = dyn_cast<DispatchOp>(op))
    return "dispatch:" + dispatch.getKind().str();
  return op->getName().stripDialect().str();
}

} // namespace

int tilec::cli::modelsCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec models", "",
                   "Lists every model of the zoo with its parameter count, multiply-accumulates\n"
                   "(MACs) at its default input size, and that input size.");
  parser.flag("csv", "print comma-separated values instead of a table");
  if (!parser.parse(args))
    return parser.exitCode();
  if (!parser.positionals().empty()) {
    parser.error("takes no arguments");
    return 2;
  }
  bool csv = parser.has("csv");
  if (csv)
    std::printf("name,family,parameters,macs,input\n");
  else
    std::printf("%-20s %-13s %15s %10s  %s\n", "model", "family", "parameters", "GMACs", "input");
  for (const models::ModelInfo &info : models::allModels()) {
    MLIRContext context;
    std::string error;
    models::ModelOptions options;
    options.weights = models::WeightInit::Zeros; // shapes only: no weights are read
    auto module = models::buildModel(context, info.name, options, error);
    if (failed(module)) {
      std::cerr << "tilec models: error: " << error << "\n";
      return 1;
    }
    int64_t params = countParameters(module->get()), macs = countTotalMacs(module->get());
    std::string input = std::to_string(info.inputChannels) + "x" +
                        std::to_string(info.defaultResolution) + "x" +
                        std::to_string(info.defaultResolution);
    if (csv)
      std::printf("%s,%s,%lld,%lld,%s\n", info.name.c_str(), info.family.c_str(),
                  (long long)params, (long long)macs, input.c_str());
    else
      std::printf("%-20s %-13s %15s %10s  %s\n", info.name.c_str(), info.family.c_str(),
                  withCommas(params).c_str(), giga(macs).c_str(), input.c_str());
  }
  return 0;
}

int tilec::cli::infoCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec info", "<model|file.mlir|file.onnx>",
                   "Prints one row per layer (op, output shape, parameters, MACs) and totals.\n"
                   "For an ONNX file it first prints which of its op types tilec supports.");
  addModelOptions(parser);
  if (!parser.parse(args))
    return parser.exitCode();
  if (!parser.expectOnePositional("model name or file"))
    return 2;
  const std::string &source = parser.positionals()[0];
  if (source.ends_with(".onnx"))
    if (int coverage = printOnnxCoverage(source, parser); coverage != 0)
      return coverage; // say what is missing before trying to import
  MLIRContext context;
  int exitCode = 1;
  auto module = loadModel(context, source, parser, models::WeightInit::Zeros, exitCode);
  if (failed(module))
    return exitCode;
  FailureOr<func::FuncOp> function = entryFunction(module->get(), parser);
  if (failed(function))
    return 1;
  std::printf("%-5s %-48s %-20s %-18s %13s %14s\n", "#", "layer", "op", "output", "parameters",
              "MACs");
  int64_t index = 0, totalParams = 0, totalMacs = 0;
  for (Operation &op : function->getBody().front().without_terminator()) {
    if (isa<ConstantOp>(op))
      continue;
    int64_t params = countOperandParameters(&op), macs = countMacs(&op);
    totalMacs += macs;
    std::string name = layerName(&op);
    if (name.size() > 48)
      name = "..." + name.substr(name.size() - 45);
    std::printf("%-5lld %-48s %-20s %-18s %13s %14s\n", (long long)index++, name.c_str(),
                opLabel(&op).c_str(),
                op.getNumResults() ? shapeString(op.getResult(0).getType()).c_str() : "",
                params ? withCommas(params).c_str() : "", macs ? withCommas(macs).c_str() : "");
  }
  totalParams = countParameters(module->get());
  std::printf("\n%lld layers, %s parameters, %s MACs (%s GFLOPs)\n", (long long)index,
              withCommas(totalParams).c_str(), withCommas(totalMacs).c_str(),
              giga(2 * totalMacs).c_str());
  return 0;
}

int tilec::cli::emitCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec emit", "<model|file.mlir|file.onnx>",
                   "Writes a model's graph (tilec dialect, weights as resources) as MLIR text\n"
                   "or bytecode, e.g. to inspect it or run it with `tilec run file.mlir`.");
  parser.option("o", "file", "output file ('-' for standard output)", "-");
  parser.flag("bytecode", "write MLIR bytecode instead of text");
  parser.flag("no-weights", "zero weights (cheap; for inspecting structure only)");
  addModelOptions(parser);
  if (!parser.parse(args))
    return parser.exitCode();
  if (!parser.expectOnePositional("model name or file"))
    return 2;
  MLIRContext context;
  int exitCode = 1;
  auto weights = parser.has("no-weights") ? models::WeightInit::Zeros : models::WeightInit::Seeded;
  auto module = loadModel(context, parser.positionals()[0], parser, weights, exitCode);
  if (failed(module))
    return exitCode;
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(parser.get("o"), &errorMessage);
  if (!out) {
    parser.error("cannot write '" + parser.get("o") + "': " + errorMessage);
    return 1;
  }
  if (parser.has("bytecode")) {
    if (failed(writeBytecodeToFile(module->get(), out->os()))) {
      parser.error("bytecode writing failed");
      return 1;
    }
  } else {
    module->get()->print(out->os());
    out->os() << "\n";
  }
  out->keep();
  return 0;
}

int tilec::cli::exportCommand(const std::vector<std::string> &args) {
  ArgParser parser("tilec export", "<model|file.mlir|file.onnx>",
                   "Writes a model (with its weights) as ONNX, opset 17, for ONNX Runtime and\n"
                   "other tools. The file is written to a temporary name and renamed when done.");
  parser.option("o", "file.onnx", "output file (required)");
  addModelOptions(parser);
  if (!parser.parse(args))
    return parser.exitCode();
  if (parser.positionals().size() != 1 || !parser.has("o")) {
    parser.error("expects one model and -o <file.onnx>");
    return 2;
  }
  MLIRContext context;
  int exitCode = 1;
  auto module = loadModel(context, parser.positionals()[0], parser, models::WeightInit::Seeded,
                          exitCode);
  if (failed(module))
    return exitCode;
  std::string error;
  if (failed(onnx_export::exportOnnx(module->get(), parser.get("o"), error))) {
    parser.error(error);
    return 1;
  }
  std::printf("wrote %s (ONNX opset %lld)\n", parser.get("o").c_str(),
              (long long)onnx_export::kExportOpset);
  return 0;
}
