//===- GpuToolchain.h - the CUDA and ROCm tools the GPU backend runs ------===//
//
// ptxas (PTX -> cubin, and what it reports about each kernel) and the
// toolkit directory MLIR's ROCDL serializer expects (ld.lld, the device
// libraries). Used by GpuBackend.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_CODEGEN_GPU_GPUTOOLCHAIN_H
#define TILEC_CODEGEN_GPU_GPUTOOLCHAIN_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace tilec::codegen {

/// What ptxas -v says about a kernel, for its report: registers per thread,
/// spilled bytes, and the advisories it numbers (C7xxx: a wgmma pipeline it
/// had to serialize or wait for, for example), e.g.
///   "ptxas: 184 registers, no spills; ptxas: (C7517) warpgroup.wait is
///    injected in around line 439 by compiler to allow use of registers
///    defined by GMMA in function 'k'; "
std::string summarizePtxas(llvm::StringRef log);

/// ptxas (the toolkit's, or on PATH) for `arch` (sm_XX or sm_XXa): `ptx` ->
/// `cubin`, with `report` what it said (summarizePtxas); temporary files at
/// `work`.{ptx,cubin,log}. False with `error` (ptxas's words) on failure.
bool assemblePtx(const std::string &ptx, const std::string &arch, const std::string &work,
                 std::string &cubin, std::string &report, std::string &error);

/// MLIR's ROCDL serializer looks for `<toolkit>/llvm/bin/ld.lld` and
/// `<toolkit>/amdgcn/bitcode`; Debian keeps them elsewhere, so a private
/// toolkit directory of links points at them.
/// Returns its path (the caller removes it), or "" with `error` saying which
/// Debian packages are missing.
std::string rocmToolkit(std::string &error);

} // namespace tilec::codegen

#endif // TILEC_CODEGEN_GPU_GPUTOOLCHAIN_H
