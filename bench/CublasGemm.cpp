//===- CublasGemm.cpp - cuBLAS GEMMs, the baseline of tilec's GPU GEMMs ---===//
//
// Times cublasSgemm (pure fp32: tensor-core TF32 off, like tilec's SIMT
// kernels) on the shapes the device script times with tilec, and prints one
// line per shape with the median of timed runs (CUDA events) and GFLOP/s.
// With --bf16 / --fp16: cublasGemmEx with 16-bit A and B, fp32 C and fp32
// accumulation (tensor cores), what `tilec compile --precision bf16|fp16`
// computes; with --tf32: fp32 A, B and C, CUBLAS_COMPUTE_32F_FAST_TF32
// (`--precision tf32`).
//
//   build/bin/tilec-cublas-gemm [--bf16|--fp16|--tf32] [MxNxK ...]  (default: the device script's shapes)
//
// Exits 77 (skipped) when there is no CUDA device.
//
//===----------------------------------------------------------------------===//

#include "CudaTiming.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

struct Shape {
  long m, n, k;
};

bool parseShape(const std::string &text, Shape &s) {
  return std::sscanf(text.c_str(), "%ldx%ldx%ld", &s.m, &s.n, &s.k) == 3 && s.m > 0 && s.n > 0 &&
         s.k > 0;
}

using tilec::bench::failed;

#define CHECK_CUBLAS(call)                                                                         \
  if (cublasStatus_t e = (call);                                                                   \
      failed(e == CUBLAS_STATUS_SUCCESS, #call, "status " + std::to_string(int(e))))               \
  return 1

/// What the GEMM multiplies: fp32 (no TF32), bf16 / fp16 operands, or fp32
/// operands rounded to TF32 by the tensor cores; fp32 C and accumulation.
enum class Mode { Sgemm, Bf16, Fp16, Tf32 };

const char *modeName(Mode m) {
  switch (m) {
  case Mode::Sgemm:
    return "cublas_sgemm";
  case Mode::Bf16:
    return "cublas_gemm_bf16";
  case Mode::Fp16:
    return "cublas_gemm_fp16";
  case Mode::Tf32:
    return "cublas_gemm_tf32";
  }
  return "?";
}

/// Median milliseconds of `runs` timed GEMMs (row-major C = A B computed as
/// the column-major C^T = B^T A^T) in `mode`.
int timeGemm(cublasHandle_t handle, const Shape &s, Mode mode, int runs, double &medianMs) {
  bool half = mode == Mode::Bf16 || mode == Mode::Fp16;
  size_t element = half ? 2 : sizeof(float);
  cudaDataType_t operand = mode == Mode::Bf16   ? CUDA_R_16BF
                           : mode == Mode::Fp16 ? CUDA_R_16F
                                                : CUDA_R_32F;
  cublasComputeType_t compute =
      mode == Mode::Tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  void *a = nullptr, *b = nullptr;
  float *c = nullptr;
  CHECK_CUDA(cudaMalloc(&a, element * s.m * s.k));
  CHECK_CUDA(cudaMalloc(&b, element * s.k * s.n));
  CHECK_CUDA(cudaMalloc(&c, sizeof(float) * s.m * s.n));
  CHECK_CUDA(cudaMemset(a, 0, element * s.m * s.k));
  CHECK_CUDA(cudaMemset(b, 0, element * s.k * s.n));
  const float one = 1.f, zero = 0.f;
  auto gemm = [&] {
    if (mode != Mode::Sgemm)
      return cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, int(s.n), int(s.m), int(s.k), &one,
                          b, operand, int(s.n), a, operand, int(s.k), &zero, c, CUDA_R_32F,
                          int(s.n), compute, CUBLAS_GEMM_DEFAULT);
    return cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, int(s.n), int(s.m), int(s.k), &one,
                       static_cast<float *>(b), int(s.n), static_cast<float *>(a), int(s.k),
                       &zero, c, int(s.n));
  };
  int rc = tilec::bench::medianEventMs(
      [&] {
        cublasStatus_t e = gemm();
        return !failed(e == CUBLAS_STATUS_SUCCESS, "cublas GEMM", "status " + std::to_string(int(e)));
      },
      runs, medianMs);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<Shape> shapes;
  Mode mode = Mode::Sgemm;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--bf16" || arg == "--fp16" || arg == "--tf32") {
      mode = arg == "--bf16" ? Mode::Bf16 : arg == "--fp16" ? Mode::Fp16 : Mode::Tf32;
      continue;
    }
    Shape s;
    if (!parseShape(argv[i], s)) {
      std::fprintf(stderr, "bad shape '%s'; expected MxNxK, e.g. 1024x1024x1024\n", argv[i]);
      return 2;
    }
    shapes.push_back(s);
  }
  if (shapes.empty())
    shapes = {{1024, 1024, 1024}, {2048, 2048, 2048}, {3136, 256, 64}, {784, 128, 512}};
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device; nothing to time\n");
    return 77;
  }
  cublasHandle_t handle;
  CHECK_CUBLAS(cublasCreate(&handle));
  // sgemm without TF32; the others on tensor cores (the default math mode;
  // TF32 through the compute type).
  CHECK_CUBLAS(
      cublasSetMathMode(handle, mode == Mode::Sgemm ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH));
  for (const Shape &s : shapes) {
    double ms = 0;
    if (int rc = timeGemm(handle, s, mode, 50, ms))
      return rc;
    std::printf("%s %ldx%ldx%ld median %.4f ms %.0f GFLOP/s\n", modeName(mode), s.m, s.n, s.k, ms,
                2.0 * s.m * s.n * s.k / (ms * 1e6));
  }
  cublasDestroy(handle);
  return 0;
}
