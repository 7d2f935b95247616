//===- ConvBench.cpp - tilec's convolution kernels against oneDNN ---------===//
//
// The convolution layers of ResNet-50 (7x7 stem, 3x3 and 1x1, strided) and the
// depthwise layers of MobileNet v2, batch 1, fp32. tilec: a one-conv graph
// (with bias) compiled with default schedules, run through the runtime on the
// layouts a compiled network uses (NHWC activations, HWIO weights: what
// tilec-assign-layouts gives every convolution). oneDNN 2.x: direct convolution with the layouts it prefers
// (`any`), inputs and weights reordered once outside the timed loop, as in a
// network that keeps its activations blocked. Results are compared first.
// Both use all cores (oneDNN's OpenMP default; tilec's thread pool default).
//
//   build/bin/tilec-conv-bench [--benchmark_min_time=0.3s]
//
//===----------------------------------------------------------------------===//

#include "BenchUtil.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

using namespace mlir;
using namespace tilec;

namespace {

struct Conv {
  const char *name;
  int64_t c, h, f, k, stride, pad, groups;
  int64_t out() const { return (h + 2 * pad - k) / stride + 1; }
  double flops() const {
    return 2.0 * double(f) * double(out() * out()) * double(c / groups) * double(k * k);
  }
};

const Conv kConvs[] = {
    {"resnet50_conv1_7x7s2", 3, 224, 64, 7, 2, 3, 1},
    {"resnet50_3x3_64_56", 64, 56, 64, 3, 1, 1, 1},
    {"resnet50_1x1_64to256_56", 64, 56, 256, 1, 1, 0, 1},
    {"resnet50_3x3s2_128_56", 128, 56, 128, 3, 2, 1, 1},
    {"resnet50_3x3_256_14", 256, 14, 256, 3, 1, 1, 1},
    {"resnet50_1x1s2_1024to2048_14", 1024, 14, 2048, 1, 2, 0, 1},
    {"mobilenet_v2_dw3x3_32_112", 32, 112, 32, 3, 1, 1, 32},
    {"mobilenet_v2_dw3x3_144_56", 144, 56, 144, 3, 1, 1, 144},
    {"mobilenet_v2_dw3x3s2_144_56", 144, 56, 144, 3, 2, 1, 144},
    {"mobilenet_v2_dw3x3_960_7", 960, 7, 960, 3, 1, 1, 960},
};

std::vector<float> random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::string tensorType(std::initializer_list<int64_t> dims) {
  std::string s = "tensor<";
  for (int64_t d : dims)
    s += std::to_string(d) + "x";
  return s + "f32>";
}

/// `v` ([d0, d1, d2, d3] row-major) with its dims permuted: output dim i is
/// input dim perm[i].
std::vector<float> permute4(const std::vector<float> &v, const int64_t (&d)[4],
                            const int64_t (&perm)[4]) {
  int64_t stride[4] = {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1};
  int64_t od[4] = {d[perm[0]], d[perm[1]], d[perm[2]], d[perm[3]]};
  std::vector<float> out(v.size());
  size_t k = 0;
  for (int64_t a = 0; a < od[0]; ++a)
    for (int64_t b = 0; b < od[1]; ++b)
      for (int64_t c = 0; c < od[2]; ++c)
        for (int64_t e = 0; e < od[3]; ++e)
          out[k++] = v[size_t(a * stride[perm[0]] + b * stride[perm[1]] + c * stride[perm[2]] +
                              e * stride[perm[3]])];
  return out;
}

/// Compiles y = conv(x, w) + b for the layer (NHWC, HWIO) and loads it.
tilec_model *compileConv(const Conv &c) {
  std::string x = tensorType({1, c.h, c.h, c.c}), wt = tensorType({c.k, c.k, c.c / c.groups, c.f});
  std::string bt = tensorType({c.f}), y = tensorType({1, c.out(), c.out(), c.f});
  std::string s = std::to_string(c.stride), p = std::to_string(c.pad);
  return bench::compileGraph(
      "func.func @main(%x: " + x + ", %w: " + wt + ", %b: " + bt + ") -> " + y + " {\n" +
          "  %y = tilec.conv2d %x, %w, %b {strides = array<i64: " + s + ", " + s +
          ">, padding = array<i64: " + p + ", " + p + ", " + p + ", " + p +
          ">, groups = " + std::to_string(c.groups) + " : i64, layout = \"nhwc\"} : (" + x +
          ", " + wt + ", " + bt +
          ") -> " + y + "\n  return %y : " + y + "\n}",
      std::string("conv-") + c.name, 0);
}

/// oneDNN's convolution, the reference values in NCHW and a timed callable.
struct OneDnnConv {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::convolution_forward prim;
  dnnl::memory src, weights, bias, dst, userDst;
  std::vector<float> result;

  OneDnnConv(const Conv &c, std::vector<float> &x, std::vector<float> &w, std::vector<float> &b) {
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    dnnl::memory::dims srcDims = {1, c.c, c.h, c.h}, dstDims = {1, c.f, c.out(), c.out()};
    dnnl::memory::dims wDims = c.groups == 1
                                   ? dnnl::memory::dims{c.f, c.c, c.k, c.k}
                                   : dnnl::memory::dims{c.groups, c.f / c.groups, c.c / c.groups,
                                                        c.k, c.k};
    auto any = [&](const dnnl::memory::dims &d) { return dnnl::memory::desc(d, dt::f32, tag::any); };
    dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, any(srcDims),
        any(wDims), dnnl::memory::desc({c.f}, dt::f32, tag::x), any(dstDims), {c.stride, c.stride},
        {0, 0}, {c.pad, c.pad}, {c.pad, c.pad});
    dnnl::convolution_forward::primitive_desc pd(desc, engine);
    prim = dnnl::convolution_forward(pd);
    dnnl::memory userSrc({srcDims, dt::f32, tag::nchw}, engine, x.data());
    dnnl::memory userW({wDims, dt::f32, c.groups == 1 ? tag::oihw : tag::goihw}, engine, w.data());
    src = dnnl::memory(pd.src_desc(), engine);
    weights = dnnl::memory(pd.weights_desc(), engine);
    bias = dnnl::memory({{c.f}, dt::f32, tag::x}, engine, b.data());
    dst = dnnl::memory(pd.dst_desc(), engine);
    dnnl::reorder(userSrc, src).execute(stream, userSrc, src);
    dnnl::reorder(userW, weights).execute(stream, userW, weights);
    run();
    result.resize(size_t(c.f * c.out() * c.out()));
    userDst = dnnl::memory({dstDims, dt::f32, tag::nchw}, engine, result.data());
    dnnl::reorder(dst, userDst).execute(stream, dst, userDst);
    stream.wait();
  }
  void run() {
    prim.execute(stream, {{DNNL_ARG_SRC, src},
                          {DNNL_ARG_WEIGHTS, weights},
                          {DNNL_ARG_BIAS, bias},
                          {DNNL_ARG_DST, dst}});
    stream.wait();
  }
};

void BM_Conv(benchmark::State &state, const Conv &c, bool useTilec) {
  std::vector<float> x = random(size_t(c.c * c.h * c.h), 1);
  std::vector<float> w = random(size_t(c.f * (c.c / c.groups) * c.k * c.k), 2);
  std::vector<float> b = random(size_t(c.f), 3);
  OneDnnConv dnn(c, x, w, b);
  if (!useTilec) {
    for (auto _ : state)
      dnn.run();
  } else {
    tilec_model *model = compileConv(c);
    if (!model) {
      state.SkipWithError("tilec could not compile the convolution");
      return;
    }
    std::vector<float> y(dnn.result.size());
    int64_t xd[] = {1, c.c, c.h, c.h}, wd[] = {c.f, c.c / c.groups, c.k, c.k};
    int64_t xs[] = {1, c.h, c.h, c.c}, ws[] = {c.k, c.k, c.c / c.groups, c.f}, bs[] = {c.f};
    int64_t ys[] = {1, c.out(), c.out(), c.f};
    std::vector<float> xNhwc = permute4(x, xd, {0, 2, 3, 1}), wHwio = permute4(w, wd, {2, 3, 1, 0});
    tilec_tensor in[] = {{xNhwc.data(), TILEC_F32, 4, xs}, {wHwio.data(), TILEC_F32, 4, ws},
                         {b.data(), TILEC_F32, 1, bs}};
    tilec_tensor out[] = {{y.data(), TILEC_F32, 4, ys}};
    tilec_status_free(tilec_model_run(model, in, 3, out, 1));
    std::vector<float> yNchw = permute4(y, ys, {0, 3, 1, 2});
    double maxDiff = 0, maxRef = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      maxDiff = std::max(maxDiff, double(std::fabs(yNchw[i] - dnn.result[i])));
      maxRef = std::max(maxRef, double(std::fabs(dnn.result[i])));
    }
    state.counters["rel_err"] = maxDiff / std::max(maxRef, 1e-30);
    if (maxDiff > 1e-4 * maxRef) {
      state.SkipWithError("wrong result");
      tilec_model_free(model);
      return;
    }
    for (auto _ : state)
      tilec_status_free(tilec_model_run(model, in, 3, out, 1));
    tilec_model_free(model);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      c.flops(), benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

} // namespace

int main(int argc, char **argv) {
  for (const Conv &c : kConvs)
    for (bool useTilec : {false, true})
      benchmark::RegisterBenchmark(
          (std::string(c.name) + (useTilec ? "/tilec" : "/onednn")).c_str(),
          [&c, useTilec](benchmark::State &st) { BM_Conv(st, c, useTilec); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::map<std::string, double> &gflops = reporter.gflops;
  std::printf("\n%-32s %12s %12s %8s\n", "layer (batch 1)", "tilec GF/s", "oneDNN", "ratio");
  for (const Conv &c : kConvs) {
    double ours = gflops[std::string(c.name) + "/tilec/real_time"];
    double theirs = gflops[std::string(c.name) + "/onednn/real_time"];
    std::printf("%-32s %12.1f %12.1f %7.2fx\n", c.name, ours, theirs,
                theirs > 0 ? ours / theirs : 0.0);
  }
  benchmark::Shutdown();
  return 0;
}
