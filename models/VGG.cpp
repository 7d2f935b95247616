//===- VGG.cpp - VGG-11/13/16/19, with and without batch norm -------------===//
//
// Simonyan & Zisserman 2014, configurations A, B, D and E, as torchvision builds
// them (3x3 convolutions with bias, adaptive 7x7 pooling, 4096-4096 classifier).
// Module indices follow torchvision's `features` Sequential so names match.
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

using namespace tilec::models;

namespace {

constexpr int64_t M = 0; // max-pool marker in a configuration

Value buildVgg(GraphBuilder &g, const std::vector<int64_t> &config, bool batchNorm) {
  Value x = g.input();
  int64_t index = 0; // position in torchvision's `features` Sequential
  for (int64_t channels : config) {
    if (channels == M) {
      x = g.maxPool(x, 2, 2);
      index += 1;
      continue;
    }
    x = g.conv(x, "features." + std::to_string(index), channels, 3, 1, 1, 1, /*bias=*/true);
    if (batchNorm)
      x = g.batchNorm(x, "features." + std::to_string(index + 1));
    x = g.relu(x);
    index += batchNorm ? 3 : 2;
  }
  x = g.flatten(g.adaptiveAvgPool(x, 7, 7));
  x = g.dropout(g.relu(g.linear(x, "classifier.0", 4096)), 0.5);
  x = g.dropout(g.relu(g.linear(x, "classifier.3", 4096)), 0.5);
  return g.linear(x, "classifier.6", g.options().numClasses);
}

} // namespace

void tilec::models::addVgg(std::vector<ModelInfo> &zoo) {
  struct Variant {
    const char *name;
    std::vector<int64_t> config;
  };
  std::vector<Variant> variants = {
      {"vgg11", {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M}},
      {"vgg13", {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M}},
      {"vgg16", {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M}},
      {"vgg19", {64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512,
                 512, 512, M}}};
  for (const Variant &v : variants) {
    for (bool bn : {false, true}) {
      ModelInfo info;
      info.name = std::string(v.name) + (bn ? "_bn" : "");
      info.family = "VGG";
      info.reference = "torchvision.models.vgg (Simonyan & Zisserman 2014)";
      info.build = [config = v.config, bn](GraphBuilder &g) { return buildVgg(g, config, bn); };
      zoo.push_back(std::move(info));
    }
  }
}
