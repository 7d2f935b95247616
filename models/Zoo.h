//===- Zoo.h - the model zoo: every architecture of the guide ---*- C++ -*-===//
//
// Each model is a C++ graph builder registered under torchvision's name where
// torchvision has the model ("resnet50", "mobilenet_v3_large", "vit_b_16", ...),
// with the structure torchvision uses, so parameter counts match exactly.
//
// Example:
//   std::string error;
//   auto module = buildModel(context, "resnet50", {.batch = 1}, error);
//   if (failed(module)) report(error);
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_ZOO_H
#define TILEC_MODELS_ZOO_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <string>
#include <vector>

namespace tilec::models {

class GraphBuilder;

enum class WeightInit {
  Seeded, ///< deterministic pseudo-random values (see GraphBuilder.h)
  Zeros,  ///< lazily zeroed memory: for graphs whose weights are never read
};

struct ModelOptions {
  int64_t batch = 1;
  int64_t resolution = 0; ///< input height = width; 0 means the model's default
  int64_t numClasses = 0; ///< 0 means the model's default
  WeightInit weights = WeightInit::Seeded;
  uint64_t seed = 0;
};

struct ModelInfo {
  std::string name;
  std::string family;
  std::string reference; ///< where the structure comes from
  int64_t inputChannels = 3;
  int64_t defaultResolution = 224;
  int64_t minResolution = 32;      ///< smallest input size the architecture accepts
  int64_t resolutionMultiple = 1;  ///< input size must be a multiple of this
  int64_t defaultNumClasses = 1000;
  /// Builds the network from g.input() and returns its logits.
  std::function<mlir::Value(GraphBuilder &g)> build;
};

/// Every registered model, in zoo order (family by family, small to large).
const std::vector<ModelInfo> &allModels();

/// The model called `name`, or nullptr.
const ModelInfo *findModel(llvm::StringRef name);

/// Builds `name` with `options`. On failure (unknown name, bad option) `error`
/// says what was wrong and how to fix it.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
buildModel(mlir::MLIRContext &context, llvm::StringRef name, const ModelOptions &options,
           std::string &error);

/// Loads the dialects a zoo module uses into `context`.
void loadZooDialects(mlir::MLIRContext &context);

// Family registration, one per source file.
void addLeNet(std::vector<ModelInfo> &zoo);
void addAlexNet(std::vector<ModelInfo> &zoo);
void addVgg(std::vector<ModelInfo> &zoo);
void addGoogLeNet(std::vector<ModelInfo> &zoo);
void addResNet(std::vector<ModelInfo> &zoo);
void addDenseNet(std::vector<ModelInfo> &zoo);
void addMobileNet(std::vector<ModelInfo> &zoo);
void addEfficientNet(std::vector<ModelInfo> &zoo);
void addViT(std::vector<ModelInfo> &zoo);

} // namespace tilec::models

#endif // TILEC_MODELS_ZOO_H
