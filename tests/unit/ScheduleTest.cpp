//===- ScheduleTest.cpp - schedule text form, defaults and legality -------===//

#include "codegen/common/Schedule.h"

#include <gtest/gtest.h>

using namespace tilec::codegen;

namespace {

Target avx2() {
  Target t;
  t.arch = "haswell";
  t.vectorBits = 256;
  t.vectorRegisters = 16;
  return t;
}

TEST(ScheduleTest, TextFormRoundTrips) {
  Schedule s;
  s.workgroupTile = {1, 8, 56, 56};
  s.registerTile = {1, 4, 2, 8, 1, 1, 1};
  s.vectorWidth = 8;
  s.conv = ConvAlgorithm::Gemm;
  EXPECT_EQ(s.str(), "wg=1x8x56x56 reg=1x4x2x8x1x1x1 vec=8 conv=gemm");
  std::string error;
  std::optional<Schedule> parsed = parseSchedule(s.str(), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(*parsed, s);
}

TEST(ScheduleTest, MalformedTextNamesTheField) {
  std::string error;
  EXPECT_FALSE(parseSchedule("wg=1x8 reg=4xq", error));
  EXPECT_NE(error.find("reg=4xq"), std::string::npos) << error;
  EXPECT_FALSE(parseSchedule("tile=3", error));
  EXPECT_NE(error.find("tile=3"), std::string::npos) << error;
}

TEST(ScheduleTest, VerifyGivesReasons) {
  DispatchShape shape;
  shape.rootKind = "matmul";
  shape.resultShape = {197, 768};
  shape.rootLoops = {197, 768, 3072};
  shape.rootReduction = {false, false, true};
  Schedule s = defaultSchedule(shape, avx2());
  EXPECT_EQ(verifySchedule(s, shape, avx2()), "");

  Schedule wrongRank = s;
  wrongRank.workgroupTile = {1, 2, 3};
  EXPECT_NE(verifySchedule(wrongRank, shape, avx2()).find("3 sizes for a rank-2 result"),
            std::string::npos);
  Schedule notDividing = s;
  notDividing.workgroupTile = {2, 768};
  EXPECT_NE(verifySchedule(notDividing, shape, avx2()).find("does not divide"), std::string::npos);
  Schedule tooMany = s;
  tooMany.registerTile = {64, 64, 1};
  EXPECT_NE(verifySchedule(tooMany, shape, avx2()).find("accumulators"), std::string::npos);
  Schedule gemmConv = s;
  gemmConv.conv = ConvAlgorithm::Gemm;
  EXPECT_NE(verifySchedule(gemmConv, shape, avx2()).find("1x1"), std::string::npos);
}

TEST(ScheduleTest, PanelCopyIsAKnobOfGemmsAndChannelsLastConvolutions) {
  std::string error;
  std::optional<Schedule> on = parseSchedule("wg=96x128 reg=6x16x1 vec=8 conv=direct pack=on", error);
  ASSERT_TRUE(on) << error;
  EXPECT_EQ(on->panelCopy, PanelCopy::On);
  EXPECT_EQ(on->str(), "wg=96x128 reg=6x16x1 vec=8 conv=direct pack=on");
  std::optional<Schedule> off = parseSchedule("wg=96x128 reg=6x16x1 vec=8 pack=off", error);
  ASSERT_TRUE(off) << error;
  EXPECT_EQ(off->panelCopy, PanelCopy::Off);
  // auto is the default and is not printed.
  std::optional<Schedule> automatic = parseSchedule("wg=96x128 reg=6x16x1 vec=8 pack=auto", error);
  ASSERT_TRUE(automatic) << error;
  EXPECT_EQ(automatic->panelCopy, PanelCopy::Auto);
  EXPECT_EQ(automatic->str().find("pack"), std::string::npos);
  EXPECT_FALSE(parseSchedule("wg=96x128 pack=yes", error));
  EXPECT_NE(error.find("pack=yes"), std::string::npos) << error;

  DispatchShape gemm;
  gemm.rootKind = "matmul";
  gemm.resultShape = {96, 1024};
  gemm.rootLoops = {96, 1024, 512};
  gemm.rootReduction = {false, false, true};
  EXPECT_EQ(verifySchedule(*on, gemm, avx2()), "");
  Schedule noRegisterTile = *on;
  noRegisterTile.registerTile.clear();
  EXPECT_NE(verifySchedule(noRegisterTile, gemm, avx2()).find("without a register tile"),
            std::string::npos);
  DispatchShape depthwise;
  depthwise.rootKind = "depthwise_nhwc";
  depthwise.resultShape = {1, 56, 56, 144};
  depthwise.rootLoops = {1, 56, 56, 144, 3, 3};
  depthwise.rootReduction = {false, false, false, false, true, true};
  Schedule dw = defaultSchedule(depthwise, avx2());
  dw.panelCopy = PanelCopy::Off;
  EXPECT_NE(verifySchedule(dw, depthwise, avx2()).find("not a depthwise_nhwc"), std::string::npos);
}

TEST(ScheduleTest, DefaultsDivideAndKeepRowsTogether) {
  // 197 tokens has no divisor but 1 and itself: the workgroups split columns.
  DispatchShape shape;
  shape.rootKind = "matmul";
  shape.resultShape = {197, 3072};
  shape.rootLoops = {197, 3072, 768};
  shape.rootReduction = {false, false, true};
  Schedule s = defaultSchedule(shape, avx2());
  ASSERT_EQ(s.workgroupTile.size(), 2u);
  EXPECT_EQ(s.workgroupTile[0], 197);
  EXPECT_EQ(3072 % s.workgroupTile[1], 0);
  EXPECT_GE(3072 / s.workgroupTile[1], 8); // enough workgroups for the threads
  EXPECT_EQ(s.registerTile, (std::vector<int64_t>{6, 16, 1}));

  // Row-wise normalizations keep the normalized dimension whole.
  DispatchShape norm;
  norm.rootKind = "layer_norm";
  norm.resultShape = {1, 197, 768};
  Schedule n = defaultSchedule(norm, avx2());
  EXPECT_EQ(n.workgroupTile.back(), 768);
}

TEST(ScheduleTest, GpuLayerNormsTakeABlockPerLongRow) {
  Target cuda;
  cuda.kind = TargetKind::Cuda;
  cuda.arch = "sm_90";
  DispatchShape norm;
  norm.rootKind = "layer_norm";
  norm.rootReduction = {false, false, true};
  // ViT-B/16 at batch 1 and 64: a block per 768-wide row.
  for (int64_t batch : {1, 64}) {
    norm.resultShape = {batch, 197, 768};
    norm.rootLoops = {batch, 197, 768};
    EXPECT_EQ(defaultSchedule(norm, cuda).workgroupTile, (std::vector<int64_t>{1, 1, 768}));
  }
  // Short rows (not split among threads): several rows a block, a thread each.
  norm.resultShape = {64, 197, 48};
  norm.rootLoops = {64, 197, 48};
  Schedule s = defaultSchedule(norm, cuda);
  EXPECT_EQ(s.workgroupTile.back(), 48);
  EXPECT_GT(s.workgroupTile[0] * s.workgroupTile[1], 1);
}

TEST(ScheduleTest, GpuDefaultsFitABlock) {
  Target cuda;
  cuda.kind = TargetKind::Cuda;
  cuda.arch = "sm_90";
  DispatchShape shape;
  shape.rootKind = "conv";
  shape.resultShape = {1, 64, 56, 56};
  Schedule s = defaultSchedule(shape, cuda);
  int64_t threads = 1;
  for (int64_t t : s.workgroupTile)
    threads *= t;
  EXPECT_LE(threads, 256);
  EXPECT_TRUE(s.registerTile.empty());
}

TEST(ScheduleTest, LongGemmReductionsAreBlockedForL1) {
  // (m, n, k) of ViT-B/16's MLP down projection: K = 3072 in blocks of 256 on
  // AVX2 (a 256 x 16 panel of B is 16 KiB); a 256-deep K stays whole; an
  // attention's reduction (its head size) is never blocked.
  DispatchShape down{"matmul", {197, 768}, {197, 768, 3072}, {false, false, true}};
  EXPECT_EQ(defaultSchedule(down, avx2()).cacheTile, (std::vector<int64_t>{0, 0, 256}));
  EXPECT_EQ(verifySchedule(defaultSchedule(down, avx2()), down, avx2()), "");
  DispatchShape shortK{"matmul", {197, 768}, {197, 768, 256}, {false, false, true}};
  EXPECT_TRUE(defaultSchedule(shortK, avx2()).cacheTile.empty());
  DispatchShape odd{"matmul", {197, 768}, {197, 768, 1000}, {false, false, true}};
  EXPECT_TRUE(defaultSchedule(odd, avx2()).cacheTile.empty());
}

} // namespace

namespace {

TEST(ScheduleTest, CacheTilesOnlyOnDividedReductions) {
  DispatchShape gemm{"matmul", {64, 128}, {64, 128, 96}, {false, false, true}, false};
  Schedule s = defaultSchedule(gemm, avx2());
  EXPECT_TRUE(s.cacheTile.empty()) << "the default leaves K whole";
  EXPECT_EQ(s.str().find("cache"), std::string::npos) << "empty cache is not printed";
  s.cacheTile = {0, 0, 32};
  EXPECT_EQ(verifySchedule(s, gemm, avx2()), "");
  std::string error;
  std::optional<Schedule> parsed = parseSchedule(s.str(), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->cacheTile, s.cacheTile);
  s.cacheTile = {0, 0, 40};
  EXPECT_NE(verifySchedule(s, gemm, avx2()).find("does not divide"), std::string::npos);
  s.cacheTile = {0, 16, 0};
  EXPECT_NE(verifySchedule(s, gemm, avx2()).find("not a reduction"), std::string::npos);
  s.cacheTile = {0, 32};
  EXPECT_NE(verifySchedule(s, gemm, avx2()).find("cache has 2 sizes"), std::string::npos);
}

} // namespace

namespace {

DispatchShape pointwiseConv(int64_t c, int64_t f, int64_t hw) {
  return {"conv", {1, f, hw, hw}, {1, f, hw, hw, c, 1, 1},
          {false, false, false, false, true, true, true}, true};
}

TEST(ScheduleTest, PointwiseConvolutionDefaultsFollowTheTunersFindings) {
  // GEMM form only where a row is whole vectors (56 = 7 x 8 lanes, not 28 or 7).
  EXPECT_EQ(defaultSchedule(pointwiseConv(64, 256, 56), avx2()).conv, ConvAlgorithm::Gemm);
  EXPECT_EQ(defaultSchedule(pointwiseConv(128, 512, 28), avx2()).conv, ConvAlgorithm::Direct);
  EXPECT_EQ(defaultSchedule(pointwiseConv(512, 2048, 7), avx2()).conv, ConvAlgorithm::Direct);
  // Input channels in blocks of 64 from 256 channels on, never below.
  EXPECT_EQ(defaultSchedule(pointwiseConv(1024, 256, 14), avx2()).cacheTile,
            (std::vector<int64_t>{0, 0, 0, 0, 64, 0, 0}));
  EXPECT_TRUE(defaultSchedule(pointwiseConv(64, 256, 56), avx2()).cacheTile.empty());
  for (DispatchShape shape : {pointwiseConv(1024, 256, 14), pointwiseConv(64, 256, 56),
                              pointwiseConv(512, 2048, 7)})
    EXPECT_EQ(verifySchedule(defaultSchedule(shape, avx2()), shape, avx2()), "");
}

} // namespace

namespace {

TEST(ScheduleTest, LoopOrderIsAPermutationWithReductionsInside) {
  DispatchShape gemm{"matmul", {64, 128}, {64, 128, 96}, {false, false, true}, false};
  Schedule s = defaultSchedule(gemm, avx2());
  s.loopOrder = {0, 1, 2};
  EXPECT_EQ(verifySchedule(s, gemm, avx2()), "");
  std::string error;
  std::optional<Schedule> parsed = parseSchedule(s.str(), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->loopOrder, s.loopOrder);
  s.loopOrder = {0, 2, 1};
  EXPECT_NE(verifySchedule(s, gemm, avx2()).find("inside a reduction"), std::string::npos);
  s.loopOrder = {0, 0, 2};
  EXPECT_NE(verifySchedule(s, gemm, avx2()).find("not a permutation"), std::string::npos);
  s.loopOrder = {1, 0};
  EXPECT_NE(verifySchedule(s, gemm, avx2()).find("order has 2 loops"), std::string::npos);
}

} // namespace

namespace {

/// The development machine's caches (Zen 3: 32 KiB L1, 512 KiB L2), AVX2.
Target zen3() {
  Target t = avx2();
  t.l1Bytes = 32 * 1024;
  t.l2Bytes = 512 * 1024;
  return t;
}

/// A channels-last convolution: result (n, oh, ow, f), loops (n, oh, ow, f, kh, kw, c).
DispatchShape nhwcConv(int64_t c, int64_t f, int64_t hw, int64_t k) {
  return {"conv_nhwc", {1, hw, hw, f}, {1, hw, hw, f, k, k, c},
          {false, false, false, false, true, true, true}, false};
}

TEST(ScheduleTest, ChannelsLastConvolutionDefaults) {
  // 3x3x512x512 on 7x7 (weights 9.4 MB, input 100 KB): filters split first,
  // every row of the map stays in one workgroup.
  Schedule deep = defaultSchedule(nhwcConv(512, 512, 7, 3), zen3());
  EXPECT_EQ(deep.workgroupTile[1], 7);
  EXPECT_EQ(deep.workgroupTile[3] % 16, 0);
  EXPECT_LT(deep.workgroupTile[3], 512);
  // 3x3x64x64 on 56x56 (input outweighs weights): rows split first.
  Schedule wide = defaultSchedule(nhwcConv(64, 64, 56, 3), zen3());
  EXPECT_LT(wide.workgroupTile[1], 56);
  EXPECT_EQ(wide.workgroupTile[3], 64);
  // Register tile: 6 columns x 2 vectors of filters on AVX2, balanced over a
  // 7-wide row (4 + 3) and a 14-wide one (5 + 5 + 4).
  EXPECT_EQ(defaultSchedule(nhwcConv(64, 64, 56, 3), zen3()).registerTile,
            (std::vector<int64_t>{1, 1, 6, 16, 1, 1, 1}));
  EXPECT_EQ(deep.registerTile[2], 4);
  EXPECT_EQ(defaultSchedule(nhwcConv(256, 256, 14, 3), zen3()).registerTile[2], 5);
  // Input channels in blocks whose 3x3 x cb x 16 weight panel fits 3/4 of
  // L1 (32 KiB: cb = 32); 1x1 blocks of 64; too few channels: none.
  EXPECT_EQ(deep.cacheTile, (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 32}));
  EXPECT_EQ(defaultSchedule(nhwcConv(1024, 256, 14, 1), zen3()).cacheTile.back(), 64);
  EXPECT_TRUE(defaultSchedule(nhwcConv(3, 64, 112, 7), zen3()).cacheTile.empty());
  for (DispatchShape shape : {nhwcConv(512, 512, 7, 3), nhwcConv(64, 64, 56, 3),
                              nhwcConv(1024, 256, 14, 1), nhwcConv(3, 64, 112, 7)})
    EXPECT_EQ(verifySchedule(defaultSchedule(shape, zen3()), shape, zen3()), "");
}

TEST(ScheduleTest, ChannelsLastDepthwiseAndPoolVectorizeChannels) {
  // (n, oh, ow, c, kh, kw): 4 columns x 2 vectors of channels.
  DispatchShape dw{"depthwise_nhwc", {1, 56, 56, 144}, {1, 56, 56, 144, 3, 3},
                   {false, false, false, false, true, true}, false};
  Schedule s = defaultSchedule(dw, avx2());
  EXPECT_EQ(s.registerTile, (std::vector<int64_t>{1, 1, 4, 16, 1, 1}));
  EXPECT_EQ(verifySchedule(s, dw, avx2()), "");
  dw.rootKind = "pool_nhwc";
  EXPECT_EQ(defaultSchedule(dw, avx2()).registerTile, s.registerTile);
}

} // namespace

namespace {

TEST(ScheduleTest, StagesPipelineStagedBlocksOnGpus) {
  std::string error;
  Target sm90 = *parseTarget("cuda:sm_90", error);
  Target gfx90a = *parseTarget("rocm:gfx90a", error);
  DispatchShape gemm{"matmul", {64, 128}, {64, 128, 512}, {false, false, true}, false};
  gemm.operandBits = 16;
  // Tensor-core defaults: three K blocks in flight with cp.async, two on AMD;
  // one buffer where K is a single block.
  Schedule s = defaultSchedule(gemm, sm90);
  EXPECT_EQ(s.stages, 3);
  EXPECT_NE(s.str().find(" stages=3"), std::string::npos);
  EXPECT_EQ(defaultSchedule(gemm, gfx90a).stages, 2);
  DispatchShape shortK{"matmul", {64, 128}, {64, 128, 32}, {false, false, true}, false};
  shortK.operandBits = 16;
  EXPECT_EQ(defaultSchedule(shortK, sm90).stages, 1);
  EXPECT_EQ(defaultSchedule(shortK, sm90).str().find("stages"), std::string::npos);
  // Text round trip.
  std::optional<Schedule> parsed = parseSchedule(s.str(), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(*parsed, s);
  EXPECT_FALSE(parseSchedule("wg=64x64 reg=32x32x0 stages=0", error));
  // Refusals with reasons: workgroup memory, range, CPU, nothing staged.
  Schedule amd = defaultSchedule(gemm, gfx90a); // 64 KB of LDS
  amd.stages = 6;
  EXPECT_NE(verifySchedule(amd, gemm, gfx90a).find("(6 stages)"), std::string::npos);
  s.stages = 9;
  EXPECT_NE(verifySchedule(s, gemm, sm90).find("between 1 and 8"), std::string::npos);
  DispatchShape f32{"matmul", {64, 128}, {64, 128, 512}, {false, false, true}, false};
  Schedule cpu = defaultSchedule(f32, avx2());
  cpu.stages = 2;
  EXPECT_NE(verifySchedule(cpu, f32, avx2()).find("GPU knob"), std::string::npos);
  Schedule unstaged = defaultSchedule(f32, sm90);
  unstaged.cacheTile.clear();
  unstaged.stages = 2;
  EXPECT_NE(verifySchedule(unstaged, f32, sm90).find("needs reg and cache"), std::string::npos);
  // A pipeline needs at least two K blocks.
  Schedule whole = defaultSchedule(gemm, sm90);
  whole.cacheTile.back() = 512;
  EXPECT_NE(verifySchedule(whole, gemm, sm90).find("one block; give a smaller cache size"),
            std::string::npos);
}

} // namespace

namespace {

TEST(ScheduleTest, TF32WarpTilesOnlyWhereTheTargetHasThem) {
  std::string error;
  Target sm80 = *parseTarget("cuda:sm_80", error);
  Target sm75 = *parseTarget("cuda:sm_75", error);
  Target gfx90a = *parseTarget("rocm:gfx90a", error);
  // f32 operands allowed TF32 (--precision tf32) are described as 19 bits.
  DispatchShape gemm{"matmul", {64, 128}, {64, 128, 512}, {false, false, true}, false};
  gemm.operandBits = 19;
  Schedule s = defaultSchedule(gemm, sm80);
  EXPECT_EQ(s.mmaShape, (std::vector<int64_t>{16, 8, 8}));
  EXPECT_EQ(verifySchedule(s, gemm, sm80), "");
  EXPECT_TRUE(defaultSchedule(gemm, sm75).mmaShape.empty());
  EXPECT_TRUE(defaultSchedule(gemm, gfx90a).mmaShape.empty());
  EXPECT_NE(verifySchedule(s, gemm, gfx90a).find("only CUDA sm_80 or later"), std::string::npos);
  s.mmaShape = {16, 8, 16};
  EXPECT_NE(verifySchedule(s, gemm, sm80).find("use mma=16x8x8 (mma.sync.m16n8k8.tf32)"),
            std::string::npos);
  // Plain f32 (no TF32 allowed) never takes tensor cores.
  DispatchShape f32 = gemm;
  f32.operandBits = 32;
  EXPECT_TRUE(defaultSchedule(f32, sm80).mmaShape.empty());
  s.mmaShape = {16, 8, 8};
  EXPECT_NE(verifySchedule(s, f32, sm80).find("allowed TF32"), std::string::npos);
}

} // namespace

namespace {

TEST(ScheduleTest, GpuAttentionBlocksTakeSeveralHeadsWhereBlocksAreMany) {
  std::string error;
  Target sm90 = *parseTarget("cuda:sm_90", error);
  auto attention = [](int64_t heads) {
    return DispatchShape{"attention", {heads, 208, 64}, {heads, 208, 64, 208}, {}, false};
  };
  // ViT-B/16 at batch 64: 768 heads x 13 row blocks; 4 heads (64 threads) a block.
  EXPECT_EQ(defaultSchedule(attention(768), sm90).workgroupTile,
            (std::vector<int64_t>{4, 16, 64}));
  // Batch 1: 12 x 13 blocks are already too few; a head's 16 rows a block.
  EXPECT_EQ(defaultSchedule(attention(12), sm90).workgroupTile, (std::vector<int64_t>{1, 16, 64}));
  EXPECT_EQ(verifySchedule(defaultSchedule(attention(768), sm90), attention(768), sm90), "");
}

} // namespace

namespace {

/// wgmma warpgroup tiles (mma=64xNx16): sm_90 and simt only, 16-bit
/// operands, each warpgroup's tile 64xN spanning the block's columns, K
/// blocks of 64, whole 64-column panels, at most 4 warpgroups; the text
/// form round-trips.
TEST(ScheduleTest, WarpgroupTilesOnlyWhereTheyFit) {
  std::string error;
  Target sm90 = *parseTarget("cuda:sm_90", error);
  Target sm80 = *parseTarget("cuda:sm_80", error);
  Target simt = *parseTarget("simt", error);
  Target gfx90a = *parseTarget("rocm:gfx90a", error);
  EXPECT_TRUE(sm90.warpgroupMma());
  EXPECT_TRUE(simt.warpgroupMma());
  EXPECT_FALSE(sm80.warpgroupMma());
  EXPECT_FALSE(gfx90a.warpgroupMma());
  DispatchShape gemm{"matmul", {1024, 1024}, {1024, 1024, 1024}, {false, false, true}, false};
  gemm.operandBits = 16;
  std::optional<Schedule> s =
      parseSchedule("wg=128x128 reg=64x128x0 vec=1 conv=direct cache=0x0x64 mma=64x128x16 stages=3", error);
  ASSERT_TRUE(s) << error;
  EXPECT_TRUE(isWarpgroupMma(s->mmaShape));
  EXPECT_FALSE(isWarpgroupMma({16, 8, 16}));
  EXPECT_EQ(s->str(), "wg=128x128 reg=64x128x0 vec=1 conv=direct cache=0x0x64 mma=64x128x16 stages=3");
  EXPECT_EQ(verifySchedule(*s, gemm, sm90), "");
  EXPECT_EQ(verifySchedule(*s, gemm, simt), "");
  EXPECT_NE(verifySchedule(*s, gemm, sm80).find("only CUDA sm_90 has"), std::string::npos);
  EXPECT_NE(verifySchedule(*s, gemm, gfx90a).find("only CUDA sm_90 has"), std::string::npos);
  Schedule t = *s;
  t.workgroupTile = {128, 256};
  EXPECT_NE(verifySchedule(t, gemm, sm90).find("block's columns (256)"), std::string::npos);
  t = *s;
  t.registerTile = {32, 128, 0};
  EXPECT_NE(verifySchedule(t, gemm, sm90).find("needs reg=64x128x0"), std::string::npos);
  t = *s;
  t.cacheTile = {0, 0, 32};
  EXPECT_NE(verifySchedule(t, gemm, sm90).find("K blocks of 64"), std::string::npos);
  t = *s;
  t.mmaShape = {64, 96, 16};
  t.workgroupTile = {128, 96};
  t.registerTile = {64, 96, 0};
  DispatchShape wide = gemm;
  wide.resultShape = {1024, 960};
  wide.rootLoops = {1024, 960, 1024};
  EXPECT_NE(verifySchedule(t, wide, sm90).find("whole 64-column panels"), std::string::npos)
      << verifySchedule(t, wide, sm90);
  t = *s;
  t.workgroupTile = {320, 128};
  DispatchShape tall = gemm;
  tall.resultShape = {1280, 1024};
  tall.rootLoops = {1280, 1024, 1024};
  EXPECT_NE(verifySchedule(t, tall, sm90).find("5 warpgroups; at most 4"), std::string::npos);
  DispatchShape f32 = gemm;
  f32.operandBits = 32;
  EXPECT_NE(verifySchedule(*s, f32, sm90).find("bf16 or f16"), std::string::npos);
  // Shared memory: 4 stages of 128x64 + 64x256 16-bit blocks and the
  // accumulators of a 128x256 block do not fit 227 KB.
  t = *s;
  t.mmaShape = {64, 256, 16};
  t.workgroupTile = {128, 256};
  t.registerTile = {64, 256, 0};
  t.stages = 4;
  EXPECT_NE(verifySchedule(t, gemm, sm90).find("bytes of workgroup memory"), std::string::npos);
  t.stages = 2;
  EXPECT_EQ(verifySchedule(t, gemm, sm90), "");
  // Without an epilogue the accumulators stay in registers: 4 stages fit.
  DispatchShape bare = gemm;
  bare.epilogue = false;
  t.stages = 4;
  EXPECT_EQ(verifySchedule(t, bare, sm90), "");
  // inflight=1 (a wgmma group left running into the next K step): the text
  // form round-trips; it needs wgmma, a block being copied (stages >= 3),
  // a GPU; at most 1.
  t.inFlight = 1;
  EXPECT_EQ(t.str(), "wg=128x256 reg=64x256x0 vec=1 conv=direct cache=0x0x64 mma=64x256x16 "
                     "stages=4 inflight=1");
  std::optional<Schedule> back = parseSchedule(t.str(), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, t);
  EXPECT_EQ(verifySchedule(t, bare, sm90), "");
  t.stages = 2;
  EXPECT_NE(verifySchedule(t, bare, sm90).find("inflight=1 needs stages >= 3"), std::string::npos);
  t.stages = 4;
  t.inFlight = 2;
  EXPECT_NE(verifySchedule(t, bare, sm90).find("at most one"), std::string::npos);
  Schedule warps = *parseSchedule(
      "wg=128x128 reg=64x64x0 vec=1 conv=direct cache=0x0x32 mma=16x8x16 stages=3 inflight=1", error);
  EXPECT_NE(verifySchedule(warps, gemm, sm90).find("needs warpgroup tiles"), std::string::npos);
  Target cpu = *parseTarget("cpu", error);
  Schedule plain = *parseSchedule("wg=64x64 reg=8x16x1 vec=16 conv=direct inflight=1", error);
  EXPECT_NE(verifySchedule(plain, gemm, cpu).find("CPU kernels take 0"), std::string::npos);
  // tma=1 (TMA loads of the staged tiles): the text form round-trips; it
  // needs warpgroup tiles and a GPU; tma=0 is the default, omitted.
  t.inFlight = 1;
  t.tma = true;
  EXPECT_EQ(t.str(), "wg=128x256 reg=64x256x0 vec=1 conv=direct cache=0x0x64 mma=64x256x16 "
                     "stages=4 inflight=1 tma=1");
  back = parseSchedule(t.str(), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, t);
  EXPECT_EQ(verifySchedule(t, bare, sm90), "");
  EXPECT_FALSE(parseSchedule(s->str() + " tma=0", error)->tma);
  EXPECT_FALSE(parseSchedule(s->str() + " tma=2", error));
  EXPECT_NE(error.find("[tma=0|1]"), std::string::npos);
  warps.inFlight = 0;
  warps.tma = true;
  EXPECT_NE(verifySchedule(warps, gemm, sm90).find("tma=1 loads wgmma's staged tiles"),
            std::string::npos);
  plain = *parseSchedule("wg=64x64 reg=8x16x1 vec=16 conv=direct tma=1", error);
  EXPECT_NE(verifySchedule(plain, gemm, cpu).find("tma=1 is a GPU knob"), std::string::npos);
  // group=G (blocks run G rows at a time): GPU targets, 1 to 64; the text
  // form round-trips; the default takes 8 for grids of many blocks.
  Schedule grouped = *s;
  grouped.blockGroup = 8;
  EXPECT_EQ(grouped.str(), s->str() + " group=8");
  EXPECT_EQ(*parseSchedule(grouped.str(), error), grouped);
  EXPECT_EQ(verifySchedule(grouped, gemm, sm90), "");
  grouped.blockGroup = 65;
  EXPECT_NE(verifySchedule(grouped, gemm, sm90).find("not between 1 and 64"), std::string::npos);
  plain = *parseSchedule("wg=64x64 reg=8x16x1 vec=16 conv=direct group=8", error);
  EXPECT_NE(verifySchedule(plain, gemm, cpu).find("CPU kernels take 1"), std::string::npos);
  DispatchShape big{"matmul", {4096, 4096}, {4096, 4096, 4096}, {false, false, true}, false};
  big.operandBits = 16;
  EXPECT_EQ(defaultSchedule(big, sm90).blockGroup, 8);
  EXPECT_EQ(defaultSchedule(gemm, sm90).blockGroup, 1); // 64 blocks of 128x128
  // ViT-B/16's token products at batch 64 (12608 rows: 64s, not 128s): 64x256
  // blocks of 64x64 warp tiles.
  DispatchShape tokens{"matmul", {12608, 3072}, {12608, 3072, 768}, {false, false, true}, false};
  tokens.operandBits = 16;
  Schedule wideTiles = defaultSchedule(tokens, sm90);
  EXPECT_EQ(wideTiles.str(), "wg=64x256 reg=64x64x0 vec=1 conv=direct cache=0x0x32 mma=16x8x16 "
                        "stages=4 group=8");
  EXPECT_EQ(verifySchedule(wideTiles, tokens, sm90), "");
}

} // namespace

namespace {

/// Tensor-core attention (mma=16x8x16 on an attention dispatch): mma.sync
/// targets (CUDA sm_80+, simt) and 16-bit operands only, a head per block,
/// block rows in 16s (a warp's), value columns in 16s, nothing but wg and
/// mma; the text form round-trips.
TEST(ScheduleTest, TensorCoreAttentionOnlyWhereItFits) {
  std::string error;
  Target sm90 = *parseTarget("cuda:sm_90", error);
  Target sm80 = *parseTarget("cuda:sm_80", error);
  Target simt = *parseTarget("simt", error);
  Target gfx90a = *parseTarget("rocm:gfx90a", error);
  DispatchShape vit{"attention", {64, 12, 208, 64}, {64, 12, 208, 64, 197}, {}, false};
  vit.operandBits = 16;
  std::optional<Schedule> s = parseSchedule("wg=1x1x208x0 reg=- vec=1 conv=direct mma=16x8x16", error);
  ASSERT_TRUE(s) << error;
  EXPECT_TRUE(isWarpAttentionSchedule(*s, "attention"));
  EXPECT_FALSE(isWarpAttentionSchedule(*s, "matmul"));
  EXPECT_EQ(s->str(), "wg=1x1x208x0 reg=- vec=1 conv=direct mma=16x8x16");
  EXPECT_EQ(verifySchedule(*s, vit, sm90), "");
  EXPECT_EQ(verifySchedule(*s, vit, sm80), "");
  EXPECT_EQ(verifySchedule(*s, vit, simt), "");
  EXPECT_NE(verifySchedule(*s, vit, gfx90a).find("runs attention on the SIMT path"),
            std::string::npos);
  DispatchShape f32 = vit;
  f32.operandBits = 32;
  EXPECT_NE(verifySchedule(*s, f32, sm90).find("needs bf16 or f16 operands"), std::string::npos);
  Schedule t = *s;
  t.workgroupTile = {1, 2, 208, 0};
  EXPECT_NE(verifySchedule(t, vit, sm90).find("one head per block"), std::string::npos);
  t.workgroupTile = {1, 1, 104, 0};
  EXPECT_NE(verifySchedule(t, vit, sm90).find("must be a multiple of 16"), std::string::npos);
  t.workgroupTile = {1, 1, 16, 32};
  EXPECT_NE(verifySchedule(t, vit, sm90).find("keeps the value columns whole"), std::string::npos);
  t = *s;
  t.registerTile = {1, 1, 16, 64, 0};
  EXPECT_NE(verifySchedule(t, vit, sm90).find("drop reg and cache"), std::string::npos);
  // Its key blocks pipeline (stages) without reg or cache.
  t = *s;
  t.stages = 3;
  EXPECT_EQ(verifySchedule(t, vit, sm90), "");
  EXPECT_EQ(t.str(), "wg=1x1x208x0 reg=- vec=1 conv=direct mma=16x8x16 stages=3");
  t.stages = 5;
  EXPECT_NE(verifySchedule(t, vit, sm90).find("at most 4 key blocks"), std::string::npos);
  t = *s;
  t.mmaShape = {16, 16, 16};
  EXPECT_NE(verifySchedule(t, vit, sm90).find("tensor-core attention is mma=16x8x16"),
            std::string::npos);
  DispatchShape narrow = vit;
  narrow.resultShape = {64, 12, 208, 24};
  EXPECT_NE(verifySchedule(*s, narrow, sm90).find("value columns in 16s"), std::string::npos);
}

} // namespace

TEST(ScheduleTest, GpuElementwiseKernelsTakeSixteenBytesPerThread) {
  std::string error;
  Target sm90 = *parseTarget("cuda:sm_90", error);
  DispatchShape moves{"elementwise", {64, 12, 197, 64}, {}, {}, false};
  moves.resultBits = 16; // a bf16 head transpose: 8 per thread
  Schedule s = defaultSchedule(moves, sm90);
  EXPECT_EQ(s.vectorWidth, 8);
  EXPECT_EQ(s.workgroupTile.back() % 8, 0) << s.str();
  EXPECT_EQ(verifySchedule(s, moves, sm90), "");
  moves.resultBits = 32; // f32: 4
  EXPECT_EQ(defaultSchedule(moves, sm90).vectorWidth, 4);
  DispatchShape odd = moves;
  odd.resultShape = {1, 197, 6}; // 6 columns of f32: pairs
  EXPECT_EQ(defaultSchedule(odd, sm90).vectorWidth, 2);
  odd.resultShape = {1, 224, 224, 3}; // channels of 3: one element
  EXPECT_EQ(defaultSchedule(odd, sm90).vectorWidth, 1);
  DispatchShape gather = moves; // a pad, concatenation or gather inside
  gather.innerContiguous = false;
  EXPECT_EQ(defaultSchedule(gather, sm90).vectorWidth, 1);
  DispatchShape softmax{"softmax", {1, 12, 197, 197}, {1, 12, 197, 197}, {}, false};
  EXPECT_EQ(defaultSchedule(softmax, sm90).vectorWidth, 1);
}
