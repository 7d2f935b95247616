//===- LaneEmulator.h - GPU kernels run lane by lane on the CPU -----------===//
//
// Runs a CUDA kernel as the GPU backend leaves it just before the LLVM
// conversion (the `3-gpu.mlir` stage of TILEC_DUMP_KERNELS: gpu.func bodies of
// arith, vector, memref, scf and affine ops, gpu ids, barriers and shuffles,
// nvgpu ldmatrix and cp.async, mma.sync as NVVM intrinsics), one workgroup at
// a time, every thread of the workgroup in lockstep: each op runs for all
// active threads before the next, `scf.if` and `scf.for` split the threads
// they diverge on. What the CPU targets cannot check, this does: each lane's
// share of a warp-wide value (mma.sync's fragment layouts, ldmatrix and its
// transposed form, shuffles across a row's lanes), workgroup memory shared
// between warps, cp.async groups.
//
// Checked as it runs, each an error naming the op:
//   - a memref access outside its shape or outside its allocation;
//   - a race on workgroup memory: a warp reading bytes another warp wrote,
//     or writing bytes another warp read or wrote, since the last barrier
//     (lanes of one warp are taken as ordered);
//   - a barrier or warp-wide op (shuffle, ldmatrix, mma) reached by part of
//     a workgroup or warp;
//   - an op the emulator does not know.
// Workgroup memory starts as 0xFF bytes (NaN as floats), so a read of bytes
// nothing wrote shows in the results. cp.async copies land when a wait
// retires their group (cp.async.wait.group N), not before; TMA loads when a
// wait on their mbarrier's phase (mbarrier.try_wait.parity) needs them. A
// wait no arrival earlier in the program completes is an error (lockstep
// cannot wait for threads behind).
//
// Arithmetic is IEEE in the ops' types (f32 in float; bf16/f16 rounded to
// nearest even); exp2.approx is exp2. The emulator is for correctness only:
// it says nothing about speed.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_TESTS_EMULATOR_LANEEMULATOR_H
#define TILEC_TESTS_EMULATOR_LANEEMULATOR_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/DialectRegistry.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tilec::emulator {

/// The dialects of the kernels the emulator reads.
void registerDialects(mlir::DialectRegistry &registry);

/// Rewrites what the LLVM conversion would lower first and the emulator does
/// not interpret itself (linalg ops as loops). Returns false with `error`.
bool prepareModule(mlir::ModuleOp module, std::string &error);

/// What the emulating driver's cuTensorMapEncodeTiled writes into a
/// CUtensorMap's 128 bytes (2-D tiles of 16-bit elements), and what a TMA
/// load reads back.
struct TensorMap {
  static constexpr uint64_t kMagic = 0x414d54434c4954ull; // "TILCTMA"
  uint64_t magic = kMagic;
  uint64_t address = 0;
  uint64_t dims[2] = {0, 0};  ///< innermost first
  uint64_t rowBytes = 0;      ///< the stride of dim 1
  uint32_t box[2] = {0, 0};   ///< innermost first
  uint32_t swizzleBytes = 0;  ///< 0, 32, 64 or 128
  uint32_t elementBytes = 2;
};
static_assert(sizeof(TensorMap) <= 128, "a CUtensorMap is 128 bytes");

/// One argument of a launch: a device pointer and how many bytes of its
/// allocation lie at and after it (accesses beyond are errors). A pointer
/// argument (`!llvm.ptr`: a tensor map's address) is passed as is.
struct Argument {
  uint8_t *data = nullptr;
  uint64_t bytes = 0;
};

struct Launch {
  int64_t grid[3] = {1, 1, 1};
  int64_t block[3] = {1, 1, 1};
  int64_t dynamicSharedBytes = 0;
};

/// Runs every workgroup of `kernel` over `args` (its memref arguments in
/// order, the bare-pointer calling convention the GPU backend uses). Returns
/// false with `error` on the first error (see the file comment).
bool runKernel(mlir::gpu::GPUFuncOp kernel, const Launch &launch,
               const std::vector<Argument> &args, std::string &error);

} // namespace tilec::emulator

#endif // TILEC_TESTS_EMULATOR_LANEEMULATOR_H
