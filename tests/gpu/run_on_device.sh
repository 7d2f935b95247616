#!/usr/bin/env bash
# Everything GPU in one command, for a machine with an NVIDIA GPU (H100/H200).
#
# Programs: from .gpu-bundle/tilec-gpu.tar.xz when it is there (written by
# tests/gpu/bundle.sh on the CPU machine: for a GPU machine without LLVM/MLIR
# 19, such as the lent ones), else built here (no CUDA needed to build: the
# runtime opens libcuda with dlopen).
#
# Phase 1, side by side on every core: the GPU conformance suite in shards
# (every kernel case compiled for the card's sm_XX, run, compared with the
# reference, under three schedules; the tensor-core cases under three warp
# tilings) and the compiles of everything timed below.
# Phase 2, one at a time (timings need the card alone; `tilec bench` times
# each run by device events with the inputs already on the device, launches
# included, copies not; the per-kernel profile in each bench log): GEMMs (fp32 SIMT beside
# cuBLAS sgemm; bf16/fp16/TF32 tensor-core GEMMs beside cuBLAS's of the same
# type, ViT-B/16's shapes among them; the large 16-bit ones again on wgmma
# warpgroup tiles, `_wgmma`/`_wgmma_if`/`_wgmma256` rows (and `_tma`: their
# tiles loaded by the Tensor Memory Accelerator), and in the
# run-2 block order, `_rowmajor`), ViT-B/16's attention (16-bit on tensor cores
# by default, `_mma` rows its other block shapes, `_simt` the run-2 thread per
# query row), ResNet-50,
# MobileNet v2, EfficientNet-B0 and ViT-B/16 (fp32 and bf16; batch 1 checked
# against the reference, batch 64 timed), ResNet-50's NHWC bf16 convolutions
# beside cuDNN (legacy and graph API), PyTorch eager and scaled_dot_product_attention on the same card,
# and a bf16 GEMM tuned on the card (tuned beside default).
#
# Writes a short table last on stdout; with OUT set, also $OUT/table.md and
# every log in $OUT/gpu-logs.tar.gz (also when stopped part way). Every GPU
# command runs under a time limit, and sections past a budget
# (GPU_SCRIPT_BUDGET_S, 400 s) are skipped and listed as such, so that the
# table comes back inside a device lease even if a kernel hangs.
# Usage: tests/gpu/run_on_device.sh        (about 6 minutes on 16 cores)
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
rows=() conf_pass=0 conf_fail=0 conf_skip=0
table() {
  echo "| what | check | latency |"
  echo "|---|---|---|"
  echo "| GPU | $(cat "$out/gpu.txt" 2>/dev/null) | ${SECONDS}s in all |"
  echo "| conformance (CUDA cases) | $conf_pass passed, $conf_fail failed, $conf_skip skipped | |"
  for r in "${rows[@]}"; do echo "| $r |"; done
  echo
  ab_table
}
# Each variant row (a default row's name plus suffixes: _wgmma, _rowmajor,
# _mma208, _simt_attention, _ln_before, _nograph, ...) against that default
# row, by median: what to make the default (the next session's first read).
ab_table() {
  printf '%s\n' "${rows[@]}" | awk -F' [|] ' '
    match($0, /median [0-9.]+ ms/) { med[$1] = substr($0, RSTART + 7, RLENGTH - 10); order[++n] = $1 }
    END {
      print "| variant | its default | variant median (ms) | default median (ms) | variant speed vs default |"
      print "|---|---|---|---|---|"
      for (i = 1; i <= n; ++i) {
        v = order[i]; base = v
        while (match(base, /_[^_]+$/)) {
          cut = substr(base, RSTART + 1); base = substr(base, 1, RSTART - 1)
          if (cut ~ /^(fp32|tf32|bf16|fp16)$/) break # another precision: not a variant
          if ((base in med) && med[v] > 0) {
            printf "| %s | %s | %s | %s | %.2fx |\n", v, base, med[v], med[base], med[base] / med[v]
            break
          }
        }
      }
    }'
}
pack() { # also when the script is stopped part way: the table so far
  [ -f "$out/table.md" ] || table > "$out/table.md"
  [ -n "${OUT:-}" ] || return 0
  mkdir -p "$OUT"
  tar -C "$out" --exclude='*.tilec' -czf "$OUT/gpu-logs.tar.gz" . 2>/dev/null
  cp "$out/table.md" "$OUT/table.md"
}
trap pack EXIT
log() { echo "[gpu] $*  (${SECONDS}s)"; }
why() { grep -m1 -i 'error' "$1" 2>/dev/null || tail -1 "$1" 2>/dev/null; } # a failure's reason, from its log
# After a baseline: a row saying why, where it printed no measurement.
baseline_rows() { # count before, name, log
  [ "${#rows[@]}" -gt "$1" ] || rows+=("$2 | failed: $(why "$3") | -")
}
# Every GPU step under a time limit: a kernel that hangs (a barrier or an
# asynchronous-copy wait gone wrong) must not take the whole device lease.
t() { local limit="$1"; shift; timeout --kill-after=5 "$limit" "$@"; }
budget="${GPU_SCRIPT_BUDGET_S:-400}"
in_budget() { [ "$SECONDS" -lt "$budget" ] || { rows+=("$1 | skipped: past the ${budget}s budget | -"); false; }; }

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  log "no NVIDIA GPU visible (nvidia-smi); nothing to run"; exit 77
fi
nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader | tee "$out/gpu.txt"
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
target="cuda:sm_${cc}"
log "target $target"

# The programs: $bin (and their libraries), from .gpu-bundle or built here.
source tests/gpu/programs.sh

# ---------------------------------------------------------------- phase 1
# What phase 2 times, written out and compiled in the background.
gemm_text() { # m n k
  local a="tensor<$1x$3xf32>" b="tensor<$3x$2xf32>" c="tensor<$1x$2xf32>"
  printf '%s\n' "func.func @main(%a: $a, %b: $b) -> $c {
  %r = tilec.matmul %a, %b : ($a, $b) -> $c
  return %r : $c
}"
}
conv_text() { # N H W C F K stride pad
  local oh=$(( ($2 + 2 * $8 - $6) / $7 + 1 )) ow=$(( ($3 + 2 * $8 - $6) / $7 + 1 ))
  local x="tensor<$1x$2x$3x$4xf32>" w="tensor<$6x$6x$4x$5xf32>" y="tensor<$1x${oh}x${ow}x$5xf32>"
  printf '%s\n' "func.func @main(%x: $x, %w: $w) -> $y {
  %y = tilec.conv2d %x, %w {layout = \"nhwc\", strides = array<i64: $7, $7>, padding = array<i64: $8, $8, $8, $8>} : ($x, $w) -> $y
  return %y : $y
}"
}
attention_text() { # batch
  local tt="tensor<$((12 * $1))x197x64xf32>"
  printf '%s\n' "func.func @main(%q: $tt, %k: $tt, %v: $tt) -> $tt {
  %o = tilec.attention %q, %k, %v {scale = 0.125} : ($tt, $tt, $tt) -> $tt
  return %o : $tt
}"
}
conv_name() { echo "resnet50_conv_$1x$2x$3x$4_$5x$6x$6_s$7_p$8_bf16"; }
conv_flops() { local oh=$(( ($2 + 2 * $8 - $6) / $7 + 1 )) ow=$(( ($3 + 2 * $8 - $6) / $7 + 1 )); echo $(( 2 * $1 * oh * ow * $5 * $6 * $6 * $4 )); }

gemms=("1024 1024 1024" "2048 2048 2048" "3136 256 64" "784 128 512"
       "1024 1024 1024 bf16" "4096 4096 4096 bf16" "8192 8192 8192 bf16" "4096 4096 4096 fp16"
       "4096 4096 4096 tf32" "197 3072 768 bf16" "12608 3072 768 bf16" "12608 768 3072 bf16")
convs=("1 56 56 64 64 1 1 0" "1 56 56 64 64 3 1 1" "1 56 56 64 256 1 1 0" "1 56 56 256 128 1 1 0"
       "1 28 28 128 128 3 1 1" "1 28 28 128 512 1 1 0" "1 14 14 256 256 3 1 1"
       "1 14 14 256 1024 1 1 0" "1 7 7 512 512 3 1 1" "1 7 7 512 2048 1 1 0"
       "1 224 224 3 64 7 2 3")
models=(resnet50 mobilenet_v2 efficientnet_b0 vit_b_16 resnet50:bf16 mobilenet_v2:bf16
        efficientnet_b0:bf16 vit_b_16:bf16 resnet50:bf16:64 mobilenet_v2:bf16:64
        efficientnet_b0:bf16:64 vit_b_16:bf16:64 resnet50:fp32:64)

jobs_file="$out/compile-jobs.txt"
: > "$jobs_file"
job() { printf '%s\n' "$*" >> "$jobs_file"; } # name, then tilec compile's arguments
for g in "${gemms[@]}"; do
  read -r m n k p <<< "$g"
  name="gemm_${m}x${n}x${k}${p:+_$p}"
  gemm_text "$m" "$n" "$k" > "$out/$name.mlir"
  job "$name $out/$name.mlir --precision ${p:-fp32}"
done
# The same products on warpgroup tiles (wgmma, sm_90; `~` stands for the
# spaces of the schedule override): blocks of two 64x128 warpgroup tiles, or
# one 64x256 where the rows are not whole 128s (ViT's 12608 tokens), each K
# step waiting for its wgmma group (`_wgmma`); then with each step's group
# left running into the next (inflight=1, 4 stages: 2 K blocks copied ahead)
# and the blocks run 8 rows at a time (group=8) (`_wgmma_if`); and blocks of
# two 64x256 tiles the same way where the rows are 128s (`_wgmma256`, 192 KB
# of shared memory). Each of those again with its tiles loaded by TMA
# (`_tma`: one thread's bulk tensor copies and an mbarrier per stage instead
# of every thread's cp.async; the 1024^3 row is checked against the reference).
wg2="matmul=wg=128x128~reg=64x128x0~vec=1~conv=direct~cache=0x0x64~mma=64x128x16~stages=3"
wg1="matmul=wg=64x256~reg=64x256x0~vec=1~conv=direct~cache=0x0x64~mma=64x256x16~stages=3"
wg2f="matmul=wg=128x128~reg=64x128x0~vec=1~conv=direct~cache=0x0x64~mma=64x128x16~stages=4~inflight=1~group=8"
wg1f="matmul=wg=64x256~reg=64x256x0~vec=1~conv=direct~cache=0x0x64~mma=64x256x16~stages=4~inflight=1~group=8"
wg256f="matmul=wg=128x256~reg=64x256x0~vec=1~conv=direct~cache=0x0x64~mma=64x256x16~stages=4~inflight=1~group=8"
wgmmas=("1024 1024 1024 bf16 wgmma $wg2" "4096 4096 4096 bf16 wgmma $wg2" "8192 8192 8192 bf16 wgmma $wg2"
        "4096 4096 4096 fp16 wgmma $wg2" "12608 3072 768 bf16 wgmma $wg1" "12608 768 3072 bf16 wgmma $wg1"
        "4096 4096 4096 bf16 wgmma_if $wg2f" "8192 8192 8192 bf16 wgmma_if $wg2f"
        "4096 4096 4096 bf16 wgmma256 $wg256f" "8192 8192 8192 bf16 wgmma256 $wg256f"
        "4096 4096 4096 fp16 wgmma256 $wg256f"
        "12608 3072 768 bf16 wgmma_if $wg1f" "12608 768 3072 bf16 wgmma_if $wg1f"
        "1024 1024 1024 bf16 wgmma_tma $wg2~tma=1" "4096 4096 4096 bf16 wgmma_tma $wg2~tma=1"
        "8192 8192 8192 bf16 wgmma_if_tma $wg2f~tma=1" "4096 4096 4096 bf16 wgmma256_tma $wg256f~tma=1"
        "12608 3072 768 bf16 wgmma_if_tma $wg1f~tma=1" "12608 768 3072 bf16 wgmma_if_tma $wg1f~tma=1")
# The mma.sync defaults of the large products now run their blocks 8 rows at
# a time (group=8); the same schedules in row-major order (`_rowmajor`).
rm4k="matmul=wg=128x128~reg=64x64x0~vec=1~conv=direct~cache=0x0x32~mma=16x8x16~stages=4"
rmvit="matmul=wg=64x64~reg=32x32x0~vec=1~conv=direct~cache=0x0x32~mma=16x8x16~stages=3"
wgmmas+=("4096 4096 4096 bf16 rowmajor $rm4k" "8192 8192 8192 bf16 rowmajor $rm4k"
         "12608 3072 768 bf16 rowmajor $rmvit")
for g in "${wgmmas[@]}"; do
  read -r m n k p suffix sched <<< "$g"
  job "gemm_${m}x${n}x${k}_${p}_$suffix $out/gemm_${m}x${n}x${k}_$p.mlir --precision $p --schedule $sched"
done
for b in 1 64; do
  attention_text $b > "$out/attention_b$b.mlir"
  for p in fp32 bf16; do
    [ "$b" = 64 ] && [ "$p" = fp32 ] && continue
    job "attention_vit_b16_b${b}_$p $out/attention_b$b.mlir --precision $p"
  done
done
# 16-bit attention runs on tensor cores by default (WarpAttention.h: a warp
# per 16 query rows; one-warp blocks at batch 1, a head's 13 warps with its
# keys staged two ahead at batch 64). Its block shapes: one warp (`_mma16`)
# or 13 (`_mma208`; the queries are padded to 208); and the SIMT kernel it
# replaced (a thread per query row, its keys split among 8 threads at batch
# 1; the run-2 default), `_simt`.
for b in 1 64; do
  for rows in 16 208; do
    job "attention_vit_b16_b${b}_bf16_mma$rows $out/attention_b$b.mlir --precision bf16 --schedule attention(=wg=1x${rows}x0~mma=16x8x16"
  done
done
# ... and with its key blocks pipelined (cp.async, one block in flight).
job "attention_vit_b16_b64_bf16_mma208s2 $out/attention_b64.mlir --precision bf16 --schedule attention(=wg=1x208x0~mma=16x8x16~stages=2"
job "attention_vit_b16_b1_bf16_simt $out/attention_b1.mlir --precision bf16 --schedule attention(=wg=1x16x64"
job "attention_vit_b16_b64_bf16_simt $out/attention_b64.mlir --precision bf16 --schedule attention(=wg=4x16x64"
for spec in "${models[@]}"; do
  IFS=: read -r m p b <<< "$spec"
  job "${m}_${p:-fp32}_b${b:-1} $m --batch ${b:-1} --precision ${p:-fp32}"
done
# ViT-B/16 with the SIMT attention it had before (the tensor-core one is the
# default rows').
job "vit_b_16_bf16_b1_simt_attention vit_b_16 --batch 1 --precision bf16 --schedule attention(=wg=1x1x16x64"
job "vit_b_16_bf16_b64_simt_attention vit_b_16 --batch 64 --precision bf16 --schedule attention(=wg=1x4x16x64"
# ViT-B/16 again with its layer norms on the schedules they had before they
# took a block per row (split reductions): one block of 197 threads at batch
# 1, 64-row blocks at batch 64, a thread per row (the `_ln_before` rows).
job "vit_b_16_bf16_b1_ln_before vit_b_16 --batch 1 --precision bf16 --schedule layer_norm=wg=1x197x768~reg=-~vec=1~conv=direct"
job "vit_b_16_bf16_b64_ln_before vit_b_16 --batch 64 --precision bf16 --schedule layer_norm=wg=64x1x768~reg=-~vec=1~conv=direct"
for c in "${convs[@]}"; do
  name=$(conv_name $c)
  conv_text $c > "$out/$name.mlir"
  job "$name $out/$name.mlir --precision bf16"
done

compile_one() { # name input args...: writes $out/name.tilec and name.compile.log
  local name="$1"; shift
  set -- "${@//\~/ }" # a schedule override's spaces
  t 120 "$bin/tilec" compile "$@" --target "$target" -o "$out/$name.tilec" --verbose \
    > "$out/$name.compile.log" 2>&1 || { rm -f "$out/$name.tilec"; echo "exit $?" >> "$out/$name.compile.log"; }
}

log "phase 1: conformance shards and $(wc -l < "$jobs_file") compiles, side by side"
cores=$(nproc)
shards=$(( cores / 3 )); [ "$shards" -gt 6 ] && shards=6; [ "$shards" -lt 1 ] && shards=1
for i in $(seq 0 $((shards - 1))); do
  GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i t 240 "$bin/tilec-conformance" \
    --gtest_filter='Gpu*cuda*:Precision*cuda*:TensorCore*cuda*:WarpAttention*cuda*' > "$out/conformance.$i.log" 2>&1 &
done
conf_pids=$(jobs -p)
compilers=$(( cores - shards )); [ "$compilers" -lt 1 ] && compilers=1
while read -r name args; do
  while [ "$(jobs -rp | wc -l)" -ge $((shards + compilers)) ]; do wait -n; done
  # shellcheck disable=SC2086 # the arguments are words
  compile_one "$name" $args &
done < "$jobs_file"
conf_rc=0
for pid in $conf_pids; do wait "$pid" || conf_rc=$?; done
cat "$out"/conformance.*.log > "$out/conformance.log"
conf_pass=$(grep -c '^\[       OK \]' "$out/conformance.log")
conf_skip=$(grep '^\[  SKIPPED \] [A-Za-z]' "$out/conformance.log" | awk '{ print $4 }' | sort -u | wc -l)
failed() { grep '^\[  FAILED  \] [A-Za-z]' "$out/conformance.log" | awk '{ print $4 }' | sort -u; }
conf_fail=$(failed | wc -l)
log "conformance: $conf_pass passed, $conf_fail failed, $conf_skip skipped (shard exit $conf_rc; a timeout is 124)"
failed | head -20
wait
log "compiles done: $(ls "$out"/*.tilec 2>/dev/null | wc -l) of $(wc -l < "$jobs_file") artifacts"

# ---------------------------------------------------------------- phase 2
compile_failed() { rows+=("$1 | compile failed: $(why "$out/$1.compile.log") ($(tail -1 "$out/$1.compile.log")) | -"); }
# name flops check(yes|no): checked against the reference, then timed (median).
measure() {
  local name="$1" flops="$2" check="not checked" lat ms
  in_budget "$name" || return 0
  [ -f "$out/$name.tilec" ] || { compile_failed "$name"; return 0; }
  if [ "$3" = yes ]; then
    check=$(t 120 "$bin/tilec" run "$out/$name.tilec" --check 2>&1 | tee "$out/$name.run.log" | grep '^check' | sed 's/^check *//')
    check="${check:-run failed: $(why "$out/$name.run.log")}"
  fi
  lat=$(t 60 "$bin/tilec" bench "$out/$name.tilec" --runs 30 --min-time 1 --profile 2>&1 | tee "$out/$name.bench.log" | grep median | sed 's/^latency *//; s/ (device events.*//')
  ms=$(echo "$lat" | sed -n 's/^median \([0-9.]*\) ms.*/\1/p')
  rows+=("$name | $check | ${lat:-bench failed: $(why "$out/$name.bench.log")}$( [ "$flops" -gt 0 ] && awk -v f="$flops" -v ms="${ms:-0}" 'BEGIN { if (ms > 0) printf "; %.0f GFLOP/s", f / ms / 1e6 }')")
}

log "phase 2: GEMMs (tilec, then cuBLAS)"
for g in "${gemms[@]}"; do
  read -r m n k p <<< "$g"
  flops=$((2 * m * n * k))
  measure "gemm_${m}x${n}x${k}${p:+_$p}" "$flops" "$( [ "$flops" -le 4000000000 ] && echo yes || echo no)"
done
for g in "${wgmmas[@]}"; do
  read -r m n k p suffix _ <<< "$g"
  flops=$((2 * m * n * k))
  measure "gemm_${m}x${n}x${k}_${p}_$suffix" "$flops" "$( [ "$flops" -le 4000000000 ] && echo yes || echo no)"
done
if in_budget "cuBLAS baselines" && [ -x "$bin/tilec-cublas-gemm" ]; then
  before=${#rows[@]}
  while read -r _ shape _ ms _ gflops _; do
    rows+=("cublas_sgemm $shape (baseline) | - | median $ms ms; $gflops GFLOP/s")
  done < <(t 60 "$bin/tilec-cublas-gemm" 1024x1024x1024 2048x2048x2048 3136x256x64 784x128x512 2>&1 \
           | tee "$out/cublas.log" | grep '^cublas_sgemm')
  while read -r _ shape _ ms _ gflops _; do
    rows+=("cublas_gemm_bf16 $shape (baseline, tensor cores) | - | median $ms ms; $gflops GFLOP/s")
  done < <(t 60 "$bin/tilec-cublas-gemm" --bf16 1024x1024x1024 4096x4096x4096 8192x8192x8192 \
             197x3072x768 12608x3072x768 12608x768x3072 2>&1 \
           | tee "$out/cublas-bf16.log" | grep '^cublas_gemm_bf16')
  while read -r name shape _ ms _ gflops _; do
    rows+=("$name $shape (baseline, tensor cores) | - | median $ms ms; $gflops GFLOP/s")
  done < <({ t 30 "$bin/tilec-cublas-gemm" --fp16 4096x4096x4096; t 30 "$bin/tilec-cublas-gemm" --tf32 4096x4096x4096; } 2>&1 \
           | tee "$out/cublas-fp16-tf32.log" | grep '^cublas_gemm_')
  baseline_rows "$before" cublas "$out/cublas.log"
fi

log "ViT-B/16 attention (12 heads x 197 tokens x 64)"
measure attention_vit_b16_b1_fp32 $((4 * 12 * 197 * 197 * 64)) yes
measure attention_vit_b16_b1_bf16 $((4 * 12 * 197 * 197 * 64)) yes
measure attention_vit_b16_b64_bf16 $((4 * 768 * 197 * 197 * 64)) no
for rows in 16 208; do
  measure attention_vit_b16_b1_bf16_mma$rows $((4 * 12 * 197 * 197 * 64)) yes
  measure attention_vit_b16_b64_bf16_mma$rows $((4 * 768 * 197 * 197 * 64)) no
done
measure attention_vit_b16_b64_bf16_mma208s2 $((4 * 768 * 197 * 197 * 64)) no
measure attention_vit_b16_b1_bf16_simt $((4 * 12 * 197 * 197 * 64)) yes
measure attention_vit_b16_b64_bf16_simt $((4 * 768 * 197 * 197 * 64)) no

log "models (batch 1 checked against the reference)"
for spec in "${models[@]}"; do
  IFS=: read -r m p b <<< "$spec"
  measure "${m}_${p:-fp32}_b${b:-1}" 0 "$( [ "${b:-1}" = 1 ] && echo yes || echo no)"
done
measure vit_b_16_bf16_b1_ln_before 0 no
measure vit_b_16_bf16_b64_ln_before 0 no
measure vit_b_16_bf16_b1_simt_attention 0 yes
measure vit_b_16_bf16_b64_simt_attention 0 no
# The batch-1 bf16 models again with their kernels launched one by one
# (TILEC_GPU_GRAPHS=0, run 2's way) beside the rows above, which replay one
# CUDA graph per run (each bench log's `launches` line says which ran).
for m in resnet50 mobilenet_v2 efficientnet_b0 vit_b_16; do
  name="${m}_bf16_b1"
  in_budget "${name}_nograph" || continue
  [ -f "$out/$name.tilec" ] || continue
  lat=$(TILEC_GPU_GRAPHS=0 t 60 "$bin/tilec" bench "$out/$name.tilec" --runs 30 --min-time 1 2>&1 | tee "$out/${name}_nograph.bench.log" | grep median | sed 's/^latency *//; s/ (device events.*//')
  rows+=("${name}_nograph | not checked | ${lat:-bench failed: $(why "$out/${name}_nograph.bench.log")}")
done

# ResNet-50's convolutions in NHWC bf16 (implicit GEMM on tensor cores), timed
# by the kernels' device-event profile without the input/weight converts (and
# the stem's zero rows of its filter matrix, a compile-time constant in a
# model), beside cuDNN's fastest NHWC bf16 algorithm on the same layers. The
# stem (7x7 over 3 channels, K padded from 147 to 160) writes its windows out
# (an im2col kernel, counted).
log "ResNet-50 convolutions (NHWC bf16) beside cuDNN"
for c in "${convs[@]}"; do
  name=$(conv_name $c)
  in_budget "$name" || continue
  [ -f "$out/$name.tilec" ] || { compile_failed "$name"; continue; }
  check=$(t 60 "$bin/tilec" run "$out/$name.tilec" --check 2>&1 | tee "$out/$name.run.log" | grep '^check' | sed 's/^check *//')
  t 60 "$bin/tilec" bench "$out/$name.tilec" --runs 50 --min-time 1 --profile > "$out/$name.bench.log" 2>&1
  ms=$(awk '/ ms +[0-9.]+% +grid/ && !/convert\(/ && !/grid +[0-9]+ +pad\([0-9]+x[0-9]+x[a-z0-9]+\)/ { s += $1 } END { printf "%.4f", s }' "$out/$name.bench.log")
  rows+=("$name | ${check:-run failed: $(why "$out/$name.run.log")} | conv kernels $ms ms; $(awk -v f="$(conv_flops $c)" -v ms="$ms" 'BEGIN { if (ms > 0) printf "%.0f GFLOP/s", f / ms / 1e6; else print "-" }')")
done
if in_budget "cuDNN baselines" && [ -x "$bin/tilec-cudnn-conv" ]; then
  before=${#rows[@]}
  while read -r _ shape _ ms _ gflops _ _ algo; do
    rows+=("cudnn_conv_bf16 $shape (baseline, algo $algo) | - | median $ms ms; $gflops GFLOP/s")
  done < <(t 60 "$bin/tilec-cudnn-conv" 2>&1 | tee "$out/cudnn.log" | grep '^cudnn_conv_bf16')
  baseline_rows "$before" cudnn "$out/cudnn.log"
fi
# The same layers through cuDNN's graph API (its heuristics' engines, each
# timed, the fastest kept): the legacy API's choice ran at 0.7-4 TFLOP/s.
if in_budget "cuDNN graph-API baselines" && [ -x "$bin/tilec-cudnn-conv" ]; then
  before=${#rows[@]}
  while read -r _ shape _ ms _ gflops _ _ engine; do
    rows+=("cudnn_graph_conv_bf16 $shape (baseline, engine $engine) | - | median $ms ms; $gflops GFLOP/s")
  done < <(t 90 "$bin/tilec-cudnn-conv" --graph 2>&1 | tee "$out/cudnn-graph.log" | grep '^cudnn_graph_conv_bf16')
  baseline_rows "$before" cudnn_graph "$out/cudnn-graph.log"
fi

log "PyTorch baselines (eager, scaled_dot_product_attention)"
if in_budget "PyTorch baselines"; then
  before=${#rows[@]}
  while read -r kind model batch dtype _ ms _; do
    rows+=("$kind $model ${dtype}_$batch (baseline) | - | median $ms ms")
  done < <(t 120 python3 bench/torch_baselines.py --batches 1,64 --runs 10 2>&1 | tee "$out/torch.log" | grep '^torch_')
  baseline_rows "$before" torch "$out/torch.log"
fi

# Tuning on the card: a bf16 GEMM's schedules searched by the auto-tuner
# (kernels timed by device events; warp tiles, thread tiles and blocks),
# then the tuned artifact timed beside the default one (above).
log "tuning a bf16 GEMM on the GPU"
tune_gemm="$out/gemm_1024x1024x1024_bf16.mlir"
if SECONDS=$((SECONDS + 100)) in_budget "gemm_1024x1024x1024_bf16 tuned"; then # needs ~100 s
  if t 50 "$bin/tilec" tune "$tune_gemm" --target "$target" --precision bf16 \
      --db "$out/gpu-tuning.db" --trials 24 --time-budget 30s > "$out/tune.log" 2>&1 &&
     t 30 "$bin/tilec" compile "$tune_gemm" --target "$target" --precision bf16 --db "$out/gpu-tuning.db" \
      -o "$out/gemm_tuned.tilec" --verbose > "$out/tuned.compile.log" 2>&1; then
    tuned=$(t 30 "$bin/tilec" bench "$out/gemm_tuned.tilec" --runs 50 --min-time 1 2>&1 | grep median | sed 's/^latency *//')
    schedule=$(grep -o 'wg=[^[]*' "$out/tuned.compile.log" | tail -1)
    rows+=("gemm_1024x1024x1024_bf16 tuned ($schedule) | - | ${tuned:-bench failed}")
  else
    rows+=("gemm_1024x1024x1024_bf16 tuned | tuning failed: $(why "$out/tune.log") | -")
  fi
fi

table > "$out/table.md"
echo; cat "$out/table.md"
[ "$conf_fail" -eq 0 ]
