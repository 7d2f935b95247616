//===- AlexNet.cpp - AlexNet (torchvision structure) ----------------------===//
//
// Krizhevsky et al. 2012 as torchvision builds it ("One weird trick" variant:
// 64-192-384-256-256 maps, no LRN, adaptive 6x6 pooling before the classifier).
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

using namespace tilec::models;

namespace {

Value buildAlexNet(GraphBuilder &g) {
  Value x = g.relu(g.conv(g.input(), "features.0", 64, 11, 4, 2, 1, true));
  x = g.maxPool(x, 3, 2);
  x = g.relu(g.conv(x, "features.3", 192, 5, 1, 2, 1, true));
  x = g.maxPool(x, 3, 2);
  x = g.relu(g.conv(x, "features.6", 384, 3, 1, 1, 1, true));
  x = g.relu(g.conv(x, "features.8", 256, 3, 1, 1, 1, true));
  x = g.relu(g.conv(x, "features.10", 256, 3, 1, 1, 1, true));
  x = g.maxPool(x, 3, 2);
  x = g.flatten(g.adaptiveAvgPool(x, 6, 6));
  x = g.relu(g.linear(g.dropout(x, 0.5), "classifier.1", 4096));
  x = g.relu(g.linear(g.dropout(x, 0.5), "classifier.4", 4096));
  return g.linear(x, "classifier.6", g.options().numClasses);
}

} // namespace

void tilec::models::addAlexNet(std::vector<ModelInfo> &zoo) {
  ModelInfo info;
  info.name = "alexnet";
  info.family = "AlexNet";
  info.reference = "torchvision.models.alexnet (Krizhevsky 2014 single-GPU variant)";
  info.minResolution = 63;
  info.build = buildAlexNet;
  zoo.push_back(std::move(info));
}
