#!/usr/bin/env bash
# Compiles zoo models for the host CPU and runs each with `tilec run --check`
# (the reference interpreter on the same input: rel. error <= 1e-4, same top-1).
# Usage: tests/e2e/check_compiled_models.sh <tilec> [model...]   (no model: the
# whole zoo, about 20 minutes on 2 cores; CI runs a representative set).
# TILEC_E2E_FUSION=none compiles without fusion (one op per kernel: most
# dispatches then write over their operand in place); TILEC_E2E_LAYOUT=nchw|nhwc
# overrides the layout choice (default: auto); TILEC_E2E_TARGET=simt compiles
# with the GPU's tiling run on the CPU (blocks, thread loops, workgroup memory);
# TILEC_E2E_TARGET=cuda:sm_NN|rocm:gfxNNN only compiles (assembled and linked,
# no GPU needed) and prints how many kernels are staged in workgroup memory or
# left at one thread per block. TILEC_E2E_PRECISION=bf16|fp16 compiles with
# 16-bit contraction operands (--check then holds the model to that
# precision's limit against the fp32 reference, docs/precision.md).
# TILEC_E2E_SCHEDULE=SIG=SCHED passes one --schedule override (e.g. tensor-core
# attention: 'attention(=wg=1x1x208x0 mma=16x8x16'). TILEC_E2E_RESOLUTION=R
# compiles the models at R x R. TILEC_E2E_EMULATE=<libtilec_gpu_emulator.so>
# with a cuda: target runs each artifact on the lane emulator (tests/emulator:
# the CUDA kernels thread by thread on the CPU) and checks it as above.
set -euo pipefail
tilec="$1"
shift
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <("$tilec" models | awk 'NR > 1 { print $1 }')
fi
target="${TILEC_E2E_TARGET:-cpu}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
for m in "${models[@]}"; do
  start=$(date +%s%N)
  emulate=()
  if [ -n "${TILEC_E2E_EMULATE:-}" ]; then
    emulate=(env TILEC_GPU_DRIVER="$TILEC_E2E_EMULATE" TILEC_EMULATE_IR="$work/$m.dump/3-gpu.mlir"
             TILEC_EMULATE_SM="${target#cuda:sm_}")
  fi
  if ! env ${TILEC_E2E_EMULATE:+TILEC_DUMP_KERNELS="$work/$m.dump"} \
      "$tilec" compile "$m" --fusion "${TILEC_E2E_FUSION:-default}" \
      --layout "${TILEC_E2E_LAYOUT:-auto}" --target "$target" --verbose \
      --precision "${TILEC_E2E_PRECISION:-fp32}" \
      ${TILEC_E2E_SCHEDULE:+--schedule "$TILEC_E2E_SCHEDULE"} \
      ${TILEC_E2E_RESOLUTION:+--resolution "$TILEC_E2E_RESOLUTION"} \
      -o "$work/$m.tilec" > "$work/$m.log" 2>&1; then
    echo "FAIL $m: compile failed"; tail -20 "$work/$m.log"; failed=1; continue
  fi
  compiled=$(date +%s%N)
  if [ -n "${TILEC_E2E_SCHEDULE:-}" ] && grep -q 'requested schedule rejected' "$work/$m.log"; then
    echo "FAIL $m: the schedule override was not applied:"
    grep 'requested schedule rejected' "$work/$m.log"; failed=1; continue
  fi
  if [[ ( "$target" == cuda:* && -z "${TILEC_E2E_EMULATE:-}" ) || "$target" == rocm:* ]]; then
    printf '%-22s compile %5d ms  %3d kernels staged in workgroup memory, %d one thread per block\n' \
      "$m" $(( (compiled - start) / 1000000 )) \
      "$(grep -c 'staged in workgroup memory' "$work/$m.log" || true)" \
      "$(grep -c 'one thread per block' "$work/$m.log" || true)"
  elif result=$("${emulate[@]}" "$tilec" run "$work/$m.tilec" --check 2>&1); then
    printf '%-22s compile %4d ms  %s\n' "$m" $(( (compiled - start) / 1000000 )) \
      "$(echo "$result" | grep '^check' | sed 's/^check *//')"
  else
    echo "FAIL $m:"; echo "$result"; failed=1
  fi
  rm -rf "$work/$m.tilec" "$work/$m.dump"
done
exit $failed
