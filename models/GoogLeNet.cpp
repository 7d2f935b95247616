//===- GoogLeNet.cpp - GoogLeNet / Inception v1 (torchvision structure) ---===//
//
// Szegedy et al., "Going Deeper with Convolutions" (2014), as torchvision builds
// it for inference: BasicConv2d = conv (no bias) + BN (eps 1e-3) + ReLU, ceil-mode
// max pooling, and, like torchvision, a 3x3 (not 5x5) conv in the third branch of
// each Inception block. The auxiliary classifiers are training-only and omitted
// (torchvision drops them too when aux_logits=False): 6,624,904 parameters.
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

using namespace tilec::models;

namespace {

Value basicConv(GraphBuilder &g, Value x, const std::string &name, int64_t out, int64_t k,
                int64_t stride = 1, int64_t pad = 0) {
  x = g.conv(x, name + ".conv", out, k, stride, pad);
  return g.relu(g.batchNorm(x, name + ".bn", 1e-3));
}

struct InceptionConfig {
  const char *name;
  int64_t ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj;
};

Value inception(GraphBuilder &g, Value x, const InceptionConfig &c) {
  std::string p = c.name;
  Value b1 = basicConv(g, x, p + ".branch1", c.ch1x1, 1);
  Value b2 = basicConv(g, x, p + ".branch2.0", c.ch3x3red, 1);
  b2 = basicConv(g, b2, p + ".branch2.1", c.ch3x3, 3, 1, 1);
  Value b3 = basicConv(g, x, p + ".branch3.0", c.ch5x5red, 1);
  b3 = basicConv(g, b3, p + ".branch3.1", c.ch5x5, 3, 1, 1);
  Value b4 = g.maxPool(x, 3, 1, 1, /*ceilMode=*/true);
  b4 = basicConv(g, b4, p + ".branch4.1", c.poolProj, 1);
  return g.concat({b1, b2, b3, b4}, 1);
}

Value buildGoogLeNet(GraphBuilder &g) {
  Value x = basicConv(g, g.input(), "conv1", 64, 7, 2, 3);
  x = g.maxPool(x, 3, 2, 0, true);
  x = basicConv(g, x, "conv2", 64, 1);
  x = basicConv(g, x, "conv3", 192, 3, 1, 1);
  x = g.maxPool(x, 3, 2, 0, true);
  x = inception(g, x, {"inception3a", 64, 96, 128, 16, 32, 32});
  x = inception(g, x, {"inception3b", 128, 128, 192, 32, 96, 64});
  x = g.maxPool(x, 3, 2, 0, true);
  x = inception(g, x, {"inception4a", 192, 96, 208, 16, 48, 64});
  x = inception(g, x, {"inception4b", 160, 112, 224, 24, 64, 64});
  x = inception(g, x, {"inception4c", 128, 128, 256, 24, 64, 64});
  x = inception(g, x, {"inception4d", 112, 144, 288, 32, 64, 64});
  x = inception(g, x, {"inception4e", 256, 160, 320, 32, 128, 128});
  x = g.maxPool(x, 2, 2, 0, true);
  x = inception(g, x, {"inception5a", 256, 160, 320, 32, 128, 128});
  x = inception(g, x, {"inception5b", 384, 192, 384, 48, 128, 128});
  x = g.dropout(g.flatten(g.adaptiveAvgPool(x, 1, 1)), 0.2);
  return g.linear(x, "fc", g.options().numClasses);
}

} // namespace

void tilec::models::addGoogLeNet(std::vector<ModelInfo> &zoo) {
  ModelInfo info;
  info.name = "googlenet";
  info.family = "GoogLeNet";
  info.reference = "torchvision.models.googlenet without auxiliary heads (Szegedy 2014)";
  info.build = buildGoogLeNet;
  zoo.push_back(std::move(info));
}
