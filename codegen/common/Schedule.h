//===- Schedule.h - the knobs of one dispatch's kernel --------------------===//
//
// A schedule says how one dispatch becomes a kernel: how its result is split
// into workgroups, how the root op is tiled for registers (CPU) or threads
// (GPU), the vector width, and the convolution algorithm. It is a plain struct
// with the same field names in the tuning database, the search space, the
// codegen input and benchmark output; `str()`/`parseSchedule()` are its one text
// form, for example
//
//   wg=1x16x8x56 reg=8x16x4 vec=16 conv=direct
//   wg=16x256 reg=6x16x1 vec=8 conv=direct cache=0x0x256   (with K blocking)
//   wg=16x256 reg=6x16x1 vec=8 conv=direct order=0x1x2     (row blocks outermost)
//
// `defaultSchedule` picks one from the target's cache and register budgets, so
// compiling never needs tuning. `verifySchedule` rejects illegal ones with a
// reason before any code is generated.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMMON_SCHEDULE_H
#define TILEC_CODEGEN_COMMON_SCHEDULE_H

#include "codegen/common/Target.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tilec::codegen {

/// What a schedule means to this code generator. Tuning records carry it and are
/// only used by a code generator of the same version: bump it whenever the same
/// schedule text would produce a different kernel (a new loop order, a
/// different meaning of a tile size).
inline constexpr const char *kCodegenVersion = "cg1";

/// Blocks that keep a large GPU busy (4 per multiprocessor of a
/// 132-multiprocessor H100): attention blocks take several heads only while
/// this many remain, and split their rows' keys among threads below it.
inline constexpr int64_t kBusyGpuBlocks = 528;

/// How a convolution root is computed. `direct` keeps the convolution's window
/// loops; `gemm` computes a 1x1, stride-1, unpadded convolution as a matrix
/// product (the same loops a GEMM dispatch gets).
enum class ConvAlgorithm { Direct, Gemm };

enum class PanelCopy { Auto, Off, On };

struct Schedule {
  /// Workgroup tile per dimension of the dispatch result (0 = the whole
  /// dimension). The grid is the number of tiles; each is one workgroup.
  std::vector<int64_t> workgroupTile;
  /// Register tile of the root op's loops for CPU vectorization, in the root's
  /// loop order (for a matmul: m, n, k; for a convolution: n, f, oh, ow, c, kh,
  /// kw). Empty: the root is not vectorized explicitly (LLVM's loop vectorizer
  /// still runs). GPU targets: each thread's tile of the block's outputs
  /// (matmul and conv_nhwc roots; reductions 0 or 1); empty: one thread per
  /// output.
  std::vector<int64_t> registerTile;
  /// Cache tile of the root's reduction loops, in the root's loop order (0 or
  /// absent: the whole loop): the reduction is walked block by block,
  /// outermost, so that one block of each operand stays in cache while every
  /// register tile of the workgroup passes over it (a GEMM's K blocking, a
  /// convolution's input-channel blocking). Must divide the loop. Empty: none.
  /// GPU targets (with `reg`): the reduction block whose operand slices the
  /// block's threads stage in workgroup memory.
  std::vector<int64_t> cacheTile;
  /// Order of the register-tile loops, outermost first, as root loop indices
  /// (a permutation; reduction loops after every parallel one, so that the
  /// accumulators stay in registers across them). Empty: the code generator's
  /// order (contractions: column panels outermost; windowed ops: the op's own).
  std::vector<int64_t> loopOrder;
  /// Column panels of a GEMM's B operand (or a channels-last convolution's
  /// HWIO filters) copied contiguous once per workgroup and cache block, for
  /// the register tiles to read: `auto` copies where the code generator's
  /// rule expects it to pay (>= 8 row tiles reuse a panel; convolutions with
  /// >= 512 filters; the default loop order), `on`/`off` force it.
  PanelCopy panelCopy = PanelCopy::Auto;
  /// GPU tensor cores: the shape (m x n x k) of one warp-wide matrix
  /// multiply-accumulate instruction, `16x8x16` (`mma.sync.m16n8k16`,
  /// bf16/f16 operands, f32 accumulators; CUDA sm_80 and later, and the simt
  /// target, which runs the same tiles on the CPU), `16x16x16` (AMD MFMA), or
  /// `16x8x8` (`mma.sync.m16n8k8` on f32 operands rounded to TF32). With it `reg` is each
  /// warp's tile of the block's outputs (a multiple of 16 rows by 8 columns),
  /// `cache` the K block staged in workgroup memory (a multiple of 16), and the
  /// block has 32 threads per warp tile. `64xNx16` (N = 64, 128, 192, 256;
  /// CUDA sm_90 and simt) is the warpgroup instruction `wgmma.mma_async`:
  /// `reg` is then each warpgroup's (128 threads') tile, 64xN, the block's
  /// columns are N and its rows a stack of up to 4 warpgroups, and `cache`
  /// K blocks of 64. On an attention dispatch `16x8x16` is tensor-core
  /// attention (isWarpAttentionSchedule: `wg` a head's query rows per block,
  /// 16 per warp; no `reg` or `cache`). Empty: SIMT (`reg` per thread).
  std::vector<int64_t> mmaShape;
  /// GPU targets with `cache`: reduction blocks in flight at once (a software
  /// pipeline). With N > 1 each staged operand gets N workgroup buffers; the
  /// blocks' threads copy block k + N - 1 while they compute block k, and a
  /// K step needs one barrier. CUDA sm_80+ copies asynchronously (`cp.async`,
  /// N - 1 blocks in flight); elsewhere (ROCm, older CUDA, `simt`) the copies
  /// are ordinary loads. 1: one buffer per operand, copy then compute.
  /// Omitted from the text when 1.
  int64_t stages = 1;
  /// Warpgroup tiles (wgmma) with a pipeline: how many K blocks' instruction
  /// groups stay in flight when a K step ends (`wgmma.wait_group N` instead
  /// of 0), so that the tensor cores work on block k while the threads wait
  /// for block k + 1 and pass the barrier. A buffer is then read until N
  /// steps after its own, so the copies run S - 1 - N blocks ahead (needs
  /// stages >= N + 2). 0 or 1; omitted from the text when 0.
  int64_t inFlight = 0;
  /// Warpgroup tiles (wgmma) on CUDA sm_90: each K block's operand tiles are
  /// loaded by the Tensor Memory Accelerator (`cp.async.bulk.tensor`, one
  /// thread issuing a copy per 128-byte-wide panel, completion counted by an
  /// mbarrier per stage) instead of every thread's 16-byte `cp.async`
  /// copies. Applies where each staged operand is a plain tile of a 16-bit
  /// kernel argument (docs/design/codegen.md, "TMA loads"); elsewhere the
  /// kernel keeps cp.async and says why. Omitted from the text when off.
  bool tma = false;
  /// GPU targets: the order the blocks run in. With G > 1 and a block grid of
  /// more than G rows of blocks (the result's second-to-last dim) by several
  /// columns, consecutive blocks walk G rows down a column of blocks before
  /// the next column, and the next G rows after all columns: the blocks
  /// resident at once then read G row panels of A and a few column panels of
  /// B instead of one row panel and all of B, which the L2 cache holds.
  /// 1: row-major. Omitted from the text when 1.
  int64_t blockGroup = 1;
  /// SIMD width in f32 lanes the register tile's innermost size must divide.
  int64_t vectorWidth = 16;
  ConvAlgorithm conv = ConvAlgorithm::Direct;

  std::string str() const;
  bool operator==(const Schedule &other) const = default;
};

/// Whether a tensor-core shape is the warpgroup instruction (wgmma m64nNk16)
/// rather than a warp's (mma.sync, MFMA).
inline bool isWarpgroupMma(const std::vector<int64_t> &mmaShape) {
  return mmaShape.size() == 3 && mmaShape[0] == 64 && mmaShape[2] == 16;
}

/// Makes `s` (for a GEMM whose result has `rank` dims) warpgroup tiles
/// (wgmma): blocks of `blockRows` rows (a multiple of 64) by `n` columns,
/// each warpgroup's tile 64 x `n`, batch dims 1, K blocks of 64
/// (`stages` is left as it is). verifySchedule says whether it fits.
void setWarpgroupTiles(Schedule &s, size_t rank, int64_t blockRows, int64_t n);

/// Keys per staged block of tensor-core attention (codegen/gpu/WarpAttention.h).
inline constexpr int64_t kWarpAttentionKeyBlock = 64;

/// Whether `s` asks for tensor-core attention (`mma=16x8x16` on an attention
/// dispatch: `wg` is then a head's query rows per block, 16 per warp).
inline bool isWarpAttentionSchedule(const Schedule &s, const std::string &rootKind) {
  return rootKind == "attention" && s.mmaShape == std::vector<int64_t>{16, 8, 16};
}

/// Whether a root kind has operand panels to copy (`Schedule::panelCopy`).
inline bool takesPanelCopy(const std::string &rootKind) {
  return rootKind == "matmul" || rootKind == "conv_nhwc";
}

/// Parses `str()`'s form; nullopt and `error` set on malformed text.
std::optional<Schedule> parseSchedule(const std::string &text, std::string &error);

/// f32 elements of padding per row of the accumulators GPU warp tiles
/// (mma.sync, MFMA; not wgmma's warpgroup tiles) store for an epilogue to
/// read (32 bytes: each half-warp's 4 rows of 8-byte stores on distinct
/// banks); counted by the schedules' workgroup-memory checks.
inline constexpr int64_t kAccumulatorRowPad = 8;

/// What a schedule is chosen for: the dispatch result's shape and the root op's
/// kind and loop ranges (from its linalg form).
struct DispatchShape {
  /// "matmul", "conv", "depthwise", "pool", "reduce", ...; channels-last
  /// windowed ops are "conv_nhwc", "depthwise_nhwc", "pool_nhwc".
  std::string rootKind;
  std::vector<int64_t> resultShape;  ///< the dispatch result
  std::vector<int64_t> rootLoops;    ///< the root op's loop ranges (may be empty)
  std::vector<bool> rootReduction;   ///< which root loops are reductions
  bool conv1x1 = false;              ///< a 1x1, stride-1, unpadded convolution
  /// Bits of the root's input elements when they all have the same width
  /// (16 for bf16/f16 operands, --precision), else 32; 19 for f32 operands
  /// that may be rounded to TF32 on tensor cores (--precision tf32).
  int64_t operandBits = 32;
  /// Bits of the dispatch result's elements (16 for a bf16 output).
  int64_t resultBits = 32;
  /// Whether a run of consecutive innermost outputs reads a run of each
  /// operand's elements in every op of the dispatch (readsAlongInnermost; no
  /// pad, concatenation, reshape or gather): GPU threads may then take
  /// vectors of them.
  bool innerContiguous = true;
  /// The first result dim that a reduction in the dispatch reduces over and
  /// that its consumers broadcast the result back to (a squeeze-excite
  /// block's pool over H and W: 1); -1 when there is none.
  int64_t firstBroadcastReduction = -1;
  /// Whether ops follow the root in the dispatch (a bias, an activation, a
  /// convert): a staged GPU block then keeps its accumulators in workgroup
  /// memory for them to read (in registers and the output otherwise).
  bool epilogue = true;
};

/// The tensor-core instruction (m, n, k) for a dispatch's operands on
/// `target`: 16-bit operands take the target's matrix instruction, f32 ones
/// allowed TF32 (19 bits) its TF32 one; empty when there is none.
std::vector<int64_t> mmaInstruction(const DispatchShape &shape, const Target &target);

/// Whether a dispatch's root reduces along its innermost loop (softmax,
/// layer norm, a mean over the last axis, attention's keys), which a block
/// keeps whole; a global pool over H and W of NHWC does not.
bool reducesInner(const DispatchShape &shape);

/// The heuristic schedule for a dispatch on a target.
Schedule defaultSchedule(const DispatchShape &shape, const Target &target);

/// Empty when legal; otherwise the reason, e.g. "wg has 3 sizes for a rank-4
/// result".
std::string verifySchedule(const Schedule &schedule, const DispatchShape &shape,
                           const Target &target);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_COMMON_SCHEDULE_H
