//===- ScheduleDetail.h - helpers shared by Schedule.cpp and GpuSchedules.cpp
//
// Internal to codegen/common: the text helpers and the GPU half of the
// default schedules and legality checks (Schedule.h is the interface).
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_COMMON_SCHEDULEDETAIL_H
#define TILEC_CODEGEN_COMMON_SCHEDULEDETAIL_H

#include "codegen/common/Schedule.h"

#include <string>
#include <vector>

namespace tilec::codegen::detail {

/// Sizes as `4x8x1` (`-` when empty), the schedule text's form.
std::string joinSizes(const std::vector<int64_t> &sizes);
/// The largest divisor of `n` that is at most `cap` (at least 1).
int64_t divisorAtMost(int64_t n, int64_t cap);
int64_t product(const std::vector<int64_t> &v);

/// Whether a root is a contraction whose loops are the result dims followed
/// by one reduction (every "matmul" root: GEMMs, batched and linear layers).
bool isGemmLike(const DispatchShape &shape);

/// The default schedule on GPU targets (and simt): GEMM and convolution
/// tiles, tensor-core warp tiles, blocks of other kernels.
Schedule defaultGpuSchedule(const DispatchShape &shape, const Target &target);

/// Why `s`'s GPU knobs (reg, cache, mma, stages) do not fit `shape` on
/// `target`; empty when they do.
std::string verifyGpuTiles(const Schedule &s, const DispatchShape &shape, const Target &target);

} // namespace tilec::codegen::detail

#endif // TILEC_CODEGEN_COMMON_SCHEDULEDETAIL_H
