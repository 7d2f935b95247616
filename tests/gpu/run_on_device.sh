#!/usr/bin/env bash
# Everything GPU in one command, for a machine with an NVIDIA GPU (H100/H200):
# builds tilec (no CUDA needed to build: the runtime opens libcuda with dlopen),
# runs the GPU conformance suite (every kernel case compiled for the card's
# sm_XX, run, compared with the reference, under three schedules), times GEMM
# and convolution layers (GFLOP/s; cuBLAS sgemm beside them as the baseline),
# compiles representative zoo models for CUDA, checks them against the
# reference, and times them.
# Writes full logs under $OUT (when set) and a short table last on stdout.
# Usage: tests/gpu/run_on_device.sh        (about 5 minutes on 16 cores)
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
log() { echo "[gpu] $*"; }

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  log "no NVIDIA GPU visible (nvidia-smi); nothing to run"; exit 77
fi
nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader | tee "$out/gpu.txt"
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
target="cuda:sm_${cc}"
log "target $target"

export PATH="/usr/local/cuda/bin:$PATH"
scripts/build.sh tilec tilec-conformance > "$out/build.log" 2>&1 || { log "build failed"; tail -30 "$out/build.log"; exit 1; }

# The suite compiles its CUDA cases for sm_90; on other cards the driver JITs the PTX.
log "conformance (GPU cases run on the device)"
build/bin/tilec-conformance --gtest_filter='Gpu*cuda*' > "$out/conformance.log" 2>&1
conf_pass=$(grep -c '^\[       OK \]' "$out/conformance.log")
conf_skip=$(grep -c '^\[  SKIPPED \]' "$out/conformance.log")
conf_fail=$(grep -c '^\[  FAILED  \]' "$out/conformance.log")

rows=()
# GEMMs and a convolution layer (fp32 SIMT kernels, operands staged in shared
# memory): checked against the reference, then timed; GFLOP/s from the median.
layer() { # name, graph text, flops
  local f="$out/$1.mlir"
  printf '%s\n' "$2" > "$f"
  if build/bin/tilec compile "$f" --target "$target" -o "$out/$1.tilec" --verbose > "$out/$1.compile.log" 2>&1; then
    local check lat ms
    check="not checked (reference too slow)"
    [ "$3" -le 4000000000 ] && check=$(build/bin/tilec run "$out/$1.tilec" --check 2>&1 | tee "$out/$1.run.log" | grep '^check' | sed 's/^check *//')
    lat=$(build/bin/tilec bench "$out/$1.tilec" --runs 50 --min-time 1 2>&1 | tee "$out/$1.bench.log" | grep median | sed 's/^latency *//')
    ms=$(echo "$lat" | sed -n 's/^median \([0-9.]*\) ms.*/\1/p')
    rows+=("$1 | ${check:-run failed} | ${lat:-bench failed}; $(awk -v f="$3" -v ms="${ms:-0}" 'BEGIN { if (ms > 0) printf "%.0f GFLOP/s", f / ms / 1e6; else print "-" }')")
  else
    rows+=("$1 | compile failed: $(tail -1 "$out/$1.compile.log") | -")
  fi
}
gemm() { # m n k
  local a="tensor<$1x$3xf32>" b="tensor<$3x$2xf32>" c="tensor<$1x$2xf32>"
  layer "gemm_$1x$2x$3" "func.func @main(%a: $a, %b: $b) -> $c {
  %r = tilec.matmul %a, %b : ($a, $b) -> $c
  return %r : $c
}" "$((2 * $1 * $2 * $3))"
}
log "GEMM and convolution layers"
gemm 1024 1024 1024
gemm 2048 2048 2048
gemm 3136 256 64
gemm 784 128 512
# The baseline: cuBLAS sgemm (fp32, no TF32) on the same shapes.
if scripts/build.sh tilec-cublas-gemm > "$out/build-cublas.log" 2>&1; then
  while read -r _ shape _ ms _ gflops _; do
    rows+=("cublas_sgemm $shape (baseline) | - | median $ms ms; $gflops GFLOP/s")
  done < <(build/bin/tilec-cublas-gemm 1024x1024x1024 2048x2048x2048 3136x256x64 784x128x512 2>&1 \
           | tee "$out/cublas.log" | grep '^cublas_sgemm')
else
  rows+=("cublas_sgemm | not built (see build-cublas.log) | -")
fi
layer conv3x3_56x56x64 "func.func @main(%x: tensor<1x64x56x56xf32>, %w: tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32> {
  %y = tilec.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}" "$((2 * 56 * 56 * 64 * 64 * 9))"

for m in resnet50 mobilenet_v2 efficientnet_b0 vit_b_16; do
  if build/bin/tilec compile "$m" --target "$target" -o "$out/$m.tilec" > "$out/$m.compile.log" 2>&1; then
    check=$(build/bin/tilec run "$out/$m.tilec" --check 2>&1 | tee "$out/$m.run.log" | grep '^check' | sed 's/^check *//')
    lat=$(build/bin/tilec bench "$out/$m.tilec" --runs 20 --min-time 2 2>&1 | tee "$out/$m.bench.log" | grep median | sed 's/^latency *//')
    rows+=("$m | ${check:-run failed} | ${lat:-bench failed}")
  else
    rows+=("$m | compile failed: $(tail -1 "$out/$m.compile.log") | -")
  fi
  rm -f "$out/$m.tilec"
done

echo
echo "| what | check | latency |"
echo "|---|---|---|"
echo "| GPU | $(cat "$out/gpu.txt") | |"
echo "| conformance (CUDA cases) | $conf_pass passed, $conf_fail failed, $conf_skip skipped | |"
for r in "${rows[@]}"; do echo "| $r |"; done
[ "$conf_fail" -eq 0 ]
