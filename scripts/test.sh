#!/usr/bin/env bash
# Every test, from a fresh machine: install what is missing, build, run ctest
# (gtest units, lit/FileCheck, reference checks against PyTorch/torchvision).
# Usage: scripts/test.sh [ctest options...]   e.g. scripts/test.sh -R lit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
scripts/fuzz.sh 0   # the ONNX importer fuzzer (clang + libFuzzer); ctest runs it briefly
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
