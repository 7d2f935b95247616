//===- GraphBuilder.h - layer-level helpers for zoo builders ----*- C++ -*-===//
//
// Builds one model as `func.func @main(%input) -> %logits` in a fresh module.
// Each layer method creates the tilec op(s) and the layer's named weights, with
// PyTorch's module path as the name so that state-dict names line up, e.g.
//
//   GraphBuilder g(context, "resnet18", options, {1, 3, 224, 224});
//   Value x = g.conv(g.input(), "conv1", /*out=*/64, /*kernel=*/7, /*stride=*/2, /*pad=*/3);
//   x = g.relu(g.batchNorm(x, "bn1"));
//   ...
//   OwningOpRef<ModuleOp> module = g.finish(logits);
//
// Weights are initialised from (seed, parameter name) alone, so a parameter's
// values do not depend on build order. The scheme (docs/design/models.md):
// conv weights Kaiming-normal (fan-in, ReLU gain), conv biases 0; linear
// weights and biases uniform(+-1/sqrt(fan_in)) (PyTorch's nn.Linear default);
// normalization scales 1, shifts 0, running mean 0, running variance 1.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_GRAPHBUILDER_H
#define TILEC_MODELS_GRAPHBUILDER_H

#include "models/Zoo.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace tilec::models {

using mlir::Value;

/// How a parameter's values are drawn.
struct Init {
  enum Kind { Zeros, Ones, Normal, Uniform } kind;
  double scale; // standard deviation (Normal) or bound (Uniform)
  static Init zeros() { return {Zeros, 0}; }
  static Init ones() { return {Ones, 0}; }
  static Init normal(double std) { return {Normal, std}; }
  static Init uniform(double bound) { return {Uniform, bound}; }
};

/// torchvision's `_make_divisible`: rounds `value` to the nearest multiple of
/// `divisor` (at least `divisor`), never going more than 10% below `value`.
/// Example: makeDivisible(32 * 1.1) == 40; makeDivisible(16 * 0.75) == 16.
int64_t makeDivisible(double value, int64_t divisor = 8);

class GraphBuilder {
public:
  GraphBuilder(mlir::MLIRContext &context, llvm::StringRef modelName,
               const ModelOptions &options, llvm::ArrayRef<int64_t> inputShape);

  Value input() const { return inputValue; }
  const ModelOptions &options() const { return opts; }
  static llvm::ArrayRef<int64_t> shape(Value v);

  /// A named parameter tensor (a `tilec.constant`).
  Value parameter(llvm::StringRef name, llvm::ArrayRef<int64_t> shape, Init init);

  // Layers; `name` is the PyTorch module path of the layer.
  Value conv(Value x, llvm::StringRef name, int64_t outChannels, int64_t kernel,
             int64_t stride = 1, int64_t pad = 0, int64_t groups = 1, bool bias = false);
  Value batchNorm(Value x, llvm::StringRef name, double eps = 1e-5);
  Value linear(Value x, llvm::StringRef name, int64_t outFeatures, bool bias = true);
  Value layerNorm(Value x, llvm::StringRef name, double eps);
  /// A linear layer on explicit weight and (optional) bias values.
  Value linear(Value x, Value weight, Value bias);
  /// An unnamed constant: a literal of the graph, not a learned parameter.
  Value literal(llvm::ArrayRef<int64_t> shape, float value);

  Value relu(Value x);
  Value relu6(Value x);
  Value tanh(Value x);
  Value sigmoid(Value x);
  Value silu(Value x);
  Value hardswish(Value x);
  Value hardsigmoid(Value x);
  Value gelu(Value x);
  Value dropout(Value x, double ratio);
  Value add(Value a, Value b);
  Value mul(Value a, Value b);
  Value matmul(Value a, Value b);
  Value softmax(Value x, int64_t axis);
  Value lrn(Value x, int64_t size, double alpha, double beta, double bias);

  Value maxPool(Value x, int64_t kernel, int64_t stride, int64_t pad = 0,
                bool ceilMode = false);
  Value avgPool(Value x, int64_t kernel, int64_t stride, int64_t pad = 0,
                bool ceilMode = false, bool countIncludePad = true);
  Value adaptiveAvgPool(Value x, int64_t outH, int64_t outW);
  Value flatten(Value x, int64_t startDim = 1);
  Value concat(llvm::ArrayRef<Value> xs, int64_t axis);
  Value reshape(Value x, llvm::ArrayRef<int64_t> shape);
  Value broadcast(Value x, llvm::ArrayRef<int64_t> shape);
  Value transpose(Value x, llvm::ArrayRef<int64_t> permutation);
  Value slice(Value x, int64_t axis, int64_t start, int64_t end);

  /// Returns `output` from @main, verifies the module and hands it over.
  /// Fails (with the verifier's diagnostics) only on a bug in a zoo builder.
  mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> finish(Value output);

private:
  mlir::Location loc(llvm::StringRef name);

  const ModelOptions &opts;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::OpBuilder b;
  mlir::func::FuncOp function;
  Value inputValue;
  std::string currentName; // location name of unnamed ops (activations, pools)
};

} // namespace tilec::models

#endif // TILEC_MODELS_GRAPHBUILDER_H
