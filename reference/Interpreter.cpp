//===- Interpreter.cpp - op-by-op evaluation of a tilec graph -------------===//
//
// 1. Check the inputs against the function's argument types.
// 2. Record each value's last use, so its tensor can be freed right after.
// 3. Evaluate ops in order: read operands, shape the result from the op's result
//    type (the verifier already checked it), run the kernel.
//
//===----------------------------------------------------------------------===//

#include "reference/Interpreter.h"

#include "ir/HalfFloat.h"
#include "ir/TilecDialect.h"
#include "ir/Weights.h"
#include "reference/Kernels.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace mlir;
using namespace tilec;
using namespace tilec::reference;

namespace {

std::vector<int64_t> shapeOf(Value v) {
  ArrayRef<int64_t> s = cast<ShapedType>(v.getType()).getShape();
  return {s.begin(), s.end()};
}

/// `in` with its dims permuted (output dim i is input dim perm[i]).
Tensor permuted(const Tensor &in, const std::vector<int64_t> &perm) {
  std::vector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(in.shape[p]);
  Tensor out(shape);
  transpose(in, perm, out);
  return out;
}

/// Evaluates a channels-last (NHWC, HWIO weight) window op with the NCHW
/// kernel: permute the input (and weight) in, run `nchw`, permute the result
/// back. The reference stays one implementation per op; speed is not its job.
void channelsLast(const Tensor &input, const Tensor *weight, Tensor &out,
                  const std::function<void(const Tensor &, const Tensor *, Tensor &)> &nchw) {
  Tensor x = permuted(input, {0, 3, 1, 2});
  Tensor w = weight ? permuted(*weight, {3, 2, 0, 1}) : Tensor();
  Tensor y({out.dim(0), out.dim(3), out.dim(1), out.dim(2)});
  nchw(x, weight ? &w : nullptr, y);
  transpose(y, {0, 2, 3, 1}, out);
}

Window2D window(ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
                ArrayRef<int64_t> dilations) {
  Window2D w;
  std::copy(kernel.begin(), kernel.end(), w.kernel.begin());
  std::copy(strides.begin(), strides.end(), w.strides.begin());
  std::copy(padding.begin(), padding.end(), w.padding.begin());
  if (!dilations.empty())
    std::copy(dilations.begin(), dilations.end(), w.dilations.begin());
  return w;
}

std::vector<int64_t> normalizedAxes(ArrayRef<int64_t> axes, int64_t rank) {
  std::vector<int64_t> result;
  for (int64_t a : axes)
    result.push_back(*normalizeAxis(a, rank));
  return result;
}

/// The scalar function of a unary elementwise op, or nullptr if `op` is not one.
std::function<double(double)> unaryFunction(Operation *op) {
  using F = std::function<double(double)>;
  return llvm::TypeSwitch<Operation *, F>(op)
      .Case([](ReluOp) { return F([](double x) { return x > 0 ? x : 0.0; }); })
      .Case([](SigmoidOp) { return F([](double x) { return 1.0 / (1.0 + std::exp(-x)); }); })
      .Case([](TanhOp) { return F([](double x) { return std::tanh(x); }); })
      .Case([](SiluOp) { return F([](double x) { return x / (1.0 + std::exp(-x)); }); })
      .Case([](HardswishOp) {
        return F([](double x) { return x * std::clamp(x + 3.0, 0.0, 6.0) / 6.0; });
      })
      .Case([](ExpOp) { return F([](double x) { return std::exp(x); }); })
      .Case([](SqrtOp) { return F([](double x) { return std::sqrt(x); }); })
      .Case([](ReciprocalOp) { return F([](double x) { return 1.0 / x; }); })
      .Case([](ErfOp) { return F([](double x) { return std::erf(x); }); })
      .Case([](NegOp) { return F([](double x) { return -x; }); })
      .Case([](DropoutOp) { return F([](double x) { return x; }); })
      .Case([](ConvertOp c) {
        // Values are held as floats: to bf16 / f16 is a rounding, to f32 exact.
        Type to = cast<ShapedType>(c.getType()).getElementType();
        if (to.isF32())
          return F([](double x) { return x; });
        bool bf16 = to.isBF16();
        return F([bf16](double x) { return double(half::round(float(x), bf16)); });
      })
      .Case([](LeakyReluOp op) {
        double alpha = op.getAlpha().convertToDouble();
        return F([alpha](double x) { return x >= 0 ? x : alpha * x; });
      })
      .Case([](ClipOp op) {
        double lo = op.getMin().convertToDouble(), hi = op.getMax().convertToDouble();
        return F([lo, hi](double x) { return std::clamp(x, lo, hi); });
      })
      .Case([](HardsigmoidOp op) {
        double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble();
        return F([=](double x) { return std::clamp(alpha * x + beta, 0.0, 1.0); });
      })
      .Case([](GeluOp op) {
        if (op.getApproximate() == "tanh")
          return F([](double x) {
            return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
          });
        return F([](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); });
      })
      .Default([](Operation *) { return F(); });
}

/// Evaluates one op. `in(i)` is operand i's tensor (or nullptr for an absent
/// optional operand); `out` is already shaped like the result.
LogicalResult evaluate(Operation *op, const std::function<const Tensor *(Value)> &in,
                       Tensor &out, int threads, std::string &error) {
  if (std::function<double(double)> f = unaryFunction(op)) {
    unary(*in(op->getOperand(0)), f, out);
    return success();
  }
  auto binaryCase = [&](Operation *o, BinaryKind kind) {
    binary(*in(o->getOperand(0)), *in(o->getOperand(1)), kind, out);
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ConstantOp c) {
        if (failed(readAsFloats(c.getValue(), out.data, error)))
          return failure();
        return success();
      })
      .Case([&](Conv2DOp c) {
        ArrayRef<int64_t> w = cast<ShapedType>(c.getWeight().getType()).getShape();
        Window2D win = window(c.isChannelsLast() ? w.take_front(2) : w.drop_front(2),
                              c.getStrides(), c.getPadding(), c.getDilations());
        const Tensor *bias = in(c.getBias());
        auto run = [&](const Tensor &x, const Tensor *weight, Tensor &y) {
          conv2d(x, *weight, bias, win, c.getGroups(), y, threads);
        };
        if (c.isChannelsLast())
          channelsLast(*in(c.getInput()), in(c.getWeight()), out, run);
        else
          run(*in(c.getInput()), in(c.getWeight()), out);
        return success();
      })
      .Case([&](MatmulOp m) {
        matmul(*in(m.getLhs()), *in(m.getRhs()), out, threads);
        return success();
      })
      .Case([&](AttentionOp a) {
        attention(*in(a.getQuery()), *in(a.getKey()), *in(a.getValue()),
                  a.getScale().convertToDouble(), out, threads);
        return success();
      })
      .Case([&](LinearOp l) {
        linear(*in(l.getInput()), *in(l.getWeight()), in(l.getBias()), out, threads);
        return success();
      })
      .Case([&](AddOp o) { return binaryCase(o, BinaryKind::Add); })
      .Case([&](SubOp o) { return binaryCase(o, BinaryKind::Sub); })
      .Case([&](MulOp o) { return binaryCase(o, BinaryKind::Mul); })
      .Case([&](DivOp o) { return binaryCase(o, BinaryKind::Div); })
      .Case([&](SoftmaxOp s) {
        softmax(*in(s.getInput()), *normalizeAxis(s.getAxis(), out.rank()), out);
        return success();
      })
      .Case([&](LayerNormOp l) {
        layerNorm(*in(l.getInput()), *in(l.getWeight()), *in(l.getBias()),
                  *normalizeAxis(l.getAxis(), out.rank()), l.getEpsilon().convertToDouble(), out);
        return success();
      })
      .Case([&](BatchNormOp b) {
        batchNorm(*in(b.getInput()), *in(b.getScale()), *in(b.getBias()), *in(b.getMean()),
                  *in(b.getVariance()), b.getEpsilon().convertToDouble(), out);
        return success();
      })
      .Case([&](LrnOp l) {
        lrn(*in(l.getInput()), l.getSize(), l.getAlpha().convertToDouble(),
            l.getBeta().convertToDouble(), l.getBias().convertToDouble(), out);
        return success();
      })
      .Case([&](MaxPool2DOp p) {
        auto run = [&](const Tensor &x, const Tensor *, Tensor &y) {
          maxPool2d(x, window(p.getKernel(), p.getStrides(), p.getPadding(), p.getDilations()),
                    y);
        };
        if (p.isChannelsLast())
          channelsLast(*in(p.getInput()), nullptr, out, run);
        else
          run(*in(p.getInput()), nullptr, out);
        return success();
      })
      .Case([&](AvgPool2DOp p) {
        auto run = [&](const Tensor &x, const Tensor *, Tensor &y) {
          avgPool2d(x, window(p.getKernel(), p.getStrides(), p.getPadding(), {}),
                    p.getCountIncludePad(), y);
        };
        if (p.isChannelsLast())
          channelsLast(*in(p.getInput()), nullptr, out, run);
        else
          run(*in(p.getInput()), nullptr, out);
        return success();
      })
      .Case([&](AdaptiveAvgPool2DOp p) {
        adaptiveAvgPool2d(*in(p.getInput()), out);
        return success();
      })
      .Case([&](GlobalAvgPoolOp p) {
        auto run = [&](const Tensor &x, const Tensor *, Tensor &y) { globalAvgPool(x, y); };
        if (p.isChannelsLast())
          channelsLast(*in(p.getInput()), nullptr, out, run);
        else
          run(*in(p.getInput()), nullptr, out);
        return success();
      })
      .Case([&](ConcatOp c) {
        std::vector<const Tensor *> inputs;
        for (Value v : c.getInputs())
          inputs.push_back(in(v));
        concat(inputs, *normalizeAxis(c.getAxis(), out.rank()), out);
        return success();
      })
      .Case<ReshapeOp, FlattenOp>([&](Operation *o) {
        out.data = in(o->getOperand(0))->data; // row-major order is unchanged
        return success();
      })
      .Case([&](BroadcastOp b) {
        broadcast(*in(b.getInput()), out);
        return success();
      })
      .Case([&](TransposeOp t) {
        ArrayRef<int64_t> perm = t.getPermutation();
        transpose(*in(t.getInput()), {perm.begin(), perm.end()}, out);
        return success();
      })
      .Case([&](SliceOp s) {
        const Tensor &input = *in(s.getInput());
        std::vector<int64_t> starts(input.rank(), 0), steps(input.rank(), 1);
        for (size_t i = 0; i < s.getAxes().size(); ++i) {
          int64_t axis = *normalizeAxis(s.getAxes()[i], input.rank()), dim = input.dim(axis);
          int64_t start = s.getStarts()[i];
          starts[axis] = std::clamp(start < 0 ? start + dim : start, int64_t(0), dim);
          steps[axis] = s.getSteps()[i];
        }
        slice(input, starts, steps, out);
        return success();
      })
      .Case([&](Im2ColOp p) {
        im2col(*in(p.getInput()),
               window(p.getKernel(), p.getStrides(), p.getPadding(), p.getDilations()), out);
        return success();
      })
      .Case([&](PadOp p) {
        ArrayRef<int64_t> pads = p.getPads();
        pad(*in(p.getInput()), {pads.begin(), pads.begin() + out.rank()},
            p.getValue().convertToDouble(), out);
        return success();
      })
      .Case([&](ReduceMeanOp r) {
        reduce(*in(r.getInput()), normalizedAxes(r.getAxes(), in(r.getInput())->rank()),
               ReduceKind::Mean, out);
        return success();
      })
      .Case([&](ReduceSumOp r) {
        reduce(*in(r.getInput()), normalizedAxes(r.getAxes(), in(r.getInput())->rank()),
               ReduceKind::Sum, out);
        return success();
      })
      .Case([&](ReduceMaxOp r) {
        reduce(*in(r.getInput()), normalizedAxes(r.getAxes(), in(r.getInput())->rank()),
               ReduceKind::Max, out);
        return success();
      })
      .Default([&](Operation *o) {
        error = "the reference interpreter has no kernel for '" +
                o->getName().getStringRef().str() + "'";
        return failure();
      });
}

} // namespace

FailureOr<std::vector<Tensor>> Interpreter::run(func::FuncOp function, std::vector<Tensor> inputs,
                                                std::string &error) {
  // 1. Inputs.
  Block &body = function.getBody().front();
  if (inputs.size() != body.getNumArguments()) {
    error = "@" + function.getName().str() + " takes " +
            std::to_string(body.getNumArguments()) + " input(s), got " +
            std::to_string(inputs.size());
    return failure();
  }
  std::vector<std::shared_ptr<const Tensor>> args;
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    std::vector<int64_t> expected = shapeOf(arg);
    if (inputs[i].shape != expected) {
      error = "input #" + std::to_string(i) + " has shape " + formatShape(inputs[i].shape) +
              " but @" + function.getName().str() + " expects " + formatShape(expected);
      return failure();
    }
    args.push_back(std::make_shared<const Tensor>(std::move(inputs[i])));
  }
  auto results = runBlock(body, args, error);
  if (failed(results))
    return failure();
  std::vector<Tensor> outputs;
  for (const auto &r : *results)
    outputs.push_back(*r);
  return outputs;
}

FailureOr<std::vector<std::shared_ptr<const Tensor>>>
Interpreter::runBlock(Block &body, const std::vector<std::shared_ptr<const Tensor>> &args,
                      std::string &error) {
  llvm::DenseMap<Value, std::shared_ptr<const Tensor>> values;
  for (auto [arg, tensor] : llvm::zip(body.getArguments(), args))
    values[arg] = tensor;

  // 2. Last uses (values the terminator returns are kept).
  llvm::DenseMap<Operation *, SmallVector<Value>> dying;
  for (Operation &op : body.without_terminator())
    for (Value operand : op.getOperands()) {
      Operation *last = &op;
      for (Operation *user : operand.getUsers())
        if (user->getBlock() == &body && last->isBeforeInBlock(user))
          last = user;
      if (!last->hasTrait<OpTrait::IsTerminator>())
        dying[last].push_back(operand);
    }

  // 3. Evaluate. A dispatch region runs its body on its operands (shared, not
  // copied); every other op has one result and one kernel.
  auto lookup = [&](Value v) -> const Tensor * {
    if (!v)
      return nullptr;
    auto it = values.find(v);
    return it == values.end() ? nullptr : it->second.get();
  };
  for (Operation &op : body.without_terminator()) {
    auto start = std::chrono::steady_clock::now();
    if (auto dispatch = dyn_cast<DispatchOp>(op)) {
      std::vector<std::shared_ptr<const Tensor>> inner;
      for (Value v : dispatch.getInputs())
        inner.push_back(values.lookup(v));
      auto results = runBlock(dispatch.getBody().front(), inner, error);
      if (failed(results))
        return failure();
      for (auto [result, tensor] : llvm::zip(dispatch.getResults(), *results))
        values[result] = tensor;
    } else {
      if (op.getNumResults() != 1) {
        error = "cannot evaluate '" + op.getName().getStringRef().str() +
                "': the reference interpreter handles single-result ops only";
        return failure();
      }
      auto out = std::make_shared<Tensor>(shapeOf(op.getResult(0)));
      if (failed(evaluate(&op, lookup, *out, options.threads, error))) {
        std::string where;
        llvm::raw_string_ostream os(where);
        os << op.getLoc();
        error += " (at " + where + ")";
        return failure();
      }
      values[op.getResult(0)] = std::move(out);
    }
    for (Value v : dying.lookup(&op))
      values.erase(v);
    if (options.onOpDone)
      options.onOpDone(&op, std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                          start).count());
  }

  std::vector<std::shared_ptr<const Tensor>> results;
  for (Value v : body.getTerminator()->getOperands())
    results.push_back(values.lookup(v));
  return results;
}
