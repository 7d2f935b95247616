//===- tilec-opt.cpp - mlir-opt with the tilec dialect ---------------------===//
//
// The driver for lit tests: parses, verifies, runs passes and prints tilec IR
// (text or bytecode). Registers the tilec dialect, func, tilec's graph passes
// (tilec-fold-batch-norm, ...) and pipeline, and MLIR's generic passes.
//
//===----------------------------------------------------------------------===//

#include "ir/TilecDialect.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  tilec::registerTilecPasses();
  tilec::registerGraphPipeline();
  mlir::DialectRegistry registry;
  registry.insert<tilec::TilecDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tilec optimizer driver\n", registry));
}
