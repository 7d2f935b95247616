//===- Interpreter.h - the reference interpreter ----------------*- C++ -*-===//
//
// Runs a `func.func` of the tilec dialect op by op on the CPU with the plain
// kernels of Kernels.h. It is the oracle every later test compares compiled
// kernels against, so it favours clarity over speed (ResNet-50 at batch 1 takes
// a few seconds on two cores). Intermediate tensors are freed after their last use.
// `tilec.dispatch` regions run their bodies in place, so a graph evaluates the
// same before and after fusion.
//
// Example:
//   Interpreter interpreter({.threads = 2});
//   std::string error;
//   auto outputs = interpreter.run(function, {image}, error);
//   if (failed(outputs)) report(error);
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_REFERENCE_INTERPRETER_H
#define TILEC_REFERENCE_INTERPRETER_H

#include "reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <functional>
#include <memory>
#include <string>

namespace tilec::reference {

struct InterpreterOptions {
  int threads = 0; ///< 0: all cores
  /// Called after each op with its wall time in seconds (for per-layer timing).
  std::function<void(mlir::Operation *, double)> onOpDone;
};

class Interpreter {
public:
  explicit Interpreter(InterpreterOptions options = {}) : options(std::move(options)) {}

  /// Runs `function` on `inputs` (one per argument, shapes must match exactly).
  /// Fails with a message in `error` naming the argument or op at fault.
  mlir::FailureOr<std::vector<Tensor>> run(mlir::func::FuncOp function,
                                           std::vector<Tensor> inputs, std::string &error);

private:
  /// Evaluates `body` (a function body or a dispatch region) on `args`.
  mlir::FailureOr<std::vector<std::shared_ptr<const Tensor>>>
  runBlock(mlir::Block &body, const std::vector<std::shared_ptr<const Tensor>> &args,
           std::string &error);

  InterpreterOptions options;
};

} // namespace tilec::reference

#endif // TILEC_REFERENCE_INTERPRETER_H
