//===- Fingerprint.h - which machine a measurement belongs to ---*- C++ -*-===//
//
// A tuning record is only valid on the machine class it was measured on. The
// fingerprint names that class: for a CPU, the LLVM CPU name, the CPU model
// from /proc/cpuinfo, the SIMD features the kernels use and the thread count
// measured with (a schedule tuned for 2 threads is not the best for 16), e.g.
//
//   cpu:znver3|AMD EPYC 7B13|avx2,fma|t2
//
// Two machines with the same fingerprint share records (`tilec db merge`);
// records under any other fingerprint are never used.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_FINGERPRINT_H
#define TILEC_AUTOTUNE_FINGERPRINT_H

#include "codegen/common/Target.h"

#include <string>

namespace tilec::autotune {

/// The fingerprint of `target` measured with `threads` runtime threads
/// (0: all cores). Only CPU targets are fingerprinted here (GPU tuning needs a
/// device and is not supported yet); `error` says so for other targets.
std::string fingerprint(const codegen::Target &target, int threads, std::string &error);

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_FINGERPRINT_H
