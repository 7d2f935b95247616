#!/usr/bin/env bash
# Compiles zoo models for the GPU targets (CUDA: PTX assembled by ptxas into a
# cubin; ROCm: HSACO linked by ld.lld), which needs no GPU, and prints how each
# model's kernels were mapped onto threads (`--verbose` notes). A kernel the
# backend refuses (e.g. more private memory per thread than AMDGPU allows)
# fails the model.
# Usage: tests/e2e/compile_for_gpus.sh <tilec> [model...]   (no model: the zoo)
set -euo pipefail
tilec="$1"
shift
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <("$tilec" models | awk 'NR > 1 { print $1 }')
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
for target in cuda:sm_90 rocm:gfx90a; do
  for m in "${models[@]}"; do
    log="$work/$m.log"
    if "$tilec" compile "$m" --target "$target" --verbose -o "$work/$m.tilec" > "$log" 2>&1; then
      printf '%-12s %-20s %3d kernels staged in workgroup memory, %d one thread per block\n' \
        "$target" "$m" "$(grep -c 'staged in workgroup memory' "$log" || true)" \
        "$(grep -c 'one thread per block' "$log" || true)"
    else
      echo "FAIL $target $m:"; tail -5 "$log"; failed=1
    fi
    rm -f "$work/$m.tilec"
  done
done
exit $failed
