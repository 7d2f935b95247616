#!/usr/bin/env bash
# Everything GPU in one command, for a machine with an NVIDIA GPU (H100/H200):
# builds tilec (no CUDA needed to build: the runtime opens libcuda with dlopen),
# runs the GPU conformance suite (every kernel case compiled for the card's
# sm_XX, run, compared with the reference, under three schedules; the
# tensor-core cases under three warp tilings), times GEMM and convolution
# layers (GFLOP/s; cuBLAS sgemm beside them as the baseline, and tensor-core
# GEMMs with bf16, fp16 and TF32 operands beside cuBLAS's tensor-core GEMMs of
# the same type), tunes a
# bf16 GEMM on the card (tuned beside default),
# times ViT-B/16's attention kernel, compiles ResNet-50, MobileNet v2,
# EfficientNet-B0 and ViT-B/16 for CUDA (fp32 and bf16, batch 1 checked
# against the reference; batch 64 timed), and times PyTorch eager and
# scaled_dot_product_attention on the same card beside them.
# Writes full logs under $OUT (when set) and a short table last on stdout.
# Every GPU command runs under a time limit, and sections past a budget
# (GPU_SCRIPT_BUDGET_S, 450 s) are skipped and listed as such, so that the
# table comes back inside a device lease even if a kernel hangs.
# Usage: tests/gpu/run_on_device.sh        (about 6-7 minutes on 16 cores)
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
log() { echo "[gpu] $*  (${SECONDS}s)"; }
# Every GPU step under a time limit: a kernel that hangs (a barrier or an
# asynchronous-copy wait gone wrong) must not take the whole device lease.
t() { local limit="$1"; shift; timeout --kill-after=5 "$limit" "$@"; }
# Sections start only while the script is inside its budget (seconds).
budget="${GPU_SCRIPT_BUDGET_S:-450}"
in_budget() { [ "$SECONDS" -lt "$budget" ] || { rows+=("$1 | skipped: past the ${budget}s budget | -"); false; }; }

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
t 300 build/bin/tilec-conformance --gtest_filter='Gpu*cuda*:Precision*cuda*:TensorCore*cuda*' > "$out/conformance.log" 2>&1 ||
  log "conformance exited with $? (a timeout is 124)"
conf_pass=$(grep -c '^\[       OK \]' "$out/conformance.log")
conf_skip=$(grep -c '^\[  SKIPPED \]' "$out/conformance.log")
conf_fail=$(grep -c '^\[  FAILED  \]' "$out/conformance.log")

rows=()
# GEMMs and a convolution layer (fp32 SIMT kernels, operands staged in shared
# memory): checked against the reference, then timed; GFLOP/s from the median.
layer() { # name, graph text, flops[, precision]
  in_budget "$1" || return 0
  local f="$out/$1.mlir"
  printf '%s\n' "$2" > "$f"
  if t 90 build/bin/tilec compile "$f" --target "$target" --precision "${4:-fp32}" -o "$out/$1.tilec" \
      --verbose > "$out/$1.compile.log" 2>&1; then
    local check lat ms
    check="not checked (reference too slow)"
    [ "$3" -le 4000000000 ] && check=$(t 120 build/bin/tilec run "$out/$1.tilec" --check 2>&1 | tee "$out/$1.run.log" | grep '^check' | sed 's/^check *//')
    lat=$(t 60 build/bin/tilec bench "$out/$1.tilec" --runs 50 --min-time 1 2>&1 | tee "$out/$1.bench.log" | grep median | sed 's/^latency *//')
    ms=$(echo "$lat" | sed -n 's/^median \([0-9.]*\) ms.*/\1/p')
    rows+=("$1 | ${check:-run failed} | ${lat:-bench failed}; $(awk -v f="$3" -v ms="${ms:-0}" 'BEGIN { if (ms > 0) printf "%.0f GFLOP/s", f / ms / 1e6; else print "-" }')")
  else
    rows+=("$1 | compile failed: $(tail -1 "$out/$1.compile.log") | -")
  fi
}
gemm() { # m n k [precision]: fp32 data; bf16 rounds A and B (fp32 accumulation)
  local a="tensor<$1x$3xf32>" b="tensor<$3x$2xf32>" c="tensor<$1x$2xf32>" p="${4:-fp32}"
  layer "gemm_$1x$2x$3${4:+_$4}" "func.func @main(%a: $a, %b: $b) -> $c {
  %r = tilec.matmul %a, %b : ($a, $b) -> $c
  return %r : $c
}" "$((2 * $1 * $2 * $3))" "$p"
}
log "GEMM and convolution layers"
gemm 1024 1024 1024
gemm 2048 2048 2048
gemm 3136 256 64
gemm 784 128 512
# 16-bit operands (--precision): tensor cores (mma.sync m16n8k16; 128x128
# blocks of four 64x64 warp tiles with 4 cp.async stages in dynamic shared
# memory for large products, 64x64 blocks of 32x32 warp tiles with 3 stages
# otherwise); ViT-B/16's 197 rows padded to 208 (tilec-pad-rows). TF32
# (--precision tf32: fp32 data, mma.sync m16n8k8). cuBLAS's tensor-core
# GEMMs of the same operand types are the baselines beside them.
gemm 1024 1024 1024 bf16
gemm 4096 4096 4096 bf16
gemm 8192 8192 8192 bf16
gemm 4096 4096 4096 fp16
gemm 4096 4096 4096 tf32
gemm 197 3072 768 bf16
gemm 12608 3072 768 bf16
gemm 12608 768 3072 bf16
# The baseline: cuBLAS sgemm (fp32, no TF32) on the same shapes.
if scripts/build.sh tilec-cublas-gemm > "$out/build-cublas.log" 2>&1; then
  while read -r _ shape _ ms _ gflops _; do
    rows+=("cublas_sgemm $shape (baseline) | - | median $ms ms; $gflops GFLOP/s")
  done < <(t 60 build/bin/tilec-cublas-gemm 1024x1024x1024 2048x2048x2048 3136x256x64 784x128x512 2>&1 \
           | tee "$out/cublas.log" | grep '^cublas_sgemm')
  while read -r _ shape _ ms _ gflops _; do
    rows+=("cublas_gemm_bf16 $shape (baseline, tensor cores) | - | median $ms ms; $gflops GFLOP/s")
  done < <(t 60 build/bin/tilec-cublas-gemm --bf16 1024x1024x1024 4096x4096x4096 8192x8192x8192 \
             197x3072x768 12608x3072x768 12608x768x3072 2>&1 \
           | tee "$out/cublas-bf16.log" | grep '^cublas_gemm_bf16')
  while read -r name shape _ ms _ gflops _; do
    rows+=("$name $shape (baseline, tensor cores) | - | median $ms ms; $gflops GFLOP/s")
  done < <({ t 30 build/bin/tilec-cublas-gemm --fp16 4096x4096x4096; t 30 build/bin/tilec-cublas-gemm --tf32 4096x4096x4096; } 2>&1 \
           | tee "$out/cublas-fp16-tf32.log" | grep '^cublas_gemm_')
else
  rows+=("cublas_sgemm | not built (see build-cublas.log) | -")
fi
# ResNet-50's convolutions in NHWC bf16 (tensor cores through
# tilec-convs-as-gemms: a GEMM reading its windows from the input per staged
# block, implicit GEMM, or from a reshape for 1x1 ones), timed by the
# kernels' device-event profile without the input/weight converts, beside
# cuDNN's fastest NHWC bf16 algorithm on the same layers.
conv_layer() { # N H W C F K stride pad
  local name="resnet50_conv_$1x$2x$3x$4_$5x$6x$6_s$7_p$8_bf16" oh=$(( ($2 + 2 * $8 - $6) / $7 + 1 ))
  local ow=$(( ($3 + 2 * $8 - $6) / $7 + 1 )) f="$out/$name.mlir"
  in_budget "$name" || return 0
  local x="tensor<$1x$2x$3x$4xf32>" w="tensor<$6x$6x$4x$5xf32>" y="tensor<$1x${oh}x${ow}x$5xf32>"
  printf '%s\n' "func.func @main(%x: $x, %w: $w) -> $y {
  %y = tilec.conv2d %x, %w {layout = \"nhwc\", strides = array<i64: $7, $7>, padding = array<i64: $8, $8, $8, $8>} : ($x, $w) -> $y
  return %y : $y
}" > "$f"
  local flops=$(( 2 * $1 * oh * ow * $5 * $6 * $6 * $4 ))
  if t 90 build/bin/tilec compile "$f" --target "$target" --precision bf16 -o "$out/$name.tilec" \
      --verbose > "$out/$name.compile.log" 2>&1; then
    local check ms
    check=$(t 120 build/bin/tilec run "$out/$name.tilec" --check 2>&1 | tee "$out/$name.run.log" | grep '^check' | sed 's/^check *//')
    t 60 build/bin/tilec bench "$out/$name.tilec" --runs 50 --min-time 1 --profile > "$out/$name.bench.log" 2>&1
    ms=$(awk '/ ms +[0-9.]+% +grid/ && !/convert\(/ { s += $1 } END { printf "%.4f", s }' "$out/$name.bench.log")
    rows+=("$name | ${check:-run failed} | conv kernels $ms ms; $(awk -v f="$flops" -v ms="$ms" 'BEGIN { if (ms > 0) printf "%.0f GFLOP/s", f / ms / 1e6; else print "-" }')")
  else
    rows+=("$name | compile failed: $(tail -1 "$out/$name.compile.log") | -")
  fi
}
log "ResNet-50 convolutions (NHWC bf16) beside cuDNN"
conv_layer 1 56 56 64 64 1 1 0
conv_layer 1 56 56 64 64 3 1 1
conv_layer 1 56 56 64 256 1 1 0
conv_layer 1 56 56 256 128 1 1 0
conv_layer 1 28 28 128 128 3 1 1
conv_layer 1 28 28 128 512 1 1 0
conv_layer 1 14 14 256 256 3 1 1
conv_layer 1 14 14 256 1024 1 1 0
conv_layer 1 7 7 512 512 3 1 1
conv_layer 1 7 7 512 2048 1 1 0
if scripts/build.sh tilec-cudnn-conv > "$out/build-cudnn.log" 2>&1; then
  while read -r _ shape _ ms _ gflops _ _ algo; do
    rows+=("cudnn_conv_bf16 $shape (baseline, algo $algo) | - | median $ms ms; $gflops GFLOP/s")
  done < <(t 60 build/bin/tilec-cudnn-conv 2>&1 | tee "$out/cudnn.log" | grep '^cudnn_conv_bf16')
else
  rows+=("cudnn_conv_bf16 | not built (see build-cudnn.log) | -")
fi

layer conv3x3_56x56x64 "func.func @main(%x: tensor<1x64x56x56xf32>, %w: tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32> {
  %y = tilec.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}" "$((2 * 56 * 56 * 64 * 64 * 9))"

# Tuning on the card: a bf16 GEMM's schedules searched by the auto-tuner
# (kernels timed by device events; warp tiles, thread tiles and blocks),
# then the tuned artifact timed beside the default one.
log "tuning a bf16 GEMM on the GPU"
tune_gemm="$out/gemm_1024x1024x1024_bf16.mlir"
if in_budget "gemm_1024x1024x1024_bf16 tuned" && [ -f "$tune_gemm" ] && t 100 build/bin/tilec tune "$tune_gemm" --target "$target" --precision bf16 \
    --db "$out/gpu-tuning.db" --trials 32 --time-budget 60s > "$out/tune.log" 2>&1 &&
   t 90 build/bin/tilec compile "$tune_gemm" --target "$target" --precision bf16 --db "$out/gpu-tuning.db" \
    -o "$out/gemm_tuned.tilec" --verbose > "$out/tuned.compile.log" 2>&1; then
  tuned=$(t 60 build/bin/tilec bench "$out/gemm_tuned.tilec" --runs 50 --min-time 1 2>&1 | grep median | sed 's/^latency *//')
  schedule=$(grep -o 'wg=[^[]*' "$out/tuned.compile.log" | tail -1)
  rows+=("gemm_1024x1024x1024_bf16 tuned ($schedule) | - | ${tuned:-bench failed}")
else
  rows+=("gemm_1024x1024x1024_bf16 tuned | tuning failed: $(tail -1 "$out/tune.log") | -")
fi

# ViT-B/16's attention (12 heads x 197 tokens x 64, scale 1/8) as one kernel,
# at batch 1 and 64, beside PyTorch's scaled_dot_product_attention (below).
attention() { # batch precision
  local h=$((12 * $1)) t="tensor<$((12 * $1))x197x64xf32>"
  layer "attention_vit_b16_b$1_$2" "func.func @main(%q: $t, %k: $t, %v: $t) -> $t {
  %o = tilec.attention %q, %k, %v {scale = 0.125} : ($t, $t, $t) -> $t
  return %o : $t
}" "$((4 * h * 197 * 197 * 64))" "$2"
}
log "ViT-B/16 attention"
attention 1 fp32
attention 1 bf16
attention 64 bf16

# Whole models: batch 1 checked against the reference and timed; batch 64
# timed only (the CPU reference would take minutes). PyTorch eager on the
# same card is the baseline (bench/torch_baselines.py).
for spec in resnet50 mobilenet_v2 efficientnet_b0 vit_b_16 resnet50:bf16 mobilenet_v2:bf16 \
            efficientnet_b0:bf16 vit_b_16:bf16 resnet50:bf16:64 vit_b_16:bf16:64 resnet50:fp32:64; do
  IFS=: read -r m p b <<< "$spec"; p="${p:-fp32}"; b="${b:-1}"
  name="${m}_${p}_b$b"
  in_budget "$name" || continue
  if t 90 build/bin/tilec compile "$m" --batch "$b" --target "$target" --precision "$p" \
      -o "$out/$name.tilec" > "$out/$name.compile.log" 2>&1; then
    check="not checked (batch $b)"
    [ "$b" = 1 ] && check=$(t 120 build/bin/tilec run "$out/$name.tilec" --check 2>&1 | tee "$out/$name.run.log" | grep '^check' | sed 's/^check *//')
    lat=$(t 60 build/bin/tilec bench "$out/$name.tilec" --runs 20 --min-time 2 2>&1 | tee "$out/$name.bench.log" | grep median | sed 's/^latency *//')
    rows+=("$name | ${check:-run failed} | ${lat:-bench failed}")
  else
    rows+=("$name | compile failed: $(tail -1 "$out/$name.compile.log") | -")
  fi
  rm -f "$out/$name.tilec"
done
log "PyTorch baselines (eager, scaled_dot_product_attention)"
if in_budget "PyTorch baselines"; then
  while read -r kind model batch dtype _ ms _; do
    rows+=("$kind $model ${dtype}_$batch (baseline) | - | median $ms ms")
  done < <(t 180 python3 bench/torch_baselines.py --batches 1,64 2>&1 | tee "$out/torch.log" | grep '^torch_')
fi
echo "elapsed ${SECONDS}s" > "$out/elapsed.txt"

echo
echo "| what | check | latency |"
echo "|---|---|---|"
echo "| GPU | $(cat "$out/gpu.txt") | ${SECONDS}s in all |"
echo "| conformance (CUDA cases) | $conf_pass passed, $conf_fail failed, $conf_skip skipped | |"
for r in "${rows[@]}"; do echo "| $r |"; done
[ "$conf_fail" -eq 0 ]
