//===- WorkgroupMemory.h - workgroup buffers in one dynamic shared memory -===//
//
// Past CUDA's 48 KB of static shared memory a kernel's workgroup buffers
// become views of its dynamic shared memory (GpuBackend.cpp, outlineToGpu);
// this places them there.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_WORKGROUPMEMORY_H
#define TILEC_CODEGEN_GPU_WORKGROUPMEMORY_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace tilec::codegen {

/// Offsets of the workgroup buffers `allocs` in one dynamic shared memory,
/// each aligned to `align`; returns the bytes they need. A buffer whose uses
/// all come after the last use of another (in the kernel's top-level order:
/// the staged operands of a K loop, then the accumulators its epilogue reads)
/// may take that one's bytes: first fit, in program order. Where it does, a
/// barrier (after a wait for every asynchronous copy) goes before its first
/// use unless one is already between: no thread still reads the operands
/// when another writes the accumulators. Buffers used inside the same
/// top-level op (a loop), or allocated below the top level, never share.
/// Whether `type` is a memref in workgroup (shared) memory.
bool isWorkgroupMemRef(mlir::Type type);

int64_t placeWorkgroupBuffers(mlir::RewriterBase &rewriter, mlir::gpu::GPUFuncOp func,
                              llvm::ArrayRef<mlir::Operation *> allocs, int64_t align,
                              llvm::SmallVectorImpl<int64_t> &offsets);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_WORKGROUPMEMORY_H
