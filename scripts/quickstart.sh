#!/usr/bin/env bash
# The main job, from a fresh machine: install what is missing, build tilec,
# compile a zoo model for this CPU, run it with a check against the reference
# interpreter (relative error, same top-1), and measure its latency.
# Usage: scripts/quickstart.sh [model] [tilec compile options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh tilec
model="${1:-resnet50}"
shift || true
artifact="build/$model.tilec"
echo "[quickstart] build/bin/tilec compile $model --target cpu -o $artifact $*"
build/bin/tilec compile "$model" --target cpu -o "$artifact" "$@"
echo "[quickstart] build/bin/tilec run $artifact --check"
build/bin/tilec run "$artifact" --check
echo "[quickstart] build/bin/tilec bench $artifact"
build/bin/tilec bench "$artifact"
