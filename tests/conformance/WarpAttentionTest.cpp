//===- WarpAttentionTest.cpp - tensor-core attention against the reference ===//
//
// The WarpAttention suite: the `attention_warps_*` cases in bf16 and fp16 on
// tensor-core attention schedules (codegen/gpu/WarpAttention.h; `mma=16x8x16`
// on the attention dispatch), a warp per block and as many warps as the
// queries allow, run on the simt target (each warp-wide op computed by the
// CPU: the blocks, staging, masking and online softmax checked against the
// reference), compiled for CUDA sm_90 and sm_80 (run where a GPU exists), and
// run on the lane emulator (`emulated_sm_*`: the CUDA kernels' lanes, mma.sync
// fragments, ldmatrix and shuffles, thread by thread on the CPU).
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/Harness.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace tilec;
using namespace tilec::conformance;

namespace {

using Param = std::tuple<size_t, const char *, bool, const char *>;

/// Every case in both precisions, block shapes and CUDA architectures; on
/// simt (whose CPU compile of the warp-wide ops takes 5-20 s) in bf16 only:
/// fp16 builds the same loops.
std::vector<Param> warpAttentionParams() {
  std::vector<Param> params;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    if (std::string(kCases[i].name).rfind("attention_warps", 0) != 0)
      continue;
    for (const char *precision : {"bf16", "fp16"})
      for (bool many : {false, true})
        for (const char *target :
             {"simt", "cuda:sm_90", "cuda:sm_80", "emulated:sm_90", "emulated:sm_80"})
          if (std::string(target) != "simt" || std::string(precision) == "bf16")
            params.emplace_back(i, precision, many, target);
  }
  return params;
}

/// (case, "bf16" | "fp16", whether blocks take as many warps as fit, target).
class WarpAttentionConformance : public ::testing::TestWithParam<Param> {};

TEST_P(WarpAttentionConformance, MatchesTheRoundedReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  std::string precision = std::get<1>(GetParam());
  bool manyWarps = std::get<2>(GetParam());
  std::string targetText = std::get<3>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p, GraphPipelineOptions().layout, precision, /*tensorCores=*/true));
  // The kernel rounds the probabilities to the operands' type before they
  // multiply the values (as FlashAttention does; the reference keeps them
  // f32): relative errors up to 2^-8 (bf16) or 2^-11 (fp16) per weight.
  p.tolerance = precision == "bf16" ? 8e-3 : 1e-3;
  std::string error;
  codegen::CompileOptions options;
  std::string emulated = emulatedCudaTarget(targetText);
  options.target = *codegen::parseTarget(emulated.empty() ? targetText : emulated, error);
  int attentionKernels = 0;
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    if (shape.rootKind != "attention")
      return std::optional<codegen::Schedule>(d);
    ++attentionKernels;
    size_t rank = shape.resultShape.size();
    int64_t queries = shape.resultShape[rank - 2];
    codegen::Schedule s;
    s.workgroupTile.assign(rank, 1);
    s.workgroupTile[rank - 1] = 0;
    int64_t rows = 16;
    for (int64_t r = 16; manyWarps && r <= 256; r += 16)
      if (queries % r == 0)
        rows = r;
    s.workgroupTile[rank - 2] = rows;
    s.mmaShape = {16, 8, 16};
    s.stages = manyWarps ? 2 : 1; // a pipeline where there are 2+ whole key blocks
    EXPECT_EQ(codegen::verifySchedule(s, shape, options.target), "") << s.str();
    return std::optional<codegen::Schedule>(s);
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  codegen::CompileReport report;
  std::string tag = std::string(c.name) + "-" + precision + "-warps" + (manyWarps ? "-many" : "-one");
  if (emulated.empty())
    ASSERT_TRUE(compileAndLoad(p, options, tag, model, status, &report));
  else
    ASSERT_TRUE(compileAndLoadEmulated(p, options, tag, model, &report));
  EXPECT_EQ(attentionKernels, 1);
  int applied = 0;
  for (const codegen::KernelReport &k : report.kernels)
    applied += k.notes.find("warps (mma.sync 16x8x16) of 16 query rows") != std::string::npos;
  EXPECT_EQ(applied, 1);
  for (const codegen::KernelReport &k : report.kernels)
    EXPECT_EQ(k.notes.find("not applied"), std::string::npos) << k.notes;
  if (status) {
    std::string message;
    ASSERT_TRUE(unavailableGpu(status, targetText != "simt", message));
    GTEST_SKIP() << "compiled and assembled; not run: " << message;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " in " << precision;
}

INSTANTIATE_TEST_SUITE_P(WarpAttention, WarpAttentionConformance,
                         ::testing::ValuesIn(warpAttentionParams()),
                         [](const ::testing::TestParamInfo<Param> &info) {
                           std::string target = std::get<3>(info.param);
                           for (char &ch : target)
                             if (ch == ':')
                               ch = '_';
                           return std::string(kCases[std::get<0>(info.param)].name) + "_" +
                                  std::get<1>(info.param) +
                                  (std::get<2>(info.param) ? "_many_warps_" : "_one_warp_") +
                                  target;
                         });

} // namespace
