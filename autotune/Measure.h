//===- Measure.h - sandboxed compile, verify and time of candidates -*- C++ -*-===//
//
// A candidate (a task's standalone module + a schedule) is measured in a
// separate worker process, `tilec tune-worker`, so that a candidate whose code
// generation or kernel crashes or hangs costs one result, not the tuner:
//
//   tuner (search, database)            worker (MLIR context, runtime)
//     request: task id, module, schedule  ->  compile with that schedule
//                                             run on seeded random inputs, compare
//                                               with the reference interpreter
//                                             warm up, time >= 5 runs, median
//     <- ok median times | wrong | compile_error  (one line)
//
// A request may carry a cutoff (5x the task's best time so far): a candidate
// slower than that in its checked run is timed by that run alone.
//
// The tuner waits at most `timeoutS` per candidate; on a timeout it kills the
// worker (SIGKILL), on EOF it collects the signal, records `timeout` / `crash`
// with the reason, and starts a fresh worker for the next candidate.
// Reference outputs are computed once per task and kept by the worker.
//
// Fault injection (for tests of exactly that machinery): a worker started with
// `--faults crash=0.1,hang=0.1,wrong=0.1,seed=7` makes that share of
// candidates (chosen by a hash of task and schedule, so deterministic) crash
// with SIGSEGV, hang forever, or return a corrupted output.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_AUTOTUNE_MEASURE_H
#define TILEC_AUTOTUNE_MEASURE_H

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tilec::autotune {

struct MeasureRequest {
  std::string taskId;     ///< stable per task (the signature's hash)
  std::string moduleText; ///< Task::moduleText
  std::string schedule;   ///< Schedule::str()
  /// A candidate whose checked run takes longer than this is timed by that
  /// run alone (0: always time fully): a schedule 10x slower than the best
  /// known needs no median to be rejected, and costs seconds per repeat.
  double cutoffUs = 0;
};

struct MeasureResult {
  std::string status = "ok"; ///< ok | wrong | crash | timeout | compile_error
  double medianUs = 0;
  std::vector<double> timesUs;
  std::string error;
  bool valid() const { return status == "ok"; }
};

/// Measures batches of candidates; implementations differ in where.
class Measurer {
public:
  using OnResult = std::function<void(size_t index, const MeasureResult &result)>;
  virtual ~Measurer() = default;
  /// Measures every request of `batch`, calling `onResult` as each result
  /// arrives (in any order), so the caller can store it at once.
  virtual void measure(const std::vector<MeasureRequest> &batch, const OnResult &onResult) = 0;
  /// The same, collecting the results in order.
  std::vector<MeasureResult> measure(const std::vector<MeasureRequest> &batch) {
    std::vector<MeasureResult> results(batch.size());
    measure(batch, [&](size_t i, const MeasureResult &r) { results[i] = r; });
    return results;
  }
  /// How many candidates it measures at once (a batch should hold at least that many).
  virtual int parallelism() const { return 1; }
};

struct WorkerOptions {
  std::string target = "cpu";
  int threads = 0;          ///< runtime threads per measurement (0: all cores)
  int minRepeats = 5;       ///< timed runs at least ...
  double minSeconds = 0.05; ///< ... and at least this long in total
  std::string faults;       ///< "crash=P,hang=P,wrong=P,seed=S" (tests only)
  /// Where candidate artifacts are written (the tuner's, which removes it even
  /// when the worker is killed); empty: the worker makes and removes its own.
  std::string scratch;
};

struct MeasureOptions {
  WorkerOptions worker;
  double timeoutS = 30;   ///< per candidate, compile + verify + time
  std::string executable; ///< the tilec binary (default: /proc/self/exe)
  std::vector<int> cpus;  ///< pin the worker to these cores (empty: no pinning)
  bool quiet = true;      ///< worker diagnostics to /dev/null (else stderr)
};

/// One worker process on this machine, restarted whenever it dies.
std::unique_ptr<Measurer> makeLocalMeasurer(const MeasureOptions &options);

/// The worker's main loop (`tilec tune-worker`): requests on stdin, one
/// result line each on stdout, until stdin closes. Returns the exit code.
int runWorker(const WorkerOptions &options);

/// The request and result wire format (shared with the MPI measurer).
std::string encodeRequest(const MeasureRequest &request);
/// The payload bytes that follow a request's header line (without its
/// newline); nullopt if the line is not a request header.
std::optional<size_t> requestPayloadBytes(const std::string &headerLine);
bool decodeRequest(const std::string &bytes, MeasureRequest &request);
std::string encodeResult(const MeasureResult &result);
MeasureResult decodeResult(const std::string &line);

} // namespace tilec::autotune

#endif // TILEC_AUTOTUNE_MEASURE_H
