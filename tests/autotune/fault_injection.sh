#!/usr/bin/env bash
# Fault injection: a share of candidates crash (SIGSEGV), hang, or return a
# corrupted output (TILEC_TUNE_FAULTS). Every one must be classified with its
# reason, every hang must end within the timeout + 5 s, the search must go on,
# and no failed schedule may ever be the best record.
# Usage: tests/autotune/fault_injection.sh path/to/tilec python3
set -euo pipefail
tilec=$(realpath "$1")
python=${2:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
timeout_s=3
start=$(date +%s)
TILEC_TUNE_FAULTS=crash=0.15,hang=0.1,wrong=0.15,seed=11 \
  "$tilec" tune lenet5 --db f.db --trials 48 --timeout ${timeout_s}s > tune.out 2> tune.err ||
  { cat tune.err; echo "FAIL: the tuner gave up on injected faults"; exit 1; }
elapsed=$(( $(date +%s) - start ))
cat tune.out
"$python" - "$timeout_s" "$elapsed" <<'PY'
import re, sqlite3, sys
timeout, elapsed = float(sys.argv[1]), float(sys.argv[2])
db = sqlite3.connect("f.db")
rows = db.execute("SELECT signature, schedule, status, median_us, error FROM records").fetchall()
count = {}
for _, _, status, _, _ in rows:
    count[status] = count.get(status, 0) + 1
print("records by status:", count)
assert len(rows) == 48, f"{len(rows)} records for 48 trials"
for status in ("ok", "crash", "timeout", "wrong"):
    assert count.get(status, 0) > 0, f"no '{status}' record: injection or classification broken"
reasons = {"crash": "worker died", "timeout": "no result within", "wrong": "differs from the reference"}
for sig, sched, status, median, error in rows:
    if status == "ok":
        assert median and median > 0, "valid record without a time"
        continue
    assert median is None, f"failed record with a time: {status}"
    assert reasons[status] in error, f"{status} record without its reason: {error!r}"
    if status == "timeout":
        waited = float(re.search(r"waited ([0-9.]+) s", error).group(1))
        assert waited <= timeout + 5, f"a hang took {waited} s to end"
failed = {(s, k) for s, k, st, _, _ in rows if st != "ok"}
for sig, in db.execute("SELECT DISTINCT signature FROM records WHERE status='ok'"):
    best = db.execute("SELECT schedule FROM records WHERE signature=? AND status='ok' "
                      "ORDER BY median_us LIMIT 1", (sig,)).fetchone()[0]
    assert (sig, best) not in failed, f"a failed schedule is the best of {sig}"
budget = count["timeout"] * (timeout + 5) + 48 * 3 + 60
assert elapsed <= budget, f"tuning took {elapsed} s (> {budget} s): hangs not cut short"
print(f"PASS ({elapsed:.0f} s, {count['timeout']} hangs cut at {timeout:.0f} s)")
PY
