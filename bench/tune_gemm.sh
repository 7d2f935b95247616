#!/usr/bin/env bash
# GEMM 1024^3 fp32: tuned schedule against the default and against OpenBLAS,
# at the same thread count, in one run.
#   bench/tune_gemm.sh build [threads=2] [time-budget=5m]
set -euo pipefail
build=$(realpath "${1:-build}")
threads=${2:-2}
budget=${3:-5m}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t="tensor<1024x1024xf32>"
cat > "$work/gemm1024.mlir" <<MLIR
func.func @main(%a: $t, %b: $t) -> $t {
  %r = tilec.matmul %a, %b : ($t, $t) -> $t
  return %r : $t
}
MLIR
echo "== tuning gemm 1024^3 for $threads threads ($budget)"
"$build/bin/tilec" tune "$work/gemm1024.mlir" --db "$work/gemm.db" --threads "$threads" \
  --time-budget "$budget" --trials 100000
echo "== default schedule, tuned schedule, OpenBLAS (tilec-gemm-bench)"
"$build/bin/tilec-gemm-bench" --benchmark_filter="square_1024.*/$threads/" 2>&1 | grep -E "^square_1024 +$threads |real_time" | sed 's/^/default  /'
TILEC_BENCH_DB="$work/gemm.db" "$build/bin/tilec-gemm-bench" \
  --benchmark_filter="square_1024.*/$threads/" 2>&1 | grep -E "^square_1024 +$threads |real_time" | sed 's/^/tuned    /'
