//===- Registration.cpp - dialects, interfaces and passes codegen uses ----===//
//
// Code generation touches most of MLIR's upstream dialects (linalg, tensor,
// bufferization, scf, vector, memref, gpu, nvvm, rocdl, llvm) and their
// external interface models (bufferization, tiling, value bounds, subsets),
// and parses textual pass pipelines; registering everything upstream once is
// simpler and safer than tracking the exact subset.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/LowerToLinalg.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <mutex>

void tilec::codegen::registerCodegenDialects(mlir::DialectRegistry &registry) {
  static std::once_flag passes;
  std::call_once(passes, [] { mlir::registerAllPasses(); });
  registry.insert<tilec::TilecDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}
