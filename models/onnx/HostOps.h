//===- HostOps.h - evaluating shape computations at import ------*- C++ -*-===//
//
// Internal to models/onnx. PyTorch's exporter emits small integer subgraphs
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) to compute shapes; with
// static input shapes their values are known at import, so they are evaluated
// here on HostTensors and never reach the graph.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_ONNX_HOSTOPS_H
#define TILEC_MODELS_ONNX_HOSTOPS_H

#include "models/onnx/Importer.h"

namespace tilec::onnx_import {

/// Evaluates `node` on host inputs (all of them constant). Returns failure with
/// a message through `importer` if the op has no host evaluation.
mlir::LogicalResult evaluateOnHost(Importer &importer, const onnx::NodeProto &node);

/// Reads a tensor-valued attribute (Constant, ConstantOfShape).
mlir::LogicalResult attributeTensor(Importer &importer, const onnx::NodeProto &node,
                                    const onnx::AttributeProto &attr, HostTensor &out);

} // namespace tilec::onnx_import

#endif // TILEC_MODELS_ONNX_HOSTOPS_H
