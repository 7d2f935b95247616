//===- Schedule.cpp - text form, CPU defaults, legality (GPU: GpuSchedules) ===//

#include "codegen/common/Schedule.h"
#include "codegen/common/ScheduleDetail.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <numeric>

using namespace tilec::codegen;
using namespace tilec::codegen::detail;

std::string tilec::codegen::detail::joinSizes(const std::vector<int64_t> &sizes) {
  std::string s;
  for (int64_t v : sizes)
    s += (s.empty() ? "" : "x") + std::to_string(v);
  return s.empty() ? "-" : s;
}

namespace {

bool parseSizes(llvm::StringRef text, std::vector<int64_t> &out) {
  out.clear();
  if (text == "-")
    return true;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  for (llvm::StringRef p : parts) {
    int64_t v;
    if (p.getAsInteger(10, v) || v < 0)
      return false;
    out.push_back(v);
  }
  return true;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

int64_t tilec::codegen::detail::divisorAtMost(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, std::max<int64_t>(cap, 1)); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

int64_t tilec::codegen::detail::product(const std::vector<int64_t> &v) {
  return std::accumulate(v.begin(), v.end(), int64_t(1), std::multiplies<>());
}

bool tilec::codegen::reducesInner(const DispatchShape &shape) {
  if (shape.rootKind == "reduce")
    return shape.rootReduction.empty() || shape.rootReduction.back();
  return shape.rootKind == "softmax" || shape.rootKind == "layer_norm" ||
         shape.rootKind == "attention";
}


std::vector<int64_t> tilec::codegen::mmaInstruction(const DispatchShape &shape,
                                                    const Target &target) {
  if (shape.operandBits == 16)
    return target.matrixInstruction();
  if (shape.operandBits == 19)
    return target.tf32Instruction();
  return {};
}

std::string Schedule::str() const {
  return "wg=" + joinSizes(workgroupTile) + " reg=" + joinSizes(registerTile) +
         " vec=" + std::to_string(vectorWidth) +
         " conv=" + (conv == ConvAlgorithm::Gemm ? "gemm" : "direct") +
         (cacheTile.empty() ? "" : " cache=" + joinSizes(cacheTile)) +
         (mmaShape.empty() ? "" : " mma=" + joinSizes(mmaShape)) +
         (stages == 1 ? "" : " stages=" + std::to_string(stages)) +
         (inFlight == 0 ? "" : " inflight=" + std::to_string(inFlight)) +
         (blockGroup == 1 ? "" : " group=" + std::to_string(blockGroup)) +
         (tma ? " tma=1" : "") +
         (loopOrder.empty() ? "" : " order=" + joinSizes(loopOrder)) +
         (panelCopy == PanelCopy::Auto ? "" : panelCopy == PanelCopy::On ? " pack=on" : " pack=off");
}

std::optional<Schedule> tilec::codegen::parseSchedule(const std::string &text,
                                                       std::string &error) {
  Schedule s;
  llvm::SmallVector<llvm::StringRef> fields;
  llvm::StringRef(text).split(fields, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef field : fields) {
    auto [key, value] = field.split('=');
    bool ok = true;
    if (key == "wg")
      ok = parseSizes(value, s.workgroupTile);
    else if (key == "reg")
      ok = parseSizes(value, s.registerTile);
    else if (key == "cache")
      ok = parseSizes(value, s.cacheTile);
    else if (key == "order")
      ok = parseSizes(value, s.loopOrder);
    else if (key == "mma")
      ok = parseSizes(value, s.mmaShape);
    else if (key == "vec")
      ok = !value.getAsInteger(10, s.vectorWidth) && s.vectorWidth > 0;
    else if (key == "stages")
      ok = !value.getAsInteger(10, s.stages) && s.stages > 0;
    else if (key == "inflight")
      ok = !value.getAsInteger(10, s.inFlight) && s.inFlight >= 0;
    else if (key == "tma" && (value == "0" || value == "1"))
      s.tma = value == "1";
    else if (key == "group")
      ok = !value.getAsInteger(10, s.blockGroup) && s.blockGroup > 0;
    else if (key == "conv" && (value == "direct" || value == "gemm"))
      s.conv = value == "gemm" ? ConvAlgorithm::Gemm : ConvAlgorithm::Direct;
    else if (key == "pack" && (value == "auto" || value == "on" || value == "off"))
      s.panelCopy = value == "on" ? PanelCopy::On : value == "off" ? PanelCopy::Off : PanelCopy::Auto;
    else
      ok = false;
    if (!ok) {
      error = "bad schedule field '" + field.str() +
              "'; expected wg=AxB.. reg=AxB.. vec=N conv=direct|gemm [cache=AxB..] [order=AxB..] "
              "[pack=auto|on|off] [mma=16x8x16] [stages=N] [inflight=N] [group=N] [tma=0|1]";
      return std::nullopt;
    }
  }
  return s;
}

void tilec::codegen::setWarpgroupTiles(Schedule &s, size_t rank, int64_t blockRows, int64_t n) {
  s.mmaShape = {64, n, 16};
  s.workgroupTile.assign(rank, 1);
  s.workgroupTile[rank - 2] = blockRows;
  s.workgroupTile[rank - 1] = n;
  s.registerTile.assign(rank + 1, 1);
  s.registerTile[rank - 2] = 64;
  s.registerTile[rank - 1] = n;
  s.registerTile[rank] = 0;
  s.cacheTile.assign(rank + 1, 0);
  s.cacheTile[rank] = 64;
}

Schedule tilec::codegen::defaultSchedule(const DispatchShape &shape, const Target &target) {
  Schedule s;
  s.vectorWidth = target.vectorLanesF32();
  if (target.threaded())
    return defaultGpuSchedule(shape, target);
  // 1. Workgroups: split the result from the outermost dimension until a tile
  //    holds about a quarter of L2 (room for its operands), then keep
  //    splitting until there are enough workgroups to balance 8 threads.
  //    Dispatches that normalize or reduce along the innermost dimension keep
  //    it whole so that no workgroup recomputes another's reduction.
  const std::vector<int64_t> &dims = shape.resultShape;
  std::vector<int64_t> tile = dims;
  bool keepInner = shape.rootKind == "softmax" || shape.rootKind == "layer_norm" ||
                   shape.rootKind == "reduce";
  int64_t splittable = int64_t(dims.size()) - (keepInner ? 1 : 0);
  int64_t budget = target.l2Bytes / 4 / 4;
  auto grid = [&] { return product(dims) / std::max<int64_t>(product(tile), 1); };
  // A dimension is not split below 8 (197 tokens, 49 = 7x7 positions would
  // otherwise become 1-row tiles) unless it is that small to begin with.
  bool blocked = shape.rootKind == "matmul" || shape.rootKind == "conv";
  auto awkward = [&](int64_t i) {
    return blocked && dims[i] >= 8 && divisorAtMost(dims[i], tile[i] / 2) < 8;
  };
  auto split = [&](auto more) {
    for (int64_t i = 0; i < splittable && more(); ++i)
      while (tile[i] > 1 && more() && !awkward(i))
        tile[i] = divisorAtMost(dims[i], tile[i] / 2);
  };
  bool windowed = (shape.rootKind == "conv" || shape.rootKind == "depthwise") && dims.size() == 4;
  auto more = [&] { return product(tile) > budget || grid() < 32; }; // windowed ops' target
  if (windowed) {
    // Convolutions (n, f, oh, ow): measured by the tuner on ResNet-50 and
    // EfficientNet-B0, the fastest tiles are a few output rows by whole rows
    // of pixels, with filters in multiples of the register tile, and 30-70
    // workgroups rather than 8 (on 14x14 maps with 40-112 filters the old
    // split, 10-14 filters by the whole map, was 3-6x slower). So: rows
    // first, down to 2 (the register tile's rows); then filters, keeping
    // them a multiple of 8; until the tile fits and there are 32 workgroups.
    while (more() && tile[2] > 2 && divisorAtMost(dims[2], tile[2] / 2) >= 2)
      tile[2] = divisorAtMost(dims[2], tile[2] / 2);
    while (more() && tile[1] > 8 && divisorAtMost(dims[1], tile[1] / 2) % 8 == 0)
      tile[1] = divisorAtMost(dims[1], tile[1] / 2);
  }
  // Channels last (n, oh, ow, c): split output rows and channels (keeping
  // whole register tiles of two vectors) until the tile fits a quarter of L2
  // and there are 32 workgroups. Which first: a convolution whose weights
  // outweigh its input (deep layers on small maps: 3x3x512x512 on 7x7) splits
  // filters first, so each workgroup streams a slice of the weights once and
  // reuses it on every row; the others split rows first, so the weights of a
  // workgroup are reused on as many pixels as possible.
  int64_t lanes = target.vectorLanesF32();
  bool channelsLast = (shape.rootKind == "conv_nhwc" || shape.rootKind == "depthwise_nhwc" ||
                       shape.rootKind == "pool_nhwc") &&
                      dims.size() == 4;
  if (channelsLast) {
    auto splitRows = [&] {
      while (more() && tile[1] > 1)
        tile[1] = divisorAtMost(dims[1], tile[1] / 2);
    };
    auto splitChannels = [&] {
      while (more() && tile[3] > 2 * lanes &&
             divisorAtMost(dims[3], tile[3] / 2) % (2 * lanes) == 0)
        tile[3] = divisorAtMost(dims[3], tile[3] / 2);
    };
    const std::vector<int64_t> &l = shape.rootLoops;
    bool weightHeavy = shape.rootKind == "conv_nhwc" && l.size() == 7 &&
                       l[4] * l[5] * l[6] * l[3] > l[1] * l[2] * l[6];
    if (weightHeavy)
      splitChannels(), splitRows();
    else
      splitRows(), splitChannels();
  }
  split([&] { return product(tile) > budget; });
  if (!windowed && !channelsLast)
    split([&] { return grid() < 8 && product(tile) >= 2048; });
  s.workgroupTile = tile;
  // 2. Register tiles for contractions: an 8 x (2 vectors) accumulator block
  //    fits the 32 AVX-512 registers with room for operands (16 x 32 does not:
  //    it spills, and crashed LLVM 19's backend in DESIGN.md's measurement).
  if ((shape.rootKind == "matmul" || shape.rootKind == "attention") &&
      shape.rootLoops.size() >= 3) {
    s.registerTile.assign(shape.rootLoops.size(), 1);
    size_t r = shape.rootLoops.size();
    s.registerTile[r - 3] = target.vectorRegisters >= 32 ? 8 : 6;
    s.registerTile[r - 2] = 2 * lanes;
    s.registerTile[r - 1] = 1;
    // K blocking (GEMM only: attention's reduction is its head size): a
    // [kc x n_r] panel of B stays in half of L1 while every row block of the
    // workgroup passes over it, instead of streaming K x n_r from L2 per row
    // block. bench/GemmBench.cpp, 2 threads, AVX2 (kc = 256): 1024^3 and
    // ViT-B/16's 3072-deep MLP GEMM about 1.7x, ResNet-50's 512-deep 1x1
    // GEMMs 1.2-1.3x (docs/benchmarks.md). Short K (< 2 kc) is left whole.
    int64_t k = shape.rootLoops[r - 1];
    int64_t panelBytesPerK = 2 * lanes * 4; // one row of a [kc x 2 vectors] panel
    int64_t kc = 64;
    while (2 * kc * panelBytesPerK <= target.l1Bytes / 2)
      kc *= 2;
    if (shape.rootKind == "matmul" && k >= 2 * kc && k % kc == 0) {
      s.cacheTile.assign(r, 0);
      s.cacheTile[r - 1] = kc;
    }
  } else if (shape.rootKind == "conv" && shape.rootLoops.size() == 7) {
    // (n, f, oh, ow, c, kh, kw): 8 (AVX2: 6) filters x 2 rows x one vector of
    // output columns accumulate while c, kh, kw step one at a time, each step
    // an outer product.
    // The accumulators, two input vectors and a broadcast must fit the
    // register file: 16 accumulators with 32 registers (AVX-512), 12 with 16.
    s.registerTile = {1, target.vectorRegisters >= 32 ? 8 : 4, 2, lanes, 1, 1, 1};
    // Measured by the tuner on ResNet-50's layers (docs/design/codegen.md):
    // - a 1x1 convolution as a GEMM wins only when a row is whole vectors;
    //   on 28/14/7-wide maps every row ends in a peeled remainder and the
    //   direct form is up to 3.5x faster;
    // - 1x1 convolutions over many input channels gain up to 1.5x from
    //   walking the channels in blocks of 64 (weights and input rows of one
    //   block stay in L1/L2 while every register tile passes over them).
    int64_t ow = shape.rootLoops[3], channels = shape.rootLoops[4];
    if (shape.conv1x1 && ow % lanes == 0)
      s.conv = ConvAlgorithm::Gemm;
    bool pointwise = shape.rootLoops[5] == 1 && shape.rootLoops[6] == 1; // strided too
    if (pointwise && channels >= 256 && channels % 64 == 0) {
      s.cacheTile.assign(7, 0);
      s.cacheTile[4] = 64;
    }
  } else if (shape.rootKind == "conv_nhwc" && shape.rootLoops.size() == 7) {
    // (n, oh, ow, f, kh, kw, c): the GEMM micro-kernel on a row of pixels. 8
    // (AVX2: 6) output columns x two vectors of filters accumulate while c, kh
    // and kw step one at a time; each step broadcasts one input value per
    // column and loads two contiguous vectors of the HWIO weight.
    // Columns balanced over the row: 7 columns are tiles of 4 and 3, not 6
    // and a 1-column remainder.
    int64_t cap = target.vectorRegisters >= 32 ? 8 : 6, ow = shape.rootLoops[2];
    int64_t columns = ceilDiv(ow, ceilDiv(ow, cap));
    s.registerTile = {1, 1, columns, 2 * lanes, 1, 1, 1};
    // Input channels in blocks whose [KH, KW, cb, 2 vectors] weight panel fits
    // three quarters of L1 (at most 64): every register tile of the workgroup
    // passes over one block before the next is read. On 3x3x512x512 at 7x7
    // (blocks of 32 on AVX2) this halves the time: without it the workgroup
    // streams its 295 KB weight slice from L2 once per register tile.
    int64_t channels = shape.rootLoops[6];
    int64_t panelBytesPerChannel = shape.rootLoops[4] * shape.rootLoops[5] * 2 * lanes * 4;
    int64_t cb = 1;
    while (cb < 64 && 2 * cb * panelBytesPerChannel <= target.l1Bytes * 3 / 4)
      cb *= 2;
    if (cb >= 8 && channels >= 2 * cb && channels % cb == 0) {
      s.cacheTile.assign(7, 0);
      s.cacheTile[6] = cb;
    }
  } else if ((shape.rootKind == "depthwise_nhwc" || shape.rootKind == "pool_nhwc") &&
             shape.rootLoops.size() == 6) {
    // (n, oh, ow, c, kh, kw): 4 output columns x two vectors of channels, one
    // window position per step; input, weight and output vectors are all
    // contiguous along the channels.
    s.registerTile = {1, 1, 4, 2 * lanes, 1, 1};
  } else if (shape.rootKind == "pool" && shape.rootLoops.size() == 6) {
    // (n, c, oh, ow, kh, kw): 4 channels x 2 rows x one vector of columns,
    // one window position per step (an elementwise max or add); every
    // accumulator needs its own input vector.
    s.registerTile = {1, 4, 2, lanes, 1, 1};
  } else if (shape.rootKind == "depthwise" && shape.rootLoops.size() == 6) {
    // linalg's depthwise loops are (n, oh, ow, c, kh, kw): 2 rows x one vector
    // of columns of one channel, one window position per step (the tuner
    // found one channel 1.5-3x faster than 4 on EfficientNet-B0's layers:
    // each channel has its own input plane, so channels share no loads).
    s.registerTile = {1, 2, lanes, 1, 1, 1};
  }
  return s;
}

std::string tilec::codegen::verifySchedule(const Schedule &s, const DispatchShape &shape,
                                           const Target &target) {
  const std::vector<int64_t> &dims = shape.resultShape;
  if (!s.workgroupTile.empty()) {
    if (s.workgroupTile.size() != dims.size())
      return "wg has " + std::to_string(s.workgroupTile.size()) + " sizes for a rank-" +
             std::to_string(dims.size()) + " result";
    for (size_t i = 0; i < dims.size(); ++i)
      if (s.workgroupTile[i] != 0 && dims[i] % s.workgroupTile[i] != 0)
        return "wg size " + std::to_string(s.workgroupTile[i]) + " does not divide result dim " +
               std::to_string(i) + " (" + std::to_string(dims[i]) + ")";
  }
  if (!s.registerTile.empty() && s.registerTile.size() != shape.rootLoops.size())
    return "reg has " + std::to_string(s.registerTile.size()) + " sizes for a root with " +
           std::to_string(shape.rootLoops.size()) + " loops";
  if (!llvm::isPowerOf2_64(s.vectorWidth) || s.vectorWidth > target.vectorLanesF32() * 4)
    return "vec=" + std::to_string(s.vectorWidth) + " is not a power of two up to " +
           std::to_string(target.vectorLanesF32() * 4);
  if (!s.registerTile.empty() && s.mmaShape.empty()) {
    int64_t accumulators = 1;
    for (size_t i = 0; i < s.registerTile.size(); ++i)
      if (!shape.rootReduction.empty() && !shape.rootReduction[i] && s.registerTile[i] > 0)
        accumulators *= s.registerTile[i];
    int64_t limit = target.vectorRegisters * target.vectorLanesF32();
    if (accumulators > limit)
      return "reg tile keeps " + std::to_string(accumulators) + " accumulators live; the target " +
             "has room for " + std::to_string(limit) + " f32 in registers";
  }
  if (!s.cacheTile.empty()) {
    if (s.cacheTile.size() != shape.rootLoops.size())
      return "cache has " + std::to_string(s.cacheTile.size()) + " sizes for a root with " +
             std::to_string(shape.rootLoops.size()) + " loops";
    for (size_t i = 0; i < s.cacheTile.size(); ++i) {
      if (s.cacheTile[i] == 0)
        continue;
      if (shape.rootReduction.size() != s.cacheTile.size() || !shape.rootReduction[i])
        return "cache size " + std::to_string(s.cacheTile[i]) + " on root loop " +
               std::to_string(i) + ", which is not a reduction (parallel loops are tiled by wg)";
      if (shape.rootLoops[i] % s.cacheTile[i] != 0)
        return "cache size " + std::to_string(s.cacheTile[i]) + " does not divide root loop " +
               std::to_string(i) + " (" + std::to_string(shape.rootLoops[i]) + ")";
    }
  }
  if (!s.loopOrder.empty()) {
    size_t r = shape.rootLoops.size();
    std::vector<bool> seen(r, false);
    bool reductionSeen = false;
    if (s.loopOrder.size() != r)
      return "order has " + std::to_string(s.loopOrder.size()) + " loops for a root with " +
             std::to_string(r);
    for (int64_t i : s.loopOrder) {
      if (i < 0 || i >= int64_t(r) || seen[i])
        return "order is not a permutation of the root's " + std::to_string(r) + " loops";
      seen[i] = true;
      bool reduction = shape.rootReduction.size() == r && shape.rootReduction[i];
      if (reductionSeen && !reduction)
        return "order puts parallel loop " + std::to_string(i) +
               " inside a reduction loop (the accumulators would leave the registers)";
      reductionSeen |= reduction;
    }
  }
  if (target.threaded()) {
    if (std::string why = verifyGpuTiles(s, shape, target); !why.empty())
      return why;
  } else if (s.stages != 1) {
    return "stages=" + std::to_string(s.stages) +
           " is a GPU knob (pipelined workgroup-memory staging); CPU kernels take 1";
  } else if (s.inFlight != 0) {
    return "inflight=" + std::to_string(s.inFlight) +
           " is a GPU knob (wgmma groups in flight across K blocks); CPU kernels take 0";
  } else if (s.tma) {
    return "tma=1 is a GPU knob (TMA loads of wgmma's staged tiles); CPU kernels take 0";
  } else if (s.blockGroup != 1) {
    return "group=" + std::to_string(s.blockGroup) +
           " is a GPU knob (the order thread blocks run in); CPU kernels take 1";
  }
  if (s.conv == ConvAlgorithm::Gemm && !shape.conv1x1)
    return "conv=gemm needs a 1x1, stride-1, unpadded convolution";
  if (s.panelCopy != PanelCopy::Auto &&
      (!takesPanelCopy(shape.rootKind) || s.registerTile.empty()))
    return "pack=on|off applies to register-tiled matmul and conv_nhwc roots, not a " +
           shape.rootKind + (s.registerTile.empty() ? " without a register tile" : "");
  return "";
}
