#!/usr/bin/env bash
# Compiles zoo models for the host CPU and runs each with `tilec run --check`
# (the reference interpreter on the same input: rel. error <= 1e-4, same top-1).
# Usage: tests/e2e/check_compiled_models.sh <tilec> [model...]   (no model: the
# whole zoo, about 20 minutes on 2 cores; CI runs a representative set).
# TILEC_E2E_FUSION=none compiles without fusion (one op per kernel: most
# dispatches then write over their operand in place); TILEC_E2E_LAYOUT=nchw|nhwc
# overrides the layout choice (default: auto); TILEC_E2E_TARGET=simt compiles
# with the GPU's tiling run on the CPU (blocks, thread loops, workgroup memory).
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
for m in "${models[@]}"; do
  start=$(date +%s%N)
  if ! "$tilec" compile "$m" --fusion "${TILEC_E2E_FUSION:-default}" \
      --layout "${TILEC_E2E_LAYOUT:-auto}" --target "${TILEC_E2E_TARGET:-cpu}" \
      -o "$work/$m.tilec" > "$work/$m.log" 2>&1; then
    echo "FAIL $m: compile failed"; cat "$work/$m.log"; failed=1; continue
  fi
  compiled=$(date +%s%N)
  if result=$("$tilec" run "$work/$m.tilec" --check 2>&1); then
    printf '%-22s compile %4d ms  %s\n' "$m" $(( (compiled - start) / 1000000 )) \
      "$(echo "$result" | grep '^check' | sed 's/^check *//')"
  else
    echo "FAIL $m:"; echo "$result"; failed=1
  fi
  rm -f "$work/$m.tilec"
done
exit $failed
