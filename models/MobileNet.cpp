//===- MobileNet.cpp - MobileNet v1, v2, v3 small / large -----------------===//
//
// v1: Howard et al. 2017, Table 1 (width 1.0): depthwise-separable pairs, BN +
//     ReLU, 4,231,976 parameters (the Keras reference's trainable count).
// v2: Sandler et al. 2018 as torchvision builds it (inverted residuals, ReLU6).
// v3: Howard et al. 2019 as torchvision builds it (hardswish, squeeze-excite with
//     hardsigmoid gates, squeeze width make_divisible(expanded / 4)).
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

using namespace tilec::models;

namespace {

enum class Act { None, ReLU, ReLU6, HardSwish };

Value activate(GraphBuilder &g, Value x, Act act) {
  switch (act) {
  case Act::None:
    return x;
  case Act::ReLU:
    return g.relu(x);
  case Act::ReLU6:
    return g.relu6(x);
  case Act::HardSwish:
    return g.hardswish(x);
  }
  return x;
}

/// torchvision's Conv2dNormActivation: conv (no bias) + BN + activation, with the
/// conv at `<name>.0` and the BN at `<name>.1`.
Value convBnAct(GraphBuilder &g, Value x, const std::string &name, int64_t out, int64_t k,
                int64_t stride, int64_t groups, Act act, double eps = 1e-5) {
  x = g.conv(x, name + ".0", out, k, stride, (k - 1) / 2, groups);
  return activate(g, g.batchNorm(x, name + ".1", eps), act);
}

//===--- v1 ---------------------------------------------------------------===//

Value buildMobileNetV1(GraphBuilder &g) {
  Value x = convBnAct(g, g.input(), "features.0", 32, 3, 2, 1, Act::ReLU);
  // (output channels, stride) of each depthwise-separable pair.
  const int64_t pairs[][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},
                              {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
                              {512, 1}, {1024, 2}, {1024, 1}};
  int64_t index = 1;
  for (auto [out, stride] : pairs) {
    std::string p = "features." + std::to_string(index++);
    int64_t in = GraphBuilder::shape(x)[1];
    x = convBnAct(g, x, p + ".dw", in, 3, stride, in, Act::ReLU);
    x = convBnAct(g, x, p + ".pw", out, 1, 1, 1, Act::ReLU);
  }
  x = g.flatten(g.adaptiveAvgPool(x, 1, 1));
  return g.linear(g.dropout(x, 0.001), "classifier.1", g.options().numClasses);
}

//===--- v2 ---------------------------------------------------------------===//

Value invertedResidualV2(GraphBuilder &g, Value x, const std::string &p, int64_t out,
                         int64_t stride, int64_t expandRatio) {
  int64_t in = GraphBuilder::shape(x)[1];
  int64_t hidden = in * expandRatio;
  Value y = x;
  int64_t i = 0;
  if (expandRatio != 1)
    y = convBnAct(g, y, p + ".conv." + std::to_string(i++), hidden, 1, 1, 1, Act::ReLU6);
  y = convBnAct(g, y, p + ".conv." + std::to_string(i++), hidden, 3, stride, hidden, Act::ReLU6);
  y = g.conv(y, p + ".conv." + std::to_string(i++), out, 1);
  y = g.batchNorm(y, p + ".conv." + std::to_string(i));
  return (stride == 1 && in == out) ? g.add(x, y) : y;
}

Value buildMobileNetV2(GraphBuilder &g) {
  Value x = convBnAct(g, g.input(), "features.0", 32, 3, 2, 1, Act::ReLU6);
  // t (expansion), c (channels), n (repeats), s (first stride)
  const int64_t settings[][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                 {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t index = 1;
  for (auto [t, c, n, s] : settings)
    for (int64_t r = 0; r < n; ++r)
      x = invertedResidualV2(g, x, "features." + std::to_string(index++), c, r == 0 ? s : 1, t);
  x = convBnAct(g, x, "features." + std::to_string(index), 1280, 1, 1, 1, Act::ReLU6);
  x = g.flatten(g.adaptiveAvgPool(x, 1, 1));
  return g.linear(g.dropout(x, 0.2), "classifier.1", g.options().numClasses);
}

//===--- v3 ---------------------------------------------------------------===//

struct BlockV3 {
  int64_t kernel, expanded, out;
  bool se;
  Act act;
  int64_t stride;
};

/// Squeeze-and-excitation: MobileNet v3 uses ReLU inside and a hardsigmoid gate,
/// EfficientNet SiLU inside and a sigmoid gate.
Value squeezeExcite(GraphBuilder &g, Value x, const std::string &p, int64_t squeeze,
                    bool mobileNetV3) {
  int64_t channels = GraphBuilder::shape(x)[1];
  Value s = g.adaptiveAvgPool(x, 1, 1);
  s = g.conv(s, p + ".fc1", squeeze, 1, 1, 0, 1, /*bias=*/true);
  s = mobileNetV3 ? g.relu(s) : g.silu(s);
  s = g.conv(s, p + ".fc2", channels, 1, 1, 0, 1, /*bias=*/true);
  s = mobileNetV3 ? g.hardsigmoid(s) : g.sigmoid(s);
  return g.mul(x, s);
}

Value invertedResidualV3(GraphBuilder &g, Value x, const std::string &p, const BlockV3 &c) {
  int64_t in = GraphBuilder::shape(x)[1];
  Value y = x;
  int64_t i = 0;
  auto name = [&] { return p + ".block." + std::to_string(i++); };
  if (c.expanded != in)
    y = convBnAct(g, y, name(), c.expanded, 1, 1, 1, c.act, 1e-3);
  y = convBnAct(g, y, name(), c.expanded, c.kernel, c.stride, c.expanded, c.act, 1e-3);
  if (c.se)
    y = squeezeExcite(g, y, name(), makeDivisible(c.expanded / 4), /*mobileNetV3=*/true);
  y = convBnAct(g, y, name(), c.out, 1, 1, 1, Act::None, 1e-3);
  return (c.stride == 1 && in == c.out) ? g.add(x, y) : y;
}

Value buildMobileNetV3(GraphBuilder &g, const std::vector<BlockV3> &blocks, int64_t lastChannel) {
  Value x = convBnAct(g, g.input(), "features.0", 16, 3, 2, 1, Act::HardSwish, 1e-3);
  int64_t index = 1;
  for (const BlockV3 &block : blocks)
    x = invertedResidualV3(g, x, "features." + std::to_string(index++), block);
  int64_t lastConv = 6 * GraphBuilder::shape(x)[1];
  x = convBnAct(g, x, "features." + std::to_string(index), lastConv, 1, 1, 1, Act::HardSwish,
                1e-3);
  x = g.flatten(g.adaptiveAvgPool(x, 1, 1));
  x = g.hardswish(g.linear(x, "classifier.0", lastChannel));
  return g.linear(g.dropout(x, 0.2), "classifier.3", g.options().numClasses);
}

const Act RE = Act::ReLU, HS = Act::HardSwish;

const std::vector<BlockV3> kV3Large = {
    {3, 16, 16, false, RE, 1},   {3, 64, 24, false, RE, 2},   {3, 72, 24, false, RE, 1},
    {5, 72, 40, true, RE, 2},    {5, 120, 40, true, RE, 1},   {5, 120, 40, true, RE, 1},
    {3, 240, 80, false, HS, 2},  {3, 200, 80, false, HS, 1},  {3, 184, 80, false, HS, 1},
    {3, 184, 80, false, HS, 1},  {3, 480, 112, true, HS, 1},  {3, 672, 112, true, HS, 1},
    {5, 672, 160, true, HS, 2},  {5, 960, 160, true, HS, 1},  {5, 960, 160, true, HS, 1}};

const std::vector<BlockV3> kV3Small = {
    {3, 16, 16, true, RE, 2},    {3, 72, 24, false, RE, 2},   {3, 88, 24, false, RE, 1},
    {5, 96, 40, true, HS, 2},    {5, 240, 40, true, HS, 1},   {5, 240, 40, true, HS, 1},
    {5, 120, 48, true, HS, 1},   {5, 144, 48, true, HS, 1},   {5, 288, 96, true, HS, 2},
    {5, 576, 96, true, HS, 1},   {5, 576, 96, true, HS, 1}};

} // namespace

namespace tilec::models {
/// Shared with EfficientNet, whose MBConv blocks use the same gate.
Value squeezeExciteBlock(GraphBuilder &g, Value x, const std::string &p, int64_t squeeze) {
  return squeezeExcite(g, x, p, squeeze, /*mobileNetV3=*/false);
}
} // namespace tilec::models

void tilec::models::addMobileNet(std::vector<ModelInfo> &zoo) {
  auto add = [&](const char *name, const char *reference, std::function<Value(GraphBuilder &)> f) {
    ModelInfo info;
    info.name = name;
    info.family = "MobileNet";
    info.reference = reference;
    info.build = std::move(f);
    zoo.push_back(std::move(info));
  };
  add("mobilenet_v1", "Howard et al. 2017, Table 1, width 1.0 (4,231,976 params, as Keras)",
      buildMobileNetV1);
  add("mobilenet_v2", "torchvision.models.mobilenet_v2 (Sandler et al. 2018)", buildMobileNetV2);
  add("mobilenet_v3_small", "torchvision.models.mobilenet_v3_small (Howard et al. 2019)",
      [](GraphBuilder &g) { return buildMobileNetV3(g, kV3Small, 1024); });
  add("mobilenet_v3_large", "torchvision.models.mobilenet_v3_large (Howard et al. 2019)",
      [](GraphBuilder &g) { return buildMobileNetV3(g, kV3Large, 1280); });
}
