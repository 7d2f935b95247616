//===- Zoo.cpp - model registry and the checked entry point ---------------===//

#include "models/Zoo.h"

#include "models/GraphBuilder.h"

#include "ir/TilecDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace tilec::models;

const std::vector<ModelInfo> &tilec::models::allModels() {
  static const std::vector<ModelInfo> zoo = [] {
    std::vector<ModelInfo> z;
    addLeNet(z);
    addAlexNet(z);
    addVgg(z);
    addGoogLeNet(z);
    addResNet(z);
    addDenseNet(z);
    addMobileNet(z);
    addEfficientNet(z);
    addViT(z);
    return z;
  }();
  return zoo;
}

const ModelInfo *tilec::models::findModel(StringRef name) {
  for (const ModelInfo &info : allModels())
    if (info.name == name)
      return &info;
  return nullptr;
}

void tilec::models::loadZooDialects(MLIRContext &context) {
  context.loadDialect<tilec::TilecDialect, func::FuncDialect>();
}

namespace {

std::string unknownModelMessage(StringRef name) {
  std::string best;
  unsigned bestDistance = 4; // suggest only close matches
  for (const ModelInfo &info : allModels()) {
    unsigned d = name.edit_distance(info.name, /*AllowReplacements=*/true, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = info.name;
    }
  }
  std::string message = "unknown model '" + name.str() + "'";
  if (!best.empty())
    message += "; did you mean '" + best + "'?";
  return message + " (`tilec models` lists every model)";
}

} // namespace

FailureOr<OwningOpRef<ModuleOp>>
tilec::models::buildModel(MLIRContext &context, StringRef name, const ModelOptions &options,
                          std::string &error) {
  const ModelInfo *info = findModel(name);
  if (!info) {
    error = unknownModelMessage(name);
    return failure();
  }
  ModelOptions resolved = options;
  if (resolved.resolution == 0)
    resolved.resolution = info->defaultResolution;
  if (resolved.numClasses == 0)
    resolved.numClasses = info->defaultNumClasses;
  constexpr int64_t kMaxResolution = 4096, kMaxBatch = 65536;
  if (resolved.batch < 1 || resolved.batch > kMaxBatch) {
    error = "batch size must be between 1 and " + std::to_string(kMaxBatch) + ", got " +
            std::to_string(resolved.batch);
    return failure();
  }
  if (resolved.numClasses < 1) {
    error = "number of classes must be >= 1, got " + std::to_string(resolved.numClasses);
    return failure();
  }
  if (resolved.resolution < info->minResolution || resolved.resolution > kMaxResolution ||
      resolved.resolution % info->resolutionMultiple != 0) {
    error = info->name + " needs an input resolution between " +
            std::to_string(info->minResolution) + " and " + std::to_string(kMaxResolution);
    if (info->resolutionMultiple > 1)
      error += " that is a multiple of " + std::to_string(info->resolutionMultiple);
    error += ", got " + std::to_string(resolved.resolution);
    return failure();
  }
  GraphBuilder builder(context, info->name, resolved,
                       {resolved.batch, info->inputChannels, resolved.resolution,
                        resolved.resolution});
  FailureOr<OwningOpRef<ModuleOp>> module = builder.finish(info->build(builder));
  if (failed(module))
    error = "internal error: the zoo builder of " + info->name +
            " produced an invalid graph (see the diagnostics above); please report it";
  return module;
}
