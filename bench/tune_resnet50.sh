#!/usr/bin/env bash
# ResNet-50 on this CPU: tune for a time budget, then default-schedule latency,
# tuned latency and ONNX Runtime side by side in one run (bench/model_latency.py),
# the cost model's ranking quality on the records, and ResNet-101 reusing them.
#   bench/tune_resnet50.sh build [time-budget=10m] [db=build/tune-resnet50.db]
set -euo pipefail
build=$(realpath "${1:-build}")
budget=${2:-10m}
db=${3:-$build/tune-resnet50.db}
root=$(cd "$(dirname "$0")/.." && pwd)
python=$root/.venv/bin/python
threads=$(nproc)
echo "== tilec tune resnet50 ($budget, $threads threads) into $db"
"$build/bin/tilec" tune resnet50 --db "$db" --time-budget "$budget" --trials 1000000 \
  --threads "$threads"
echo "== default vs tuned vs ONNX Runtime"
"$python" "$root/bench/model_latency.py" "$build/bin/tilec" --threads "$threads" --db "$db" resnet50
echo "== cost model: leave one dispatch out"
"$build/bin/tilec-costmodel-eval" "$db" 5 20 | tail -1
echo "== resnet101 after resnet50 (1 minute): records reused"
"$build/bin/tilec" tune resnet101 --db "$db" --time-budget 1m --trials 1000000 \
  --threads "$threads" | grep -E "reused|sum of kernel"
