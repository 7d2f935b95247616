//===- LeNet.cpp - LeNet-5 ------------------------------------------------===//
//
// LeCun et al., "Gradient-Based Learning Applied to Document Recognition"
// (1998), in its common modern reading: 1x32x32 input, 5x5 convolutions with 6
// and 16 maps (C3 fully connected to S2, not the paper's sparse table), tanh,
// 2x2 average pooling, then 120-84-10 fully connected layers. torchvision has no
// LeNet; this structure has 61,706 parameters.
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

using namespace tilec::models;

namespace {

Value buildLeNet5(GraphBuilder &g) {
  Value x = g.conv(g.input(), "conv1", 6, 5, 1, 0, 1, /*bias=*/true);
  x = g.avgPool(g.tanh(x), 2, 2);
  x = g.conv(x, "conv2", 16, 5, 1, 0, 1, /*bias=*/true);
  x = g.avgPool(g.tanh(x), 2, 2);
  x = g.flatten(x);
  x = g.tanh(g.linear(x, "fc1", 120));
  x = g.tanh(g.linear(x, "fc2", 84));
  return g.linear(x, "fc3", g.options().numClasses);
}

} // namespace

void tilec::models::addLeNet(std::vector<ModelInfo> &zoo) {
  ModelInfo info;
  info.name = "lenet5";
  info.family = "LeNet";
  info.reference = "LeCun et al. 1998, dense C3, tanh + average pooling (61,706 params)";
  info.inputChannels = 1;
  info.defaultResolution = 32;
  info.minResolution = 16;
  info.defaultNumClasses = 10;
  info.build = buildLeNet5;
  zoo.push_back(std::move(info));
}
