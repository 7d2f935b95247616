//===- SplitPools.cpp - GPU global pools as two parallel reductions -------===//
//
// Assumes: assign-layouts ran (channels-last pools carry layout = "nhwc"), no
// dispatches yet.
// Guarantees: with min-positions=P > 0, every channels-last global_avg_pool
// over an [N, H, W, C] input with H > 1, W > 1 and H * W >= P reads instead
// the mean of each of its rows, reduce_mean over W ([N, H, 1, C], keepdims);
// the mean of equal-sized row means is the mean, so values are unchanged up
// to f32 rounding. Everything else is unchanged.
//
// Why: a GPU kernel computes a reduction's outputs one per thread, each
// thread walking its whole reduction. A pool has N * C outputs: EfficientNet-B0's
// first squeeze-excite pool at batch 64 was 2048 threads (8 blocks) each
// adding 12544 values one after another, at batch 1 32 threads on one
// multiprocessor. As row means first, N * H * C threads add W values each
// (896 blocks at batch 64), then N * C threads add H. The split also keeps a
// squeeze-excite block's gating product out of the pool's one-block kernel
// (form-dispatches fuses a block only when the pool reads the gated tensor
// itself), so the product of the whole input runs on every multiprocessor.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_SPLITPOOLSPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

struct SplitPoolsPass : public tilec::impl::SplitPoolsPassBase<SplitPoolsPass> {
  using SplitPoolsPassBase::SplitPoolsPassBase;

  void runOnOperation() override {
    if (minPositions < 0) {
      getOperation().emitError("tilec-split-pools: min-positions must be >= 0, got " +
                               std::to_string(int64_t(minPositions)));
      return signalPassFailure();
    }
    if (minPositions == 0)
      return;
    SmallVector<GlobalAvgPoolOp> pools;
    getOperation().walk([&](GlobalAvgPoolOp p) { pools.push_back(p); });
    for (GlobalAvgPoolOp pool : pools)
      split(pool);
  }

  void split(GlobalAvgPoolOp pool) {
    auto type = dyn_cast<RankedTensorType>(pool.getInput().getType());
    if (!pool.isChannelsLast() || !type || type.getRank() != 4 || !type.hasStaticShape())
      return;
    int64_t h = type.getDimSize(1), w = type.getDimSize(2);
    if (h <= 1 || w <= 1 || h * w < minPositions)
      return;
    OpBuilder b(pool);
    auto rowsType = RankedTensorType::get({type.getDimSize(0), h, 1, type.getDimSize(3)},
                                          type.getElementType());
    auto rows = b.create<ReduceMeanOp>(pool.getLoc(), rowsType, pool.getInput(),
                                       b.getDenseI64ArrayAttr({2}), b.getBoolAttr(true));
    pool.getInputMutable().assign(rows.getResult());
  }
};

} // namespace
