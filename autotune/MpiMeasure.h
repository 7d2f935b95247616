//===- MpiMeasure.h - measuring on many ranks with Open MPI -----*- C++ -*-===//
//
// `mpirun -np N tilec tune ... --mpi`: rank 0 runs the search and owns the
// database; ranks 1..N-1 each run a local measurement worker (pinned to their
// own cores) and serve rank 0's requests. Rank 0 keeps every serving rank busy
// with one candidate at a time and hands the next one to whichever answers
// first. With N = 1 rank 0 measures locally. Messages are the same bytes the
// local worker speaks (Measure.h's wire format); no home-made cluster protocol.
//
// Available when tilec was built with Open MPI (find_package(MPI)); otherwise
// `mpiAvailable()` is false and `--mpi` is refused with that reason.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_MPIMEASURE_H
#define TILEC_AUTOTUNE_MPIMEASURE_H

#include "autotune/Measure.h"

#include <memory>
#include <string>

namespace tilec::autotune {

bool mpiAvailable();
/// MPI_Init; rank and size of MPI_COMM_WORLD. False with `error` on failure.
bool mpiInit(int &rank, int &size, std::string &error);
void mpiFinalize();

/// Rank 0's measurer: requests go to ranks 1..size-1 (local when size is 1).
/// Its destructor tells every serving rank to stop.
std::unique_ptr<Measurer> makeMpiMeasurer(int size, std::unique_ptr<Measurer> local);

/// Ranks > 0: answers requests with `local` until rank 0 says stop.
int serveMpi(Measurer &local);

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_MPIMEASURE_H
