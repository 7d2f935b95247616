//===- ConformanceTest.cpp - every kernel kind against the reference ------===//
//
// One harness (in the spirit of ggml's test-backend-ops): each case is a small
// graph in MLIR text; it goes through the graph pipeline, is compiled for the
// host CPU under several schedules (the default, one workgroup, no explicit
// vectorization, small odd tiles), run through the runtime's C API on random
// inputs, and compared with the reference interpreter (max |diff| / max |ref|
// <= 1e-4: f32 accumulation against the reference's f64). The contraction
// cases run again with bf16 / fp16 operands (--precision) against the
// reference evaluating the same rounded graph.
//
// Shapes are chosen to break tiling: 1, primes, tile +- 1, non-multiples of
// every tile size, stride / padding / dilation / group corners, depthwise,
// attention with a sequence length that is no multiple of anything.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/Harness.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

using namespace mlir;
using namespace tilec;
using tilec::conformance::Case;
using tilec::conformance::kCases;

namespace {


/// Schedule variants tried on every case, as edits of the default.
enum class Variant {
  Default,
  OneWorkgroup,
  NoVectorCode,
  SmallOddTiles,
  ReductionBlocks,
  OtherLoopOrder
};
const Variant kVariants[] = {Variant::Default,       Variant::OneWorkgroup,
                             Variant::NoVectorCode,  Variant::SmallOddTiles,
                             Variant::ReductionBlocks, Variant::OtherLoopOrder};

std::string variantName(Variant v) {
  switch (v) {
  case Variant::Default:
    return "default";
  case Variant::OneWorkgroup:
    return "one_workgroup";
  case Variant::NoVectorCode:
    return "no_vector_code";
  case Variant::SmallOddTiles:
    return "small_odd_tiles";
  case Variant::ReductionBlocks:
    return "reduction_blocks";
  case Variant::OtherLoopOrder:
    return "other_loop_order";
  }
  return "?";
}

codegen::Schedule edit(codegen::Schedule s, Variant v, const codegen::DispatchShape &shape) {
  switch (v) {
  case Variant::OtherLoopOrder: {
    // The register-tile loop order the tuner may pick instead of the default:
    // rows outermost (contractions), pixels before filters or channels.
    const std::string &kind = shape.rootKind;
    size_t r = shape.rootLoops.size();
    if ((kind == "matmul" || kind == "attention") && r >= 3)
      for (size_t i = 0; i < r; ++i)
        s.loopOrder.push_back(int64_t(i));
    else if (kind == "conv" && r == 7)
      s.loopOrder = {0, 2, 3, 1, 4, 5, 6};
    else if (kind == "depthwise" && r == 6)
      s.loopOrder = {0, 3, 1, 2, 4, 5};
    else if (kind == "pool" && r == 6)
      s.loopOrder = {0, 2, 3, 1, 4, 5};
    else if (kind == "conv_nhwc" && r == 7)
      s.loopOrder = {0, 3, 1, 2, 4, 5, 6};
    else if ((kind == "depthwise_nhwc" || kind == "pool_nhwc") && r == 6)
      s.loopOrder = {0, 3, 1, 2, 4, 5};
    break;
  }
  case Variant::ReductionBlocks:
    // Every reduction loop walked in blocks of its smallest divisor > 1 (so
    // 3x3 windows become 3 blocks of 1 row, 64 channels 32 blocks of 2), with
    // pack=on where the root takes it.
    s.cacheTile.assign(shape.rootLoops.size(), 0);
    for (size_t i = 0; i < shape.rootLoops.size(); ++i)
      if (shape.rootReduction[i])
        for (int64_t d = 2; d < shape.rootLoops[i]; ++d)
          if (shape.rootLoops[i] % d == 0) {
            s.cacheTile[i] = d;
            break;
          }
    // And operand panels copied per block however few row tiles reuse them.
    if (codegen::takesPanelCopy(shape.rootKind) && !s.registerTile.empty())
      s.panelCopy = codegen::PanelCopy::On;
    break;
  case Variant::Default:
    break;
  case Variant::OneWorkgroup:
    s.workgroupTile.clear();
    break;
  case Variant::NoVectorCode:
    s.registerTile.clear();
    break;
  case Variant::SmallOddTiles:
    // Register tiles are caps shrunk to divisors, so 3 and 5 probe odd splits.
    for (int64_t &t : s.registerTile)
      t = t > 1 ? (t % 2 ? t : 3) : t;
    if (s.registerTile.size() >= 2)
      s.registerTile[s.registerTile.size() - 2] = 5;
    for (int64_t &t : s.workgroupTile)
      t = 1;
    break;
  }
  return s;
}

using namespace tilec::conformance;

/// The cases with a convolution or pool: they run in both layouts (the
/// others have no layout choice).
std::vector<size_t> windowedCases() {
  std::vector<size_t> cases;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    std::string text = kCases[i].mlir;
    if (text.find("conv2d") != std::string::npos || text.find("pool") != std::string::npos)
      cases.push_back(i);
  }
  return cases;
}


/// (case, schedule variant, graph layout).
class Conformance
    : public ::testing::TestWithParam<std::tuple<size_t, Variant, const char *>> {};

TEST_P(Conformance, MatchesReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  Variant variant = std::get<1>(GetParam());
  std::string layout = std::get<2>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p, layout));
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(edit(d, variant, shape));
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  ASSERT_TRUE(compileAndLoad(p, options,
                             std::string(c.name) + "-" + variantName(variant) + "-" + layout,
                             model, status));
  ASSERT_EQ(status, nullptr) << tilec_status_message(status);
  EXPECT_TRUE(runAndCompare(model, p))
      << c.name << " under " << variantName(variant) << " in " << layout;
}

std::string conformanceName(
    const ::testing::TestParamInfo<std::tuple<size_t, Variant, const char *>> &info) {
  return std::string(kCases[std::get<0>(info.param)].name) + "_" +
         variantName(std::get<1>(info.param));
}

// Every case in the default layout (channels last for convolutions and pools).
INSTANTIATE_TEST_SUITE_P(Cpu, Conformance,
                         ::testing::Combine(::testing::Range<size_t>(0, std::size(kCases)),
                                            ::testing::ValuesIn(kVariants),
                                            ::testing::Values("nhwc")),
                         conformanceName);

// The convolutions and pools again in NCHW (`--layout nchw`).
INSTANTIATE_TEST_SUITE_P(CpuNchw, Conformance,
                         ::testing::Combine(::testing::ValuesIn(windowedCases()),
                                            ::testing::ValuesIn(kVariants),
                                            ::testing::Values("nchw")),
                         conformanceName);

/// Schedules of the simt target (GPU tiling run on the CPU): the GPU default;
/// thread tiles without workgroup-memory staging; small blocks with odd
/// thread tiles and K in its smallest blocks (several staged K steps).
enum class SimtVariant { Default, Unstaged, SmallBlocks, Pipelined };
const SimtVariant kSimtVariants[] = {SimtVariant::Default, SimtVariant::Unstaged,
                                     SimtVariant::SmallBlocks};

std::string simtVariantName(SimtVariant v) {
  switch (v) {
  case SimtVariant::Default:
    return "gpu_default";
  case SimtVariant::Unstaged:
    return "gpu_unstaged";
  case SimtVariant::SmallBlocks:
    return "gpu_small_blocks";
  case SimtVariant::Pipelined:
    return "gpu_pipelined";
  }
  return "?";
}

int64_t largestDivisorAtMost(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, cap); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

codegen::Schedule editSimt(const codegen::Schedule &d, SimtVariant v,
                           const codegen::DispatchShape &shape, const codegen::Target &target) {
  codegen::Schedule s = d;
  // Attention (a thread per query row): small blocks take several heads, so
  // that the thread loop walks two dims.
  if (v == SimtVariant::SmallBlocks && shape.rootKind == "attention" &&
      shape.resultShape.size() >= 3) {
    size_t rows = shape.resultShape.size() - 2;
    s.workgroupTile.assign(shape.resultShape.begin(), shape.resultShape.end());
    for (size_t i = 0; i + 1 < rows; ++i)
      s.workgroupTile[i] = 1;
    s.workgroupTile[rows - 1] = largestDivisorAtMost(shape.resultShape[rows - 1], 2);
    s.workgroupTile[rows] = largestDivisorAtMost(shape.resultShape[rows], 6);
    return codegen::verifySchedule(s, shape, target).empty() ? s : d;
  }
  if (s.registerTile.empty())
    return s;
  size_t rank = shape.resultShape.size();
  switch (v) {
  case SimtVariant::Default:
    return s;
  case SimtVariant::Unstaged:
    s.cacheTile.clear();
    break;
  case SimtVariant::SmallBlocks: {
    for (size_t i = 0; i + 2 < rank; ++i)
      s.workgroupTile[i] = 1;
    for (size_t i = rank - 2; i < rank; ++i) {
      s.workgroupTile[i] = largestDivisorAtMost(shape.resultShape[i], 6);
      s.registerTile[i] = largestDivisorAtMost(s.workgroupTile[i], 3);
    }
    int64_t k = shape.rootLoops[rank];
    s.cacheTile.assign(rank + 1, 0);
    s.cacheTile[rank] = k;
    for (int64_t b = 2; b < k; ++b)
      if (k % b == 0) {
        s.cacheTile[rank] = b;
        break;
      }
    break;
  }
  case SimtVariant::Pipelined: {
    // The smallest reduction block (most blocks), three in flight.
    if (s.cacheTile.empty())
      return d;
    size_t last = shape.rootLoops.size() - 1;
    int64_t k = shape.rootLoops[last];
    for (int64_t b = 2; b < k; ++b)
      if (k % b == 0) {
        s.cacheTile[last] = b;
        break;
      }
    if (s.cacheTile[last] == 0 || s.cacheTile[last] == k)
      return d;
    s.stages = 3;
    break;
  }
  }
  // A variant that is illegal for this shape is the default again.
  return codegen::verifySchedule(s, shape, target).empty() ? s : d;
}

/// (case, simt schedule variant).
class SimtConformance : public ::testing::TestWithParam<std::tuple<size_t, SimtVariant>> {};

TEST_P(SimtConformance, MatchesReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  SimtVariant variant = std::get<1>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p, GraphPipelineOptions().layout, "fp32", false, /*gpu=*/true));
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  options.target.simt = true;
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(editSimt(d, variant, shape, options.target));
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  codegen::CompileReport report;
  ASSERT_TRUE(compileAndLoad(p, options,
                             std::string(c.name) + "-" + simtVariantName(variant), model,
                             status, &report));
  ASSERT_EQ(status, nullptr) << tilec_status_message(status);
  // A thread tile the mapping dropped would test only the fallback.
  for (const codegen::KernelReport &k : report.kernels) {
    EXPECT_EQ(k.notes.find("thread tile not applied"), std::string::npos) << k.notes;
    if (k.schedule.find("cache=") != std::string::npos && k.grid > 1)
      EXPECT_NE(k.notes.find("staged in workgroup memory"), std::string::npos) << k.notes;
    if (k.schedule.find("stages=") != std::string::npos) {
      EXPECT_NE(k.notes.find("-stage pipeline"), std::string::npos) << k.notes;
      EXPECT_EQ(k.notes.find("not applied"), std::string::npos) << k.notes;
    }
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " under " << simtVariantName(variant);
}

// Every case as a GPU target tiles it (blocks, thread loops, workgroup
// memory), run on the CPU: the GPU kernels' tiling checked against the
// reference on any machine.
INSTANTIATE_TEST_SUITE_P(
    Simt, SimtConformance,
    ::testing::Combine(::testing::Range<size_t>(0, std::size(kCases)),
                       ::testing::ValuesIn(kSimtVariants)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, SimtVariant>> &info) {
      return std::string(kCases[std::get<0>(info.param)].name) + "_" +
             simtVariantName(std::get<1>(info.param));
    });

/// The cases with a staged root (a convolution or matrix product).
std::vector<size_t> stagedCases() {
  std::vector<size_t> cases;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    std::string text = kCases[i].mlir;
    for (const char *op : {"tilec.conv2d", "tilec.matmul", "tilec.linear"})
      if (text.find(op) != std::string::npos) {
        cases.push_back(i);
        break;
      }
  }
  return cases;
}

// Staged reduction blocks as a 3-stage software pipeline (Pipeline.h), with
// the smallest blocks that divide the loop: the multi-buffer indexing, the
// prologue and the guarded copies checked on the CPU.
INSTANTIATE_TEST_SUITE_P(
    SimtPipelined, SimtConformance,
    ::testing::Combine(::testing::ValuesIn(stagedCases()),
                       ::testing::Values(SimtVariant::Pipelined)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, SimtVariant>> &info) {
      return std::string(kCases[std::get<0>(info.param)].name) + "_" +
             simtVariantName(std::get<1>(info.param));
    });

/// The cases with a convolution, matrix product or attention (what --precision
/// changes).
std::vector<size_t> contractionCases() {
  std::vector<size_t> cases;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    std::string text = kCases[i].mlir;
    for (const char *op : {"tilec.conv2d", "tilec.matmul", "tilec.linear", "tilec.attention"})
      if (text.find(op) != std::string::npos) {
        cases.push_back(i);
        break;
      }
  }
  return cases;
}

/// Where a reduced-precision case runs: the host CPU under the default and
/// small odd tiles, the simt target (GPU tiling with 16-bit operands staged
/// in workgroup memory), and compiled and assembled for both GPU targets.
/// Emulated: CUDA sm_90 on the lane emulator (tests/emulator).
enum class PrecisionTarget { Cpu, CpuSmallOddTiles, Simt, Cuda, Rocm, CpuNchw, SimtNchw, Emulated };

/// (case, "bf16" | "fp16", target).
class PrecisionConformance
    : public ::testing::TestWithParam<std::tuple<size_t, const char *, PrecisionTarget>> {};

TEST_P(PrecisionConformance, MatchesTheRoundedReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  std::string precision = std::get<1>(GetParam());
  PrecisionTarget where = std::get<2>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  bool nchw = where == PrecisionTarget::CpuNchw || where == PrecisionTarget::SimtNchw;
  // Rows padded for tensor cores as the compiler does for these targets.
  bool tensorCores = where == PrecisionTarget::Simt || where == PrecisionTarget::SimtNchw ||
                     where == PrecisionTarget::Cuda || where == PrecisionTarget::Emulated;
  // GPU targets' graph rewrites (pools split, every product's rows padded).
  bool gpu = where != PrecisionTarget::Cpu && where != PrecisionTarget::CpuNchw &&
             where != PrecisionTarget::CpuSmallOddTiles;
  ASSERT_TRUE(
      prepare(c, p, nchw ? "nchw" : GraphPipelineOptions().layout, precision, tensorCores, gpu));
  // The pipeline really narrowed the operands.
  bool narrowed = false;
  p.module->walk([&](ConvertOp) { narrowed = true; });
  p.module->walk([&](ConstantOp k) {
    narrowed |= !cast<ShapedType>(k.getType()).getElementType().isF32();
  });
  ASSERT_TRUE(narrowed) << "no 16-bit operand in " << c.name;
  // GPU targets run 16-bit attention on tensor cores (GpuSchedules'
  // defaultWarpAttentionSchedule), which round the probabilities to the
  // operands' type before they multiply the values (as FlashAttention
  // does; the reference keeps them f32): WarpAttentionTest's limits.
  if (std::string(c.mlir).find("tilec.attention") != std::string::npos &&
      (where == PrecisionTarget::Simt || where == PrecisionTarget::Cuda ||
       where == PrecisionTarget::Emulated))
    p.tolerance = precision == "bf16" ? 8e-3 : 1e-3;
  std::string error;
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  if (where == PrecisionTarget::Simt || where == PrecisionTarget::SimtNchw)
    options.target.simt = true;
  if (where == PrecisionTarget::Cuda || where == PrecisionTarget::Rocm ||
      where == PrecisionTarget::Emulated)
    options.target = *codegen::parseTarget(where == PrecisionTarget::Rocm ? "rocm:gfx90a"
                                                                           : "cuda:sm_90",
                                            error);
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(
        where == PrecisionTarget::CpuSmallOddTiles ? edit(d, Variant::SmallOddTiles, shape) : d);
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  if (where == PrecisionTarget::Emulated)
    ASSERT_TRUE(compileAndLoadEmulated(p, options, std::string(c.name) + "-" + precision, model));
  else
    ASSERT_TRUE(compileAndLoad(p, options, std::string(c.name) + "-" + precision, model, status));
  if (status) {
    std::string message;
    bool gpu = where == PrecisionTarget::Cuda || where == PrecisionTarget::Rocm;
    ASSERT_TRUE(unavailableGpu(status, gpu, message));
    GTEST_SKIP() << "compiled and assembled; not run: " << message;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " in " << precision;
}

std::string precisionName(
    const ::testing::TestParamInfo<std::tuple<size_t, const char *, PrecisionTarget>> &info) {
  static const char *const kWhere[] = {"cpu",  "cpu_small_odd_tiles", "simt",      "cuda",
                                       "rocm", "cpu_nchw",            "simt_nchw", "emulated"};
  return std::string(kCases[std::get<0>(info.param)].name) + "_" + std::get<1>(info.param) +
         "_" + kWhere[int(std::get<2>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(
    Precision, PrecisionConformance,
    ::testing::Combine(::testing::ValuesIn(contractionCases()), ::testing::Values("bf16", "fp16"),
                       ::testing::Values(PrecisionTarget::Cpu, PrecisionTarget::CpuSmallOddTiles,
                                         PrecisionTarget::Simt, PrecisionTarget::Cuda,
                                         PrecisionTarget::Rocm, PrecisionTarget::Emulated)),
    precisionName);

std::vector<size_t> windowedContractionCases() {
  std::vector<size_t> cases;
  for (size_t i : contractionCases())
    if (std::string(kCases[i].mlir).find("conv2d") != std::string::npos)
      cases.push_back(i);
  return cases;
}

// The convolutions again in NCHW (1x1 convolutions become GEMM generics there).
INSTANTIATE_TEST_SUITE_P(
    PrecisionNchw, PrecisionConformance,
    ::testing::Combine(::testing::ValuesIn(windowedContractionCases()),
                       ::testing::Values("bf16", "fp16"),
                       ::testing::Values(PrecisionTarget::CpuNchw, PrecisionTarget::SimtNchw)),
    precisionName);

/// GPU targets: every case compiles and assembles (ptxas / ld.lld) on any
/// machine; it runs and is compared with the reference only where the driver
/// and a GPU exist (CUDA), otherwise loading must fail with a clear status and
/// the test is skipped. `emulated:sm_NN` runs the CUDA kernels on the lane
/// emulator (tests/emulator) and compares, on any machine.
class GpuConformance
    : public ::testing::TestWithParam<std::tuple<size_t, const char *, SimtVariant>> {};

TEST_P(GpuConformance, CompilesAndMatchesWhereRunnable) {
  const Case &c = kCases[std::get<0>(GetParam())];
  std::string targetText = std::get<1>(GetParam());
  SimtVariant variant = std::get<2>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p, GraphPipelineOptions().layout, "fp32", false, /*gpu=*/true));
  std::string error;
  codegen::CompileOptions options;
  std::string emulated = emulatedCudaTarget(targetText);
  options.target = *codegen::parseTarget(emulated.empty() ? targetText : emulated, error);
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(editSimt(d, variant, shape, options.target));
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  std::string tag = std::string(c.name) + "-gpu-" + simtVariantName(variant);
  if (!emulated.empty()) {
    // On the lane emulator: the results; its device timing means nothing.
    ASSERT_TRUE(compileAndLoadEmulated(p, options, tag, model));
    EXPECT_TRUE(runAndCompare(model, p)) << c.name << " on " << targetText;
    return;
  }
  ASSERT_TRUE(compileAndLoad(p, options, tag, model, status));
  if (status) {
    std::string message;
    ASSERT_TRUE(unavailableGpu(status, true, message));
    GTEST_SKIP() << "compiled and assembled; not run: " << message;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " on " << targetText;
  // `tilec bench`'s timing: the kernels again on the inputs already there.
  double ms[2] = {0, 0};
  tilec_status *timed = tilec_model_time_on_device(model, 2, ms);
  EXPECT_EQ(timed, nullptr) << tilec_status_message(timed);
  tilec_status_free(timed);
  EXPECT_GT(ms[0] + ms[1], 0.0);
}

// Timing on the device is for GPU artifacts: a CPU one gets the reason.
TEST(DeviceTiming, RefusedForCpuArtifacts) {
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(kCases[0], p));
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  ASSERT_TRUE(compileAndLoad(p, options, "device-timing", model, status));
  ASSERT_EQ(status, nullptr) << tilec_status_message(status);
  double ms = 0;
  tilec_status *s = tilec_model_time_on_device(model, 1, &ms);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(tilec_status_get_code(s), TILEC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tilec_status_message(s)).find("GPU artifacts"), std::string::npos)
      << tilec_status_message(s);
  tilec_status_free(s);
  tilec_model_free(model);
}

INSTANTIATE_TEST_SUITE_P(
    Gpu, GpuConformance,
    ::testing::Combine(::testing::Range<size_t>(0, std::size(kCases)),
                       ::testing::Values("cuda:sm_90", "rocm:gfx90a", "emulated:sm_90"),
                       ::testing::ValuesIn(kSimtVariants)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, const char *, SimtVariant>> &info) {
      std::string target = std::get<1>(info.param);
      return std::string(kCases[std::get<0>(info.param)].name) + "_" +
             target.substr(0, target.find(':')) + "_" + simtVariantName(std::get<2>(info.param));
    });

// The pipelined variant on GPUs: cp.async (sm_80+) and the synchronous
// pipeline (sm_75, AMD) compile and assemble, and run where a GPU is.
INSTANTIATE_TEST_SUITE_P(
    GpuPipelined, GpuConformance,
    ::testing::Combine(::testing::ValuesIn(stagedCases()),
                       ::testing::Values("cuda:sm_90", "cuda:sm_75", "rocm:gfx90a",
                                         "emulated:sm_90", "emulated:sm_75"),
                       ::testing::Values(SimtVariant::Pipelined)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, const char *, SimtVariant>> &info) {
      std::string target = std::get<1>(info.param);
      std::replace(target.begin(), target.end(), ':', '_');
      return std::string(kCases[std::get<0>(info.param)].name) + "_" + target + "_" +
             simtVariantName(std::get<2>(info.param));
    });

} // namespace
