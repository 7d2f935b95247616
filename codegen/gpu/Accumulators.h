//===- Accumulators.h - a K loop's accumulators and steps after mapping ----===//
//
// Once a GPU kernel's loops are mapped onto threads and warps and its
// accumulator transfers hoisted out of the K loop (GpuBackend.cpp), the
// loop carries each thread's or warp's accumulator tile in registers:
//
//   fill(acc)                          (removed: zero registers seed the loop)
//   %t = scf.for k iter_args(%a = 0) { ... mma/fma ...; barrier }
//   transfer_write %t -> acc           (the write-back, after the loop)
//   barrier                            (added where none follows)
//   epilogue reads acc                 (other warps' tiles too)
//
// and each staged K block's warp steps, once they are mma.sync / MFMA
// instructions, are unrolled.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_ACCUMULATORS_H
#define TILEC_CODEGEN_GPU_ACCUMULATORS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace tilec::codegen {

/// Accumulators that start from a zero fill (GpuThreads tags it) start from
/// zero registers: the reads of the filled buffer that seed a loop's
/// iteration arguments become constants, and the fill goes when nothing else
/// reads that buffer before those loops end. Saves a write and a read of the
/// block's outputs (on a 128x128 bf16 GEMM block, 64 KB each way) and a
/// barrier.
void seedZeroAccumulators(mlir::gpu::GPUFuncOp func);

/// A barrier after the accumulators a top-level K loop writes back to
/// workgroup memory, where none follows: hoisting moved the write-back past
/// the barrier that ended each step of a loop that is not pipelined, and an
/// epilogue reads other warps' tiles (a race the lane emulator found).
void barrierAfterWriteBacks(mlir::gpu::GPUFuncOp func);

/// The warp tiles' K steps within one staged block (2 for a K block of 32),
/// unrolled once they are mma.sync / MFMA instructions, so that ptxas loads
/// the next step's fragments under the current step's instructions. Loops of
/// loops, and loops of more than 8 steps, stay.
void unrollWarpSteps(mlir::gpu::GPUFuncOp func);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_ACCUMULATORS_H
