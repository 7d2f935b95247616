//===- TensorCores.h - warp-wide contractions onto mma.sync ---------------===//
//
// (Implemented in TensorCores.cpp: mma.sync; Mfma.cpp: AMD MFMA; Wgmma.cpp:
// sm_90's warpgroup MMA; the latter two share LaneFragments.h.)
//
// GpuThreads leaves, for `mma` schedules, a warp loop whose body multiplies
// 16-bit operand slices in workgroup memory into f32 accumulators with one
// warp-wide `vector.contract` per K step of 16. After the loops are mapped
// onto ids (GpuBackend), these functions turn each such contraction into
// tensor-core instructions:
//
//   1. unrollWarpContractions: every contraction, and the reads and writes of
//      its operands, split into the instruction's shape (m16n8k16: A 16x16,
//      B 16x8, C 16x8), so that each accumulator tile is its own
//      read/write pair (hoisted into registers across the K loop after);
//   2. convertWarpContractions: MLIR's vector-to-nvgpu conversion
//      (`convertVectorToNVVMCompatibleMMASync`: `nvgpu.ldmatrix` from
//      workgroup memory, per-lane accumulator loads/stores, `nvgpu.mma.sync`),
//      then `convert-nvgpu-to-nvvm` in the GPU pipeline.
//
// bf16: MLIR 19's conversion knows only f16 fragments, and its NVVM op types
// bf16 operands as f16 pairs, which do not match LLVM's intrinsic. bf16 and
// f16 fragments have the same register layout (PTX ISA, m16n8k16), so the
// staged bf16 operand buffers are retyped as f16 bits before the conversion
// (retypeBF16Operands: copies into them bitcast, nothing computes with the
// retyped values) and each resulting mma.sync is emitted as the bf16
// intrinsic `llvm.nvvm.mma.m16n8k16.row.col.bf16` on the same registers.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_TENSORCORES_H
#define TILEC_CODEGEN_GPU_TENSORCORES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace tilec::codegen {

/// Marks a kernel whose warp tiles multiply f32 operands as TF32 (GpuThreads;
/// carried over to the gpu.func).
inline constexpr llvm::StringLiteral kTF32MmaAttr = "tilec.mma_tf32";

/// Whether `c` is a warp-wide contraction: 16-bit operands (only `mma`
/// schedules produce them; SIMT contractions extend to f32 first), or f32
/// ones in a kernel marked kTF32MmaAttr.
bool isWarpContraction(mlir::vector::ContractionOp c);

/// Whether `scope` holds a warp-wide contraction.
bool hasWarpContractions(mlir::Operation *scope);

/// Bufferized kernel (before it becomes a gpu.func): the workgroup buffers
/// holding bf16 operands of warp contractions become f16-typed buffers of
/// the same bits; the function is marked so that convertWarpContractions
/// emits bf16 instructions. Fails (kernel unchanged or partly retyped; the
/// caller reports an internal error) on a use it does not know.
mlir::LogicalResult retypeBF16Operands(mlir::func::FuncOp kernel);

/// The mark retypeBF16Operands leaves (carried over to the gpu.func).
bool isBF16MmaKernel(mlir::Operation *func);
void markBF16MmaKernel(mlir::Operation *func);

/// Step 1 (views folded into the accesses, before hoisting): pieces of the
/// target's `instruction` (m, n, k): 16x8x16 mma.sync, 16x16x16 MFMA.
void unrollWarpContractions(mlir::gpu::GPUFuncOp func, llvm::ArrayRef<int64_t> instruction);

/// Step 2 (after hoisting); fails with a diagnostic when a contraction cannot
/// become mma.sync. In kTF32MmaAttr kernels the f32 mma.sync instructions
/// are TF32 ones (m16n8k8: operands rounded inside the instruction).
mlir::LogicalResult convertWarpContractions(mlir::gpu::GPUFuncOp func);

/// Step 2 on AMD CDNA (after hoisting): each 16x16x16 warp contraction
/// becomes an `amdgpu.mfma` (v_mfma_f32_16x16x16bf16_1k / _16x16x16f16) on
/// 64-lane fragments: A and B loaded by each lane from workgroup memory (4
/// contiguous values where K is the contiguous dim), accumulators carried
/// across the K loops as 4 floats per lane, read and written 4 values per
/// lane (CDNA's register layout, see mfmaCoordinates).
mlir::LogicalResult convertWarpContractionsToMfma(mlir::gpu::GPUFuncOp func);

/// Marks a kernel whose warps run the warpgroup instruction wgmma
/// m64nNk16 (StagedContraction, `mma=64xNx16`; the value is N; carried over
/// to the gpu.func).
inline constexpr llvm::StringLiteral kWarpgroupMmaAttr = "tilec.wgmma_n";
bool isWarpgroupMmaKernel(mlir::Operation *func);

/// Step 2 on sm_90 for kWarpgroupMmaAttr kernels (after hoisting; step 1
/// unrolled each warp's contractions to its 16xNx16 strip): every K block's
/// steps become `wgmma.mma_async` instructions of the warpgroup (fenced,
/// committed and waited for as one group), A and B read from workgroup
/// memory through matrix descriptors. The staged operand buffers take
/// wgmma's 128-byte swizzled layout (every copy into them moved), each
/// lane's accumulators are the instruction's N / 2 registers, and barriers
/// are preceded by a proxy fence (generic-proxy writes, async-proxy reads).
/// Fails with a diagnostic on IR it does not expect.
mlir::LogicalResult convertWarpgroupContractions(mlir::gpu::GPUFuncOp func);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_TENSORCORES_H
