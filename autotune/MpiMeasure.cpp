//===- MpiMeasure.cpp - request/result messages between ranks -------------===//

#include "autotune/MpiMeasure.h"

#ifdef TILEC_HAVE_MPI
#include <mpi.h>
#endif

using namespace tilec::autotune;

#ifdef TILEC_HAVE_MPI

namespace {

enum Tag { kRequest = 1, kResult = 2, kStop = 3 };

/// Receives one message of any size from `source` (or MPI_ANY_SOURCE) with `tag`.
std::string receive(int source, int tag, int &from) {
  MPI_Status status;
  MPI_Probe(source, tag, MPI_COMM_WORLD, &status);
  int bytes = 0;
  MPI_Get_count(&status, MPI_CHAR, &bytes);
  std::string buffer(size_t(bytes), '\0');
  MPI_Recv(buffer.data(), bytes, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  from = status.MPI_SOURCE;
  return buffer;
}

void send(const std::string &bytes, int to, int tag) {
  MPI_Send(bytes.data(), int(bytes.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

class MpiMeasurer : public Measurer {
public:
  MpiMeasurer(int size, std::unique_ptr<Measurer> local) : size(size), local(std::move(local)) {}
  ~MpiMeasurer() override {
    for (int r = 1; r < size; ++r)
      send("", r, kStop);
  }
  int parallelism() const override { return std::max(1, size - 1); }

  using Measurer::measure;
  void measure(const std::vector<MeasureRequest> &batch, const OnResult &onResult) override {
    if (size == 1)
      return local->measure(batch, onResult);
    std::vector<size_t> job(size_t(size), 0);
    size_t next = 0, inFlight = 0;
    for (int r = 1; r < size && next < batch.size(); ++r, ++next, ++inFlight) {
      job[size_t(r)] = next;
      send(encodeRequest(batch[next]), r, kRequest);
    }
    while (inFlight > 0) {
      int from = 0;
      std::string line = receive(MPI_ANY_SOURCE, kResult, from);
      onResult(job[size_t(from)], decodeResult(line));
      --inFlight;
      if (next < batch.size()) {
        job[size_t(from)] = next;
        send(encodeRequest(batch[next++]), from, kRequest);
        ++inFlight;
      }
    }
  }

private:
  int size;
  std::unique_ptr<Measurer> local;
};

} // namespace

bool tilec::autotune::mpiAvailable() { return true; }

bool tilec::autotune::mpiInit(int &rank, int &size, std::string &error) {
  if (MPI_Init(nullptr, nullptr) != MPI_SUCCESS)
    return error = "MPI_Init failed", false;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return true;
}

void tilec::autotune::mpiFinalize() { MPI_Finalize(); }

std::unique_ptr<Measurer> tilec::autotune::makeMpiMeasurer(int size,
                                                           std::unique_ptr<Measurer> local) {
  return std::make_unique<MpiMeasurer>(size, std::move(local));
}

int tilec::autotune::serveMpi(Measurer &local) {
  for (;;) {
    MPI_Status status;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    int from = 0;
    std::string bytes = receive(0, status.MPI_TAG, from);
    if (status.MPI_TAG == kStop)
      return 0;
    MeasureRequest request;
    MeasureResult result;
    if (decodeRequest(bytes, request))
      result = local.measure({request}).front();
    else
      result = {"crash", 0, {}, "malformed request from rank 0"};
    send(encodeResult(result), 0, kResult);
  }
}

#else

bool tilec::autotune::mpiAvailable() { return false; }
bool tilec::autotune::mpiInit(int &, int &, std::string &error) {
  error = "this tilec was built without Open MPI (install libopenmpi-dev and rebuild)";
  return false;
}
void tilec::autotune::mpiFinalize() {}
std::unique_ptr<Measurer> tilec::autotune::makeMpiMeasurer(int, std::unique_ptr<Measurer> local) {
  return local;
}
int tilec::autotune::serveMpi(Measurer &) { return 1; }

#endif
