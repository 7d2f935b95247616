#!/usr/bin/env bash
# A schedule change checked on the card in one short command: each model is
# compiled twice for the card (tilec's default schedules, and with
# `--schedule OVERRIDE`, e.g. the schedule the default replaced), the
# default checked against the reference (batch 1), both timed one after the
# other by `tilec bench` (device events, inputs on the device) with their
# per-kernel profiles. A table last; with OUT set, also $OUT/table.md and the
# logs in $OUT/ab-logs.tar.gz.
# Usage: tests/gpu/ab_schedule.sh "OVERRIDE" MODEL[:PRECISION[:BATCH]]...
#   e.g. tests/gpu/ab_schedule.sh "layer_norm=wg=1x197x768 reg=- vec=1 conv=direct" vit_b_16:bf16
set -uo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { sed -n 2,10p "$0"; exit 2; }
override="$1"; shift
out=$(mktemp -d)
rows=()
log() { echo "[ab] $*  (${SECONDS}s)"; }
t() { local limit="$1"; shift; timeout --kill-after=5 "$limit" "$@"; }
table() {
  echo "| model | variant | check | latency |"
  echo "|---|---|---|---|"
  for r in "${rows[@]}"; do echo "| $r |"; done
}
pack() {
  table > "$out/table.md"
  [ -n "${OUT:-}" ] || return 0
  mkdir -p "$OUT"
  tar -C "$out" --exclude='*.tilec' -czf "$OUT/ab-logs.tar.gz" . 2>/dev/null
  cp "$out/table.md" "$OUT/table.md"
}
trap pack EXIT
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  log "no NVIDIA GPU visible (nvidia-smi); nothing to run"; exit 77
fi
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
target="cuda:sm_${cc}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$out/gpu.txt"
source tests/gpu/programs.sh

log "compiling $# model(s) twice for $target"
for spec in "$@"; do
  IFS=: read -r m p b <<< "$spec"
  name="${m}_${p:-fp32}_b${b:-1}"
  t 120 "$bin/tilec" compile "$m" --batch "${b:-1}" --precision "${p:-fp32}" --target "$target" \
    -o "$out/$name.default.tilec" --verbose > "$out/$name.default.compile.log" 2>&1 &
  t 120 "$bin/tilec" compile "$m" --batch "${b:-1}" --precision "${p:-fp32}" --target "$target" \
    --schedule "$override" -o "$out/$name.override.tilec" --verbose > "$out/$name.override.compile.log" 2>&1 &
done
wait
for spec in "$@"; do
  IFS=: read -r m p b <<< "$spec"
  name="${m}_${p:-fp32}_b${b:-1}"
  for v in default override; do
    f="$out/$name.$v.tilec"
    if [ ! -f "$f" ]; then
      rows+=("$name | $v | compile failed: $(grep -m1 -i error "$out/$name.$v.compile.log") | -"); continue
    fi
    check="-"
    [ "$v" = default ] && [ "${b:-1}" = 1 ] &&
      check=$(t 120 "$bin/tilec" run "$f" --check 2>&1 | tee "$out/$name.$v.run.log" | grep '^check' | sed 's/^check *//')
    lat=$(t 60 "$bin/tilec" bench "$f" --runs 30 --min-time 1 --profile 2>&1 | tee "$out/$name.$v.bench.log" |
          grep median | sed 's/^latency *//; s/ (device events.*//')
    rows+=("$name | $v | ${check:-run failed} | ${lat:-bench failed}")
  done
done
echo; table
