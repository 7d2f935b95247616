//===- SearchSpace.h - the legal schedules of one dispatch ------*- C++ -*-===//
//
// For a dispatch shape and a target, the choices of every schedule knob:
//   wg    per result dimension: its divisors (log-spaced, at most 8), the whole
//         dimension only where the kernel reduces along it (softmax, layer
//         norm, reductions); on GPUs the block (their product) holds 32..1024
//         threads
//   reg   per root loop (CPU): accumulator rows x vectors of columns for
//         contractions, filters x rows x columns for convolutions, channels x
//         rows x columns for depthwise and pooling; or none (LLVM's loop
//         vectorizer alone)
//   conv  direct, or gemm for 1x1 stride-1 unpadded convolutions
//   cache (CPU) blocks of the reduction walked outermost: a GEMM's K, a
//         convolution's input channels, in {16, 32, ..., 512} dividing the
//         loop; or none
//   order (CPU) the register-tile loop order: the code generator's, or the
//         alternative per kind (row blocks outermost for contractions; pixels
//         before filters for convolutions; channels outermost for depthwise;
//         pixels before channels for pooling)
// Candidates are drawn from these choices and kept only when verifySchedule
// accepts them and they fit the register file, so nothing illegal is ever
// measured. `features` turns a (shape, schedule) pair into the cost model's
// input (docs/design/autotune.md lists them).
//
// Example:
//   SearchSpace space(task.shape, target);
//   std::mt19937 rng(0);
//   codegen::Schedule s = space.sample(rng);        // legal by construction
//   codegen::Schedule t = space.mutate(s, rng);     // one knob changed
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_SEARCHSPACE_H
#define TILEC_AUTOTUNE_SEARCHSPACE_H

#include "codegen/common/Schedule.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace tilec::autotune {

class SearchSpace {
public:
  SearchSpace(codegen::DispatchShape shape, codegen::Target target);

  /// Empty when `s` may be measured; otherwise why not.
  std::string check(const codegen::Schedule &s) const;
  /// A uniformly drawn legal schedule (the default if 200 draws fail).
  codegen::Schedule sample(std::mt19937 &rng) const;
  /// `s` with one or two knobs redrawn, legal.
  codegen::Schedule mutate(const codegen::Schedule &s, std::mt19937 &rng) const;
  /// Each knob from `a` or `b`; nullopt if the mix is illegal.
  std::optional<codegen::Schedule> crossover(const codegen::Schedule &a, const codegen::Schedule &b,
                                             std::mt19937 &rng) const;
  /// A schedule tuned for another shape of the same kind, fitted to this one
  /// (tile sizes moved to the nearest divisor); nullopt if it does not fit.
  std::optional<codegen::Schedule> adapt(const codegen::Schedule &other) const;
  /// The number of knob combinations before legality pruning.
  double cardinality() const;

  const codegen::DispatchShape &shape() const { return shape_; }

private:
  codegen::DispatchShape shape_;
  codegen::Target target;
  std::vector<std::vector<int64_t>> wgChoices;    ///< per result dimension
  std::vector<std::vector<int64_t>> regChoices;   ///< per root loop; empty: no reg tiles
  std::vector<std::vector<int64_t>> cacheChoices; ///< per root loop; empty: no cache tiles
  std::vector<std::vector<int64_t>> orderChoices; ///< whole orders; {} is the default
  std::vector<codegen::ConvAlgorithm> convChoices;
  /// Panel copies (`pack`): auto only, or auto/off/on for GEMM and
  /// channels-last convolution roots on the CPU.
  std::vector<codegen::PanelCopy> packChoices;
  /// GPU tensor-core warp tiles (`reg` with `mma`) and their K blocks, per
  /// root loop; empty where tensor cores do not apply.
  std::vector<std::vector<int64_t>> warpChoices, warpCacheChoices;
  /// The tensor-core instruction warp tiles use (mma=): the target's for
  /// 16-bit operands, its TF32 one for f32 operands allowed TF32.
  std::vector<int64_t> mmaShape;
  /// sm_90 warpgroup tiles (mma=64xNx16): the N that divide the columns and
  /// the block rows (one or two warpgroups) that divide the rows; empty where
  /// they do not apply. Half the warp-tile draws take them.
  std::vector<int64_t> warpgroupNs, warpgroupRows;
  /// Tensor-core attention (mma=16x8x16 on 16-bit attention, CUDA sm_80+):
  /// the block's query rows to draw (multiples of 16 dividing the queries).
  std::vector<int64_t> attentionRows;
  codegen::Schedule fallback;

  void gpuChoices();
  void drawGpuTiles(codegen::Schedule &s, std::mt19937 &rng) const;
};

/// The cost model's features of `s` on `shape` (a fixed-length vector).
std::vector<float> features(const codegen::DispatchShape &shape, const codegen::Schedule &s,
                            const codegen::Target &target, int threads);
/// Names of the features, in order (for docs and debugging).
const std::vector<std::string> &featureNames();

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_SEARCHSPACE_H
