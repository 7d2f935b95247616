//===- EfficientNet.cpp - EfficientNet-B0..B7 by compound scaling ---------===//
//
// Tan & Le, "EfficientNet" (2019), as torchvision builds it. One base network
// (B0's MBConv stages) is scaled by a (width, depth, resolution) triple:
// channels -> makeDivisible(c * width), repeats -> ceil(n * depth). The triples
// are torchvision's rounding of the paper's compound rule
// width = 1.1^phi, depth = 1.2^phi, resolution = 1.15^phi.
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

#include <cmath>

using namespace tilec::models;

namespace tilec::models {
Value squeezeExciteBlock(GraphBuilder &g, Value x, const std::string &p, int64_t squeeze);
} // namespace tilec::models

namespace {

struct Stage {
  int64_t expand, kernel, stride, channels, repeats;
};

/// B0, the base of the family (Table 1 of the paper).
const Stage kBase[] = {{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
                       {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
constexpr int64_t kStemChannels = 32;

struct Scaling {
  const char *name;
  double width, depth;
  int64_t resolution;
  double dropout;
};

const Scaling kScalings[] = {
    {"efficientnet_b0", 1.0, 1.0, 224, 0.2}, {"efficientnet_b1", 1.0, 1.1, 240, 0.2},
    {"efficientnet_b2", 1.1, 1.2, 260, 0.3}, {"efficientnet_b3", 1.2, 1.4, 300, 0.3},
    {"efficientnet_b4", 1.4, 1.8, 380, 0.4}, {"efficientnet_b5", 1.6, 2.2, 456, 0.4},
    {"efficientnet_b6", 1.8, 2.6, 528, 0.5}, {"efficientnet_b7", 2.0, 3.1, 600, 0.5}};

Value convBnSilu(GraphBuilder &g, Value x, const std::string &name, int64_t out, int64_t k,
                 int64_t stride, int64_t groups, bool act = true) {
  x = g.conv(x, name + ".0", out, k, stride, (k - 1) / 2, groups);
  x = g.batchNorm(x, name + ".1");
  return act ? g.silu(x) : x;
}

Value mbConv(GraphBuilder &g, Value x, const std::string &p, const Stage &s, int64_t out,
             int64_t stride) {
  int64_t in = GraphBuilder::shape(x)[1];
  int64_t expanded = makeDivisible(double(in * s.expand));
  int64_t i = 0;
  auto name = [&] { return p + ".block." + std::to_string(i++); };
  Value y = x;
  if (expanded != in)
    y = convBnSilu(g, y, name(), expanded, 1, 1, 1);
  y = convBnSilu(g, y, name(), expanded, s.kernel, stride, expanded);
  y = squeezeExciteBlock(g, y, name(), std::max<int64_t>(1, in / 4));
  y = convBnSilu(g, y, name(), out, 1, 1, 1, /*act=*/false);
  // Stochastic depth is training-only; at inference the residual is a plain add.
  return (stride == 1 && in == out) ? g.add(x, y) : y;
}

Value buildEfficientNet(GraphBuilder &g, const Scaling &scaling) {
  auto width = [&](int64_t c) { return makeDivisible(c * scaling.width); };
  Value x = convBnSilu(g, g.input(), "features.0", width(kStemChannels), 3, 2, 1);
  int64_t stageIndex = 1;
  for (const Stage &s : kBase) {
    int64_t repeats = int64_t(std::ceil(s.repeats * scaling.depth));
    for (int64_t r = 0; r < repeats; ++r) {
      std::string p = "features." + std::to_string(stageIndex) + "." + std::to_string(r);
      x = mbConv(g, x, p, s, width(s.channels), r == 0 ? s.stride : 1);
    }
    ++stageIndex;
  }
  int64_t lastChannels = 4 * GraphBuilder::shape(x)[1];
  x = convBnSilu(g, x, "features." + std::to_string(stageIndex), lastChannels, 1, 1, 1);
  x = g.flatten(g.adaptiveAvgPool(x, 1, 1));
  return g.linear(g.dropout(x, scaling.dropout), "classifier.1", g.options().numClasses);
}

} // namespace

void tilec::models::addEfficientNet(std::vector<ModelInfo> &zoo) {
  for (const Scaling &scaling : kScalings) {
    ModelInfo info;
    info.name = scaling.name;
    info.family = "EfficientNet";
    info.reference = "torchvision.models.efficientnet (Tan & Le 2019), B0 scaled by "
                     "(width, depth, resolution)";
    info.defaultResolution = scaling.resolution;
    info.build = [scaling](GraphBuilder &g) { return buildEfficientNet(g, scaling); };
    zoo.push_back(std::move(info));
  }
}
