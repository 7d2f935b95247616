//===- Gpu.h - running CUDA and ROCm artifacts through their drivers ------===//
//
// The driver libraries (libcuda.so.1, libamdhip64.so) are opened with dlopen
// and their entry points resolved into a table (GpuDriver.h), so the runtime
// links no GPU library and a machine without a GPU gets a clear status.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_RUNTIME_GPU_H
#define TILEC_RUNTIME_GPU_H

#include "tilec/artifact_format.h"
#include "tilec/runtime.h"

#include <memory>
#include <string>
#include <vector>

namespace tilec::runtime {

class GpuModel {
public:
  /// Opens the driver, selects device 0, checks its architecture against the
  /// artifact's, loads every kernel and uploads the weights. Null with
  /// `status` set on failure.
  static std::unique_ptr<GpuModel> load(artifact::TargetKind kind, const std::string &target,
                                        const artifact::Plan &plan, const uint8_t *code,
                                        uint64_t codeBytes, const uint8_t *weights,
                                        uint64_t weightsBytes, tilec_status *&status);
  /// The name of the GPU an artifact for `target` would run on (device 0,
  /// architecture checked as load() does); empty with `status` set when there
  /// is none.
  static std::string describeDevice(artifact::TargetKind kind, const std::string &target,
                                    tilec_status *&status);
  virtual ~GpuModel() = default;
  /// Copies inputs in, launches every kernel in order, copies outputs back.
  virtual tilec_status *run(const tilec_tensor *inputs, const tilec_tensor *outputs,
                            bool profiling, std::vector<int64_t> &calls,
                            std::vector<double> &totalMs) = 0;
  /// Launches every kernel `runs` times on the inputs already on the device
  /// (nothing copied), each run timed by device events and waited for.
  virtual tilec_status *timeOnDevice(int32_t runs, double *msPerRun) = 0;
  /// How a run launches the kernels (a graph, or one by one and why).
  virtual std::string launches() const = 0;
};

} // namespace tilec::runtime

#endif // TILEC_RUNTIME_GPU_H
