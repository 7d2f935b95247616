//===- Pipeline.cpp - the graph pipeline, in order ------------------------===//
//
// 1. canonicalize       folds dropout/identities and constants, removes dead ops,
//                       so later patterns see the real producer-consumer edges.
// 2. cse                merges duplicate constants and ops (exporters repeat them).
// 3. fuse-layer-norm,   need the raw op chains, before fusion would split them
//    fuse-attention     across dispatches; layer norm first, since attention
//                       follows it in transformers and both only rewrite
//                       their own chains.
// 4. fold-batch-norm    before fusion: folding removes ops that would otherwise
//                       become epilogues, and needs to see conv -> batch_norm.
// 5. fold-pad           zero padding into the conv that reads it (before fusion,
//                       which would otherwise give the pad its own kernel).
// 6. pack-weights       after fold-batch-norm (which rewrites weights), before
//                       fusion (the bias add it exposes becomes an epilogue).
//    assign-layouts     after BN folding and pad folding (it re-lays out the
//                       final conv weights, and a pad between transposes would
//                       stop them from cancelling), before fusion (the
//                       transposes it leaves are kernels of their own).
// 7. canonicalize       erases the weights folding, packing and re-layout
//                       left dead.
// 8. set-precision      after the weights reach their final layout (folding,
//                       packing, re-layout read f32 constants), before fusion
//                       (which puts each convert at the end of its producer).
//    convs-as-gemms     after set-precision (16-bit convolutions only) and
//                       assign-layouts (channels last, HWIO), before pad-rows
//                       (whose products it makes).
//    pad-rows           after set-precision (it pads 16-bit products, every
//                       one on GPU targets, on the converted operand), before
//                       fusion (the pad and the slice fuse into neighbouring
//                       kernels).
//    split-pools        after assign-layouts (channels-last pools only),
//                       before fusion (a split squeeze-excite pool no longer
//                       takes its gating product into its dispatch).
// 9. form-dispatches    after every graph rewrite: dispatch regions are opaque
//                       to the patterns above.
// 10. plan-memory       last: needs the final dispatch order and results.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tilec::buildGraphPipeline(OpPassManager &pm, const GraphPipelineOptions &options) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
  fn.addPass(createFuseLayerNormPass());
  fn.addPass(createFuseAttentionPass());
  fn.addPass(createFoldBatchNormPass());
  fn.addPass(createFoldPadPass());
  fn.addPass(createPackWeightsPass());
  fn.addPass(createAssignLayoutsPass(AssignLayoutsPassOptions{options.layout}));
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createSetPrecisionPass(SetPrecisionPassOptions{options.precision}));
  fn.addPass(
      createConvsAsGemmsPass(ConvsAsGemmsPassOptions{options.convsAsGemms, options.padRows}));
  fn.addPass(createPadRowsPass(PadRowsPassOptions{options.padRows, options.padAnyPrecision}));
  fn.addPass(createSplitPoolsPass(SplitPoolsPassOptions{options.splitPools}));
  fn.addPass(createFormDispatchesPass(FormDispatchesPassOptions{options.fusion}));
  fn.addPass(createPlanMemoryPass());
}

std::string tilec::describeGraphPipeline(const GraphPipelineOptions &options) {
  return "Graph pipeline (on each func.func):\n"
         "  1. canonicalize            fold dropout/identities and constants, drop dead ops\n"
         "  2. cse                     merge duplicate constants and ops\n"
         "  3. tilec-fuse-layer-norm   decomposed layer norm -> layer_norm (before fusion)\n"
         "     tilec-fuse-attention    matmul/scale/softmax/matmul -> attention (before fusion)\n"
         "  4. tilec-fold-batch-norm   fold BN into conv/linear (before fusion sees the pair)\n"
         "  5. tilec-fold-pad          zero padding into the consuming conv (before fusion)\n"
         "  6. tilec-pack-weights      linear weights transposed to [K, N] (after BN folding)\n"
         "     tilec-assign-layouts    layout=" + options.layout +
         "; convs/pools channels last, HWIO weights (after BN and pad folding)\n"
         "  7. canonicalize            erase weights left dead by folding, packing, re-layout\n"
         "  8. tilec-set-precision     precision=" + options.precision +
         "; contraction operands (after weights reach their layout)\n"
         "     tilec-convs-as-gemms    enabled=" + std::string(options.convsAsGemms ? "true" : "false") +
         "; 16-bit NHWC convolutions as GEMMs (tensor-core targets; after set-precision)\n"
         "     tilec-pad-rows          multiple=" + std::to_string(options.padRows) +
         " any-precision=" + std::string(options.padAnyPrecision ? "true" : "false") +
         "; 16-bit products' rows to whole tensor-core tiles (0: off), every product's and "
         "attention's rows to 16-row GPU blocks (after set-precision)\n"
         "     tilec-split-pools       min-positions=" + std::to_string(options.splitPools) +
         "; channels-last global pools as row means, then their mean (GPU targets; after "
         "assign-layouts, before fusion)\n"
         "  9. tilec-form-dispatches   fusion=" + options.fusion +
         "; after all graph rewrites (regions are opaque to them)\n"
         " 10. tilec-plan-memory       arena offsets by liveness; needs the final dispatches\n";
}

void tilec::registerGraphPipeline() {
  PassPipelineRegistration<>("tilec-graph-pipeline", "The tilec graph pipeline (fusion=default)",
                             [](OpPassManager &pm) { buildGraphPipeline(pm, {}); });
}
