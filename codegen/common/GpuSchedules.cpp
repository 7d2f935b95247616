//===- GpuSchedules.cpp - GPU default schedules and their legality --------===//
//
// The GPU half of Schedule.cpp (see Schedule.h): default blocks, thread and
// warp tiles, and the checks of `reg`, `cache`, `mma` and `stages` on GPU
// targets (and simt).
//
//===----------------------------------------------------------------------===//

#include "codegen/common/ScheduleDetail.h"

#include <functional>

using namespace tilec::codegen;
using namespace tilec::codegen::detail;

bool tilec::codegen::detail::isGemmLike(const DispatchShape &shape) {
  size_t rank = shape.resultShape.size();
  if (shape.rootKind != "matmul" || rank < 2 || shape.rootLoops.size() != rank + 1 ||
      shape.rootReduction.size() != rank + 1 || !shape.rootReduction.back())
    return false;
  for (size_t i = 0; i < rank; ++i)
    if (shape.rootReduction[i] || shape.rootLoops[i] != shape.resultShape[i])
      return false;
  return true;
}

namespace {


/// Whether a root is a channels-last convolution (n, oh, ow, f, kh, kw, c)
/// whose loops start with the result dims.
bool isConvNhwc(const DispatchShape &shape) {
  if (shape.rootKind != "conv_nhwc" || shape.resultShape.size() != 4 ||
      shape.rootLoops.size() != 7)
    return false;
  for (size_t i = 0; i < 4; ++i)
    if (shape.rootLoops[i] != shape.resultShape[i])
      return false;
  return true;
}

/// Multiprocessors of a big GPU (an H100/H200 has 132): default grids below
/// that take smaller blocks.
constexpr int64_t kBigGpuMultiprocessors = kBusyGpuBlocks / 4;

/// The fewest threads a GEMM's or convolution's block is shrunk to: 2 warps
/// (a multiprocessor holds at most 32 blocks; a one-wavefront block on AMD
/// would also lose its barriers to LLVM).
int64_t leastBlockThreads(const Target &target) {
  return 2 * (target.simt ? 32 : target.warpSize());
}

/// The largest divisor of `size` below `tile`, a multiple of `multiple`
/// and at least `least`; 0 if none.
int64_t smallerDivisor(int64_t size, int64_t tile, int64_t least, int64_t multiple) {
  for (int64_t d = tile - 1; d >= least; --d)
    if (size % d == 0 && d % multiple == 0)
      return d;
  return 0;
}

/// Bytes of workgroup memory a staged GPU schedule needs: one block of each
/// operand per reduction step and, where an epilogue reads them, the block's
/// accumulators. Convolutions' input halos are bounded for strides up to 2.
int64_t stagedBytes(const DispatchShape &shape, const std::vector<int64_t> &block,
                    int64_t reductionBlock, int64_t operandBytes = 4, int64_t rowPad = 0,
                    int64_t stages = 1, bool warpTiles = false) {
  int64_t outputs = 1;
  for (int64_t b : block)
    outputs *= b;
  // Warp tiles' accumulators (mma.sync, MFMA) are stored with padded rows
  // (kAccumulatorRowPad); warpgroup tiles' are not.
  int64_t accumulators =
      !shape.epilogue ? 0
      : warpTiles     ? outputs / block.back() * (block.back() + kAccumulatorRowPad)
                      : outputs;
  if (isConvNhwc(shape)) {
    int64_t kh = shape.rootLoops[4], kw = shape.rootLoops[5];
    int64_t input = block[0] * ((block[1] - 1) * 2 + kh) * ((block[2] - 1) * 2 + kw);
    return 4 * (stages * (input * reductionBlock + kh * kw * reductionBlock * block[3]) +
                accumulators);
  }
  size_t rank = block.size();
  int64_t rows = outputs / block[rank - 1], cols = outputs / block[rank - 2];
  // Operand tiles with rows padded by rowPad elements (warp tiles; B either
  // [K, N] or [N, K]: the larger of the two bounds it).
  return stages * operandBytes *
             (rows * (reductionBlock + rowPad) +
              std::max(reductionBlock * (cols + rowPad), cols * (reductionBlock + rowPad))) +
         4 * accumulators;
}

/// GPU convolutions (channels last): blocks of up to 64 filters over about
/// 64 output pixels (whole rows where they fit), 4 filters x up to 4 output
/// columns per thread, input channels staged in workgroup memory in blocks
/// of up to 16 (fewer where the filter block would not fit); small grids
/// take smaller blocks (below).
std::optional<Schedule> defaultGpuConvSchedule(const DispatchShape &shape, const Target &target) {
  if (!isConvNhwc(shape))
    return std::nullopt;
  const std::vector<int64_t> &dims = shape.resultShape;
  Schedule s;
  s.vectorWidth = 1;
  int64_t ow = divisorAtMost(dims[2], 16);
  int64_t oh = divisorAtMost(dims[1], std::max<int64_t>(1, 64 / ow));
  int64_t f = divisorAtMost(dims[3], 64);
  int64_t tw = divisorAtMost(ow, 4), tf = divisorAtMost(f, 4);
  while (oh > 1 && (oh * ow / tw) * (f / tf) > 512)
    oh = divisorAtMost(dims[1], oh - 1);
  // Grids of fewer blocks than a big GPU's multiprocessors (batch 1 from
  // 14x14 on: ResNet-50's 14x14x1024 -> 256 layer was 28 blocks) take
  // smaller blocks of the same thread tiles, rows first, then filters (in
  // 4s, down to 16), while a block keeps 2 warps.
  int64_t least = leastBlockThreads(target);
  auto threads = [&](int64_t rows, int64_t filters) { return (rows * ow / tw) * (filters / tf); };
  auto blocks = [&] { return dims[0] * (dims[1] / oh) * (dims[2] / ow) * (dims[3] / f); };
  while (blocks() < kBigGpuMultiprocessors) {
    if (int64_t rows = smallerDivisor(dims[1], oh, 1, 1); rows > 0 && threads(rows, f) >= least) {
      oh = rows;
      continue;
    }
    int64_t filters = smallerDivisor(dims[3], f, 16, tf);
    if (filters == 0 || threads(oh, filters) < least)
      break;
    f = filters;
  }
  s.workgroupTile = {1, oh, ow, f};
  s.registerTile = {1, 1, tw, tf, 0, 0, 0};
  int64_t c = shape.rootLoops[6];
  for (int64_t cb = divisorAtMost(c, 16); cb >= 1; cb = divisorAtMost(c, cb - 1)) {
    if (stagedBytes(shape, s.workgroupTile, cb) <= target.sharedMemoryBytes) {
      s.cacheTile = {0, 0, 0, 0, 0, 0, cb};
      break;
    }
    if (cb == 1)
      break;
  }
  return s;
}

/// Bytes per staged operand element and the row padding (elements) of
/// tensor-core tiles: rows padded by 16 bytes.
int64_t mmaOperandBytes(const DispatchShape &shape) { return shape.operandBits == 16 ? 2 : 4; }
int64_t mmaRowPad(const DispatchShape &shape) { return 16 / mmaOperandBytes(shape); }

/// The largest of `options` (descending) that divides `n`, or 0.
int64_t firstDivisor(int64_t n, std::initializer_list<int64_t> options) {
  for (int64_t o : options)
    if (n % o == 0)
      return o;
  return 0;
}

/// Tensor-core GEMMs (16-bit operands, targets with a matrix instruction).
/// Large products (at least 128 blocks of 128x128, enough for every
/// multiprocessor of a big GPU) take CUTLASS's classic shape: 128x128 blocks
/// of four 64x64 warp tiles (128 accumulators per thread: 4x fewer operand
/// loads per multiply-add than 32x32), K blocks of 32, four in flight where
/// workgroup memory holds them (dynamic shared memory past 48 KB) and at
/// least three; large ones whose rows are 64s but not 128s the same warp
/// tiles in 64x256 blocks. Otherwise blocks of up to 64x64 split into warp tiles of up
/// to 32x32 (4 warps: 128 threads on CUDA with 32 f32 accumulators each, 256
/// on AMD with 16), K blocks of 32 (16 where 32 does not divide), three in
/// flight (two on AMD). Rows must be multiples of 16, columns of the
/// instruction's n (8 mma.sync, 16 MFMA) and K of 16 (tilec-pad-rows pads
/// rows). Never more stages than K blocks. Grids of at least kBusyGpuBlocks
/// blocks with more than 8 rows of them run 8 rows at a time (`group=8`,
/// Triton's GROUP_M): the blocks resident together share A's and B's panels
/// in the L2 cache.
std::optional<Schedule> defaultMmaSchedule(const DispatchShape &shape, const Target &target) {
  size_t rank = shape.resultShape.size();
  int64_t m = shape.resultShape[rank - 2], n = shape.resultShape[rank - 1];
  int64_t k = shape.rootLoops.back();
  std::vector<int64_t> native = mmaInstruction(shape, target);
  if (native.empty())
    return std::nullopt;
  int64_t bm = firstDivisor(m, {64, 32, 16});
  int64_t bn = native[1] == 16 ? firstDivisor(n, {64, 32, 16}) : firstDivisor(n, {64, 32, 16, 8});
  int64_t bk = native[2] == 8 ? firstDivisor(k, {32, 16, 8}) : firstDivisor(k, {32, 16});
  if (!bm || !bn || !bk)
    return std::nullopt;
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < rank; ++i)
    batch *= shape.resultShape[i];
  Schedule s;
  s.vectorWidth = 1;
  s.mmaShape = native;
  s.workgroupTile.assign(rank, 1);
  s.registerTile.assign(rank + 1, 1);
  s.cacheTile.assign(rank + 1, 0);
  s.registerTile[rank] = 0;
  auto grouped = [&](Schedule g) {
    int64_t rows = m / g.workgroupTile[rank - 2], cols = n / g.workgroupTile[rank - 1];
    if (batch * rows * cols >= kBusyGpuBlocks && rows > 8 && cols > 1)
      g.blockGroup = 8;
    return g;
  };
  auto stagesFitting = [&](int64_t most) {
    std::vector<int64_t> block(s.workgroupTile);
    int64_t stages = std::min(most, k / s.cacheTile[rank]);
    while (stages > 1 && stagedBytes(shape, block, s.cacheTile[rank], mmaOperandBytes(shape),
                                     mmaRowPad(shape), stages,
                                     /*warpTiles=*/true) > target.maxSharedMemoryBytes)
      --stages;
    return stages;
  };
  if (m % 128 == 0 && n % 128 == 0 && k % 32 == 0 && batch * (m / 128) * (n / 128) >= 128) {
    s.workgroupTile[rank - 2] = s.workgroupTile[rank - 1] = 128;
    s.registerTile[rank - 2] = s.registerTile[rank - 1] = 64;
    s.cacheTile[rank] = 32;
    s.stages = stagesFitting(4);
    if (s.stages >= std::min<int64_t>(3, k / 32))
      return grouped(s);
  }
  // Rows in 64s but not 128s (ViT-B/16's 64 x 197 tokens at batch 64): the
  // same 64x64 warp tiles side by side, blocks of 64x256.
  if (m % 64 == 0 && n % 256 == 0 && k % 32 == 0 && batch * (m / 64) * (n / 256) >= 128) {
    s.workgroupTile[rank - 2] = 64;
    s.workgroupTile[rank - 1] = 256;
    s.registerTile[rank - 2] = s.registerTile[rank - 1] = 64;
    s.cacheTile[rank] = 32;
    s.stages = stagesFitting(4);
    if (s.stages >= std::min<int64_t>(3, k / 32))
      return grouped(s);
  }
  s.workgroupTile[rank - 2] = bm;
  s.workgroupTile[rank - 1] = bn;
  s.registerTile[rank - 2] = std::min<int64_t>(bm, 32);
  s.registerTile[rank - 1] = std::min<int64_t>(bn, 32);
  s.cacheTile[rank] = bk;
  // A software pipeline of K blocks: three in flight with cp.async (CUDA,
  // and simt, which checks the same loop on the CPU), two on AMD (no
  // asynchronous copies: the second buffer saves a barrier per K step).
  s.stages = stagesFitting(target.kind == TargetKind::Rocm ? 2 : 3);
  return grouped(s);
}

/// GPU GEMMs: blocks of up to 64x64 outputs (one batch entry), 4x4 outputs
/// per thread (256 threads), and K staged through workgroup memory in blocks
/// of up to 16: per K block the block's threads copy a [64, 16] slice of A
/// and a [16, 64] slice of B into workgroup memory (vector loads along the
/// contiguous dim), then each thread multiplies its 4 rows by its 4 columns
/// out of workgroup memory into 16 accumulators in registers. Grids of fewer
/// blocks than a big GPU has multiprocessors (ViT-B/16's 208x768 products at
/// batch 1: 48 blocks of 52x64) take smaller blocks of the same thread tiles,
/// rows first (down to 16), then columns (down to 32), while blocks keep 2
/// warps: the same threads spread over more multiprocessors (16x64: 156
/// blocks).
std::optional<Schedule> defaultGpuGemmSchedule(const DispatchShape &shape, const Target &target) {
  if (!isGemmLike(shape))
    return std::nullopt;
  size_t rank = shape.resultShape.size();
  int64_t m = shape.resultShape[rank - 2], n = shape.resultShape[rank - 1];
  int64_t k = shape.rootLoops.back();
  if (std::optional<Schedule> mma = defaultMmaSchedule(shape, target))
    return mma;
  Schedule s;
  s.vectorWidth = 1;
  s.workgroupTile.assign(rank, 1);
  s.registerTile.assign(rank + 1, 1);
  int64_t bn = divisorAtMost(n, 64), bm = divisorAtMost(m, 64);
  int64_t tn = divisorAtMost(bn, 4), tm = divisorAtMost(bm, 4);
  // Awkward sizes (prime rows, 197 tokens) give thin tiles; keep the block
  // at most 256 threads by shrinking its rows.
  while ((bm / tm) * (bn / tn) > 256) {
    bm = divisorAtMost(m, bm - 1);
    tm = divisorAtMost(bm, 4);
  }
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < rank; ++i)
    batch *= shape.resultShape[i];
  auto blocks = [&] { return batch * (m / bm) * (n / bn); };
  int64_t least = leastBlockThreads(target);
  auto threads = [&](int64_t rows, int64_t cols) { return (rows / tm) * (cols / tn); };
  while (blocks() < kBigGpuMultiprocessors && tm == 4) {
    int64_t next = smallerDivisor(m, bm, 16, tm);
    if (next == 0 || threads(next, bn) < least)
      break;
    bm = next;
  }
  while (blocks() < kBigGpuMultiprocessors && tn == 4) {
    int64_t next = smallerDivisor(n, bn, 32, tn);
    if (next == 0 || threads(bm, next) < least)
      break;
    bn = next;
  }
  s.workgroupTile[rank - 2] = bm;
  s.workgroupTile[rank - 1] = bn;
  s.registerTile[rank - 2] = tm;
  s.registerTile[rank - 1] = tn;
  s.registerTile[rank] = 0;
  int64_t bk = divisorAtMost(k, 16);
  // Staged slices of A and B, and the block's accumulators when an epilogue
  // reads them (bounded above by keeping them always).
  if (stagedBytes(shape, s.workgroupTile, bk) <= target.sharedMemoryBytes) {
    s.cacheTile.assign(rank + 1, 0);
    s.cacheTile[rank] = bk;
  }
  return s;
}

std::string verifyWarpAttention(const Schedule &s, const DispatchShape &shape,
                                const Target &target);

/// 16-bit attention on tensor cores (WarpAttention.h) where mma.sync exists
/// (CUDA sm_80+, and simt): a warp per 16 query rows (tilec-pad-rows pads
/// them to 16s); a block takes as many of a head's rows as keep at least
/// kBigGpuMultiprocessors blocks (ViT-B/16: a head's 13 warps at batch 64,
/// one warp at batch 1, 156 blocks), and with several warps stages its key
/// blocks two ahead. The SIMT thread per row it replaces was 0.05x SDPA at
/// batch 64 on an H200 (run 2). Checked against the reference on the lane
/// emulator (conformance `emulated`, ViT-Ti/16 end to end); not yet timed
/// on a card.
std::optional<Schedule> defaultWarpAttentionSchedule(const DispatchShape &shape,
                                                     const Target &target) {
  const std::vector<int64_t> &dims = shape.resultShape;
  size_t rank = dims.size();
  if (shape.rootKind != "attention" || rank < 2 ||
      mmaInstruction(shape, target) != std::vector<int64_t>{16, 8, 16} ||
      dims[rank - 2] % 16 != 0 || dims[rank - 1] % 16 != 0)
    return std::nullopt;
  int64_t rows = dims[rank - 2];
  int64_t heads = product(std::vector<int64_t>(dims.begin(), dims.end() - 2));
  Schedule s;
  s.vectorWidth = 1;
  s.workgroupTile.assign(rank, 1);
  s.workgroupTile[rank - 1] = 0;
  s.mmaShape = {16, 8, 16};
  for (int64_t r = std::min<int64_t>(rows, 256) / 16 * 16; r >= 16; r -= 16) {
    if (rows % r != 0 || (r > 16 && heads * (rows / r) < kBigGpuMultiprocessors))
      continue;
    s.workgroupTile[rank - 2] = r;
    s.stages = r > 16 ? 2 : 1;
    if (verifyWarpAttention(s, shape, target).empty())
      return s;
  }
  return std::nullopt;
}

} // namespace

/// GPU: a block's tile holds at most 256 outputs, one per thread (one row per
/// thread for row-wise normalizations, whose innermost dimension stays whole);
/// tiles are taken from the innermost dimensions so that neighbouring threads
/// touch neighbouring addresses.
Schedule tilec::codegen::detail::defaultGpuSchedule(const DispatchShape &shape,
                                                     const Target &target) {
  Schedule s;
  s.vectorWidth = 1;
  const std::vector<int64_t> &dims = shape.resultShape;
  if (std::optional<Schedule> gemm = defaultGpuGemmSchedule(shape, target))
    return *gemm;
  if (std::optional<Schedule> conv = defaultGpuConvSchedule(shape, target))
    return *conv;
  if (std::optional<Schedule> attention = defaultWarpAttentionSchedule(shape, target))
    return *attention;
  std::vector<int64_t> tile(dims.size(), 1);
  bool keepInner = reducesInner(shape) && !dims.empty();
  // A reduction over outer dims (a global pool over H and W) whose
  // consumers broadcast it back (a squeeze-excite block): a block per image,
  // each whole (its ops thread loops in turn, GpuThreads), so that no block
  // recomputes another's pool.
  if (shape.firstBroadcastReduction >= 0) {
    for (size_t i = 0; i < dims.size(); ++i)
      tile[i] = int64_t(i) < shape.firstBroadcastReduction ? 1 : dims[i];
    s.workgroupTile = tile;
    return s;
  }
  // Channels-last depthwise convolutions and pools take 4 channels per
  // thread (GpuThreads): 1024 outputs keep 256 threads per block.
  bool channelVectors = (shape.rootKind == "depthwise_nhwc" || shape.rootKind == "pool_nhwc") &&
                        dims.size() == 4 && dims[3] % 4 == 0;
  int64_t threads = 1, budget = channelVectors ? 1024 : 256;
  // Row-wise normalizations (a thread per row, walking it): rows spread over
  // at least a block per multiprocessor where there are that many. ViT-B/16's
  // 197 rows in one block were 57 % of its kernel time at batch 1 on an H200
  // (one multiprocessor, each warp load touching 32 rows).
  // Rows of at least 128 (a multiple of 32) take a block each: GpuThreads
  // splits a lone row's reductions among 32 threads and its elementwise
  // steps among a thread per element, so the row is read coalesced (a
  // thread per row at batch 64, 64 rows per block, reads 32 rows 3 KB apart
  // per warp load).
  if (keepInner && shape.rootKind == "layer_norm" && dims.size() >= 2) {
    int64_t rows = product(std::vector<int64_t>(dims.begin(), dims.end() - 1));
    budget = std::min<int64_t>(budget, std::max<int64_t>(1, rows / (kBusyGpuBlocks / 4)));
    if (dims.back() >= 128 && dims.back() % 32 == 0)
      budget = 1;
  }
  // Reductions over outer dims (pools, reduce ops: an output per thread, each
  // walking its reduction) with fewer blocks than a big GPU's
  // multiprocessors take smaller blocks, down to a warp (no barriers): a
  // squeeze-excite pool's row means at batch 1 (tilec-split-pools: 112 x 32
  // outputs of 112 values each) were 14 blocks of 256 threads, now 112 of 32.
  if (shape.rootKind == "reduce" && !keepInner) {
    int64_t outputs = product(dims);
    while (budget > 32 && outputs / budget < kBigGpuMultiprocessors)
      budget /= 2;
  }
  // Elementwise and data-movement kernels: 16 bytes of the innermost dim per
  // thread (`vec`, GpuThreads), blocks of as many threads as before.
  int64_t vec = 1;
  if (shape.rootKind == "elementwise" && shape.innerContiguous && !keepInner && !dims.empty()) {
    vec = std::max<int64_t>(1, 128 / std::max<int64_t>(8, shape.resultBits));
    while (vec > 1 && dims.back() % vec != 0)
      vec /= 2;
    budget *= vec;
  }
  for (int64_t i = int64_t(dims.size()) - 1; i >= 0; --i) {
    if (keepInner && i == int64_t(dims.size()) - 1) {
      tile[i] = dims[i];
      continue;
    }
    tile[i] = divisorAtMost(dims[i], std::max<int64_t>(1, budget / threads));
    threads *= tile[i];
  }
  if (vec > 1 && tile.back() % vec == 0)
    s.vectorWidth = vec;
  // Attention (a thread per query row, each over every key): blocks of 16
  // rows where they divide (tilec-pad-rows pads the queries so on GPU
  // targets, f32 ones too), so that a head's rows spread over many
  // multiprocessors instead of one.
  if (shape.rootKind == "attention" && dims.size() >= 2 && dims[dims.size() - 2] % 16 == 0 &&
      dims[dims.size() - 2] > 16) {
    size_t rows = dims.size() - 2;
    tile[rows] = 16;
    int64_t blocks = dims[rows] / 16;
    for (size_t i = 0; i < rows; ++i) {
      tile[i] = 1;
      blocks *= dims[i];
    }
    // Sixteen rows are half a warp (a thread per query row): where blocks are
    // plentiful (a ViT's heads at batch 64: 768 x 13), a block takes the rows
    // of up to 4 heads, as long as 528 blocks remain (4 per multiprocessor
    // of a 132-multiprocessor GPU).
    if (rows >= 1)
      for (int64_t heads : {4, 2})
        if (dims[rows - 1] % heads == 0 && blocks / heads >= kBusyGpuBlocks) {
          tile[rows - 1] = heads;
          break;
        }
  }
  s.workgroupTile = tile;
  return s;
}

namespace {


/// The block's size per result dim (`wg`, 0 = whole) into `block`, and the
/// number of `reg` tiles (threads or warps) it holds into `tiles`; the reason
/// when a `reg` size does not divide its block dim. `unit` (optional) is the
/// size every tile of a dim must be a multiple of (tensor-core tiles).
std::string splitBlock(const Schedule &s, const DispatchShape &shape, std::vector<int64_t> &block,
                       int64_t &tiles,
                       const std::function<std::string(size_t, int64_t)> &unit = nullptr) {
  size_t rank = shape.resultShape.size();
  block.assign(rank, 0);
  tiles = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t dim = shape.resultShape[i];
    block[i] = s.workgroupTile.empty() || s.workgroupTile[i] == 0 ? dim : s.workgroupTile[i];
    int64_t t = s.registerTile[i] == 0 ? block[i] : s.registerTile[i];
    if (block[i] % t != 0)
      return "reg size " + std::to_string(t) + " does not divide the block's dim " +
             std::to_string(i) + " (" + std::to_string(block[i]) + ")";
    if (unit)
      if (std::string why = unit(i, t); !why.empty())
        return why;
    tiles *= block[i] / t;
  }
  return "";
}

/// Warpgroup schedules (`mma=64xNx16`, wgmma on sm_90): `reg` is each
/// warpgroup's tile, 64 rows by the instruction's N (a multiple of 64 up to
/// 256: B's 64-column panels), spanning the block's columns (the block's
/// warpgroups are stacked along M, so that four consecutive warps own a
/// warpgroup's four 16-row strips); `cache` the K block of 64 (one 128-byte
/// swizzled row of bf16/f16 per operand row). Workgroup memory has no row
/// padding (the swizzle spreads the banks).
std::string verifyWarpgroupTiles(const Schedule &s, const DispatchShape &shape, const Target &target) {
  std::string mma = "mma=" + joinSizes(s.mmaShape);
  if (!target.warpgroupMma())
    return mma + " is wgmma (warpgroup MMA), which only CUDA sm_90 has (this target is " +
           target.str() + "); use mma=" + joinSizes(target.matrixInstruction());
  if (shape.operandBits != 16)
    return mma + " needs bf16 or f16 operands (compile with --precision bf16 or fp16)";
  int64_t n = s.mmaShape[1];
  if (n % 64 != 0 || n > 256)
    return mma + ": N must be 64, 128, 192 or 256 (whole 64-column panels of B)";
  if (!isGemmLike(shape))
    return "mma applies to matmul roots, not a " + shape.rootKind;
  size_t rank = shape.resultShape.size();
  if (s.registerTile.size() != rank + 1 || s.cacheTile.size() != rank + 1)
    return mma + " needs reg (each warpgroup's tile) and cache (the K block), " +
           std::to_string(rank + 1) + " sizes each";
  std::vector<int64_t> block;
  int64_t groups = 1;
  if (std::string why = splitBlock(s, shape, block, groups); !why.empty())
    return why;
  for (size_t i = 0; i + 2 < rank; ++i)
    if (s.registerTile[i] != 1 && block[i] != 1)
      return mma + ": the warpgroup tile's batch dims must be 1";
  if (s.registerTile[rank - 2] != 64 || s.registerTile[rank - 1] != n)
    return mma + " needs reg=" + std::string(rank > 2 ? "1x" : "") + "64x" + std::to_string(n) +
           "x0 (each warpgroup's tile is one instruction's 64 rows by its " + std::to_string(n) +
           " columns)";
  if (block[rank - 1] != n)
    return mma + " needs the block's columns (" + std::to_string(block[rank - 1]) +
           ") to be the instruction's " + std::to_string(n) +
           " (warpgroups are stacked along the rows)";
  if (groups > 4)
    return "the block has " + std::to_string(groups) + " warpgroups; at most 4 (512 threads)";
  int64_t k = shape.rootLoops[rank];
  if (s.cacheTile[rank] != 64 || k % 64 != 0)
    return mma + " needs cache=...x64 (K blocks of 64: 128-byte swizzled rows) and K (" +
           std::to_string(k) + ") a multiple of 64";
  if (s.inFlight > 1)
    return "inflight=" + std::to_string(s.inFlight) +
           ": at most one K block's wgmma group stays in flight (inflight=0 or 1)";
  if (s.inFlight > 0 && s.stages < s.inFlight + 2)
    return "inflight=" + std::to_string(s.inFlight) + " needs stages >= " +
           std::to_string(s.inFlight + 2) + " (the in-flight block's buffer, the computed " +
           "one, and at least one being copied); stages=" + std::to_string(s.stages);
  int64_t bytes = stagedBytes(shape, block, 64, 2, 0, s.stages);
  if (bytes > target.maxSharedMemoryBytes)
    return "the staged K block" + std::string(s.stages > 1 ? "s (" + std::to_string(s.stages) + " stages)" : "") +
           (shape.epilogue ? " and accumulators need " : " need ") + std::to_string(bytes) +
           " bytes of workgroup memory; the target has " + std::to_string(target.maxSharedMemoryBytes);
  return "";
}

/// Tensor-core attention (WarpAttention.h): `wg` a head's query rows, 16 per
/// warp; mma.sync on CUDA sm_80+ (and simt).
std::string verifyWarpAttention(const Schedule &s, const DispatchShape &shape,
                                const Target &target) {
  if (shape.operandBits != 16)
    return "mma on attention needs bf16 or f16 operands (compile with --precision bf16 or fp16)";
  if (s.mmaShape != std::vector<int64_t>{16, 8, 16} ||
      mmaInstruction(shape, target) != std::vector<int64_t>{16, 8, 16})
    return "tensor-core attention is mma=16x8x16 (mma.sync, CUDA sm_80 or later, or simt); " +
           target.str() + " runs attention on the SIMT path (omit mma)";
  if (!s.registerTile.empty() || !s.cacheTile.empty())
    return "tensor-core attention takes wg, mma and stages only (a warp per 16 query rows, "
           "blocks of " + std::to_string(kWarpAttentionKeyBlock) + " keys); drop reg and cache";
  if (s.stages > 4)
    return "tensor-core attention pipelines at most 4 key blocks (stages=" +
           std::to_string(s.stages) + ")";
  const std::vector<int64_t> &dims = shape.resultShape;
  size_t rank = dims.size();
  if (rank < 2 || s.workgroupTile.size() != rank)
    return "tensor-core attention needs wg: 1 for each leading dim, then the block's query rows";
  for (size_t i = 0; i + 2 < rank; ++i)
    if (s.workgroupTile[i] != 1 && !(s.workgroupTile[i] == 0 && dims[i] == 1))
      return "tensor-core attention takes one head per block: wg's leading sizes must be 1";
  int64_t rows = s.workgroupTile[rank - 2], cols = dims[rank - 1];
  if (rows <= 0 || rows % 16 != 0 || rows > 16 * 16)
    return "tensor-core attention's block rows (wg size " + std::to_string(rows) +
           ") must be a multiple of 16 (a warp's rows), at most 256; the queries are " +
           std::to_string(dims[rank - 2]) +
           (dims[rank - 2] % 16 ? " (16-bit attention pads them to 16s: tilec-pad-rows)" : "");
  if (s.workgroupTile[rank - 1] != 0 && s.workgroupTile[rank - 1] != cols)
    return "tensor-core attention keeps the value columns whole: wg's last size must be 0 or " +
           std::to_string(cols);
  if (cols % 16 != 0)
    return "tensor-core attention needs value columns in 16s (they are " + std::to_string(cols) +
           ")";
  // Staged queries, keys and values (rows padded by 16 bytes; the head's
  // depth taken as the value columns), the warps' states.
  int64_t padded = cols + 8;
  int64_t bytes = (rows + 2 * (s.stages + 1) * kWarpAttentionKeyBlock) * padded * 2 +
                  rows * (cols + 2) * 4;
  if (bytes > target.maxSharedMemoryBytes)
    return "tensor-core attention with " + std::to_string(rows) + " rows per block needs " +
           std::to_string(bytes) + " bytes of workgroup memory; the target has " +
           std::to_string(target.maxSharedMemoryBytes) + " (give fewer rows)";
  return "";
}

/// Tensor-core schedules (`mma`): `reg` is each warp's tile, `cache` the K
/// block; GEMM-like roots with 16-bit operands on targets with tensor cores.
std::string verifyWarpTiles(const Schedule &s, const DispatchShape &shape, const Target &target) {
  if (shape.rootKind == "attention")
    return verifyWarpAttention(s, shape, target);
  if (target.matrixInstruction().empty())
    return "mma needs tensor cores: CUDA sm_80 or later, or AMD CDNA (gfx90a, gfx940-942) "
           "(this target is " + target.str() + ")";
  if (shape.operandBits == 19 && target.tf32Instruction().empty())
    return "mma on f32 operands rounds them to TF32, which only CUDA sm_80 or later has "
           "(this target is " + target.str() + ")";
  if (shape.operandBits != 16 && shape.operandBits != 19)
    return "mma needs bf16 or f16 operands, or f32 ones allowed TF32 (compile with --precision "
           "bf16, fp16 or tf32)";
  std::vector<int64_t> native = mmaInstruction(shape, target);
  if (isWarpgroupMma(s.mmaShape))
    return verifyWarpgroupTiles(s, shape, target);
  // The simt target checks either vendor's tiling.
  bool simtShape = target.simt && s.mmaShape == std::vector<int64_t>{16, 16, 16};
  if (s.mmaShape != native && !(simtShape && shape.operandBits == 16))
    return "mma=" + joinSizes(s.mmaShape) + " is not " + target.str() + "'s matrix instruction" +
           (shape.operandBits == 19 ? " for TF32" : "") + "; use mma=" + joinSizes(native) +
           (native[2] == 8    ? " (mma.sync.m16n8k8.tf32)"
            : native[1] == 8 ? " (mma.sync.m16n8k16)"
                             : " (MFMA 16x16x16, 64-lane wavefronts)");
  if (!isGemmLike(shape))
    return "mma applies to matmul roots, not a " + shape.rootKind;
  size_t rank = shape.resultShape.size();
  if (s.registerTile.size() != rank + 1 || s.cacheTile.size() != rank + 1)
    return "mma needs reg (each warp's tile) and cache (the K block), " +
           std::to_string(rank + 1) + " sizes each";
  std::vector<int64_t> block;
  int64_t warps = 1;
  std::string why = splitBlock(s, shape, block, warps, [&](size_t i, int64_t t) -> std::string {
    int64_t unit = i + 2 == rank ? s.mmaShape[0] : i + 1 == rank ? s.mmaShape[1] : 1;
    if (t % unit == 0)
      return "";
    return "the warp tile's " +
           std::string(i + 2 == rank ? "rows" : i + 1 == rank ? "columns" : "batch") + " (" +
           std::to_string(t) + ") must be a multiple of " + std::to_string(unit) +
           " with mma=" + joinSizes(s.mmaShape);
  });
  if (!why.empty())
    return why;
  if (s.registerTile[rank] > 1)
    return "reg splits the K loop; give 0 (cache blocks it)";
  int64_t lanes = target.simt ? 32 : target.warpSize();
  int64_t perThread = (s.registerTile[rank - 2] ? s.registerTile[rank - 2] : block[rank - 2]) *
                      (s.registerTile[rank - 1] ? s.registerTile[rank - 1] : block[rank - 1]) / lanes;
  if (perThread > 128)
    return "the warp tile keeps " + std::to_string(perThread) +
           " accumulators per thread; at most 128 fit the registers";
  if (warps * lanes > 1024)
    return "the warp tiles make " + std::to_string(warps * lanes) + " threads per block; at most 1024";
  int64_t k = shape.rootLoops[rank];
  int64_t bk = s.cacheTile[rank] == 0 ? k : s.cacheTile[rank];
  if (bk % s.mmaShape[2] != 0)
    return "the K block (" + std::to_string(bk) + ") must be a multiple of " +
           std::to_string(s.mmaShape[2]) + " with mma=" + joinSizes(s.mmaShape);
  int64_t bytes = stagedBytes(shape, block, bk, mmaOperandBytes(shape), mmaRowPad(shape),
                              s.stages, /*warpTiles=*/true);
  if (bytes > target.maxSharedMemoryBytes)
    return "the staged K block" + std::string(s.stages > 1 ? "s (" + std::to_string(s.stages) + " stages)" : "") +
           (shape.epilogue ? " and accumulators need " : " need ") + std::to_string(bytes) +
           " bytes of workgroup memory; the target has " + std::to_string(target.maxSharedMemoryBytes);
  return "";
}

} // namespace

/// GPU targets: `reg` is the thread tile and `cache` the K block staged in
/// workgroup memory, both for GEMM-like roots only.
std::string tilec::codegen::detail::verifyGpuTiles(const Schedule &s, const DispatchShape &shape,
                                                  const Target &target) {
  if (s.panelCopy != PanelCopy::Auto)
    return "pack=on|off is a CPU knob (GPU kernels stage operands when cache is set)";
  if (s.stages < 1 || s.stages > 8)
    return "stages=" + std::to_string(s.stages) + " is not between 1 and 8";
  if (s.blockGroup < 1 || s.blockGroup > 64)
    return "group=" + std::to_string(s.blockGroup) + " is not between 1 and 64";
  // (Tensor-core attention pipelines its key blocks: verifyWarpAttention.)
  bool keyBlocks = isWarpAttentionSchedule(s, shape.rootKind);
  if (s.stages > 1 && !keyBlocks && (s.cacheTile.empty() || s.registerTile.empty()))
    return "stages=" + std::to_string(s.stages) +
           " pipelines staged reduction blocks; it needs reg and cache";
  if (s.stages > 1 && !keyBlocks && !shape.rootLoops.empty()) {
    size_t last = shape.rootLoops.size() - 1;
    int64_t k = shape.rootLoops[last];
    int64_t bk = last < s.cacheTile.size() && s.cacheTile[last] > 0 ? s.cacheTile[last] : k;
    if (k / bk < 2)
      return "stages=" + std::to_string(s.stages) + " pipelines reduction blocks, but cache " +
             "leaves the reduction (" + std::to_string(k) +
             ") one block; give a smaller cache size or stages=1";
  }
  if (s.inFlight != 0 && !isWarpgroupMma(s.mmaShape))
    return "inflight=" + std::to_string(s.inFlight) +
           " keeps wgmma groups in flight; it needs warpgroup tiles (mma=64xNx16)";
  if (s.tma && !isWarpgroupMma(s.mmaShape))
    return "tma=1 loads wgmma's staged tiles with the Tensor Memory Accelerator; it needs "
           "warpgroup tiles (mma=64xNx16)";
  if (!s.mmaShape.empty())
    return verifyWarpTiles(s, shape, target);
  if (s.registerTile.empty() && s.cacheTile.empty())
    return "";
  if (!isGemmLike(shape) && !isConvNhwc(shape))
    return "reg and cache on a GPU target (thread tile, reduction block in workgroup memory) "
           "apply to matmul and conv_nhwc roots, not a " + shape.rootKind;
  if (s.registerTile.empty())
    return "cache on a GPU target needs reg (the thread tile it is staged for)";
  size_t rank = shape.resultShape.size();
  std::vector<int64_t> block;
  int64_t threads = 1;
  if (std::string why = splitBlock(s, shape, block, threads); !why.empty())
    return why;
  for (size_t i = rank; i < s.registerTile.size(); ++i)
    if (s.registerTile[i] > 1)
      return "reg splits reduction loop " + std::to_string(i) +
             " on a GPU target; give 0 or 1 for reductions (cache blocks them)";
  if (threads > 1024)
    return "the thread tile makes " + std::to_string(threads) + " threads per block; at most 1024";
  if (!s.cacheTile.empty()) {
    size_t last = shape.rootLoops.size() - 1;
    int64_t bk = s.cacheTile[last] == 0 ? shape.rootLoops[last] : s.cacheTile[last];
    int64_t bytes = stagedBytes(shape, block, bk, 4, 0, s.stages);
    if (bytes > target.maxSharedMemoryBytes)
      return "the staged K block" +
             std::string(s.stages > 1 ? "s (" + std::to_string(s.stages) + " stages)" : "") +
             (shape.epilogue ? " and accumulators need " : " need ") + std::to_string(bytes) +
             " bytes of workgroup memory; the target has " +
             std::to_string(target.maxSharedMemoryBytes);
  }
  return "";
}

