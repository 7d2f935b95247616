#!/usr/bin/env bash
# The fuzzing step of the test suite: a short libFuzzer run of the ONNX importer
# from the committed corpus (scripts/fuzz.sh builds ./build-fuzz). Exits 77
# (ctest: skipped) if the fuzzer was not built.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
fuzzer="$root/build-fuzz/bin/onnx-import-fuzzer"
seconds="${1:-30}"
[ -x "$fuzzer" ] || { echo "fuzzer not built (run scripts/fuzz.sh 0)"; exit 77; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$fuzzer" "$work" "$root/tests/fuzz/corpus" -max_total_time="$seconds" -rss_limit_mb=4096 \
  -timeout=20 -print_final_stats=1 2>&1 | tail -8
