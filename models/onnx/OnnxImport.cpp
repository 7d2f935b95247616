//===- OnnxImport.cpp - ONNX models into the tilec dialect ----------------===//
//
// 1. Parse the ModelProto (no 64 MB protobuf limit; weights over 2 GB must be
//    external data) and check the opset and the graph's inputs and outputs.
// 2. Create @main with one argument per graph input that is not an initializer.
// 3. Convert nodes in file order (ONNX requires topological order; reading a
//    value nothing defined yet is reported as a dangling edge or a cycle).
// 4. Return the graph outputs and verify the module.
//
//===----------------------------------------------------------------------===//

#include "models/onnx/OnnxImport.h"

#include "ir/Weights.h"
#include "models/Zoo.h"
#include "models/onnx/Importer.h"
#include "models/onnx/OnnxTensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

#include <google/protobuf/io/coded_stream.h>

#include <filesystem>
#include <fstream>
#include <map>

using namespace mlir;
using namespace tilec;
using namespace tilec::onnx_import;

//===----------------------------------------------------------------------===//
// HostTensor and Importer
//===----------------------------------------------------------------------===//

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

HostTensor HostTensor::ofInts(std::vector<int64_t> shape, std::vector<int64_t> values) {
  HostTensor t;
  t.kind = Int;
  t.shape = std::move(shape);
  t.ints = std::move(values);
  return t;
}

HostTensor HostTensor::ofFloats(std::vector<int64_t> shape, std::vector<float> values) {
  HostTensor t;
  t.kind = Float;
  t.shape = std::move(shape);
  t.floats = std::move(values);
  return t;
}

ArrayRef<int64_t> tilec::onnx_import::shapeOf(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

Importer::Importer(MLIRContext &context, OpBuilder &builder, int64_t opset, std::string &error)
    : context(context), b(builder), opsetVersion(opset), error(error) {}

Location Importer::loc(const onnx::NodeProto &node) {
  std::string name = node.name().empty() ? node.op_type() : node.name();
  return NameLoc::get(b.getStringAttr(name));
}

bool Importer::has(const onnx::NodeProto &node, int i) const {
  return i < node.input_size() && !node.input(i).empty();
}

const HostTensor *Importer::host(const onnx::NodeProto &node, int i) const {
  if (!has(node, i))
    return nullptr;
  const std::string &name = node.input(i);
  if (auto it = constants.find(name); it != constants.end())
    return &it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return nullptr;
  HostTensor t;
  std::string ignored;
  if (failed(toHostTensor(*init->second, baseDir, t, ignored)))
    return nullptr; // value() reports the problem if the tensor is needed
  return &(constants[name] = std::move(t));
}

bool Importer::allInputsHost(const onnx::NodeProto &node) const {
  for (int i = 0; i < node.input_size(); ++i)
    if (has(node, i) && !host(node, i))
      return false;
  return true;
}

FailureOr<Value> Importer::optionalValue(const onnx::NodeProto &node, int i) {
  if (!has(node, i))
    return Value();
  return value(node, i);
}

FailureOr<Value> Importer::value(const onnx::NodeProto &node, int i) {
  if (!has(node, i))
    return fail(node, "input #" + std::to_string(i) + " is required");
  const std::string &name = node.input(i);
  if (auto it = values.find(name); it != values.end())
    return it->second;
  auto init = initializers.find(name);
  if (init != initializers.end() && init->second->data_type() == onnx::TensorProto::FLOAT) {
    // A float initializer: one copy, straight into a resource blob.
    std::string message;
    FailureOr<std::vector<int64_t>> dims = tensorDims(*init->second, message);
    if (failed(dims))
      return fail(node, message);
    auto type = RankedTensorType::get(*dims, b.getF32Type());
    FailureOr<AsmResourceBlob> blob =
        readFloatBlob(*init->second, baseDir, type.getNumElements(), message);
    if (failed(blob))
      return fail(node, message);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(b.getInsertionBlock());
    Value v = b.create<ConstantOp>(NameLoc::get(b.getStringAttr(name)),
                                   makeF32Weight(type, name, std::move(*blob)),
                                   b.getStringAttr(name));
    return values[name] = v;
  }
  if (const HostTensor *t = host(node, i)) {
    if (t->kind != HostTensor::Float)
      return unsupported(node, "input '" + name + "' is an integer tensor; tilec graphs compute on "
                        "floating-point tensors only");
    auto type = RankedTensorType::get(t->shape, b.getF32Type());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(b.getInsertionBlock());
    Value v = b.create<ConstantOp>(NameLoc::get(b.getStringAttr(name)),
                                   DenseElementsAttr::get(type, ArrayRef<float>(t->floats)),
                                   StringAttr());
    return values[name] = v;
  }
  if (init != initializers.end())
    return fail(node, "initializer '" + name + "' could not be read (element type " +
                          elementTypeName(init->second->data_type()) + ")");
  return fail(node, "reads '" + name + "', which no input, initializer or earlier node defines "
                    "(a dangling edge, or nodes out of topological order / a cycle)");
}

FailureOr<std::vector<int64_t>> Importer::hostInts(const onnx::NodeProto &node, int i) {
  const HostTensor *t = host(node, i);
  if (!t)
    return fail(node, "input #" + std::to_string(i) +
                          " must be a constant (an initializer or computable at import)");
  if (t->kind == HostTensor::Int)
    return t->ints;
  std::vector<int64_t> ints;
  for (float f : t->floats)
    ints.push_back(int64_t(f));
  return ints;
}

void Importer::setOutput(const onnx::NodeProto &node, int i, Value v) {
  if (i < node.output_size() && !node.output(i).empty())
    values[node.output(i)] = v;
}

void Importer::setHostOutput(const onnx::NodeProto &node, int i, HostTensor t) {
  if (i < node.output_size() && !node.output(i).empty())
    constants[node.output(i)] = std::move(t);
}

bool Importer::outputUsed(const onnx::NodeProto &node, int i) const {
  if (i >= node.output_size() || node.output(i).empty())
    return false;
  auto it = useCounts.find(node.output(i));
  return it != useCounts.end() && it->second > 0;
}

const onnx::AttributeProto *Importer::attr(const onnx::NodeProto &node,
                                           const std::string &name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Importer::attrInt(const onnx::NodeProto &node, const std::string &name,
                          int64_t fallback) const {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->i() : fallback;
}

float Importer::attrFloat(const onnx::NodeProto &node, const std::string &name,
                          float fallback) const {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->f() : fallback;
}

std::string Importer::attrString(const onnx::NodeProto &node, const std::string &name,
                                 const std::string &fallback) const {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> Importer::attrInts(const onnx::NodeProto &node, const std::string &name,
                                        std::vector<int64_t> fallback) const {
  const onnx::AttributeProto *a = attr(node, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

LogicalResult Importer::fail(const onnx::NodeProto &node, const std::string &message) {
  if (error.empty())
    error = "node '" + node.name() + "' (" + node.op_type() + "): " + message;
  return failure();
}

LogicalResult Importer::unsupported(const onnx::NodeProto &node, const std::string &message) {
  if (error.empty())
    error = std::string(kUnsupported) + "node '" + node.name() + "' (" + node.op_type() +
            "): " + message;
  return failure();
}

LogicalResult Importer::inferResultType(const onnx::NodeProto &node, Operation *op) {
  std::string diagnostic;
  SmallVector<Type> types;
  LogicalResult inferred = success();
  {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      if (diagnostic.empty())
        diagnostic = d.str();
      return success();
    });
    auto iface = cast<InferTypeOpInterface>(op);
    inferred = iface.inferReturnTypes(&context, op->getLoc(), op->getOperands(),
                                      op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
                                      op->getRegions(), types);
  }
  if (failed(inferred) || types.size() != 1) {
    op->erase();
    return fail(node, diagnostic.empty() ? "inconsistent operands" : diagnostic);
  }
  op->getResult(0).setType(types[0]);
  return success();
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

namespace {

LogicalResult parseModel(StringRef bytes, onnx::ModelProto &model, std::string &error) {
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t *>(bytes.data()),
                                                int(std::min<size_t>(bytes.size(), INT32_MAX)));
  stream.SetTotalBytesLimit(INT32_MAX);
  if (bytes.size() > size_t(INT32_MAX)) {
    error = "model file is over 2 GB; store its weights as ONNX external data";
    return failure();
  }
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    error = "not a valid ONNX model (protobuf parse failed: truncated or not an .onnx file)";
    return failure();
  }
  if (!model.has_graph()) {
    error = "the model has no graph";
    return failure();
  }
  return success();
}

/// The default-domain opset, or a message if absent or out of range.
FailureOr<int64_t> defaultOpset(const onnx::ModelProto &model, std::string &error) {
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      if (o.version() < 1 || o.version() > kMaxOpset) {
        error = std::string(kUnsupported) + "opset " + std::to_string(o.version()) + " is not supported (tilec reads opsets " +
                std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) +
                "; convert it with onnx.version_converter)";
        return failure();
      }
      return o.version();
    }
  error = std::string(kUnsupported) + "the model imports no opset of the default ONNX domain "
          "(other domains, such as ai.onnx.ml, are not supported)";
  return failure();
}

/// Static float32 tensor type of a graph input or output, or a message.
FailureOr<RankedTensorType> valueType(const onnx::ValueInfoProto &info, Builder &b,
                                      std::string &error) {
  const auto &type = info.type();
  if (!type.has_tensor_type()) {
    error = "graph value '" + info.name() + "' is not a tensor";
    return failure();
  }
  int32_t element = type.tensor_type().elem_type();
  if (element != onnx::TensorProto::FLOAT) {
    error = std::string(kUnsupported) + "graph value '" + info.name() + "' has element type " + elementTypeName(element) +
            "; tilec imports float32 graph inputs and outputs";
    return failure();
  }
  if (!type.tensor_type().has_shape()) {
    error = "graph input '" + info.name() + "' has no shape; tilec needs static shapes";
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t n = 1;
  for (const auto &dim : type.tensor_type().shape().dim()) {
    if (!dim.has_dim_value()) {
      error = std::string(kUnsupported) + "graph input '" + info.name() + "' has a symbolic dimension '" + dim.dim_param() +
              "'; tilec needs static shapes: export the model with fixed input sizes";
      return failure();
    }
    int64_t d = dim.dim_value();
    if (d == 0) {
      error = std::string(kUnsupported) + "graph input '" + info.name() +
              "' has a dimension of size 0; tilec does not support empty tensors";
      return failure();
    }
    if (d < 0 || d > kMaxElements / n) {
      error = "graph input '" + info.name() + "' has an absurd dimension " + std::to_string(d);
      return failure();
    }
    n *= d;
    shape.push_back(d);
  }
  return RankedTensorType::get(shape, b.getF32Type());
}

FailureOr<OwningOpRef<ModuleOp>> importModel(MLIRContext &context, onnx::ModelProto &model,
                                             const std::string &baseDir, const std::string &name,
                                             std::string &error) {
  FailureOr<int64_t> opset = defaultOpset(model, error);
  if (failed(opset))
    return failure();
  models::loadZooDialects(context);
  const onnx::GraphProto &graph = model.graph();
  OpBuilder b(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(NameLoc::get(b.getStringAttr(name)));
  module->getOperation()->setAttr("tilec.model", b.getStringAttr(name));
  b.setInsertionPointToEnd(module->getBody());

  Importer im(context, b, *opset, error);
  im.baseDir = baseDir;
  for (const auto &init : graph.initializer())
    im.initializers[init.name()] = &init;
  for (const auto &node : graph.node())
    for (const auto &input : node.input())
      im.useCounts[input]++;
  for (const auto &output : graph.output())
    im.useCounts[output.name()]++;

  // Arguments: graph inputs that are not initializers (old exporters list both).
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &input : graph.input()) {
    if (im.initializers.count(input.name()))
      continue;
    FailureOr<RankedTensorType> type = valueType(input, b, error);
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    argNames.push_back(input.name());
  }
  auto function = b.create<func::FuncOp>(NameLoc::get(b.getStringAttr("main")), "main",
                                         b.getFunctionType(argTypes, {}));
  Block *entry = function.addEntryBlock();
  for (auto [i, argName] : llvm::enumerate(argNames))
    im.values[argName] = entry->getArgument(i);
  b.setInsertionPointToEnd(entry);

  for (const auto &node : graph.node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      (void)im.unsupported(node, "op domain '" + node.domain() + "' is not supported (default domain only)");
      return failure();
    }
    std::string reason = unsupportedReason(node, *opset);
    if (!reason.empty()) {
      (void)im.unsupported(node, reason);
      return failure();
    }
    if (failed(convertNode(im, node)))
      return failure();
  }

  SmallVector<Value> results;
  for (const auto &output : graph.output()) {
    onnx::NodeProto returnNode;
    returnNode.set_name("graph output");
    returnNode.set_op_type("return");
    returnNode.add_input(output.name());
    FailureOr<Value> v = im.value(returnNode, 0);
    if (failed(v))
      return failure();
    // A declared static shape must be what the graph computes.
    const auto &declared = output.type().tensor_type();
    if (declared.has_shape()) {
      SmallVector<int64_t> dims;
      for (const auto &dim : declared.shape().dim())
        dims.push_back(dim.has_dim_value() ? dim.dim_value() : ShapedType::kDynamic);
      ArrayRef<int64_t> computed = shapeOf(*v);
      bool matches = dims.size() == computed.size();
      for (size_t i = 0; matches && i < dims.size(); ++i)
        matches = dims[i] == ShapedType::kDynamic || dims[i] == computed[i];
      if (!matches) {
        error = "graph output '" + output.name() + "' is declared as " +
                llvm::join(llvm::map_range(dims, [](int64_t d) {
                             return d == ShapedType::kDynamic ? std::string("?") : std::to_string(d);
                           }), "x") +
                " but the graph computes " +
                llvm::join(llvm::map_range(computed, [](int64_t d) { return std::to_string(d); }), "x");
        return failure();
      }
    }
    results.push_back(*v);
  }
  if (results.empty()) {
    error = "the graph has no outputs";
    return failure();
  }
  b.create<func::ReturnOp>(NameLoc::get(b.getStringAttr("output")), results);
  function.setFunctionType(b.getFunctionType(argTypes, TypeRange(results)));

  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    diagnostics += (diagnostics.empty() ? "" : "; ") + d.str();
    return success();
  });
  if (failed(verify(*module))) {
    error = "internal error: the imported graph does not verify (" + diagnostics +
            "); please report it with the model";
    return failure();
  }
  return module;
}

/// "path: message", keeping the kUnsupported marker in front.
std::string withPath(const std::string &path, const std::string &message) {
  StringRef m(message);
  if (m.consume_front(kUnsupported))
    return std::string(kUnsupported) + path + ": " + m.str();
  return path + ": " + message;
}

LogicalResult readFile(const std::string &path, std::string &bytes, std::string &error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = "cannot open file";
    return failure();
  }
  std::streamsize size = in.tellg();
  in.seekg(0);
  bytes.resize(size_t(size));
  if (!in.read(bytes.data(), size)) {
    error = "cannot read file";
    return failure();
  }
  return success();
}

} // namespace

bool OnnxCoverage::allSupported() const {
  for (const Row &row : rows)
    if (!row.unsupported.empty())
      return false;
  return true;
}

LogicalResult tilec::onnx_import::checkOnnxCoverage(const std::string &path,
                                                    OnnxCoverage &coverage, std::string &error) {
  std::string bytes;
  onnx::ModelProto model;
  if (failed(readFile(path, bytes, error)) || failed(parseModel(bytes, model, error))) {
    error = withPath(path, error);
    return failure();
  }
  coverage = OnnxCoverage();
  coverage.irVersion = model.ir_version();
  coverage.producer = model.producer_name() + " " + model.producer_version();
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      coverage.opset = o.version();
  std::map<std::string, OnnxCoverage::Row> rows;
  for (const auto &node : model.graph().node()) {
    std::string key = node.domain().empty() || node.domain() == "ai.onnx"
                          ? node.op_type()
                          : node.domain() + "." + node.op_type();
    OnnxCoverage::Row &row = rows[key];
    row.opType = key;
    row.count++;
    if (!row.unsupported.empty())
      continue;
    if (key != node.op_type())
      row.unsupported = "domain '" + node.domain() + "' is not supported";
    else
      row.unsupported = unsupportedReason(node, coverage.opset);
    if (!row.unsupported.empty() && !node.name().empty())
      row.unsupported += " (node '" + node.name() + "')";
  }
  for (auto &[key, row] : rows)
    coverage.rows.push_back(row);
  return success();
}

FailureOr<OwningOpRef<ModuleOp>>
tilec::onnx_import::importOnnxBytes(MLIRContext &context, StringRef bytes,
                                    const std::string &baseDir, std::string &error) {
  onnx::ModelProto model;
  if (failed(parseModel(bytes, model, error)))
    return failure();
  std::string name = model.graph().name().empty() ? "onnx" : model.graph().name();
  return importModel(context, model, baseDir, name, error);
}

FailureOr<OwningOpRef<ModuleOp>> tilec::onnx_import::importOnnx(MLIRContext &context,
                                                                const std::string &path,
                                                                std::string &error) {
  std::string bytes;
  onnx::ModelProto model;
  if (failed(readFile(path, bytes, error)) || failed(parseModel(bytes, model, error))) {
    error = withPath(path, error);
    return failure();
  }
  bytes.clear();
  bytes.shrink_to_fit(); // the parsed model holds the data now
  std::string baseDir = std::filesystem::path(path).parent_path().string();
  std::string name = std::filesystem::path(path).stem().string();
  auto module = importModel(context, model, baseDir, name, error);
  if (failed(module))
    error = withPath(path, error);
  return module;
}
