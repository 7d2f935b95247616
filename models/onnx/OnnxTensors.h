//===- OnnxTensors.h - TensorProto data, inline or external -----*- C++ -*-===//
//
// Internal to models/onnx. Reads tensor data from `raw_data`, the typed
// repeated fields, or an external-data file next to the model (whose path must
// stay inside the model's folder), checking sizes against the dims.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_ONNX_ONNXTENSORS_H
#define TILEC_MODELS_ONNX_ONNXTENSORS_H

#include "models/onnx/Importer.h"

#include "mlir/IR/AsmState.h"

namespace tilec::onnx_import {

/// Largest tensor (in elements) tilec accepts from a file: guards against
/// absurd dims in corrupt or hostile models.
constexpr int64_t kMaxElements = int64_t(1) << 32;

/// Static dims of `tensor`, or a message if negative or absurd.
mlir::FailureOr<std::vector<int64_t>> tensorDims(const onnx::TensorProto &tensor,
                                                 std::string &error);

/// Name of an ONNX element type ("float", "int64", ...).
std::string elementTypeName(int32_t type);

/// A FLOAT tensor's data as a weight blob of `numel` floats, after checking that
/// the data (inline or external) really has that size.
mlir::FailureOr<mlir::AsmResourceBlob> readFloatBlob(const onnx::TensorProto &tensor,
                                                     const std::string &baseDir, int64_t numel,
                                                     std::string &error);

/// Converts any numeric tensor to a host tensor.
mlir::LogicalResult toHostTensor(const onnx::TensorProto &tensor, const std::string &baseDir,
                                 HostTensor &out, std::string &error);

} // namespace tilec::onnx_import

#endif // TILEC_MODELS_ONNX_ONNXTENSORS_H
