//===- Harness.h - compile a case, run it, compare with the reference ----===//
//
// The conformance suites' shared steps (ConformanceTest.cpp, TensorCoreTest.cpp):
// random inputs, the graph pipeline, compiling into a temporary artifact and
// loading it, running it through the runtime's C API and comparing with the
// reference interpreter.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_TESTS_CONFORMANCE_HARNESS_H
#define TILEC_TESTS_CONFORMANCE_HARNESS_H

#include "codegen/Compiler.h"
#include "codegen/common/LowerToLinalg.h"
#include "passes/Pipeline.h"
#include "reference/Interpreter.h"
#include "reference/RuntimeTensors.h"
#include "tilec/runtime.h"
#include "tests/conformance/Cases.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include <algorithm>
#include <gtest/gtest.h>
#include <cmath>
#include <filesystem>
#include <random>

namespace tilec::conformance {

using namespace mlir;

inline std::vector<reference::Tensor> randomInputs(func::FuncOp main, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<reference::Tensor> inputs;
  for (Type t : main.getArgumentTypes()) {
    auto shape = cast<ShapedType>(t).getShape();
    Type element = cast<ShapedType>(t).getElementType();
    reference::Tensor tensor(std::vector<int64_t>(shape.begin(), shape.end()));
    for (float &v : tensor.data) {
      v = dist(rng);
      if (!element.isF32()) // what a 16-bit model input can hold
        v = half::round(v, element.isBF16());
    }
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

/// A case parsed, its reference outputs on random inputs, and its graph after
/// the pipeline, ready to compile.
struct Prepared {
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::vector<reference::Tensor> inputs, expected;
  /// Max |diff| / max |ref| accepted: f32 rounding, or TF32's (operands
  /// rounded inside tensor cores, which the reference does not do).
  double tolerance = 1e-4;

  explicit Prepared(DialectRegistry &registry) : context(registry) {
    context.disableMultithreading();
  }
};


inline ::testing::AssertionResult prepare(const Case &c, Prepared &p,
                                   const std::string &layout = GraphPipelineOptions().layout,
                                   const std::string &precision = "fp32",
                                   bool tensorCores = false, bool gpu = false) {
  p.module = parseSourceString<ModuleOp>(std::string("module {") + c.mlir + "}", &p.context);
  if (!p.module)
    return ::testing::AssertionFailure() << "case does not parse";
  auto main = p.module->lookupSymbol<func::FuncOp>("main");
  p.inputs = randomInputs(main, 7);
  reference::Interpreter interpreter;
  std::string error;
  auto expected = interpreter.run(main, p.inputs, error);
  if (failed(expected))
    return ::testing::AssertionFailure() << error;
  p.expected = std::move(*expected);
  PassManager pm(&p.context);
  // Tensor-core targets: rows padded, convolutions as GEMMs; GPU targets:
  // every product's and attention's rows padded to 16-row blocks; as the
  // compiler does.
  buildGraphPipeline(pm, {.fusion = "default",
                          .layout = layout,
                          .precision = precision,
                          .padRows = tensorCores ? 16 : 0,
                          .padAnyPrecision = tensorCores || gpu,
                          .splitPools = gpu ? 256 : 0,
                          .convsAsGemms = tensorCores});
  if (failed(pm.run(*p.module)))
    return ::testing::AssertionFailure() << "graph pipeline failed";
  if (precision != "fp32") {
    // The reference evaluates the pipeline's graph, converts included (it
    // rounds as they do), so 16-bit kernels are held to the f32 limit.
    auto rounded = interpreter.run(main, p.inputs, error);
    if (failed(rounded))
      return ::testing::AssertionFailure() << error;
    p.expected = std::move(*rounded);
  }
  return ::testing::AssertionSuccess();
}

/// Compiles the prepared graph into a temporary artifact and loads it; a load
/// failure is returned in `status` (the caller decides whether it is one).
inline ::testing::AssertionResult compileAndLoad(Prepared &p, const codegen::CompileOptions &options,
                                          const std::string &tag, tilec_model *&model,
                                          tilec_status *&status,
                                          codegen::CompileReport *reportOut = nullptr) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("tilec-conformance-" + tag + "-" + std::to_string(::getpid()) + ".tilec"))
                         .string();
  codegen::CompileReport report;
  std::string error;
  if (!codegen::compileModel(*p.module, options, path, report, error))
    return ::testing::AssertionFailure() << error;
  // A variant the compiler silently replaced by the default would test nothing.
  for (const codegen::KernelReport &k : report.kernels)
    if (k.notes.find("requested schedule rejected") != std::string::npos)
      return ::testing::AssertionFailure() << k.symbol << ": " << k.notes;
  if (reportOut)
    *reportOut = report;
  tilec_load_options load{2};
  status = tilec_model_load(path.c_str(), &load, &model);
  std::filesystem::remove(path);
  return ::testing::AssertionSuccess();
}

/// A target of the form `emulated:sm_NN`: CUDA sm_NN, run on the lane
/// emulator (tests/emulator) in place of a GPU. Returns the CUDA target text,
/// or "" for any other target.
inline std::string emulatedCudaTarget(const std::string &target) {
  return target.rfind("emulated:", 0) == 0 ? "cuda:" + target.substr(9) : "";
}

/// compileAndLoad for CUDA with the kernels run by the lane emulator
/// (tests/emulator/EmulatedGpuDriver.cpp as the CUDA driver): every thread of
/// a workgroup in lockstep over the kernels' MLIR just before the LLVM
/// conversion, checking accesses and workgroup-memory races as it goes. The
/// model (if loaded) runs on the CPU through the runtime's GPU path.
inline ::testing::AssertionResult compileAndLoadEmulated(Prepared &p,
                                                         codegen::CompileOptions options,
                                                         const std::string &tag,
                                                         tilec_model *&model,
                                                         codegen::CompileReport *reportOut = nullptr) {
  std::filesystem::path dump = std::filesystem::temp_directory_path() /
                               ("tilec-emulated-" + tag + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dump);
  options.dump.directory = dump.string();
  ::setenv("TILEC_GPU_DRIVER", TILEC_GPU_EMULATOR_LIBRARY, 1);
  ::setenv("TILEC_EMULATE_IR", (dump / "3-gpu.mlir").c_str(), 1);
  std::string sm = options.target.arch.substr(options.target.arch.find('_') + 1);
  ::setenv("TILEC_EMULATE_SM", sm.c_str(), 1);
  tilec_status *status = nullptr;
  ::testing::AssertionResult compiled = compileAndLoad(p, options, tag, model, status, reportOut);
  ::unsetenv("TILEC_GPU_DRIVER");
  ::unsetenv("TILEC_EMULATE_IR");
  ::unsetenv("TILEC_EMULATE_SM");
  // TILEC_CONFORMANCE_KEEP_DUMPS=1: the kernels' stages stay (to read a
  // failure's kernel); the path is printed.
  if (const char *keep = std::getenv("TILEC_CONFORMANCE_KEEP_DUMPS"); keep && *keep == '1')
    std::fprintf(stderr, "kernel stages kept in %s\n", dump.c_str());
  else
    std::filesystem::remove_all(dump);
  if (!compiled)
    return compiled;
  if (status) {
    std::string message = tilec_status_message(status);
    tilec_status_free(status);
    return ::testing::AssertionFailure() << "the lane emulator did not load it: " << message;
  }
  return ::testing::AssertionSuccess();
}

/// compileAndLoad's load `status` (freed here; its message into `message`):
/// success where a GPU artifact (`gpuTarget`) did not load for want of a GPU
/// or of its architecture (the caller skips the run: it compiled and
/// assembled), failure otherwise.
inline ::testing::AssertionResult unavailableGpu(tilec_status *status, bool gpuTarget,
                                                 std::string &message) {
  tilec_status_code code = tilec_status_get_code(status);
  message = tilec_status_message(status);
  tilec_status_free(status);
  if (gpuTarget && (code == TILEC_UNAVAILABLE || code == TILEC_WRONG_TARGET))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << message;
}

/// Runs the model on the prepared inputs and compares every output with the
/// reference (max |diff| / max |ref| <= 1e-4).
inline ::testing::AssertionResult runAndCompare(tilec_model *model, Prepared &p) {
  // In the model's element types (16-bit inputs were generated representable).
  reference::RuntimeTensors io;
  tilec_tensor_info info;
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    tilec_status_free(tilec_model_input_info(model, i, &info));
    io.addInput(p.inputs[i], info.dtype);
  }
  std::vector<reference::Tensor> got;
  for (const reference::Tensor &e : p.expected)
    got.emplace_back(e.shape);
  for (size_t i = 0; i < got.size(); ++i) {
    tilec_status_free(tilec_model_output_info(model, i, &info));
    io.addOutput(got[i], info.dtype);
  }
  tilec_status *status = tilec_model_run(model, io.inputs.data(), io.inputs.size(),
                                         io.outputs.data(), io.outputs.size());
  for (size_t i = 0; !status && i < got.size(); ++i)
    io.readOutput(i, got[i]);
  tilec_model_free(model);
  if (status) {
    std::string message = tilec_status_message(status);
    tilec_status_free(status);
    return ::testing::AssertionFailure() << message;
  }
  for (size_t i = 0; i < got.size(); ++i) {
    double maxDiff = 0, maxRef = 0;
    for (size_t j = 0; j < got[i].data.size(); ++j) {
      maxDiff = std::max(maxDiff, double(std::fabs(got[i].data[j] - p.expected[i].data[j])));
      maxRef = std::max(maxRef, double(std::fabs(p.expected[i].data[j])));
    }
    if (maxDiff > p.tolerance * std::max(maxRef, 1e-30))
      return ::testing::AssertionFailure()
             << "output " << i << ": max rel. error " << maxDiff / std::max(maxRef, 1e-30);
  }
  return ::testing::AssertionSuccess();
}

} // namespace tilec::conformance

#endif // TILEC_TESTS_CONFORMANCE_HARNESS_H
