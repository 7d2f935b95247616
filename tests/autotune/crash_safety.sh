#!/usr/bin/env bash
# Crash safety: kill the tuner with SIGKILL at random moments, many times.
# After every kill the database must open, pass SQLite's integrity check, and
# still hold every record that was there before (committed records are never
# lost); and tuning must go on adding records.
# Usage: tests/autotune/crash_safety.sh path/to/tilec python3 [rounds]
set -euo pipefail
tilec=$(realpath "$1")
python=${2:-python3}
rounds=${3:-12}
work=$(mktemp -d)
trap 'pkill -9 -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
snapshot() {
  "$python" -c 'import sqlite3,sys
db = sqlite3.connect("file:c.db?mode=ro", uri=True)
for row in db.execute("SELECT id, signature, schedule, status, median_us FROM records ORDER BY id"):
    print("|".join(map(str, row)))' > "$1"
}
: > before.txt
RANDOM=7
for i in $(seq 1 "$rounds"); do
  # --retune keeps it measuring LeNet-5 after the first round has records.
  "$tilec" tune lenet5 --db "$work/c.db" --trials 100000 --retune > /dev/null 2>&1 &
  pid=$!
  sleep "$(( RANDOM % 30 / 10 )).$(( RANDOM % 10 ))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -f c.db ] || { echo "round $i: killed before the database existed"; continue; }
  "$tilec" db check c.db > check.txt || { cat check.txt; echo "FAIL: round $i: integrity"; exit 1; }
  snapshot after.txt
  missing=$(comm -23 <(sort before.txt) <(sort after.txt) | wc -l)
  [ "$missing" -eq 0 ] || { echo "FAIL: round $i lost $missing committed records"; exit 1; }
  echo "round $i: $(wc -l < after.txt) records, integrity ok, none lost"
  cp after.txt before.txt
done
[ "$(wc -l < before.txt)" -gt 0 ] || { echo "FAIL: no record was ever committed"; exit 1; }
echo "PASS"
