//===- OnnxExport.cpp - tilec graphs out as ONNX --------------------------===//
//
// 1. Constants become initializers (named after the weight, raw float data).
// 2. Each op becomes one ONNX node, or a few where opset 17 has no single op
//    (silu = x * sigmoid(x); gelu from erf or tanh; linear on rank > 2 inputs as
//    Transpose + MatMul + Add).
// 3. Shapes, axes and pads that ONNX takes as inputs become int64 initializers.
//
//===----------------------------------------------------------------------===//

#include "models/onnx/OnnxExport.h"

#include "ir/TilecDialect.h"
#include "ir/Weights.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace mlir;
using namespace tilec;

namespace {

class Exporter {
public:
  Exporter(onnx::GraphProto &graph, std::string &error) : graph(graph), error(error) {}

  LogicalResult exportFunction(func::FuncOp function);

private:
  std::string name(Value v) {
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    return names[v] = "t" + std::to_string(names.size());
  }
  std::string fresh() { return "aux" + std::to_string(auxCount++); }

  onnx::NodeProto &node(const std::string &opType, ArrayRef<std::string> inputs,
                        ArrayRef<std::string> outputs) {
    onnx::NodeProto &n = *graph.add_node();
    n.set_op_type(opType);
    n.set_name(opType + "_" + std::to_string(graph.node_size()));
    for (const std::string &i : inputs)
      n.add_input(i);
    for (const std::string &o : outputs)
      n.add_output(o);
    return n;
  }
  static void setInts(onnx::NodeProto &n, const std::string &key, ArrayRef<int64_t> values) {
    onnx::AttributeProto &a = *n.add_attribute();
    a.set_name(key);
    a.set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values)
      a.add_ints(v);
  }
  static void setInt(onnx::NodeProto &n, const std::string &key, int64_t value) {
    onnx::AttributeProto &a = *n.add_attribute();
    a.set_name(key);
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(value);
  }
  static void setFloat(onnx::NodeProto &n, const std::string &key, double value) {
    onnx::AttributeProto &a = *n.add_attribute();
    a.set_name(key);
    a.set_type(onnx::AttributeProto::FLOAT);
    a.set_f(float(value));
  }
  std::string intsInitializer(ArrayRef<int64_t> values) {
    onnx::TensorProto &t = *graph.add_initializer();
    t.set_name(fresh());
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(int64_t(values.size()));
    for (int64_t v : values)
      t.add_int64_data(v);
    return t.name();
  }
  std::string floatScalar(float value) {
    onnx::TensorProto &t = *graph.add_initializer();
    t.set_name(fresh());
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_float_data(value);
    return t.name();
  }
  /// One-node helper: `opType(inputs) -> new value`.
  std::string apply(const std::string &opType, ArrayRef<std::string> inputs) {
    std::string out = fresh();
    node(opType, inputs, {out});
    return out;
  }

  LogicalResult exportConstant(ConstantOp op);
  LogicalResult exportOp(Operation *op);
  void valueInfo(onnx::ValueInfoProto &info, const std::string &valueName, Type type);

  onnx::GraphProto &graph;
  std::string &error;
  llvm::DenseMap<Value, std::string> names;
  int64_t auxCount = 0;
};

void Exporter::valueInfo(onnx::ValueInfoProto &info, const std::string &valueName, Type type) {
  info.set_name(valueName);
  auto &tensor = *info.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : cast<ShapedType>(type).getShape())
    tensor.mutable_shape()->add_dim()->set_dim_value(d);
}

LogicalResult Exporter::exportConstant(ConstantOp op) {
  std::vector<float> data;
  if (failed(readAsFloats(op.getValue(), data, error)))
    return failure();
  onnx::TensorProto &t = *graph.add_initializer();
  std::string tensorName = op.getName() ? op.getName()->str() : fresh();
  names[op.getOutput()] = tensorName;
  t.set_name(tensorName);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : op.getOutput().getType().getShape())
    t.add_dims(d);
  t.set_raw_data(data.data(), data.size() * sizeof(float));
  return success();
}

LogicalResult Exporter::exportOp(Operation *op) {
  auto in = [&](unsigned i) { return name(op->getOperand(i)); };
  std::string out = op->getNumResults() ? name(op->getResult(0)) : "";
  auto shape = [](Value v) { return cast<ShapedType>(v.getType()).getShape(); };
  auto unary = [&](const char *opType) {
    node(opType, {in(0)}, {out});
    return success();
  };
  // ONNX's Conv and pools are NCHW only: export the graph before layout
  // assignment (tilec export does; an optimized graph does not round-trip).
  if (auto layout = op->getAttrOfType<StringAttr>("layout"); layout && layout == "nhwc") {
    error = "'" + op->getName().getStringRef().str() +
            "' is channels last (layout = \"nhwc\"); ONNX has no NHWC convolution or pool: "
            "export the model before tilec-assign-layouts runs";
    return failure();
  }
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](Conv2DOp c) {
        SmallVector<std::string> inputs = {in(0), in(1)};
        if (c.getBias())
          inputs.push_back(in(2));
        onnx::NodeProto &n = node("Conv", inputs, {out});
        setInts(n, "kernel_shape", shape(c.getWeight()).drop_front(2));
        setInts(n, "strides", c.getStrides());
        setInts(n, "pads", c.getPadding()); // [t, l, b, r] is ONNX's order for 2-D
        setInts(n, "dilations", c.getDilations());
        setInt(n, "group", c.getGroups());
        return success();
      })
      .Case([&](MatmulOp) {
        node("MatMul", {in(0), in(1)}, {out});
        return success();
      })
      .Case([&](AttentionOp a) {
        int64_t rank = shape(a.getKey()).size();
        SmallVector<int64_t> perm;
        for (int64_t d = 0; d < rank; ++d)
          perm.push_back(d);
        std::swap(perm[rank - 1], perm[rank - 2]);
        std::string kT = fresh();
        setInts(node("Transpose", {in(1)}, {kT}), "perm", perm);
        std::string scores = apply("Mul", {apply("MatMul", {in(0), kT}),
                                           floatScalar(a.getScale().convertToDouble())});
        std::string probs = fresh();
        setInt(node("Softmax", {scores}, {probs}), "axis", -1);
        node("MatMul", {probs, in(2)}, {out});
        return success();
      })
      .Case([&](LinearOp l) {
        if (shape(l.getInput()).size() == 2) {
          SmallVector<std::string> inputs = {in(0), in(1)};
          if (l.getBias())
            inputs.push_back(in(2));
          setInt(node("Gemm", inputs, {out}), "transB", 1);
          return success();
        }
        std::string wT = fresh();
        setInts(node("Transpose", {in(1)}, {wT}), "perm", {1, 0});
        if (!l.getBias()) {
          node("MatMul", {in(0), wT}, {out});
          return success();
        }
        node("Add", {apply("MatMul", {in(0), wT}), in(2)}, {out});
        return success();
      })
      .Case([&](AddOp) { node("Add", {in(0), in(1)}, {out}); return success(); })
      .Case([&](SubOp) { node("Sub", {in(0), in(1)}, {out}); return success(); })
      .Case([&](MulOp) { node("Mul", {in(0), in(1)}, {out}); return success(); })
      .Case([&](DivOp) { node("Div", {in(0), in(1)}, {out}); return success(); })
      .Case([&](ReluOp) { return unary("Relu"); })
      .Case([&](SigmoidOp) { return unary("Sigmoid"); })
      .Case([&](TanhOp) { return unary("Tanh"); })
      .Case([&](ExpOp) { return unary("Exp"); })
      .Case([&](SqrtOp) { return unary("Sqrt"); })
      .Case([&](ReciprocalOp) { return unary("Reciprocal"); })
      .Case([&](ErfOp) { return unary("Erf"); })
      .Case([&](NegOp) { return unary("Neg"); })
      .Case([&](HardswishOp) { return unary("HardSwish"); })
      .Case([&](DropoutOp) { return unary("Identity"); })
      .Case([&](SiluOp) {
        node("Mul", {in(0), apply("Sigmoid", {in(0)})}, {out});
        return success();
      })
      .Case([&](LeakyReluOp l) {
        setFloat(node("LeakyRelu", {in(0)}, {out}), "alpha", l.getAlpha().convertToDouble());
        return success();
      })
      .Case([&](ClipOp c) {
        auto bound = [&](double v) {
          return floatScalar(std::isinf(v) ? std::copysign(3.4028234663852886e38, v) : v);
        };
        node("Clip", {in(0), bound(c.getMin().convertToDouble()),
                      bound(c.getMax().convertToDouble())}, {out});
        return success();
      })
      .Case([&](HardsigmoidOp h) {
        onnx::NodeProto &n = node("HardSigmoid", {in(0)}, {out});
        setFloat(n, "alpha", h.getAlpha().convertToDouble());
        setFloat(n, "beta", h.getBeta().convertToDouble());
        return success();
      })
      .Case([&](GeluOp g) {
        std::string x = in(0), inner;
        if (g.getApproximate() == "tanh") { // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
          std::string cube = apply("Mul", {x, apply("Mul", {x, x})});
          std::string sum = apply("Add", {x, apply("Mul", {cube, floatScalar(0.044715f)})});
          inner = apply("Tanh", {apply("Mul", {sum, floatScalar(std::sqrt(2.0 / M_PI))})});
        } else { // erf(x / sqrt(2))
          inner = apply("Erf", {apply("Div", {x, floatScalar(std::sqrt(2.0f))})});
        }
        std::string half = apply("Mul", {x, floatScalar(0.5f)});
        node("Mul", {half, apply("Add", {inner, floatScalar(1.0f)})}, {out});
        return success();
      })
      .Case([&](SoftmaxOp s) {
        setInt(node("Softmax", {in(0)}, {out}), "axis", s.getAxis());
        return success();
      })
      .Case([&](LayerNormOp l) {
        onnx::NodeProto &n = node("LayerNormalization", {in(0), in(1), in(2)}, {out});
        setInt(n, "axis", l.getAxis());
        setFloat(n, "epsilon", l.getEpsilon().convertToDouble());
        return success();
      })
      .Case([&](BatchNormOp b) {
        onnx::NodeProto &n =
            node("BatchNormalization", {in(0), in(1), in(2), in(3), in(4)}, {out});
        setFloat(n, "epsilon", b.getEpsilon().convertToDouble());
        return success();
      })
      .Case([&](LrnOp l) {
        onnx::NodeProto &n = node("LRN", {in(0)}, {out});
        setInt(n, "size", l.getSize());
        setFloat(n, "alpha", l.getAlpha().convertToDouble());
        setFloat(n, "beta", l.getBeta().convertToDouble());
        setFloat(n, "bias", l.getBias().convertToDouble());
        return success();
      })
      .Case([&](MaxPool2DOp p) {
        onnx::NodeProto &n = node("MaxPool", {in(0)}, {out});
        setInts(n, "kernel_shape", p.getKernel());
        setInts(n, "strides", p.getStrides());
        setInts(n, "pads", p.getPadding());
        setInts(n, "dilations", p.getDilations());
        setInt(n, "ceil_mode", p.getCeilMode());
        return success();
      })
      .Case([&](AvgPool2DOp p) {
        onnx::NodeProto &n = node("AveragePool", {in(0)}, {out});
        setInts(n, "kernel_shape", p.getKernel());
        setInts(n, "strides", p.getStrides());
        setInts(n, "pads", p.getPadding());
        setInt(n, "ceil_mode", p.getCeilMode());
        setInt(n, "count_include_pad", p.getCountIncludePad());
        return success();
      })
      .Case([&](GlobalAvgPoolOp) { return unary("GlobalAveragePool"); })
      .Case([&](AdaptiveAvgPool2DOp p) -> LogicalResult {
        ArrayRef<int64_t> s = shape(p.getInput());
        ArrayRef<int64_t> o = p.getOutputSize();
        if (s[2] % o[0] || s[3] % o[1]) {
          error = "adaptive average pooling from " + std::to_string(s[2]) + "x" +
                  std::to_string(s[3]) + " to " + std::to_string(o[0]) + "x" +
                  std::to_string(o[1]) + " (not a divisor) has no ONNX equivalent; export at "
                  "an input resolution where it divides";
          return failure();
        }
        onnx::NodeProto &n = node("AveragePool", {in(0)}, {out});
        setInts(n, "kernel_shape", {s[2] / o[0], s[3] / o[1]});
        setInts(n, "strides", {s[2] / o[0], s[3] / o[1]});
        return success();
      })
      .Case([&](ConcatOp c) {
        SmallVector<std::string> inputs;
        for (unsigned i = 0; i < c->getNumOperands(); ++i)
          inputs.push_back(in(i));
        setInt(node("Concat", inputs, {out}), "axis", c.getAxis());
        return success();
      })
      .Case<ReshapeOp, FlattenOp>([&](Operation *o) {
        node("Reshape", {in(0), intsInitializer(shape(o->getResult(0)))}, {out});
        return success();
      })
      .Case([&](BroadcastOp b) {
        node("Expand", {in(0), intsInitializer(b.getShape())}, {out});
        return success();
      })
      .Case([&](TransposeOp t) {
        setInts(node("Transpose", {in(0)}, {out}), "perm", t.getPermutation());
        return success();
      })
      .Case([&](SliceOp s) {
        node("Slice", {in(0), intsInitializer(s.getStarts()), intsInitializer(s.getEnds()),
                       intsInitializer(s.getAxes()), intsInitializer(s.getSteps())},
             {out});
        return success();
      })
      .Case([&](PadOp p) {
        node("Pad", {in(0), intsInitializer(p.getPads()),
                     floatScalar(p.getValue().convertToDouble())}, {out});
        return success();
      })
      .Case([&](ReduceMeanOp r) {
        onnx::NodeProto &n = node("ReduceMean", {in(0)}, {out});
        setInts(n, "axes", r.getAxes());
        setInt(n, "keepdims", r.getKeepdims());
        return success();
      })
      .Case([&](ReduceMaxOp r) {
        onnx::NodeProto &n = node("ReduceMax", {in(0)}, {out});
        setInts(n, "axes", r.getAxes());
        setInt(n, "keepdims", r.getKeepdims());
        return success();
      })
      .Case([&](ReduceSumOp r) {
        setInt(node("ReduceSum", {in(0), intsInitializer(r.getAxes())}, {out}), "keepdims",
               r.getKeepdims());
        return success();
      })
      .Default([&](Operation *o) {
        error = "'" + o->getName().getStringRef().str() + "' has no ONNX export";
        return failure();
      });
}

LogicalResult Exporter::exportFunction(func::FuncOp function) {
  Block &body = function.getBody().front();
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    names[arg] = body.getNumArguments() == 1 ? "input" : "input" + std::to_string(i);
    valueInfo(*graph.add_input(), names[arg], arg.getType());
  }
  for (Operation &op : body.without_terminator()) {
    LogicalResult result =
        isa<ConstantOp>(op) ? exportConstant(cast<ConstantOp>(op)) : exportOp(&op);
    if (failed(result))
      return failure();
  }
  Operation *terminator = body.getTerminator();
  for (auto [i, v] : llvm::enumerate(terminator->getOperands())) {
    std::string outName = terminator->getNumOperands() == 1 ? "output" : "output" + std::to_string(i);
    node("Identity", {name(v)}, {outName});
    valueInfo(*graph.add_output(), outName, v.getType());
  }
  return success();
}

} // namespace

LogicalResult tilec::onnx_export::exportOnnx(ModuleOp module, const std::string &path,
                                             std::string &error) {
  auto function = module.lookupSymbol<func::FuncOp>("main");
  if (!function) {
    error = "the module has no @main function to export";
    return failure();
  }
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("tilec");
  model.set_producer_version(TILEC_VERSION_STRING);
  onnx::OperatorSetIdProto &opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kExportOpset);
  onnx::GraphProto &graph = *model.mutable_graph();
  auto modelName = module->getAttrOfType<StringAttr>("tilec.model");
  graph.set_name(modelName ? modelName.str() : "tilec");
  Exporter exporter(graph, error);
  if (failed(exporter.exportFunction(function))) {
    error = "cannot export: " + error;
    return failure();
  }
  if (model.ByteSizeLong() > size_t(INT32_MAX)) {
    error = "the model is over 2 GB, the protobuf limit, and the exporter does not write ONNX "
            "external data; export it at a smaller batch size or resolution";
    return failure();
  }
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out || !model.SerializeToOstream(&out) || !out.flush()) {
      std::filesystem::remove(temporary);
      error = "cannot write '" + path + "' (directory missing, or disk full?)";
      return failure();
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary);
    error = "cannot move the exported model into '" + path + "': " + ec.message();
    return failure();
  }
  return success();
}
