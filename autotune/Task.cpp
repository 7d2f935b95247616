//===- Task.cpp - one tuning task per distinct dispatch signature ---------===//

#include "autotune/Task.h"

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/LowerToLinalg.h"
#include "ir/TilecDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <sstream>

using namespace mlir;
using namespace tilec;
using namespace tilec::autotune;

namespace {

/// `@main(operands...) { dispatch; return }` with the dispatch's results laid
/// out one after another in the arena.
std::string standaloneModule(DispatchOp dispatch) {
  MLIRContext *ctx = dispatch.getContext();
  OpBuilder b(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(dispatch.getLoc());
  module->getOperation()->setAttr("tilec.model", b.getStringAttr("task"));
  b.setInsertionPointToEnd(module->getBody());
  auto type = b.getFunctionType(dispatch->getOperandTypes(), dispatch->getResultTypes());
  auto main = b.create<func::FuncOp>(dispatch.getLoc(), "main", type);
  Block *body = main.addEntryBlock();
  b.setInsertionPointToEnd(body);
  IRMapping map;
  for (auto [operand, arg] : llvm::zip(dispatch->getOperands(), body->getArguments()))
    map.map(operand, arg);
  Operation *clone = b.clone(*dispatch.getOperation(), map);
  SmallVector<int64_t> offsets;
  int64_t arena = 0;
  for (Type t : dispatch->getResultTypes()) {
    offsets.push_back(arena);
    auto shaped = cast<ShapedType>(t);
    arena += (shaped.getNumElements() * 4 + 63) / 64 * 64;
  }
  clone->setAttr("arena_offsets", b.getDenseI64ArrayAttr(offsets));
  main->setAttr("tilec.arena_bytes", b.getI64IntegerAttr(arena));
  b.create<func::ReturnOp>(dispatch.getLoc(), clone->getResults());
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return text;
}

std::string joinSizes(const std::vector<int64_t> &v) {
  std::string s;
  for (int64_t x : v)
    s += (s.empty() ? "" : "x") + std::to_string(x);
  return s.empty() ? "-" : s;
}

std::optional<std::vector<int64_t>> splitSizes(llvm::StringRef text) {
  std::vector<int64_t> out;
  if (text == "-")
    return out;
  SmallVector<StringRef> parts;
  text.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t v;
    if (p.getAsInteger(10, v) || v < 0)
      return std::nullopt;
    out.push_back(v);
  }
  return out;
}

} // namespace

std::string tilec::autotune::encodeShape(const codegen::DispatchShape &shape) {
  std::string red;
  for (bool r : shape.rootReduction)
    red += r ? '1' : '0';
  return shape.rootKind + " result=" + joinSizes(shape.resultShape) +
         " loops=" + joinSizes(shape.rootLoops) + " red=" + (red.empty() ? "-" : red) +
         " 1x1=" + (shape.conv1x1 ? "1" : "0") +
         // 16-bit operands (--precision); absent in records written before.
         (shape.operandBits != 32 ? " bits=" + std::to_string(shape.operandBits) : "");
}

std::optional<codegen::DispatchShape> tilec::autotune::decodeShape(const std::string &text) {
  SmallVector<StringRef> fields;
  StringRef(text).split(fields, ' ', -1, false);
  if (fields.size() != 5 && fields.size() != 6)
    return std::nullopt;
  codegen::DispatchShape shape;
  shape.rootKind = fields[0].str();
  auto value = [&](int i, StringRef key) -> std::optional<StringRef> {
    auto [k, v] = fields[i].split('=');
    if (k != key)
      return std::nullopt;
    return v;
  };
  auto result = value(1, "result"), loops = value(2, "loops"), red = value(3, "red"),
       unit = value(4, "1x1");
  if (!result || !loops || !red || !unit)
    return std::nullopt;
  auto r = splitSizes(*result), l = splitSizes(*loops);
  if (!r || !l)
    return std::nullopt;
  shape.resultShape = *r;
  shape.rootLoops = *l;
  if (*red != "-")
    for (char c : *red)
      shape.rootReduction.push_back(c == '1');
  shape.conv1x1 = *unit == "1";
  if (fields.size() == 6) {
    auto bits = value(5, "bits");
    if (!bits || bits->getAsInteger(10, shape.operandBits))
      return std::nullopt;
  }
  if (shape.rootReduction.size() != shape.rootLoops.size())
    return std::nullopt;
  return shape;
}

bool tilec::autotune::extractTasks(ModuleOp module, const codegen::Target &target,
                                   std::vector<Task> &tasks, std::string &error) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return error = "the module has no @main function", false;
  module.getContext()->loadAllAvailableDialects();
  std::map<std::string, size_t> bySignature;
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(module.getLoc());
  for (DispatchOp d : main.getBody().front().getOps<DispatchOp>()) {
    if (d->hasAttr("in_place")) // no kernel: plan-memory placed its operands
      continue;
    std::string signature = d.getSignature().str();
    auto [it, fresh] = bySignature.try_emplace(signature, tasks.size());
    if (!fresh) {
      ++tasks[it->second].count;
      continue;
    }
    Task task;
    task.signature = signature;
    task.kind = d.getKind().str();
    task.count = 1;
    task.moduleText = standaloneModule(d);
    FailureOr<func::FuncOp> kernel =
        codegen::lowerDispatchToLinalg(d, *scratch, "task" + std::to_string(tasks.size()));
    if (failed(kernel))
      return error = "dispatch '" + signature + "' cannot be compiled", false;
    task.shape = codegen::describeKernel(*kernel);
    task.defaultSchedule = codegen::defaultSchedule(task.shape, target);
    double volume = 1;
    for (int64_t l : task.shape.rootLoops)
      volume *= double(l);
    if (task.shape.rootLoops.empty())
      for (int64_t l : task.shape.resultShape)
        volume *= double(l);
    task.flops = 2 * volume;
    tasks.push_back(std::move(task));
  }
  return true;
}
