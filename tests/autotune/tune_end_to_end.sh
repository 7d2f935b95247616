#!/usr/bin/env bash
# tilec tune -> database -> tilec compile --db -> tilec run --check, record reuse,
# and every `tilec db` action, on LeNet-5 (seconds, not minutes).
# Usage: tests/autotune/tune_end_to_end.sh path/to/tilec
set -euo pipefail
tilec=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$tilec" tune lenet5 --db t.db --trials 24 > tune.out 2> tune.err || { cat tune.err; fail "tune"; }
cat tune.out
grep -q "sum of kernel times" tune.out || fail "no summary table"
grep -q "24 trials" tune.out || fail "trial budget not honoured"
"$tilec" db check t.db | grep -q ": ok" || fail "integrity"

"$tilec" compile lenet5 --db t.db -o tuned.tilec > compile.out
grep -q "tuned      7 of 7 kernels" compile.out || { cat compile.out; fail "records not used"; }
"$tilec" run tuned.tilec --check | grep -q "PASS" || fail "tuned artifact disagrees with the reference"

# --precision bf16: dispatches with 16-bit operands and results are measured
# (inputs packed as bf16, outputs decoded) and checked, none fails; the hint
# names the precision, and the compile uses every record.
"$tilec" tune lenet5 --precision bf16 --db b.db --trials 24 > bf16.out 2> bf16.err ||
  { cat bf16.err; fail "tune --precision bf16"; }
grep -q "24 trials (0 failed)" bf16.out || { cat bf16.out; fail "bf16 candidates failed"; }
grep -q "compile with: tilec compile lenet5 --precision bf16 --db b.db" bf16.out ||
  fail "the hint lacks --precision"
"$tilec" compile lenet5 --precision bf16 --db b.db -o bf16.tilec > bf16c.out
n=$(sed -n 's/^kernels *\([0-9]*\) for.*/\1/p' bf16c.out)
grep -q "tuned      $n of $n kernels" bf16c.out || { cat bf16c.out; fail "bf16 records not used"; }
"$tilec" run bf16.tilec --check | grep -q "PASS" || fail "tuned bf16 artifact disagrees"

# A second run reuses every record instead of measuring again.
"$tilec" tune lenet5 --db t.db --trials 8 > again.out 2>/dev/null
grep -q "7 of 7 dispatches reused" again.out || { cat again.out; fail "no reuse"; }
grep -q "^0 trials" again.out || fail "reused dispatches were measured again"

# Records of another machine class (here: another thread count) are never used.
"$tilec" compile lenet5 --db t.db --threads 1 -o one.tilec | grep -q "tuned      0 of 7" ||
  fail "records of another fingerprint were used"

# export / import (idempotent) / merge / prune / stats
"$tilec" db export t.db -o t.jsonl 2>/dev/null
n=$(wc -l < t.jsonl)
[ "$n" -ge 24 ] || fail "export wrote $n records"
"$tilec" db import u.db t.jsonl | grep -q "imported $n records (0 already present)" || fail "import"
"$tilec" db import u.db t.jsonl | grep -q "imported 0 records ($n already present)" ||
  fail "import twice duplicated records"
"$tilec" db merge m.db t.db | grep -q "7 better records added" || fail "merge into empty"
"$tilec" db merge m.db t.db | grep -q "0 better records added" || fail "merge not idempotent"
"$tilec" db prune u.db --keep 1 | grep -q "pruned" || fail "prune"
"$tilec" db stats u.db | grep -q "records 7 (7 valid) for 7 keys" || fail "prune kept the wrong rows"
"$tilec" compile lenet5 --db m.db -o merged.tilec | grep -q "tuned      7 of 7" || fail "merged db"

# Bad input: clear errors, no crash.
! "$tilec" tune lenet5 --db t.db --strategy bogus 2> err || fail "bad strategy accepted"
grep -q "strategy" err || fail "bad strategy message"
! "$tilec" compile lenet5 --db missing.db -o x.tilec 2> err || fail "missing db accepted"
grep -q "no tuning database" err || fail "missing db message"
# GPU tuning needs the GPU (tests/gpu/run_on_device.sh tunes on one).
! "$tilec" tune lenet5 --target cuda:sm_90 --db t.db 2> err || fail "GPU tuning without a GPU accepted"
grep -q "measures kernels on that GPU, and there is none here" err || fail "GPU tuning message"
other=cpu:sapphirerapids
grep -q "cpu:sapphirerapids" compile.out && other=cpu:znver3
! "$tilec" tune lenet5 --target $other --db t.db 2> err || fail "another CPU accepted"
grep -q "tune on a machine of that kind" err || fail "another CPU message"
[ "$("$tilec" db stats t.db | grep -c "$other")" -eq 0 ] || fail "records for another CPU"

echo "garbage" > bad.jsonl
! "$tilec" db import u.db bad.jsonl 2> err || fail "bad jsonl accepted"
grep -q "bad.jsonl:1" err || fail "bad jsonl message"
echo "this is not an sqlite database, just text long enough to fill a header page......" > junk.db
! "$tilec" db stats junk.db 2> err || fail "junk db accepted"
echo "PASS"
