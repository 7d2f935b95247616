//===- TensorCoreTest.cpp - warp tiles against the reference --------------===//
//
// The TensorCore suite: every case whose GEMMs take warp tiles (`mma`), in
// bf16, fp16 and TF32, under several warp tilings and pipelines, run on the
// simt target, compiled for CUDA and ROCm (run where a GPU exists), and run
// on the lane emulator (`emulated`: CUDA sm_90's kernels thread by thread on
// the CPU: mma.sync fragments, ldmatrix, wgmma, TMA loads and mbarriers).
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/Harness.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace tilec;
using namespace tilec::conformance;

namespace {

/// Tensor cores: the cases whose GEMMs take warp tiles (`mma`), in bf16 and
/// fp16, under the GPU default and two other warp tilings, run on the simt
/// target (the warp tiles' blocks, staging, K loops and epilogues checked
/// against the reference; each warp-wide contraction computed by the CPU) and
/// compiled to mma.sync for CUDA (run where a GPU exists).
enum class MmaVariant {
  Default,
  SmallWarpTiles,
  ManyWarps,
  AmdTiles,
  SingleBuffer,
  FourStages,
  LargeTiles,
  Warpgroups,
  WarpgroupsInFlight,
  WarpgroupsTma
};

std::string mmaVariantName(MmaVariant v) {
  switch (v) {
  case MmaVariant::Default:
    return "default";
  case MmaVariant::SmallWarpTiles:
    return "small_warp_tiles";
  case MmaVariant::ManyWarps:
    return "many_warps";
  case MmaVariant::AmdTiles:
    return "amd_tiles";
  case MmaVariant::SingleBuffer:
    return "single_buffer";
  case MmaVariant::FourStages:
    return "four_stages";
  case MmaVariant::LargeTiles:
    return "large_tiles";
  case MmaVariant::Warpgroups:
    return "warpgroups";
  case MmaVariant::WarpgroupsInFlight:
    return "warpgroups_in_flight";
  case MmaVariant::WarpgroupsTma:
    return "warpgroups_tma";
  }
  return "?";
}

/// Edits of the default tensor-core schedule: 16x8 warp tiles in 16x16
/// blocks with K blocks of 16 (several staged K blocks, 2 warps; the blocks
/// run 3 rows at a time, `group=3`, where there are more); 16x8 warp
/// tiles in the default block (up to 32 warps); AMD's MFMA tiling (16x16x16,
/// on the simt target; the default on ROCm) where the columns allow it; one
/// buffer per operand (no pipeline); K blocks of 16 four at a time (a
/// pipeline longer than some loops, shorter than others); the large-GEMM
/// shape (128x128 blocks of 64x64 warp tiles, 4 stages) where it divides
/// (64x256 blocks where the rows are 64s but not 128s);
/// warpgroup tiles (wgmma) where the rows, columns and K divide into 64s:
/// blocks of up to two warpgroups over the widest N of 256, 192, 128, 64,
/// K blocks of 64, up to three in flight (the default elsewhere); the same
/// with up to 4 stages and each step's wgmma group left in flight into the
/// next (`inflight=1`: the copies one block less ahead) where K has the 3
/// blocks that needs; the latter with its tiles loaded by TMA (`tma=1`:
/// CUDA sm_90 only, the simt target runs the same tiles with its copies).
codegen::Schedule editMma(const codegen::Schedule &d, MmaVariant v,
                          const codegen::DispatchShape &shape) {
  codegen::Schedule s = d;
  if (s.mmaShape.empty() || v == MmaVariant::Default)
    return s;
  size_t rank = shape.resultShape.size();
  if (v == MmaVariant::AmdTiles) {
    s.mmaShape = {16, 16, 16};
    for (size_t i = rank - 2; i < rank; ++i) {
      s.workgroupTile[i] = shape.resultShape[i] % 32 == 0 ? 32 : 16;
      s.registerTile[i] = 16;
    }
    return s;
  }
  if (v == MmaVariant::SingleBuffer) {
    s.stages = 1;
    return s;
  }
  if (v == MmaVariant::LargeTiles) {
    for (size_t i = rank - 2; i < rank; ++i) {
      int64_t dim = shape.resultShape[i];
      s.workgroupTile[i] = dim % 128 == 0 ? 128 : dim % 64 == 0 ? 64 : s.workgroupTile[i];
      s.registerTile[i] = std::min<int64_t>(s.workgroupTile[i], 64);
    }
    // Rows in 64s but not 128s: 64x256 blocks where the columns allow.
    if (shape.resultShape[rank - 2] % 128 != 0 && shape.resultShape[rank - 2] % 64 == 0 &&
        shape.resultShape[rank - 1] % 256 == 0)
      s.workgroupTile[rank - 1] = 256;
    // Four stages where K has blocks to pipeline.
    int64_t k = shape.rootLoops.back(), bk = s.cacheTile.back() ? s.cacheTile.back() : k;
    s.stages = k / bk >= 2 ? 4 : 1;
    return s;
  }
  if (v == MmaVariant::Warpgroups || v == MmaVariant::WarpgroupsInFlight ||
      v == MmaVariant::WarpgroupsTma) {
    int64_t m = shape.resultShape[rank - 2], n = shape.resultShape[rank - 1];
    int64_t k = shape.rootLoops.back();
    int64_t wn = 0;
    for (int64_t option : {256, 192, 128, 64})
      if (!wn && n % option == 0)
        wn = option;
    if (m % 64 != 0 || !wn || k % 64 != 0 || shape.operandBits != 16)
      return s;
    codegen::setWarpgroupTiles(s, rank, m % 128 == 0 ? 128 : 64, wn);
    s.stages = std::min<int64_t>(3, k / 64);
    if (v != MmaVariant::Warpgroups && k / 64 >= 3) {
      s.stages = std::min<int64_t>(4, k / 64);
      s.inFlight = 1;
    }
    s.tma = v == MmaVariant::WarpgroupsTma;
    return s;
  }
  if (v == MmaVariant::FourStages) {
    s.cacheTile[rank] = 16;
    s.stages = 4;
    return s;
  }
  if (v == MmaVariant::SmallWarpTiles) {
    s.workgroupTile[rank - 2] = 16;
    s.workgroupTile[rank - 1] = shape.resultShape[rank - 1] % 16 == 0 ? 16 : 8;
    s.cacheTile[rank] = 16;
    // Many small blocks: run 3 rows of them at a time where there are more
    // (a last group of fewer rows where 3 does not divide them).
    int64_t rows = shape.resultShape[rank - 2] / 16;
    int64_t cols = shape.resultShape[rank - 1] / s.workgroupTile[rank - 1];
    if (rows > 3 && cols > 1)
      s.blockGroup = 3;
  }
  s.registerTile[rank - 2] = 16;
  s.registerTile[rank - 1] = 8;
  return s;
}

std::vector<size_t> tensorCoreCases() {
  std::vector<size_t> cases;
  for (size_t i = 0; i < std::size(kCases); ++i)
    if (std::string(kCases[i].name).find("tensor_core") != std::string::npos)
      cases.push_back(i);
  return cases;
}

/// (case, "bf16" | "fp16", variant, target).
class TensorCoreConformance
    : public ::testing::TestWithParam<std::tuple<size_t, const char *, MmaVariant, const char *>> {
};

TEST_P(TensorCoreConformance, MatchesTheRoundedReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  std::string precision = std::get<1>(GetParam());
  MmaVariant variant = std::get<2>(GetParam());
  std::string targetText = std::get<3>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p, GraphPipelineOptions().layout, precision, /*tensorCores=*/true));
  std::string error;
  codegen::CompileOptions options;
  std::string emulated = emulatedCudaTarget(targetText);
  options.target = *codegen::parseTarget(emulated.empty() ? targetText : emulated, error);
  // AMD tiles: the simt target checks their tiling; ROCm compiles them by
  // default. CUDA has no 16x16x16 instruction, ROCm no 16x8x16 one.
  bool rocm = targetText.rfind("rocm:", 0) == 0;
  bool cuda = options.target.kind == codegen::TargetKind::Cuda;
  if ((variant == MmaVariant::AmdTiles && cuda) ||
      (rocm && variant != MmaVariant::Default && variant != MmaVariant::AmdTiles) ||
      ((variant == MmaVariant::Warpgroups || variant == MmaVariant::WarpgroupsInFlight ||
        variant == MmaVariant::WarpgroupsTma) &&
       precision == "tf32") ||
      (rocm && precision == "tf32"))
    GTEST_SKIP() << "not this target's instruction";
  // A GPU rounds TF32 operands (10-bit mantissa); the simt target computes
  // the same tiles in f32.
  if (precision == "tf32" && targetText != "simt")
    p.tolerance = 1e-2;
  int mmaKernels = 0;
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    codegen::Schedule s = editMma(d, rocm ? MmaVariant::Default : variant, shape);
    // AMD tiles need columns of 16 (the ragged and batched cases have 40 and 24).
    if (!codegen::verifySchedule(s, shape, options.target).empty() && variant == MmaVariant::AmdTiles)
      s = d;
    EXPECT_EQ(codegen::verifySchedule(s, shape, options.target), "") << s.str();
    mmaKernels += !s.mmaShape.empty();
    return std::optional<codegen::Schedule>(s);
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  codegen::CompileReport report;
  std::string tag = std::string(c.name) + "-" + precision + "-mma-" + mmaVariantName(variant);
  if (emulated.empty())
    ASSERT_TRUE(compileAndLoad(p, options, tag, model, status, &report));
  else
    ASSERT_TRUE(compileAndLoadEmulated(p, options, tag, model, &report));
  // The GEMM took warp tiles by default, and they were applied.
  // (MFMA needs columns in 16s: on ROCm the 40- and 24-column cases do not
  // take it.)
  std::string name = c.name;
  if (!rocm || name.rfind("matmul_tensor_core", 0) == 0 || name.rfind("conv_tensor_core", 0) == 0)
    EXPECT_GE(mmaKernels, 1);
  // The warpgroup cases took wgmma tiles.
  int wgmmaKernels = 0;
  for (const codegen::KernelReport &k : report.kernels)
    wgmmaKernels += k.notes.find("warpgroups (wgmma 64x") != std::string::npos;
  bool warpgroups = variant == MmaVariant::Warpgroups ||
                    variant == MmaVariant::WarpgroupsInFlight ||
                    variant == MmaVariant::WarpgroupsTma;
  if (warpgroups && name.find("warpgroups") != std::string::npos)
    EXPECT_GE(wgmmaKernels, 1);
  // On CUDA a GEMM's pipelined warpgroup tiles were loaded by TMA (its
  // operands are tiles of kernel arguments); on simt copied as the TMA
  // loads' boxes would be (what the comparison below then checks); the
  // others say why not (one K block: no pipeline; an implicit GEMM's windows).
  bool tma = variant == MmaVariant::WarpgroupsTma && !rocm && precision != "tf32";
  if (tma) {
    int loaded = 0, pipelined = 0, refused = 0;
    for (const codegen::KernelReport &k : report.kernels) {
      bool wgmma = k.notes.find("warpgroups (wgmma 64x") != std::string::npos;
      loaded += k.notes.find("staged tiles loaded by TMA") != std::string::npos ||
                k.notes.find("staged tiles copied as TMA boxes") != std::string::npos;
      pipelined += wgmma && k.notes.find("-stage pipeline") != std::string::npos;
      refused += k.notes.find("tma=1 not applied (") != std::string::npos;
    }
    EXPECT_EQ(loaded + refused, wgmmaKernels);
    if (name.rfind("matmul_tensor_core", 0) == 0)
      EXPECT_EQ(loaded, pipelined);
  }
  // The 128x128 product's 8x8 small blocks ran 3 rows at a time.
  if (variant == MmaVariant::SmallWarpTiles && !rocm && name == "matmul_tensor_core_warpgroups") {
    bool grouped = false;
    for (const codegen::KernelReport &k : report.kernels)
      grouped |= k.notes.find("blocks run 3 rows at a time (8x8 blocks)") != std::string::npos;
    EXPECT_TRUE(grouped);
  }
  // ptxas kept the wgmma groups asynchronous (it says when it had to wait).
  for (const codegen::KernelReport &k : report.kernels)
    EXPECT_EQ(k.notes.find("(C75"), std::string::npos) << k.notes;
  for (const codegen::KernelReport &k : report.kernels) {
    if (k.schedule.find("mma=16x8x16") != std::string::npos)
      EXPECT_NE(k.notes.find("warps (mma.sync 16x8x16)"), std::string::npos) << k.notes;
    if (k.schedule.find("mma=16x8x8") != std::string::npos)
      EXPECT_NE(k.notes.find("warps (mma.sync 16x8x8)"), std::string::npos) << k.notes;
    if (precision == "tf32" && k.schedule.find("mma=") != std::string::npos)
      EXPECT_NE(k.schedule.find("mma=16x8x8"), std::string::npos) << k.schedule;
    if (k.schedule.find("mma=16x16x16") != std::string::npos)
      EXPECT_NE(k.notes.find("warps (MFMA 16x16x16)"), std::string::npos) << k.notes;
    if (!tma || k.notes.find("tma=1 not applied (") == std::string::npos)
      EXPECT_EQ(k.notes.find("not applied"), std::string::npos) << k.notes;
  }
  if (status) {
    std::string message;
    ASSERT_TRUE(unavailableGpu(status, targetText != "simt", message));
    GTEST_SKIP() << "compiled and assembled; not run: " << message;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " in " << precision;
}

INSTANTIATE_TEST_SUITE_P(
    TensorCore, TensorCoreConformance,
    ::testing::Combine(::testing::ValuesIn(tensorCoreCases()),
                       ::testing::Values("bf16", "fp16", "tf32"),
                       ::testing::Values(MmaVariant::Default, MmaVariant::SmallWarpTiles,
                                         MmaVariant::ManyWarps, MmaVariant::AmdTiles,
                                         MmaVariant::SingleBuffer, MmaVariant::FourStages,
                                         MmaVariant::LargeTiles, MmaVariant::Warpgroups,
                                         MmaVariant::WarpgroupsInFlight,
                                         MmaVariant::WarpgroupsTma),
                       ::testing::Values("simt", "cuda:sm_90", "rocm:gfx90a",
                                         "emulated:sm_90")),
    [](const ::testing::TestParamInfo<std::tuple<size_t, const char *, MmaVariant, const char *>>
           &info) {
      std::string target = std::get<3>(info.param);
      return std::string(kCases[std::get<0>(info.param)].name) + "_" + std::get<1>(info.param) +
             "_" + mmaVariantName(std::get<2>(info.param)) + "_" +
             target.substr(0, target.find(':'));
    });

} // namespace
