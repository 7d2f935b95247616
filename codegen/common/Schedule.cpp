//===- Schedule.cpp - text form, heuristic defaults and legality ----------===//

#include "codegen/common/Schedule.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <numeric>

using namespace tilec::codegen;

namespace {

std::string joinSizes(const std::vector<int64_t> &sizes) {
  std::string s;
  for (int64_t v : sizes)
    s += (s.empty() ? "" : "x") + std::to_string(v);
  return s.empty() ? "-" : s;
}

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

/// The largest divisor of `n` that is at most `cap` (at least 1).
int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t divisorAtMost(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, std::max<int64_t>(cap, 1)); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

int64_t product(const std::vector<int64_t> &v) {
  return std::accumulate(v.begin(), v.end(), int64_t(1), std::multiplies<>());
}

} // namespace

bool tilec::codegen::reducesInner(const DispatchShape &shape) {
  if (shape.rootKind == "reduce")
    return shape.rootReduction.empty() || shape.rootReduction.back();
  return shape.rootKind == "softmax" || shape.rootKind == "layer_norm" ||
         shape.rootKind == "attention";
}

namespace {

/// Whether a root is a contraction whose loops are the result dims followed
/// by one reduction (every "matmul" root: GEMMs, batched and linear layers).
bool isGemmLike(const DispatchShape &shape) {
  size_t rank = shape.resultShape.size();
  if (shape.rootKind != "matmul" || rank < 2 || shape.rootLoops.size() != rank + 1 ||
      shape.rootReduction.size() != rank + 1 || !shape.rootReduction.back())
    return false;
  for (size_t i = 0; i < rank; ++i)
    if (shape.rootReduction[i] || shape.rootLoops[i] != shape.resultShape[i])
      return false;
  return true;
}

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

/// Bytes of workgroup memory a staged GPU schedule needs: one block of each
/// operand per reduction step and the block's accumulators. Convolutions'
/// input halos are bounded for strides up to 2.
int64_t stagedBytes(const DispatchShape &shape, const std::vector<int64_t> &block,
                    int64_t reductionBlock, int64_t operandBytes = 4, int64_t rowPad = 0,
                    int64_t stages = 1) {
  int64_t outputs = 1;
  for (int64_t b : block)
    outputs *= b;
  if (isConvNhwc(shape)) {
    int64_t kh = shape.rootLoops[4], kw = shape.rootLoops[5];
    int64_t input = block[0] * ((block[1] - 1) * 2 + kh) * ((block[2] - 1) * 2 + kw);
    return 4 * (stages * (input * reductionBlock + kh * kw * reductionBlock * block[3]) + outputs);
  }
  size_t rank = block.size();
  int64_t rows = outputs / block[rank - 1], cols = outputs / block[rank - 2];
  // Operand tiles with rows padded by rowPad elements (warp tiles; B either
  // [K, N] or [N, K]: the larger of the two bounds it).
  return stages * operandBytes *
             (rows * (reductionBlock + rowPad) +
              std::max(reductionBlock * (cols + rowPad), cols * (reductionBlock + rowPad))) +
         4 * outputs;
}

/// GPU convolutions (channels last): blocks of up to 64 filters over about
/// 64 output pixels (whole rows where they fit), 4 filters x up to 4 output
/// columns per thread, input channels staged in workgroup memory in blocks
/// of up to 16 (fewer where the filter block would not fit).
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
/// least three. Otherwise blocks of up to 64x64 split into warp tiles of up
/// to 32x32 (4 warps: 128 threads on CUDA with 32 f32 accumulators each, 256
/// on AMD with 16), K blocks of 32 (16 where 32 does not divide), three in
/// flight (two on AMD). Rows must be multiples of 16, columns of the
/// instruction's n (8 mma.sync, 16 MFMA) and K of 16 (tilec-pad-rows pads
/// rows). Never more stages than K blocks.
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
  auto stagesFitting = [&](int64_t most) {
    std::vector<int64_t> block(s.workgroupTile);
    int64_t stages = std::min(most, k / s.cacheTile[rank]);
    while (stages > 1 && stagedBytes(shape, block, s.cacheTile[rank], mmaOperandBytes(shape),
                                     mmaRowPad(shape), stages) > target.maxSharedMemoryBytes)
      --stages;
    return stages;
  };
  if (m % 128 == 0 && n % 128 == 0 && k % 32 == 0 && batch * (m / 128) * (n / 128) >= 128) {
    s.workgroupTile[rank - 2] = s.workgroupTile[rank - 1] = 128;
    s.registerTile[rank - 2] = s.registerTile[rank - 1] = 64;
    s.cacheTile[rank] = 32;
    s.stages = stagesFitting(4);
    if (s.stages >= std::min<int64_t>(3, k / 32))
      return s;
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
  return s;
}

/// GPU GEMMs: blocks of up to 64x64 outputs (one batch entry), 4x4 outputs
/// per thread (256 threads), and K staged through workgroup memory in blocks
/// of up to 16: per K block the block's threads copy a [64, 16] slice of A
/// and a [16, 64] slice of B into workgroup memory (vector loads along the
/// contiguous dim), then each thread multiplies its 4 rows by its 4 columns
/// out of workgroup memory into 16 accumulators in registers.
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

/// GPU: a block's tile holds at most 256 outputs, one per thread (one row per
/// thread for row-wise normalizations, whose innermost dimension stays whole);
/// tiles are taken from the innermost dimensions so that neighbouring threads
/// touch neighbouring addresses.
Schedule defaultGpuSchedule(const DispatchShape &shape, const Target &target) {
  Schedule s;
  s.vectorWidth = 1;
  const std::vector<int64_t> &dims = shape.resultShape;
  if (std::optional<Schedule> gemm = defaultGpuGemmSchedule(shape, target))
    return *gemm;
  if (std::optional<Schedule> conv = defaultGpuConvSchedule(shape, target))
    return *conv;
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
  for (int64_t i = int64_t(dims.size()) - 1; i >= 0; --i) {
    if (keepInner && i == int64_t(dims.size()) - 1) {
      tile[i] = dims[i];
      continue;
    }
    tile[i] = divisorAtMost(dims[i], std::max<int64_t>(1, budget / threads));
    threads *= tile[i];
  }
  // Attention (a thread per query row, each over every key): blocks of 16
  // rows where they divide (tilec-pad-rows pads 16-bit queries so), so that
  // a head's rows spread over many multiprocessors instead of one.
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
  int64_t bytes = stagedBytes(shape, block, 64, 2, 0, s.stages);
  if (bytes > target.maxSharedMemoryBytes)
    return "the staged K block" + std::string(s.stages > 1 ? "s (" + std::to_string(s.stages) + " stages)" : "") +
           " and accumulators need " + std::to_string(bytes) +
           " bytes of workgroup memory; the target has " + std::to_string(target.maxSharedMemoryBytes);
  return "";
}

/// Tensor-core schedules (`mma`): `reg` is each warp's tile, `cache` the K
/// block; GEMM-like roots with 16-bit operands on targets with tensor cores.
std::string verifyWarpTiles(const Schedule &s, const DispatchShape &shape, const Target &target) {
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
  int64_t bytes =
      stagedBytes(shape, block, bk, mmaOperandBytes(shape), mmaRowPad(shape), s.stages);
  if (bytes > target.maxSharedMemoryBytes)
    return "the staged K block" + std::string(s.stages > 1 ? "s (" + std::to_string(s.stages) + " stages)" : "") +
           " and accumulators need " + std::to_string(bytes) +
           " bytes of workgroup memory; the target has " + std::to_string(target.maxSharedMemoryBytes);
  return "";
}

/// GPU targets: `reg` is the thread tile and `cache` the K block staged in
/// workgroup memory, both for GEMM-like roots only.
std::string verifyGpuTiles(const Schedule &s, const DispatchShape &shape, const Target &target) {
  if (s.panelCopy != PanelCopy::Auto)
    return "pack=on|off is a CPU knob (GPU kernels stage operands when cache is set)";
  if (s.stages < 1 || s.stages > 8)
    return "stages=" + std::to_string(s.stages) + " is not between 1 and 8";
  if (s.stages > 1 && (s.cacheTile.empty() || s.registerTile.empty()))
    return "stages=" + std::to_string(s.stages) +
           " pipelines staged reduction blocks; it needs reg and cache";
  if (s.stages > 1 && !shape.rootLoops.empty()) {
    size_t last = shape.rootLoops.size() - 1;
    int64_t k = shape.rootLoops[last];
    int64_t bk = last < s.cacheTile.size() && s.cacheTile[last] > 0 ? s.cacheTile[last] : k;
    if (k / bk < 2)
      return "stages=" + std::to_string(s.stages) + " pipelines reduction blocks, but cache " +
             "leaves the reduction (" + std::to_string(k) +
             ") one block; give a smaller cache size or stages=1";
  }
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
             " and accumulators need " + std::to_string(bytes) +
             " bytes of workgroup memory; the target has " +
             std::to_string(target.maxSharedMemoryBytes);
  }
  return "";
}

} // namespace

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
    else if (key == "conv" && (value == "direct" || value == "gemm"))
      s.conv = value == "gemm" ? ConvAlgorithm::Gemm : ConvAlgorithm::Direct;
    else if (key == "pack" && (value == "auto" || value == "on" || value == "off"))
      s.panelCopy = value == "on" ? PanelCopy::On : value == "off" ? PanelCopy::Off : PanelCopy::Auto;
    else
      ok = false;
    if (!ok) {
      error = "bad schedule field '" + field.str() +
              "'; expected wg=AxB.. reg=AxB.. vec=N conv=direct|gemm [cache=AxB..] [order=AxB..] "
              "[pack=auto|on|off] [mma=16x8x16] [stages=N]";
      return std::nullopt;
    }
  }
  return s;
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
  }
  if (s.conv == ConvAlgorithm::Gemm && !shape.conv1x1)
    return "conv=gemm needs a 1x1, stride-1, unpadded convolution";
  if (s.panelCopy != PanelCopy::Auto &&
      (!takesPanelCopy(shape.rootKind) || s.registerTile.empty()))
    return "pack=on|off applies to register-tiled matmul and conv_nhwc roots, not a " +
           shape.rootKind + (s.registerTile.empty() ? " without a register tile" : "");
  return "";
}
