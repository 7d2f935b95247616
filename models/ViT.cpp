//===- ViT.cpp - Vision Transformers: Tiny/Small/Base/Large, /16 and /32 --===//
//
// Dosovitskiy et al. 2020 as torchvision builds it: conv patch embedding, class
// token, learned position embedding, pre-norm encoder layers (LayerNorm eps 1e-6,
// multi-head self-attention with a packed in-projection, GELU MLP), final norm,
// and a linear head on the class token. Tiny and Small (not in torchvision) use
// DeiT's widths (Touvron et al. 2020): 192/3 heads and 384/6 heads, 12 layers.
//
//===----------------------------------------------------------------------===//

#include "models/GraphBuilder.h"

#include <cmath>

using namespace tilec::models;
using llvm::ArrayRef;

namespace {

struct ViTConfig {
  const char *name;
  int64_t patch, hidden, layers, heads, mlp;
};

/// [N, S, D] -> [N, H, S, D/H]
Value splitHeads(GraphBuilder &g, Value x, int64_t heads) {
  ArrayRef<int64_t> s = GraphBuilder::shape(x);
  x = g.reshape(x, {s[0], s[1], heads, s[2] / heads});
  return g.transpose(x, {0, 2, 1, 3});
}

Value selfAttention(GraphBuilder &g, Value x, const std::string &p, int64_t heads) {
  ArrayRef<int64_t> s = GraphBuilder::shape(x);
  int64_t n = s[0], seq = s[1], d = s[2];
  // nn.MultiheadAttention: packed q/k/v projection, Xavier-uniform weights.
  double bound = std::sqrt(6.0 / double(d + 3 * d));
  Value w = g.parameter(p + ".in_proj_weight", {3 * d, d}, Init::uniform(bound));
  Value b = g.parameter(p + ".in_proj_bias", {3 * d}, Init::zeros());
  Value qkv = g.linear(x, w, b); // [N, S, 3D]
  Value q = splitHeads(g, g.slice(qkv, 2, 0, d), heads);
  Value k = splitHeads(g, g.slice(qkv, 2, d, 2 * d), heads);
  Value v = splitHeads(g, g.slice(qkv, 2, 2 * d, 3 * d), heads);
  Value scale = g.literal({1}, float(1.0 / std::sqrt(double(d / heads))));
  Value scores = g.mul(g.matmul(q, g.transpose(k, {0, 1, 3, 2})), scale); // [N, H, S, S]
  Value context = g.matmul(g.softmax(scores, -1), v);                    // [N, H, S, D/H]
  context = g.reshape(g.transpose(context, {0, 2, 1, 3}), {n, seq, d});
  return g.linear(context, p + ".out_proj", d);
}

Value encoderLayer(GraphBuilder &g, Value x, const std::string &p, const ViTConfig &c) {
  Value y = g.layerNorm(x, p + ".ln_1", 1e-6);
  y = g.dropout(selfAttention(g, y, p + ".self_attention", c.heads), 0.0);
  x = g.add(x, y);
  y = g.layerNorm(x, p + ".ln_2", 1e-6);
  y = g.gelu(g.linear(y, p + ".mlp.0", c.mlp));
  y = g.linear(y, p + ".mlp.3", c.hidden);
  return g.add(x, y);
}

Value buildViT(GraphBuilder &g, const ViTConfig &c) {
  ArrayRef<int64_t> in = GraphBuilder::shape(g.input());
  int64_t n = in[0], tokens = (in[2] / c.patch) * (in[3] / c.patch);
  Value x = g.conv(g.input(), "conv_proj", c.hidden, c.patch, c.patch, 0, 1, /*bias=*/true);
  x = g.transpose(g.reshape(x, {n, c.hidden, tokens}), {0, 2, 1}); // [N, S, D]
  Value classToken = g.parameter("class_token", {1, 1, c.hidden}, Init::zeros());
  x = g.concat({g.broadcast(classToken, {n, 1, c.hidden}), x}, 1); // [N, S + 1, D]
  Value position =
      g.parameter("encoder.pos_embedding", {1, tokens + 1, c.hidden}, Init::normal(0.02));
  x = g.dropout(g.add(x, position), 0.0);
  for (int64_t l = 0; l < c.layers; ++l)
    x = encoderLayer(g, x, "encoder.layers.encoder_layer_" + std::to_string(l), c);
  x = g.layerNorm(x, "encoder.ln", 1e-6);
  x = g.reshape(g.slice(x, 1, 0, 1), {n, c.hidden}); // the class token
  return g.linear(x, "heads.head", g.options().numClasses);
}

} // namespace

void tilec::models::addViT(std::vector<ModelInfo> &zoo) {
  const ViTConfig configs[] = {{"vit_ti_16", 16, 192, 12, 3, 768},
                               {"vit_s_16", 16, 384, 12, 6, 1536},
                               {"vit_b_16", 16, 768, 12, 12, 3072},
                               {"vit_b_32", 32, 768, 12, 12, 3072},
                               {"vit_l_16", 16, 1024, 24, 16, 4096},
                               {"vit_l_32", 32, 1024, 24, 16, 4096}};
  for (const ViTConfig &c : configs) {
    ModelInfo info;
    info.name = c.name;
    info.family = "ViT";
    info.reference = c.hidden < 768 ? "DeiT widths (Touvron et al. 2020) on torchvision's ViT"
                                    : "torchvision.models.vision_transformer";
    info.minResolution = c.patch;
    info.resolutionMultiple = c.patch;
    info.build = [c](GraphBuilder &g) { return buildViT(g, c); };
    zoo.push_back(std::move(info));
  }
}
