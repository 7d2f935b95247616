//===- OnnxExport.h - tilec graphs out as ONNX ------------------*- C++ -*-===//
//
// Writes a tilec module's @main as an ONNX model (opset 17, weights as
// initializers) that onnx.checker accepts and ONNX Runtime runs; zoo models
// and NAS candidates leave tilec this way.
//
// Example:
//   std::string error;
//   if (failed(exportOnnx(module, "resnet50.onnx", error))) report(error);
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_ONNX_ONNXEXPORT_H
#define TILEC_MODELS_ONNX_ONNXEXPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tilec::onnx_export {

/// The opset the exporter writes.
constexpr int64_t kExportOpset = 17;

/// Writes `module`'s @main to `path` (through a temporary file renamed into
/// place, so a failure never leaves a partial model). Fails with a message for
/// ops or attribute values ONNX opset 17 cannot express.
mlir::LogicalResult exportOnnx(mlir::ModuleOp module, const std::string &path,
                               std::string &error);

} // namespace tilec::onnx_export

#endif // TILEC_MODELS_ONNX_ONNXEXPORT_H
