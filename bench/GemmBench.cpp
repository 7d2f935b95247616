//===- GemmBench.cpp - tilec's default-schedule GEMM against OpenBLAS -----===//
//
// fp32 C = A B for 1024^3 and the GEMM shapes of ResNet-50 (1x1 convolutions
// as GEMMs, the classifier) and ViT-B/16 (QKV, MLP), at 1 and 2 threads. Each
// tilec kernel is compiled from a one-matmul graph with its default schedule
// and run through the runtime, exactly as a model would run it. Correctness
// first (max rel. error against OpenBLAS), then GFLOP/s; the table at the end
// gives tilec / OpenBLAS per shape and thread count.
//
//   build/bin/tilec-gemm-bench [--benchmark_min_time=0.5s]
//
//===----------------------------------------------------------------------===//

#include "BenchUtil.h"

#include <cblas.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

using namespace mlir;
using namespace tilec;

extern "C" void openblas_set_num_threads(int);

namespace {

struct Shape {
  const char *name;
  int64_t m, n, k;
};

const Shape kShapes[] = {
    {"square_1024", 1024, 1024, 1024},
    {"resnet50_1x1_56x56_64to256", 3136, 256, 64},
    {"resnet50_1x1_28x28_512to128", 784, 128, 512},
    {"resnet50_1x1_7x7_512to2048", 49, 2048, 512},
    {"resnet50_fc", 1, 1000, 2048},
    {"vit_b16_qkv", 197, 2304, 768},
    {"vit_b16_mlp_up", 197, 3072, 768},
    {"vit_b16_mlp_down", 197, 768, 3072},
};

std::vector<float> randomMatrix(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> m(rows * cols);
  for (float &v : m)
    v = dist(rng);
  return m;
}

/// Compiles C = A B for the shape into an artifact and loads it.
tilec_model *compileGemm(const Shape &s, int threads) {
  auto ty = [](int64_t r, int64_t c) {
    return "tensor<" + std::to_string(r) + "x" + std::to_string(c) + "xf32>";
  };
  std::string a = ty(s.m, s.k), b = ty(s.k, s.n), c = ty(s.m, s.n);
  return bench::compileGraph("func.func @main(%a: " + a + ", %b: " + b + ") -> " + c +
                                 " {\n  %r = tilec.matmul %a, %b : (" + a + ", " + b + ") -> " +
                                 c + "\n  return %r : " + c + "\n}",
                             std::string("gemm-") + s.name, threads);
}

void BM_Gemm(benchmark::State &state, const Shape &s, bool useTilec) {
  int threads = int(state.range(0));
  std::vector<float> a = randomMatrix(s.m, s.k, 1), b = randomMatrix(s.k, s.n, 2);
  std::vector<float> c(s.m * s.n), expected(s.m * s.n);
  openblas_set_num_threads(threads);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(s.m), int(s.n), int(s.k), 1.f,
              a.data(), int(s.k), b.data(), int(s.n), 0.f, expected.data(), int(s.n));
  tilec_model *model = useTilec ? compileGemm(s, threads) : nullptr;
  if (useTilec && !model) {
    state.SkipWithError("tilec could not compile the GEMM");
    return;
  }
  int64_t ashape[] = {s.m, s.k}, bshape[] = {s.k, s.n}, cshape[] = {s.m, s.n};
  tilec_tensor in[] = {{a.data(), TILEC_F32, 2, ashape}, {b.data(), TILEC_F32, 2, bshape}};
  tilec_tensor out[] = {{c.data(), TILEC_F32, 2, cshape}};
  auto run = [&] {
    if (useTilec)
      tilec_status_free(tilec_model_run(model, in, 2, out, 1));
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(s.m), int(s.n), int(s.k), 1.f,
                  a.data(), int(s.k), b.data(), int(s.n), 0.f, c.data(), int(s.n));
  };
  run();
  double maxDiff = 0, maxRef = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    maxDiff = std::max(maxDiff, double(std::fabs(c[i] - expected[i])));
    maxRef = std::max(maxRef, double(std::fabs(expected[i])));
  }
  if (maxDiff > 1e-4 * maxRef) {
    state.SkipWithError("wrong result");
    tilec_model_free(model);
    return;
  }
  for (auto _ : state)
    run();
  double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
  state.counters["rel_err"] = maxDiff / std::max(maxRef, 1e-30);
  tilec_model_free(model);
}

} // namespace

int main(int argc, char **argv) {
  for (const Shape &s : kShapes)
    for (bool useTilec : {false, true})
      benchmark::RegisterBenchmark((std::string(s.name) + (useTilec ? "/tilec" : "/openblas")).c_str(),
                                   [&s, useTilec](benchmark::State &st) { BM_Gemm(st, s, useTilec); })
          ->Arg(1)
          ->Arg(2)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::map<std::string, double> &gflops = reporter.gflops;
  std::printf("\n%-30s %7s %12s %12s %8s\n", "shape (M x N x K)", "threads", "tilec GF/s",
              "OpenBLAS", "ratio");
  for (const Shape &s : kShapes)
    for (int t : {1, 2}) {
      std::string suffix = "/" + std::to_string(t) + "/real_time";
      double ours = gflops[std::string(s.name) + "/tilec" + suffix];
      double theirs = gflops[std::string(s.name) + "/openblas" + suffix];
      std::printf("%-30s %7d %12.1f %12.1f %7.2fx\n", s.name, t, ours, theirs,
                  theirs > 0 ? ours / theirs : 0.0);
    }
  benchmark::Shutdown();
  return 0;
}
