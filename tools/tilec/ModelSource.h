//===- ModelSource.h - a zoo name or an MLIR file, as a module --*- C++ -*-===//
//
// Every command that takes a model takes either a zoo name ("resnet50") or a
// path to a tilec graph in MLIR text (.mlir) or bytecode (.mlirbc), or an ONNX
// model (.onnx). The shared
// options --batch, --resolution, --classes and --seed apply to zoo models.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_TOOLS_MODELSOURCE_H
#define TILEC_TOOLS_MODELSOURCE_H

#include "models/Zoo.h"
#include "reference/Tensor.h"
#include "tools/tilec/Cli.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

struct tilec_model;

namespace tilec::cli {

/// Declares --batch, --resolution, --classes and --seed on `args`.
void addModelOptions(ArgParser &args);

/// Exit status of a command whose model uses something tilec does not support
/// (a valid model: an op, attribute value, opset or data type), as opposed to 1
/// for a bad or unreadable one.
constexpr int kExitUnsupported = 3;

/// Loads `source` (zoo name, .mlir/.mlirbc, or .onnx) with the options of
/// `args`. Prints the error (with MLIR's diagnostics for files) and returns
/// failure if it cannot; `exitCode` is then 1, 2 or kExitUnsupported.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
loadModel(mlir::MLIRContext &context, const std::string &source, const ArgParser &args,
          models::WeightInit weights, int &exitCode);

/// The function to run: @main, or the module's only function; prints the error
/// through `args` if there is none.
mlir::FailureOr<mlir::func::FuncOp> entryFunction(mlir::ModuleOp module, const ArgParser &args);

/// "1x3x224x224"
std::string shapeString(mlir::Type type);

/// 25557032 -> "25,557,032"
std::string withCommas(int64_t value);

/// The deterministic input used without --input: uniform in [-1, 1) from `seed`.
reference::Tensor deterministicInput(std::vector<int64_t> shape, uint64_t seed);

/// Prints the top `k` classes of up to four rows of [rows, classes] logits.
void printTopK(const reference::Tensor &logits, int64_t k);

/// Per-kernel times of a profiled model, slowest first.
void printProfile(tilec_model *model);

} // namespace tilec::cli

#endif // TILEC_TOOLS_MODELSOURCE_H
