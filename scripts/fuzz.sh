#!/usr/bin/env bash
# Builds the ONNX importer fuzzer with clang-19 (libFuzzer + AddressSanitizer) in
# ./build-fuzz and runs it from the committed seed corpus.
# Usage: scripts/fuzz.sh [seconds]     (default 60; 0 = build only)
#        scripts/fuzz.sh 3600          # the long run
# New inputs go to build-fuzz/corpus; crashes to build-fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
seconds="${1:-60}"
if [ ! -f build-fuzz/build.ninja ]; then
  echo "[fuzz] configuring ./build-fuzz with clang++-19"
  CXX=clang++-19 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTILEC_FUZZ=ON -DTILEC_BUILD_TESTS=OFF > /dev/null
fi
cmake --build build-fuzz --target onnx-import-fuzzer
[ "$seconds" = 0 ] && exit 0
mkdir -p build-fuzz/corpus
echo "[fuzz] running for ${seconds}s from tests/fuzz/corpus"
cd build-fuzz
exec bin/onnx-import-fuzzer corpus ../tests/fuzz/corpus -max_total_time="$seconds" \
  -rss_limit_mb=4096 -timeout=20 -print_final_stats=1
