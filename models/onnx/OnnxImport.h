//===- OnnxImport.h - ONNX models into the tilec dialect --------*- C++ -*-===//
//
// Reads an ONNX model (opsets up to 21 of the default domain; every op is read
// from the first opset whose definition of it the importer implements, at the
// latest 11 for all ops torchvision exports use) into a module with
// `func.func @main`, the same form as a zoo model. Initializers become named
// `tilec.constant` weights held as resources (external-data files included);
// shape-computing subgraphs (Shape -> Gather -> Concat -> Reshape, ...) are
// evaluated at import, so the graph has static shapes only.
//
// Example:
//   std::string error;
//   OnnxCoverage coverage;
//   if (failed(checkOnnxCoverage("model.onnx", coverage, error))) report(error);
//   auto module = importOnnx(context, "model.onnx", error);
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_ONNX_ONNXIMPORT_H
#define TILEC_MODELS_ONNX_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace tilec::onnx_import {

/// The newest opset of the default ONNX domain this importer reads; older ones
/// are read op by op (OnnxOps.cpp lists the first opset of each op's form).
constexpr int64_t kMinOpset = 1, kMaxOpset = 21;

/// Errors about a valid model that uses something tilec does not support (an op,
/// an attribute value, an opset, a data type) start with this prefix; other
/// errors mean the file is malformed or inconsistent.
inline constexpr const char *kUnsupported = "unsupported: ";

/// What a model uses, op type by op type, and whether tilec supports it.
struct OnnxCoverage {
  struct Row {
    std::string opType;
    int64_t count = 0;
    std::string unsupported; ///< empty if supported, else why (first failing node)
  };
  int64_t opset = 0;
  int64_t irVersion = 0;
  std::string producer;
  std::vector<Row> rows; ///< sorted by op type
  bool allSupported() const;
};

/// Reads `path` and fills `coverage` without building anything. Fails (with a
/// message in `error`) only if the file cannot be read as an ONNX model.
mlir::LogicalResult checkOnnxCoverage(const std::string &path, OnnxCoverage &coverage,
                                      std::string &error);

/// Imports `path`. Every failure names the file and, where there is one, the
/// node and what about it is unsupported or inconsistent.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnx(mlir::MLIRContext &context, const std::string &path, std::string &error);

/// Imports a model already in memory (`bytes` is a serialized ModelProto);
/// external data is resolved against `baseDir`. Used by the fuzzer.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxBytes(mlir::MLIRContext &context, llvm::StringRef bytes, const std::string &baseDir,
                std::string &error);

} // namespace tilec::onnx_import

#endif // TILEC_MODELS_ONNX_ONNXIMPORT_H
