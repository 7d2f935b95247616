//===- GpuBackend.cpp - CUDA and ROCm code generation ---------------------===//

#include "codegen/gpu/GpuBackend.h"

using namespace tilec::codegen;

bool tilec::codegen::emitGpuKernels(mlir::ModuleOp, const Target &target, const DumpOptions &,
                                    std::vector<artifact::GpuCode> &, std::vector<GpuLaunch> &,
                                    std::string &error) {
  error = "GPU code generation for " + target.str() + " is not built yet";
  return false;
}
