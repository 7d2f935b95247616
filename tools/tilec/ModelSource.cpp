//===- ModelSource.cpp - a zoo name or an MLIR file, as a module ----------===//

#include "tools/tilec/ModelSource.h"

#include "ir/TilecDialect.h"
#include "models/onnx/OnnxImport.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <filesystem>
#include <iostream>

using namespace mlir;
using namespace tilec;
using namespace tilec::cli;

void tilec::cli::addModelOptions(ArgParser &args) {
  args.option("batch", "N", "batch size of a zoo model", "1");
  args.option("resolution", "R", "input height and width of a zoo model (default: the model's)");
  args.option("classes", "K", "number of classes of a zoo model (default: the model's)");
  args.option("seed", "S", "seed of a zoo model's deterministic weights", "0");
}

namespace {

bool looksLikeFile(const std::string &source) {
  return source.find('/') != std::string::npos || source.ends_with(".mlir") ||
         source.ends_with(".mlirbc") || source.ends_with(".onnx") ||
         std::filesystem::exists(source);
}

FailureOr<OwningOpRef<ModuleOp>> loadFile(MLIRContext &context, const std::string &path,
                                          const ArgParser &args, int &exitCode) {
  exitCode = 1;
  for (const char *zooOnly : {"batch", "resolution", "classes", "seed"})
    if (args.has(zooOnly)) {
      args.error(std::string("--") + zooOnly + " applies to zoo models only, not to " + path);
      return failure();
    }
  if (!std::filesystem::is_regular_file(path)) {
    args.error("no such model file '" + path + "' (and it is not a zoo model name)");
    return failure();
  }
  if (path.ends_with(".onnx")) {
    std::string error;
    auto module = onnx_import::importOnnx(context, path, error);
    if (failed(module)) {
      if (StringRef(error).starts_with(onnx_import::kUnsupported))
        exitCode = kExitUnsupported;
      args.error(error);
    }
    return module;
  }
  models::loadZooDialects(context);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, llvm::errs());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, sourceMgr, &context);
  if (!module || failed(verify(*module))) {
    args.error("cannot load '" + path + "' (see the diagnostics above)");
    return failure();
  }
  return module;
}

} // namespace

FailureOr<OwningOpRef<ModuleOp>> tilec::cli::loadModel(MLIRContext &context,
                                                       const std::string &source,
                                                       const ArgParser &args,
                                                       models::WeightInit weights,
                                                       int &exitCode) {
  if (!models::findModel(source) && looksLikeFile(source))
    return loadFile(context, source, args, exitCode);
  exitCode = 2; // bad options or an unknown name
  models::ModelOptions options;
  options.weights = weights;
  std::optional<int64_t> batch = args.getInt("batch", 1, 65536);
  if (!batch)
    return failure();
  options.batch = *batch;
  if (args.has("resolution")) {
    std::optional<int64_t> r = args.getInt("resolution", 1, 4096);
    if (!r)
      return failure();
    options.resolution = *r;
  }
  if (args.has("classes")) {
    std::optional<int64_t> k = args.getInt("classes", 1, 1 << 20);
    if (!k)
      return failure();
    options.numClasses = *k;
  }
  std::optional<int64_t> seed = args.getInt("seed", 0, INT64_MAX);
  if (!seed)
    return failure();
  options.seed = uint64_t(*seed);
  std::string error;
  auto module = models::buildModel(context, source, options, error);
  if (failed(module))
    args.error(error);
  return module;
}

FailureOr<func::FuncOp> tilec::cli::entryFunction(ModuleOp module, const ArgParser &args) {
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  auto functions = llvm::to_vector(module.getOps<func::FuncOp>());
  if (functions.size() == 1)
    return functions.front();
  args.error("the module has " + std::to_string(functions.size()) +
             " functions and none is called @main; name the entry function @main");
  return failure();
}

std::string tilec::cli::shapeString(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped)
    return "?";
  std::string text;
  for (int64_t d : shaped.getShape())
    text += (text.empty() ? "" : "x") + std::to_string(d);
  return text.empty() ? "scalar" : text;
}

std::string tilec::cli::withCommas(int64_t value) {
  std::string digits = std::to_string(value), result;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-')
      result += ',';
    result += digits[i];
  }
  return result;
}
