#!/usr/bin/env bash
# The per-model table of docs/design/passes.md: compute ops before the graph
# pipeline, kernels after it (fused and fusion=none; in-place concats run no
# kernel), activation traffic before -> after fusion, peak activation memory
# naive -> planned (after fusion), and the layout tilec-assign-layouts chose
# (layout=auto), as markdown rows.
# Usage: bench/graph_table.sh [build/bin/tilec] [model...]   (default: the zoo)
set -euo pipefail
tilec="${1:-build/bin/tilec}"
shift || true
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <("$tilec" models | awk 'NR > 1 { print $1 }')
fi
echo "| model | ops before | kernels (fused) | kernels (fusion=none) | activation traffic before → after fusion (MB) | peak activations naive → planned (MB) | layout |"
echo "|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  fused=$("$tilec" optimize "$m")
  none=$("$tilec" optimize "$m" --fusion none)
  # before  <ops> compute ops  <kernels> kernels  <MB> MB activation traffic
  # after   <ops> compute ops  <kernels> kernels  <MB> MB ... arena <MB> MB (naive <MB> MB)
  echo "$fused" | awk -v m="$m" -v none="$(echo "$none" | awk '/^after/ { print $5 }')" '
    /^before/ { ops = $2; before = $7 }
    /^after/  { kernels = $5; after = $7; arena = $12; naive = $15 }
    /^layout/ { layout = $2 }
    END { printf "| %s | %s | %s | %s | %s → %s | %s → %s | %s |\n", m, ops, kernels, none, before, after, naive, arena, layout }'
done
