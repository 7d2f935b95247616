#!/usr/bin/env bash
# Search efficiency: the cost-model-guided evolutionary search against random
# search at equal trials, each from an empty database, on one model. Prints the
# estimated model time (sum over dispatches of count x best kernel time) of
# each, and how both got there.
#   bench/tune_search_efficiency.sh build [model=resnet18] [trials=400]
set -euo pipefail
build=$(realpath "${1:-build}")
model=${2:-resnet18}
trials=${3:-400}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for strategy in random evolutionary; do
  "$build/bin/tilec" tune "$model" --db "$work/$strategy.db" --strategy "$strategy" \
    --trials "$trials" --seed 1 > "$work/$strategy.out" 2> /dev/null
  summary=$(grep "sum of kernel times" "$work/$strategy.out")
  printf "%-13s %s trials: %s\n" "$strategy" "$trials" "${summary#sum of kernel times: }"
done
