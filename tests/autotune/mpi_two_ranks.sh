#!/usr/bin/env bash
# Scale-out: `mpirun -np 2 tilec tune --mpi` on localhost. Rank 0 searches and
# owns the database, rank 1 measures; every trial must come back as a record.
# Exits 77 (skipped) where Open MPI's mpirun is not installed.
# Usage: tests/autotune/mpi_two_ranks.sh path/to/tilec
set -euo pipefail
tilec=$(realpath "$1")
command -v mpirun > /dev/null || { echo "SKIP: no mpirun (apt install openmpi-bin)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# CI runs as root; Open MPI refuses that unless told it is intended.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Shared memory and TCP on loopback only: no network interfaces are probed.
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
timeout 300 mpirun --oversubscribe -np 2 "$tilec" tune lenet5 --mpi --db m.db --trials 16 \
  --threads 1 > tune.out 2> tune.err || { cat tune.out tune.err; echo "FAIL: mpirun"; exit 1; }
cat tune.out
grep -q "1 measuring ranks" tune.err || { cat tune.err; echo "FAIL: rank 1 did not measure"; exit 1; }
grep -q "16 trials" tune.out || { echo "FAIL: not every trial came back"; exit 1; }
"$tilec" db stats m.db | grep -q "records 16 " || { "$tilec" db stats m.db; echo "FAIL: records"; exit 1; }
echo "PASS"
