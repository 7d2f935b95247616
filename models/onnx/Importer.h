//===- Importer.h - state shared by the ONNX graph importer -----*- C++ -*-===//
//
// Internal to models/onnx. Every ONNX value is either a graph value (an MLIR
// tensor) or a host constant (initializer, Constant node, or the folded result
// of a shape computation). Converters (OnnxOps.cpp, OnnxDataOps.cpp) read inputs, check
// attributes and create tilec ops through `create<OpT>`, which runs the op's
// shape inference first so that an inconsistent model is a message, not an
// LLVM fatal error.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_ONNX_IMPORTER_H
#define TILEC_MODELS_ONNX_IMPORTER_H

#include "ir/TilecDialect.h"
#include "models/onnx/OnnxImport.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tilec::onnx_import {

/// A constant known at import time. Integers (and booleans) use `ints`,
/// floating-point values `floats`.
struct HostTensor {
  enum Kind { Float, Int } kind = Float;
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  int64_t numel() const;
  double at(int64_t i) const { return kind == Float ? double(floats[i]) : double(ints[i]); }
  static HostTensor ofInts(std::vector<int64_t> shape, std::vector<int64_t> values);
  static HostTensor ofFloats(std::vector<int64_t> shape, std::vector<float> values);
};

class Importer {
public:
  Importer(mlir::MLIRContext &context, mlir::OpBuilder &builder, int64_t opset,
           std::string &error);

  int64_t opset() const { return opsetVersion; }
  mlir::OpBuilder &builder() { return b; }
  mlir::Location loc(const onnx::NodeProto &node);

  // Inputs. `i` past the end or an empty name means "absent".
  bool has(const onnx::NodeProto &node, int i) const;
  const HostTensor *host(const onnx::NodeProto &node, int i) const;
  /// The input as a graph tensor (host float constants are materialized as
  /// tilec.constant); fails with a message if it is absent or not float.
  mlir::FailureOr<mlir::Value> value(const onnx::NodeProto &node, int i);
  /// Like value(), but an absent input gives a null Value.
  mlir::FailureOr<mlir::Value> optionalValue(const onnx::NodeProto &node, int i);
  /// The input as host integers (e.g. a Reshape shape); fails if not constant.
  mlir::FailureOr<std::vector<int64_t>> hostInts(const onnx::NodeProto &node, int i);
  bool allInputsHost(const onnx::NodeProto &node) const;

  // Outputs.
  void setOutput(const onnx::NodeProto &node, int i, mlir::Value v);
  void setHostOutput(const onnx::NodeProto &node, int i, HostTensor t);
  /// True if output `i` exists and something reads it.
  bool outputUsed(const onnx::NodeProto &node, int i) const;

  // Attributes.
  const onnx::AttributeProto *attr(const onnx::NodeProto &node, const std::string &name) const;
  int64_t attrInt(const onnx::NodeProto &node, const std::string &name, int64_t fallback) const;
  float attrFloat(const onnx::NodeProto &node, const std::string &name, float fallback) const;
  std::string attrString(const onnx::NodeProto &node, const std::string &name,
                         const std::string &fallback) const;
  std::vector<int64_t> attrInts(const onnx::NodeProto &node, const std::string &name,
                                std::vector<int64_t> fallback) const;

  /// Records "node '<name>' (<op>): <message>" as the import error and fails.
  mlir::LogicalResult fail(const onnx::NodeProto &node, const std::string &message);
  /// Like fail(), for a valid model that uses something tilec does not support:
  /// the message starts with kUnsupported, which the CLI turns into exit code 3.
  mlir::LogicalResult unsupported(const onnx::NodeProto &node, const std::string &message);

  /// Creates OpT with result type inferred first; on inconsistent operands the
  /// op's own diagnostic becomes the import error and nothing is created.
  template <typename OpT, typename... Args>
  mlir::FailureOr<mlir::Value> create(const onnx::NodeProto &node, Args &&...args) {
    auto placeholder = mlir::RankedTensorType::get({1}, b.getF32Type());
    auto op = b.create<OpT>(loc(node), placeholder, std::forward<Args>(args)...);
    if (mlir::failed(inferResultType(node, op.getOperation())))
      return mlir::failure();
    return op->getResult(0);
  }

  // Graph-level state, used by the driver in OnnxImport.cpp.
  std::map<std::string, mlir::Value> values;
  /// Host constants: Constant nodes, folded shape computations, and the
  /// initializers converted on demand (see `initializers`).
  mutable std::map<std::string, HostTensor> constants;
  /// Initializers not yet converted: float ones become resource weights on
  /// first use as a graph value (one copy), others host tensors.
  std::map<std::string, const onnx::TensorProto *> initializers;
  std::map<std::string, int> useCounts;
  std::string baseDir; ///< folder of the model file, for external data

private:
  mlir::LogicalResult inferResultType(const onnx::NodeProto &node, mlir::Operation *op);

  mlir::MLIRContext &context;
  mlir::OpBuilder &b;
  int64_t opsetVersion;
  std::string &error;
};

/// Converts one node (graph or host path). Defined in OnnxOps.cpp.
mlir::LogicalResult convertNode(Importer &importer, const onnx::NodeProto &node);

/// Why tilec cannot import `node` at `opset`, judged from its op type and
/// attributes alone; empty if it can (shapes may still make it fail later).
std::string unsupportedReason(const onnx::NodeProto &node, int64_t opset);

/// Shape of a graph value.
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);

} // namespace tilec::onnx_import

#endif // TILEC_MODELS_ONNX_IMPORTER_H
