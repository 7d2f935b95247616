#!/usr/bin/env bash
# Configures (once) and builds tilec in ./build with Ninja and ccache.
# Usage: scripts/build.sh [ninja targets...]   (no target: build everything)
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the checkout, so clones in other folders share hits.
export CCACHE_BASEDIR="$PWD"
if [ ! -f build/build.ninja ]; then
  echo "[build] configuring in ./build (Release, LLVM/MLIR 19)"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
echo "[build] building ${*:-everything} (jobs: $(nproc))"
cmake --build build -- "$@"
