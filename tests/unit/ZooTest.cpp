//===- ZooTest.cpp - every zoo model builds with its published size -------===//

#include "ir/Analysis.h"
#include "ir/Weights.h"
#include "models/Zoo.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <map>

using namespace mlir;
using namespace tilec;
using namespace tilec::models;

namespace {

// torchvision's parameter counts (torchvision.models.<name>(weights=None)), and
// the documented references for models torchvision lacks.
const std::map<std::string, int64_t> kParameters = {
    {"lenet5", 61706},              // LeCun 1998, dense C3
    {"alexnet", 61100840},
    {"vgg11", 132863336},           {"vgg11_bn", 132868840},
    {"vgg13", 133047848},           {"vgg13_bn", 133053736},
    {"vgg16", 138357544},           {"vgg16_bn", 138365992},
    {"vgg19", 143667240},           {"vgg19_bn", 143678248},
    {"googlenet", 6624904},
    {"resnet18", 11689512},         {"resnet34", 21797672},
    {"resnet50", 25557032},         {"resnet101", 44549160},
    {"resnet152", 60192808},
    {"densenet121", 7978856},       {"densenet169", 14149480},
    {"densenet201", 20013928},
    {"mobilenet_v1", 4231976},      // Howard 2017 / Keras trainable count
    {"mobilenet_v2", 3504872},
    {"mobilenet_v3_small", 2542856}, {"mobilenet_v3_large", 5483032},
    {"efficientnet_b0", 5288548},   {"efficientnet_b1", 7794184},
    {"efficientnet_b2", 9109994},   {"efficientnet_b3", 12233232},
    {"efficientnet_b4", 19341616},  {"efficientnet_b5", 30389784},
    {"efficientnet_b6", 43040704},  {"efficientnet_b7", 66347960},
    {"vit_ti_16", 5717416},         // DeiT-Ti (Touvron 2020)
    {"vit_s_16", 22050664},         // DeiT-S
    {"vit_b_16", 86567656},         {"vit_b_32", 88224232},
    {"vit_l_16", 304326632},        {"vit_l_32", 306535400},
};

FailureOr<OwningOpRef<ModuleOp>> build(MLIRContext &context, const std::string &name,
                                       ModelOptions options, std::string &error) {
  return buildModel(context, name, options, error);
}

TEST(ZooTest, EveryModelHasItsPublishedParameterCount) {
  EXPECT_EQ(allModels().size(), kParameters.size()) << "a model without an expected count";
  for (const ModelInfo &info : allModels()) {
    SCOPED_TRACE(info.name);
    auto expected = kParameters.find(info.name);
    ASSERT_NE(expected, kParameters.end());
    MLIRContext context;
    std::string error;
    auto module = build(context, info.name, {.weights = WeightInit::Zeros}, error);
    ASSERT_TRUE(succeeded(module)) << error;
    EXPECT_EQ(countParameters(module->get()), expected->second);
  }
}

TEST(ZooTest, ResNet50MacsMatchTheUsualFigure) {
  MLIRContext context;
  std::string error;
  auto module = build(context, "resnet50", {.weights = WeightInit::Zeros}, error);
  ASSERT_TRUE(succeeded(module)) << error;
  EXPECT_EQ(countTotalMacs(module->get()), 4089184256); // "4.09 GFLOPS" in torchvision's docs
}

TEST(ZooTest, EveryModelBuildsAtItsMinimumResolutionAndBatchThree) {
  for (const ModelInfo &info : allModels()) {
    SCOPED_TRACE(info.name);
    MLIRContext context;
    std::string error;
    ModelOptions options{.batch = 3, .resolution = info.minResolution, .numClasses = 7,
                         .weights = WeightInit::Zeros};
    auto module = build(context, info.name, options, error);
    ASSERT_TRUE(succeeded(module)) << error;
    auto main = module->get().lookupSymbol<func::FuncOp>("main");
    auto out = cast<ShapedType>(main.getResultTypes()[0]);
    EXPECT_EQ(out.getShape(), (ArrayRef<int64_t>{3, 7}));
  }
}

// Shapes only shrink monotonically with the input, so this sweep over one period
// of every stride product (32) shows the minimum resolutions are true minimums
// for every larger size too.
TEST(ZooTest, EveryModelBuildsAtEveryResolutionAboveItsMinimum) {
  for (const ModelInfo &info : allModels()) {
    SCOPED_TRACE(info.name);
    int64_t step = info.resolutionMultiple;
    for (int64_t r = info.minResolution; r <= info.minResolution + 33 * step; r += step) {
      MLIRContext context;
      std::string error;
      auto module = build(context, info.name, {.resolution = r, .weights = WeightInit::Zeros},
                          error);
      ASSERT_TRUE(succeeded(module)) << "resolution " << r << ": " << error;
    }
  }
}

TEST(ZooTest, BadOptionsAreReportedNotCrashed) {
  MLIRContext context;
  std::string error;
  EXPECT_TRUE(failed(build(context, "resnet5O", {}, error)));
  EXPECT_EQ(error, "unknown model 'resnet5O'; did you mean 'resnet50'? (`tilec models` lists "
                   "every model)");
  EXPECT_TRUE(failed(build(context, "resnet50", {.resolution = 8}, error)));
  EXPECT_EQ(error, "resnet50 needs an input resolution between 32 and 4096, got 8");
  EXPECT_TRUE(failed(build(context, "vit_b_16", {.resolution = 100}, error)));
  EXPECT_EQ(error, "vit_b_16 needs an input resolution between 16 and 4096 that is a multiple "
                   "of 16, got 100");
  EXPECT_TRUE(failed(build(context, "alexnet", {.batch = 0}, error)));
  EXPECT_EQ(error, "batch size must be between 1 and 65536, got 0");
}

/// The first weight's values of `name` built with `seed`.
std::vector<float> firstWeight(const std::string &name, uint64_t seed) {
  MLIRContext context;
  std::string error;
  auto module = buildModel(context, name, {.seed = seed}, error);
  EXPECT_TRUE(succeeded(module)) << error;
  std::vector<float> values;
  module->get().walk([&](ConstantOp c) {
    if (values.empty())
      EXPECT_TRUE(succeeded(readAsFloats(c.getValue(), values, error))) << error;
  });
  return values;
}

TEST(ZooTest, WeightsAreDeterministicPerSeedAndFollowTheInitScheme) {
  std::vector<float> a = firstWeight("lenet5", 0), b = firstWeight("lenet5", 0),
                     c = firstWeight("lenet5", 1);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // conv1.weight of LeNet: Kaiming normal, fan-in 1 * 5 * 5, std sqrt(2 / 25).
  double sumSquares = 0;
  for (float v : a)
    sumSquares += double(v) * v;
  double std = std::sqrt(sumSquares / a.size());
  EXPECT_NEAR(std, std::sqrt(2.0 / 25), 0.05);
}

TEST(ZooTest, LayersCarryTorchvisionNames) {
  MLIRContext context;
  std::string error;
  auto module = build(context, "resnet18", {.weights = WeightInit::Zeros}, error);
  ASSERT_TRUE(succeeded(module)) << error;
  std::vector<std::string> names;
  module->get().walk([&](ConstantOp c) { names.push_back(c.getName()->str()); });
  EXPECT_EQ(names.front(), "conv1.weight");
  EXPECT_NE(std::find(names.begin(), names.end(), "layer2.0.downsample.1.running_var"),
            names.end());
  EXPECT_EQ(names.back(), "fc.bias");
}

} // namespace
