//===- GpuThreads.h - a workgroup's tile onto a GPU block's threads -------===//
//
// After applySchedule tiled a kernel into workgroups (on tensors), each
// workgroup's tile is split among the threads of one GPU block, still on
// tensors. Every thread's share is an `scf.forall` nested in the workgroup
// loop (a "thread loop"); a block runs its thread loops in order with a
// barrier between two, so a later loop may read what every thread of an
// earlier one wrote (GpuBackend maps them onto thread ids; the `simt` CPU
// target runs them one after another, one valid interleaving).
//
// GEMM-like roots with a thread tile (`reg`) get the classic SIMT GEMM:
//   - the block's K loop is tiled by `cache` (when set), and per K block the
//     slices of A and B are copied into workgroup memory by all threads
//     (one thread loop per operand, vector loads along the contiguous dim);
//   - each thread multiplies its `reg` rows by columns out of workgroup
//     memory (one vector.contract per K block; after the threads are mapped,
//     its accumulators are hoisted out of the K loop into registers);
//   - producers of the accumulator (fill, bias) and the epilogue are thread
//     loops of their own; accumulators an epilogue reads live in workgroup
//     memory, otherwise in the output.
// Every other kernel gets one thread per output element (per row for
// row-wise normalizations); if neither works the block runs one thread.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_GPUTHREADS_H
#define TILEC_CODEGEN_GPU_GPUTHREADS_H

#include "codegen/common/Schedule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace tilec::codegen {

/// Before applySchedule: a kernel that only moves data (its result a view of
/// an input, or a concatenation) is rewritten as one linalg op over the
/// result, so that it tiles into blocks and threads instead of running as
/// copies on one thread.
void prepareCopyKernelsForThreads(mlir::func::FuncOp kernel);

/// On the linalg.fill that zeroes a contraction's accumulators (GpuBackend
/// starts them from zero registers instead, seedZeroAccumulators).
inline constexpr llvm::StringLiteral kZeroAccumulatorAttr = "tilec.zero_accumulator";
/// On the gather a zero row pad before a product becomes
/// (prepareCopyKernelsForThreads): read per staged block (implicit padding).
inline constexpr llvm::StringLiteral kPaddedRowsAttr = "tilec.padded_rows";

/// Splits `kernel`'s workgroup tiles among threads (see above); returns notes
/// for the kernel report (how it was mapped, or why it fell back).
std::string mapToThreads(mlir::func::FuncOp kernel, const Schedule &schedule, const Target &target);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_GPUTHREADS_H
