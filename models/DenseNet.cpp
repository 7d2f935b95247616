//===- DenseNet.cpp - DenseNet-121/169/201 (torchvision structure) --------===//
//
// Huang et al., "Densely Connected Convolutional Networks" (2016): growth rate
// 32, bottleneck width 4 * 32, compression 0.5 in transitions. Each dense layer
// reads the concatenation of every earlier feature map of its block.
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

using namespace tilec::models;

namespace {

constexpr int64_t kGrowth = 32, kBottleneck = 4, kInitFeatures = 64;

Value denseLayer(GraphBuilder &g, Value x, const std::string &p) {
  Value y = g.relu(g.batchNorm(x, p + ".norm1"));
  y = g.conv(y, p + ".conv1", kBottleneck * kGrowth, 1);
  y = g.relu(g.batchNorm(y, p + ".norm2"));
  return g.conv(y, p + ".conv2", kGrowth, 3, 1, 1);
}

Value buildDenseNet(GraphBuilder &g, const std::vector<int64_t> &blocks) {
  Value x = g.conv(g.input(), "features.conv0", kInitFeatures, 7, 2, 3);
  x = g.maxPool(g.relu(g.batchNorm(x, "features.norm0")), 3, 2, 1);
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::string block = "features.denseblock" + std::to_string(b + 1);
    std::vector<Value> features = {x};
    for (int64_t l = 0; l < blocks[b]; ++l) {
      Value in = features.size() == 1 ? features[0] : g.concat(features, 1);
      features.push_back(denseLayer(g, in, block + ".denselayer" + std::to_string(l + 1)));
    }
    x = g.concat(features, 1);
    if (b + 1 == blocks.size())
      break;
    std::string t = "features.transition" + std::to_string(b + 1);
    x = g.relu(g.batchNorm(x, t + ".norm"));
    x = g.conv(x, t + ".conv", GraphBuilder::shape(x)[1] / 2, 1);
    x = g.avgPool(x, 2, 2);
  }
  x = g.relu(g.batchNorm(x, "features.norm5"));
  x = g.flatten(g.adaptiveAvgPool(x, 1, 1));
  return g.linear(x, "classifier", g.options().numClasses);
}

} // namespace

void tilec::models::addDenseNet(std::vector<ModelInfo> &zoo) {
  struct Variant {
    const char *name;
    std::vector<int64_t> blocks;
  };
  for (const Variant &v : {Variant{"densenet121", {6, 12, 24, 16}},
                           Variant{"densenet169", {6, 12, 32, 32}},
                           Variant{"densenet201", {6, 12, 48, 32}}}) {
    ModelInfo info;
    info.name = v.name;
    info.family = "DenseNet";
    info.reference = "torchvision.models.densenet (Huang et al. 2016)";
    info.build = [blocks = v.blocks](GraphBuilder &g) { return buildDenseNet(g, blocks); };
    zoo.push_back(std::move(info));
  }
}
