//===- SearchSpace.cpp - knob choices, sampling, mutation, features -------===//

#include "autotune/SearchSpace.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace tilec;
using namespace tilec::autotune;
using codegen::ConvAlgorithm;
using codegen::Schedule;
using codegen::TargetKind;

namespace {

/// Divisors of `n`, thinned to at most `most` spread evenly on a log scale
/// (1 and n always kept).
std::vector<int64_t> divisors(int64_t n, size_t most) {
  std::vector<int64_t> all;
  for (int64_t d = 1; d <= n; ++d)
    if (n % d == 0)
      all.push_back(d);
  if (all.size() <= most)
    return all;
  std::vector<int64_t> picked;
  for (size_t i = 0; i < most; ++i)
    picked.push_back(all[(i * (all.size() - 1) + (most - 1) / 2) / (most - 1)]);
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  return picked;
}

int64_t product(const std::vector<int64_t> &v) {
  return std::accumulate(v.begin(), v.end(), int64_t(1), std::multiplies<>());
}

bool keepsInnerWhole(const std::string &kind) {
  return kind == "softmax" || kind == "layer_norm" || kind == "reduce";
}

template <typename T> const T &pick(const std::vector<T> &choices, std::mt19937 &rng) {
  return choices[std::uniform_int_distribution<size_t>(0, choices.size() - 1)(rng)];
}

} // namespace

SearchSpace::SearchSpace(codegen::DispatchShape shape, codegen::Target target)
    : shape_(std::move(shape)), target(std::move(target)) {
  fallback = codegen::defaultSchedule(shape_, this->target);
  const std::vector<int64_t> &dims = shape_.resultShape;
  for (size_t i = 0; i < dims.size(); ++i) {
    bool whole = keepsInnerWhole(shape_.rootKind) && i + 1 == dims.size();
    wgChoices.push_back(whole ? std::vector<int64_t>{dims[i]} : divisors(dims[i], 8));
  }
  convChoices = {ConvAlgorithm::Direct};
  if (shape_.conv1x1)
    convChoices.push_back(ConvAlgorithm::Gemm);
  packChoices = {codegen::PanelCopy::Auto};
  if (this->target.kind != TargetKind::Cpu) {
    gpuChoices();
    return;
  }
  if (codegen::takesPanelCopy(shape_.rootKind))
    packChoices = {codegen::PanelCopy::Auto, codegen::PanelCopy::Off, codegen::PanelCopy::On};
  // Register tiles: the families the default heuristic draws from, widened.
  int64_t lanes = this->target.vectorLanesF32();
  const std::string &kind = shape_.rootKind;
  size_t r = shape_.rootLoops.size();
  if ((kind == "matmul" || kind == "attention") && r >= 3) {
    regChoices.assign(r, {1});
    regChoices[r - 3] = {1, 2, 3, 4, 6, 8, 12, 16};
    regChoices[r - 2] = {lanes, 2 * lanes, 3 * lanes, 4 * lanes};
    regChoices[r - 1] = {1, 2, 4};
  } else if (kind == "conv" && r == 7) {
    regChoices = {{1}, {1, 2, 4, 6, 8, 12, 16}, {1, 2, 4}, {lanes / 2, lanes, 2 * lanes}, {1}, {1},
                  {1}};
  } else if (kind == "depthwise" && r == 6) {
    regChoices = {{1}, {1, 2, 4}, {lanes, 2 * lanes}, {1, 2, 4, 8}, {1}, {1}};
  } else if (kind == "pool" && r == 6) {
    regChoices = {{1}, {1, 2, 4, 8}, {1, 2, 4}, {lanes, 2 * lanes}, {1}, {1}};
  } else if (kind == "conv_nhwc" && r == 7) {
    regChoices = {{1}, {1, 2}, {1, 2, 3, 4, 6, 8, 12}, {lanes, 2 * lanes, 3 * lanes},
                  {1},  {1},    {1}};
  } else if ((kind == "depthwise_nhwc" || kind == "pool_nhwc") && r == 6) {
    regChoices = {{1}, {1, 2}, {1, 2, 4, 6, 8}, {lanes, 2 * lanes, 4 * lanes}, {1}, {1}};
  }
  // Register-tile loop orders: the code generator's ({}) and one alternative.
  orderChoices = {{}};
  if ((kind == "matmul" || kind == "attention") && r >= 3) {
    std::vector<int64_t> rowsOuter(r);
    std::iota(rowsOuter.begin(), rowsOuter.end(), 0);
    orderChoices.push_back(rowsOuter);
  } else if (kind == "conv" && r == 7) {
    orderChoices.push_back({0, 2, 3, 1, 4, 5, 6});
  } else if (kind == "depthwise" && r == 6) {
    orderChoices.push_back({0, 3, 1, 2, 4, 5});
  } else if (kind == "pool" && r == 6) {
    orderChoices.push_back({0, 2, 3, 1, 4, 5});
  } else if (kind == "conv_nhwc" && r == 7) {
    orderChoices.push_back({0, 3, 1, 2, 4, 5, 6}); // filter blocks outermost
  }
  // Cache blocks of the contraction's reduction: K (matmul's last loop), input
  // channels (the convolution's fifth).
  std::optional<size_t> blocked;
  if ((kind == "matmul" || kind == "attention") && r >= 3)
    blocked = r - 1;
  else if (kind == "conv" && r == 7)
    blocked = 4;
  else if (kind == "conv_nhwc" && r == 7)
    blocked = 6;
  if (blocked && shape_.rootReduction[*blocked]) {
    std::vector<int64_t> sizes = {0};
    for (int64_t b : {16, 32, 64, 128, 256, 512})
      if (b < shape_.rootLoops[*blocked] && shape_.rootLoops[*blocked] % b == 0)
        sizes.push_back(b);
    if (sizes.size() > 1) {
      cacheChoices.assign(r, {0});
      cacheChoices[*blocked] = sizes;
    }
  }
}

/// GPU knobs: blocks (wg), and for GEMM-like and channels-last convolution
/// roots either a thread tile (`reg`) with an optional staged reduction
/// block (`cache`), or, for 16-bit GEMMs on targets with tensor cores, warp
/// tiles (`reg` with `mma`) with a staged K block; 16-bit attention on CUDA
/// sm_80+ also tensor-core attention (`mma` with a head's rows per block).
void SearchSpace::gpuChoices() {
  const std::vector<int64_t> &dims = shape_.resultShape;
  const std::string &kind = shape_.rootKind;
  size_t r = shape_.rootLoops.size(), rank = dims.size();
  auto dividing = [](int64_t n, std::initializer_list<int64_t> options) {
    std::vector<int64_t> out;
    for (int64_t o : options)
      if (o <= n && n % o == 0)
        out.push_back(o);
    return out;
  };
  bool gemm = kind == "matmul" && rank >= 2 && r == rank + 1 && shape_.rootReduction.back();
  if (gemm) {
    // Blocks of rows and columns in the sizes GPU GEMMs use; batch dims 1.
    for (size_t i = 0; i + 2 < rank; ++i)
      wgChoices[i] = {1};
    for (size_t i = rank - 2; i < rank; ++i) {
      std::vector<int64_t> sizes = dividing(dims[i], {8, 16, 32, 64, 128, 256});
      if (!sizes.empty())
        wgChoices[i] = sizes;
    }
    regChoices.assign(r, {1});
    regChoices[rank - 2] = {1, 2, 4, 8};
    regChoices[rank - 1] = {1, 2, 4, 8};
    regChoices[r - 1] = {0};
    std::vector<int64_t> k = dividing(shape_.rootLoops.back(), {8, 16, 32, 64});
    if (!k.empty()) {
      cacheChoices.assign(r, {0});
      cacheChoices[r - 1] = k;
    }
    mmaShape = codegen::mmaInstruction(shape_, target);
    if (!mmaShape.empty()) {
      warpChoices.assign(r, {1});
      warpChoices[rank - 2] = {16, 32, 64};
      warpChoices[rank - 1] = mmaShape[1] == 16 ? std::vector<int64_t>{16, 32, 64}
                                                : std::vector<int64_t>{8, 16, 32, 64};
      warpChoices[r - 1] = {0};
      std::vector<int64_t> bk = mmaShape[2] == 8 ? dividing(shape_.rootLoops.back(), {8, 16, 32})
                                                 : dividing(shape_.rootLoops.back(), {16, 32, 64});
      warpCacheChoices.assign(r, {0});
      warpCacheChoices[r - 1] = bk.empty() ? std::vector<int64_t>{0} : bk;
    }
    if (target.warpgroupMma() && !target.simt && shape_.operandBits == 16 &&
        shape_.rootLoops.back() % 64 == 0) {
      warpgroupNs = dividing(dims[rank - 1], {64, 128, 256});
      warpgroupRows = dividing(dims[rank - 2], {64, 128});
      if (warpgroupRows.empty())
        warpgroupNs.clear();
    }
  } else if (kind == "attention" && rank >= 2 && !target.simt && shape_.operandBits == 16 &&
             codegen::mmaInstruction(shape_, target) == std::vector<int64_t>{16, 8, 16}) {
    for (int64_t rows = 16; rows <= 16 * 16; rows += 16)
      if (dims[rank - 2] % rows == 0)
        attentionRows.push_back(rows);
  } else if (kind == "conv_nhwc" && r == 7) {
    regChoices = {{1}, {1}, {1, 2, 4}, {1, 2, 4, 8}, {0}, {0}, {0}};
    std::vector<int64_t> c = dividing(shape_.rootLoops[6], {4, 8, 16, 32});
    if (!c.empty()) {
      cacheChoices.assign(r, {0});
      cacheChoices[6] = c;
    }
  }
}

/// Staged reduction blocks in flight (Schedule::stages).
static const std::vector<int64_t> kStageChoices = {1, 2, 3, 4};

/// GPU: the tile family knobs (reg, cache, mma, stages) drawn together: warp tiles
/// (half the draws where tensor cores apply), thread tiles, or neither.
void SearchSpace::drawGpuTiles(Schedule &s, std::mt19937 &rng) const {
  s.registerTile.clear();
  s.cacheTile.clear();
  s.mmaShape.clear();
  s.inFlight = 0;
  s.tma = false;
  std::uniform_int_distribution<int> die(0, 9);
  // The order blocks run in (groups of rows sharing panels in L2): drawn
  // with the tiles, whose rows of blocks it counts.
  s.blockGroup = shape_.rootKind == "matmul" ? pick(std::vector<int64_t>{1, 1, 4, 8, 16}, rng) : 1;
  // Elementwise and data-movement kernels: vectors of the innermost dim per
  // thread (the default's 16 bytes, half that, or one element).
  if (fallback.vectorWidth > 1 && shape_.rootKind == "elementwise")
    s.vectorWidth =
        pick(std::vector<int64_t>{1, fallback.vectorWidth / 2, fallback.vectorWidth}, rng);
  if (!warpgroupNs.empty() && die(rng) < 3) {
    // Warpgroup tiles fix the block: its columns are the instruction's N.
    int64_t n = pick(warpgroupNs, rng);
    codegen::setWarpgroupTiles(s, shape_.resultShape.size(), pick(warpgroupRows, rng), n);
    s.stages = pick(std::vector<int64_t>{2, 3, 4}, rng);
    // Each step's wgmma group left running into the next, where a block
    // stays being copied.
    if (s.stages >= 3)
      s.inFlight = pick(std::vector<int64_t>{0, 1}, rng);
    // The tiles loaded by TMA or by every thread's cp.async (CUDA sm_90;
    // the simt target runs the same tiles either way).
    s.tma = pick(std::vector<int64_t>{0, 1}, rng) == 1;
    return;
  }
  if (!attentionRows.empty() && die(rng) < 5) {
    // Tensor-core attention: a head's rows per block, value columns whole.
    size_t rank = shape_.resultShape.size();
    s.workgroupTile.assign(rank, 1);
    s.workgroupTile[rank - 2] = pick(attentionRows, rng);
    s.workgroupTile[rank - 1] = 0;
    s.mmaShape = {16, 8, 16};
    s.stages = pick(std::vector<int64_t>{1, 2, 3}, rng); // key blocks in flight
    return;
  }
  if (!warpChoices.empty() && die(rng) < 5) {
    s.mmaShape = mmaShape;
    for (const auto &c : warpChoices)
      s.registerTile.push_back(pick(c, rng));
    for (const auto &c : warpCacheChoices)
      s.cacheTile.push_back(pick(c, rng));
    s.stages = pick(kStageChoices, rng);
    return;
  }
  s.stages = 1;
  if (regChoices.empty() || die(rng) == 0)
    return;
  for (const auto &c : regChoices)
    s.registerTile.push_back(pick(c, rng));
  if (!cacheChoices.empty() && die(rng) < 8) {
    for (const auto &c : cacheChoices)
      s.cacheTile.push_back(pick(c, rng));
    s.stages = pick(kStageChoices, rng);
  }
}

double SearchSpace::cardinality() const {
  double n = double(convChoices.size());
  for (const auto &c : wgChoices)
    n *= double(c.size());
  double reg = 1;
  for (const auto &c : regChoices)
    reg *= double(c.size());
  for (const auto &c : cacheChoices)
    n *= double(c.size());
  n *= double(std::max<size_t>(1, orderChoices.size()));
  return n * (regChoices.empty() ? 1 : reg * double(packChoices.size()) + 1);
}

std::string SearchSpace::check(const Schedule &s) const {
  std::string why = codegen::verifySchedule(s, shape_, target);
  if (!why.empty())
    return why;
  const std::vector<int64_t> &dims = shape_.resultShape;
  if (!s.workgroupTile.empty() && keepsInnerWhole(shape_.rootKind) && !dims.empty() &&
      s.workgroupTile.back() != 0 && s.workgroupTile.back() != dims.back())
    return "the innermost dimension is reduced over and must stay whole";
  std::vector<int64_t> tile = s.workgroupTile;
  for (size_t i = 0; i < tile.size(); ++i)
    if (tile[i] == 0)
      tile[i] = dims[i];
  if (target.kind != TargetKind::Cpu) {
    // One thread per output without a thread or warp tile.
    if (s.registerTile.empty() && product(tile) > 1024)
      return "a block of " + std::to_string(product(tile)) + " threads exceeds 1024";
    return "";
  }
  // Thousands of tiny workgroups cost more to hand out than they compute.
  if (!tile.empty() && product(dims) / product(tile) > 4096)
    return "more than 4096 workgroups";
  if (!s.registerTile.empty()) {
    int64_t accumulators = 1;
    for (size_t i = 0; i < s.registerTile.size(); ++i)
      if (!shape_.rootReduction[i])
        accumulators *= s.registerTile[i];
    // Accumulators in vector registers, with two left for operands.
    int64_t vectors = (accumulators + target.vectorLanesF32() - 1) / target.vectorLanesF32();
    if (vectors > target.vectorRegisters - 2)
      return "the register tile needs " + std::to_string(vectors) + " accumulator registers";
  }
  return "";
}

Schedule SearchSpace::sample(std::mt19937 &rng) const {
  for (int attempt = 0; attempt < 200; ++attempt) {
    Schedule s = fallback;
    s.workgroupTile.clear();
    for (const auto &c : wgChoices)
      s.workgroupTile.push_back(pick(c, rng));
    if (target.kind != TargetKind::Cpu) {
      drawGpuTiles(s, rng);
      if (check(s).empty())
        return s;
      continue;
    }
    s.registerTile.clear();
    // One draw in eight leaves vectorization to LLVM.
    if (!regChoices.empty() && std::uniform_int_distribution<int>(0, 7)(rng) != 0)
      for (const auto &c : regChoices)
        s.registerTile.push_back(pick(c, rng));
    s.conv = pick(convChoices, rng);
    s.cacheTile.clear();
    if (!cacheChoices.empty() && std::bernoulli_distribution(0.5)(rng))
      for (const auto &c : cacheChoices)
        s.cacheTile.push_back(pick(c, rng));
    s.loopOrder = s.registerTile.empty() ? std::vector<int64_t>{} : pick(orderChoices, rng);
    s.panelCopy = s.registerTile.empty() ? codegen::PanelCopy::Auto : pick(packChoices, rng);
    if (check(s).empty())
      return s;
  }
  return fallback;
}

Schedule SearchSpace::mutate(const Schedule &base, std::mt19937 &rng) const {
  if (target.kind != TargetKind::Cpu) {
    // GPU: one block size, or the tile family, redrawn.
    for (int attempt = 0; attempt < 50; ++attempt) {
      Schedule s = base;
      size_t k = std::uniform_int_distribution<size_t>(0, wgChoices.size())(rng);
      if (k < wgChoices.size() && s.workgroupTile.size() == wgChoices.size())
        s.workgroupTile[k] = pick(wgChoices[k], rng);
      else
        drawGpuTiles(s, rng);
      if (!(s == base) && check(s).empty())
        return s;
    }
    return sample(rng);
  }
  size_t knobs = wgChoices.size() + regChoices.size() + 5;
  for (int attempt = 0; attempt < 50; ++attempt) {
    Schedule s = base;
    int changes = std::uniform_int_distribution<int>(1, 2)(rng);
    for (int c = 0; c < changes; ++c) {
      size_t k = std::uniform_int_distribution<size_t>(0, knobs - 1)(rng);
      if (k < wgChoices.size()) {
        if (s.workgroupTile.size() == wgChoices.size())
          s.workgroupTile[k] = pick(wgChoices[k], rng);
      } else if (k < wgChoices.size() + regChoices.size()) {
        size_t i = k - wgChoices.size();
        if (s.registerTile.size() != regChoices.size())
          for (const auto &choices : regChoices)
            s.registerTile.push_back(pick(choices, rng));
        s.registerTile[i] = pick(regChoices[i], rng);
      } else if (k == knobs - 5) {
        s.panelCopy = pick(packChoices, rng);
      } else if (k == knobs - 4) {
        s.loopOrder = pick(orderChoices, rng);
      } else if (k == knobs - 3) {
        s.cacheTile.clear();
        if (!cacheChoices.empty())
          for (const auto &choices : cacheChoices)
            s.cacheTile.push_back(pick(choices, rng));
      } else if (k == knobs - 2) {
        s.conv = pick(convChoices, rng);
      } else if (!regChoices.empty()) {
        // Toggle explicit register tiling.
        s.registerTile.clear();
        s.panelCopy = codegen::PanelCopy::Auto; // pack needs a register tile
        if (base.registerTile.empty())
          for (const auto &choices : regChoices)
            s.registerTile.push_back(pick(choices, rng));
      }
    }
    if (!(s == base) && check(s).empty())
      return s;
  }
  return sample(rng);
}

std::optional<Schedule> SearchSpace::crossover(const Schedule &a, const Schedule &b,
                                               std::mt19937 &rng) const {
  std::bernoulli_distribution coin(0.5);
  Schedule s = a;
  if (a.workgroupTile.size() == b.workgroupTile.size())
    for (size_t i = 0; i < s.workgroupTile.size(); ++i)
      if (coin(rng))
        s.workgroupTile[i] = b.workgroupTile[i];
  // A register tile is one decision (its sizes only make sense together);
  // a warp tile comes with its mma shape and staged K block.
  if (coin(rng)) {
    s.registerTile = b.registerTile;
    s.mmaShape = b.mmaShape;
    if (!b.mmaShape.empty() || !a.mmaShape.empty())
      s.cacheTile = b.cacheTile, s.stages = b.stages, s.inFlight = b.inFlight, s.tma = b.tma;
  }
  if (coin(rng))
    s.conv = b.conv;
  if (coin(rng))
    s.blockGroup = b.blockGroup;
  if (coin(rng))
    s.cacheTile = b.cacheTile, s.stages = b.stages, s.inFlight = b.inFlight, s.tma = b.tma;
  if (coin(rng))
    s.loopOrder = b.loopOrder;
  if (coin(rng))
    s.panelCopy = b.panelCopy;
  if (!check(s).empty())
    return std::nullopt;
  return s;
}

std::optional<Schedule> SearchSpace::adapt(const Schedule &other) const {
  Schedule s = other;
  const std::vector<int64_t> &dims = shape_.resultShape;
  if (s.workgroupTile.size() != dims.size())
    return std::nullopt;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t want = s.workgroupTile[i] == 0 ? dims[i] : std::min(s.workgroupTile[i], dims[i]);
    int64_t d = want;
    while (dims[i] % d != 0)
      --d;
    s.workgroupTile[i] = d;
  }
  if (!s.registerTile.empty() && s.registerTile.size() != shape_.rootLoops.size())
    s.registerTile = fallback.registerTile;
  if (!s.loopOrder.empty() && s.loopOrder.size() != shape_.rootLoops.size())
    s.loopOrder.clear();
  if (s.conv == ConvAlgorithm::Gemm && !shape_.conv1x1)
    s.conv = ConvAlgorithm::Direct;
  if (!check(s).empty())
    s.cacheTile.clear(); // a block size that does not divide this shape's loop
  if (!check(s).empty())
    return std::nullopt;
  return s;
}

//===----------------------------------------------------------------------===//
// Features
//===----------------------------------------------------------------------===//

namespace {

constexpr const char *kKinds[] = {"matmul",    "conv",    "depthwise",  "pool",
                                  "attention", "softmax", "layer_norm", "reduce"};
constexpr size_t kLoopSlots = 7;

float log2p(double v) { return float(std::log2(1.0 + std::max(v, 0.0))); }

} // namespace

const std::vector<std::string> &tilec::autotune::featureNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const char *k : kKinds)
      n.push_back(std::string("kind_") + k);
    n.push_back("kind_other");
    for (const char *group : {"log_loop", "log_reg", "peeled_fraction", "cache_fraction"})
      for (size_t i = 0; i < kLoopSlots; ++i)
        n.push_back(std::string(group) + std::to_string(i));
    for (const char *f : {"log_work", "log_result", "has_reg_tile", "log_accumulators",
                          "register_pressure", "reg_inner_vectors", "log_wg_elements", "log_grid",
                          "thread_imbalance", "wg_bytes_over_l2", "wg_bytes_over_l1", "conv_gemm",
                          "custom_order", "order_outer_loop", "wg_frac0", "wg_frac1", "wg_frac2", "wg_frac3",
                          "panel_copy", "tensor_cores", "stages"})
      n.push_back(f);
    return n;
  }();
  return names;
}

std::vector<float> tilec::autotune::features(const codegen::DispatchShape &shape, const Schedule &s,
                                             const codegen::Target &target, int threads) {
  std::vector<float> f;
  f.reserve(featureNames().size());
  size_t kindIndex = std::size(kKinds);
  for (size_t i = 0; i < std::size(kKinds); ++i)
    if (shape.rootKind == kKinds[i])
      kindIndex = i;
  for (size_t i = 0; i <= std::size(kKinds); ++i)
    f.push_back(i == kindIndex ? 1.f : 0.f);
  // Loops right-aligned: the innermost (most telling) loops share slots across kinds.
  const std::vector<int64_t> &loops = shape.rootLoops;
  auto slot = [&](size_t j) -> std::optional<size_t> {
    size_t offset = kLoopSlots - std::min(loops.size(), kLoopSlots);
    if (j < offset)
      return std::nullopt;
    return loops.size() - (kLoopSlots - j);
  };
  for (size_t j = 0; j < kLoopSlots; ++j)
    f.push_back(slot(j) ? log2p(double(loops[*slot(j)])) : 0.f);
  bool hasReg = s.registerTile.size() == loops.size() && !loops.empty();
  for (size_t j = 0; j < kLoopSlots; ++j)
    f.push_back(hasReg && slot(j) ? log2p(double(s.registerTile[*slot(j)])) : 0.f);
  for (size_t j = 0; j < kLoopSlots; ++j) {
    float peeled = 0;
    if (hasReg && slot(j) && s.registerTile[*slot(j)] > 0)
      peeled = float(loops[*slot(j)] % s.registerTile[*slot(j)]) / float(loops[*slot(j)]);
    f.push_back(peeled);
  }
  bool hasCache = s.cacheTile.size() == loops.size() && !loops.empty();
  for (size_t j = 0; j < kLoopSlots; ++j) {
    float fraction = 1;
    if (hasCache && slot(j) && s.cacheTile[*slot(j)] > 0)
      fraction = float(s.cacheTile[*slot(j)]) / float(loops[*slot(j)]);
    f.push_back(slot(j) ? fraction : 0.f);
  }
  double work = 1, result = 1;
  for (int64_t l : loops)
    work *= double(l);
  for (int64_t d : shape.resultShape)
    result *= double(d);
  f.push_back(log2p(loops.empty() ? result : work));
  f.push_back(log2p(result));
  f.push_back(hasReg ? 1.f : 0.f);
  double accumulators = 1;
  if (hasReg)
    for (size_t i = 0; i < loops.size(); ++i)
      if (!shape.rootReduction[i])
        accumulators *= double(s.registerTile[i]);
  double lanes = double(target.vectorLanesF32());
  f.push_back(hasReg ? log2p(accumulators) : 0.f);
  f.push_back(hasReg ? float(accumulators / lanes / double(target.vectorRegisters)) : 0.f);
  // The innermost parallel register size, in vectors (the vectorized dimension).
  double inner = 0;
  if (hasReg)
    for (size_t i = 0; i < loops.size(); ++i)
      if (!shape.rootReduction[i])
        inner = double(s.registerTile[i]);
  f.push_back(float(inner / lanes));
  double tile = 1;
  std::vector<float> fractions;
  for (size_t i = 0; i < shape.resultShape.size(); ++i) {
    double dim = double(shape.resultShape[i]);
    double t =
        i < s.workgroupTile.size() && s.workgroupTile[i] > 0 ? double(s.workgroupTile[i]) : dim;
    tile *= t;
    fractions.push_back(float(t / dim));
  }
  double grid = result / std::max(tile, 1.0);
  f.push_back(log2p(tile));
  f.push_back(log2p(grid));
  double rounds = std::ceil(grid / double(std::max(threads, 1)));
  f.push_back(float(1.0 - grid / (rounds * double(std::max(threads, 1)))));
  f.push_back(float(tile * 4 / double(target.l2Bytes)));
  f.push_back(float(tile * 4 / double(target.l1Bytes)));
  f.push_back(s.conv == ConvAlgorithm::Gemm ? 1.f : 0.f);
  // Which root loop the register tiles walk outermost after the batch loop.
  bool customOrder = s.loopOrder.size() == loops.size() && loops.size() > 1;
  f.push_back(customOrder ? 1.f : 0.f);
  f.push_back(customOrder ? float(s.loopOrder[1]) / float(loops.size()) : 0.f);
  // The innermost four result dimensions' tile fractions, right-aligned.
  for (size_t j = 0; j < 4; ++j) {
    size_t n = fractions.size();
    f.push_back(n + j >= 4 ? fractions[n + j - 4] : 1.f);
  }
  f.push_back(s.panelCopy == codegen::PanelCopy::On    ? 1.f
              : s.panelCopy == codegen::PanelCopy::Off ? 0.f
                                                       : 0.5f);
  f.push_back(s.mmaShape.empty() ? 0.f : 1.f);
  f.push_back(float(s.stages));
  return f;
}
