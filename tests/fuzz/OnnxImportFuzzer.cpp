//===- OnnxImportFuzzer.cpp - libFuzzer target for the ONNX importer ------===//
//
// Feeds arbitrary bytes to importOnnxBytes. The importer must either build a
// module that verifies or return an error; a crash, sanitizer report, or an
// imported module that fails verification is a bug. Every module that imports
// then goes through the graph pipeline (both fusion modes), which must succeed
// and leave a module that verifies. External data resolves against an empty
// folder, so inputs cannot read files.
//
// Build and run (docs/design/onnx.md): scripts/fuzz.sh [seconds]
//
//===----------------------------------------------------------------------===//

#include "models/Zoo.h"
#include "models/onnx/OnnxImport.h"
#include "passes/Pipeline.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    auto *c = new mlir::MLIRContext();
    c->disableMultithreading();
    tilec::models::loadZooDialects(*c);
    return c;
  }();
  static const std::string emptyDir = [] {
    auto dir = std::filesystem::temp_directory_path() / "tilec-fuzz-empty";
    std::filesystem::create_directories(dir);
    return dir.string();
  }();
  // Diagnostics are part of normal failure; keep them off the fuzzer's output.
  mlir::ScopedDiagnosticHandler quiet(context, [](mlir::Diagnostic &) { return mlir::success(); });
  std::string error;
  auto module = tilec::onnx_import::importOnnxBytes(
      *context, llvm::StringRef(reinterpret_cast<const char *>(data), size), emptyDir, error);
  if (mlir::succeeded(module) && mlir::failed(mlir::verify(module->get()))) {
    std::fprintf(stderr, "imported module does not verify\n");
    std::abort();
  }
  if (mlir::failed(module) && error.empty()) {
    std::fprintf(stderr, "import failed without a message\n");
    std::abort();
  }
  if (mlir::failed(module))
    return 0;
  for (const char *fusion : {"default", "none"}) {
    auto copy = mlir::OwningOpRef<mlir::ModuleOp>(module->get().clone());
    mlir::PassManager pm(context);
    tilec::buildGraphPipeline(pm, {.fusion = fusion});
    if (mlir::failed(pm.run(copy.get())) || mlir::failed(mlir::verify(copy.get()))) {
      std::fprintf(stderr, "the graph pipeline (fusion=%s) failed on an imported module\n",
                   fusion);
      std::abort();
    }
  }
  return 0;
}
