//===- Pipeline.h - the graph pipeline, in order ----------------*- C++ -*-===//
//
// Builds the graph-level pass pipeline that ends with every compute op in a
// tilec.dispatch and activations planned in one arena.
//
// Example:
//   mlir::PassManager pm(&context);
//   buildGraphPipeline(pm, {.fusion = "default"});
//   if (failed(pm.run(module))) ...
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_PASSES_PIPELINE_H
#define TILEC_PASSES_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace tilec {

struct GraphPipelineOptions {
  std::string fusion = "default"; ///< "default" or "none" (one dispatch per op)
  /// "auto" (nhwc unless in-place NCHW concats outweigh it: tilec-assign-layouts),
  /// "nhwc" (channels last) or "nchw" (as imported).
  std::string layout = "auto";
  /// Operand type of convolutions, matrix products and attention: "fp32", "bf16" or
  /// "fp16" (accumulation stays fp32; tilec-set-precision).
  std::string precision = "fp32";
  /// Rows of 16-bit matrix products padded to this multiple (tilec-pad-rows;
  /// 0: off). The compiler sets 16 for targets with tensor cores.
  int64_t padRows = 0;
  /// Every product's and attention's rows padded to 16 (or padRows), whatever
  /// the precision (tilec-pad-rows any-precision=true); the compiler sets it
  /// for GPU targets, whose blocks must divide the rows (SIMT GEMMs, the
  /// per-thread attention's 16-row blocks of a head).
  bool padAnyPrecision = false;
  /// Channels-last global pools over at least this many positions as row
  /// means, then their mean (tilec-split-pools; 0: off); the compiler sets
  /// 256 for GPU targets, whose kernels give each pool output one thread.
  int64_t splitPools = 0;
  /// Channels-last 16-bit convolutions as matrix products
  /// (tilec-convs-as-gemms); the compiler sets it for targets with tensor cores.
  bool convsAsGemms = false;
};

/// Adds the graph pipeline (Pipeline.cpp lists the steps and why they are in
/// that order) to `pm`, which must run on a builtin.module.
void buildGraphPipeline(mlir::OpPassManager &pm, const GraphPipelineOptions &options);

/// The numbered steps with the reason for each position, for --print-pipeline.
std::string describeGraphPipeline(const GraphPipelineOptions &options);

/// Registers the pipeline as `tilec-graph-pipeline` (for tilec-opt).
void registerGraphPipeline();

} // namespace tilec

#endif // TILEC_PASSES_PIPELINE_H
