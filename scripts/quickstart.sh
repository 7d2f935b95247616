#!/usr/bin/env bash
# The main job, from a fresh machine: install what is missing, build tilec, and
# run ResNet-50 on the reference interpreter (top-5 classes, time, parameters, FLOPs).
# Usage: scripts/quickstart.sh [model] [tilec run options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh tilec
model="${1:-resnet50}"
shift || true
echo "[quickstart] build/bin/tilec run $model --reference $*"
build/bin/tilec run "$model" --reference "$@"
