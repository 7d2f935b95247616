//===- ResNet.cpp - ResNet-18/34/50/101/152 (torchvision structure) -------===//
//
// He et al., "Deep Residual Learning for Image Recognition" (2015), as built by
// torchvision: the stride of a bottleneck sits on its 3x3 convolution ("v1.5"),
// projection shortcuts (1x1 conv + BN) only where the shape changes.
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

using namespace tilec::models;

namespace {

struct ResNetConfig {
  bool bottleneck;
  int64_t blocks[4];
};

Value convBn(GraphBuilder &g, Value x, const std::string &prefix, const std::string &idx,
             int64_t out, int64_t k, int64_t stride, int64_t pad) {
  x = g.conv(x, prefix + ".conv" + idx, out, k, stride, pad);
  return g.batchNorm(x, prefix + ".bn" + idx);
}

Value residualBlock(GraphBuilder &g, Value x, const std::string &prefix, int64_t planes,
                    int64_t stride, bool bottleneck) {
  int64_t expansion = bottleneck ? 4 : 1;
  int64_t inChannels = GraphBuilder::shape(x)[1];
  Value y;
  if (bottleneck) {
    y = g.relu(convBn(g, x, prefix, "1", planes, 1, 1, 0));
    y = g.relu(convBn(g, y, prefix, "2", planes, 3, stride, 1));
    y = convBn(g, y, prefix, "3", planes * expansion, 1, 1, 0);
  } else {
    y = g.relu(convBn(g, x, prefix, "1", planes, 3, stride, 1));
    y = convBn(g, y, prefix, "2", planes, 3, 1, 1);
  }
  Value shortcut = x;
  if (stride != 1 || inChannels != planes * expansion) {
    shortcut = g.conv(x, prefix + ".downsample.0", planes * expansion, 1, stride, 0);
    shortcut = g.batchNorm(shortcut, prefix + ".downsample.1");
  }
  return g.relu(g.add(y, shortcut));
}

Value buildResNet(GraphBuilder &g, const ResNetConfig &config) {
  Value x = g.conv(g.input(), "conv1", 64, 7, 2, 3);
  x = g.maxPool(g.relu(g.batchNorm(x, "bn1")), 3, 2, 1);
  for (int stage = 0; stage < 4; ++stage) {
    int64_t planes = 64 << stage;
    for (int64_t block = 0; block < config.blocks[stage]; ++block) {
      std::string prefix = "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
      int64_t stride = (stage > 0 && block == 0) ? 2 : 1;
      x = residualBlock(g, x, prefix, planes, stride, config.bottleneck);
    }
  }
  x = g.flatten(g.adaptiveAvgPool(x, 1, 1));
  return g.linear(x, "fc", g.options().numClasses);
}

} // namespace

void tilec::models::addResNet(std::vector<ModelInfo> &zoo) {
  const char *reference = "torchvision.models.resnet (He et al. 2015, v1.5 strides)";
  struct Variant {
    const char *name;
    ResNetConfig config;
  };
  for (Variant v : {Variant{"resnet18", {false, {2, 2, 2, 2}}},
                    Variant{"resnet34", {false, {3, 4, 6, 3}}},
                    Variant{"resnet50", {true, {3, 4, 6, 3}}},
                    Variant{"resnet101", {true, {3, 4, 23, 3}}},
                    Variant{"resnet152", {true, {3, 8, 36, 3}}}}) {
    ModelInfo info;
    info.name = v.name;
    info.family = "ResNet";
    info.reference = reference;
    info.build = [config = v.config](GraphBuilder &g) { return buildResNet(g, config); };
    zoo.push_back(std::move(info));
  }
}
