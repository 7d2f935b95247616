//===- Measure.cpp - the tuner's side: worker processes and the wire format ===//

#include "autotune/Measure.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <sched.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace tilec::autotune;

//===----------------------------------------------------------------------===//
// Wire format
//===----------------------------------------------------------------------===//

std::string tilec::autotune::encodeRequest(const MeasureRequest &r) {
  return "M " + std::to_string(r.taskId.size()) + " " + std::to_string(r.moduleText.size()) + " " +
         std::to_string(r.schedule.size()) + " " + std::to_string(r.cutoffUs) + "\n" + r.taskId +
         r.moduleText + r.schedule;
}

namespace {

/// "M <id bytes> <module bytes> <schedule bytes> <cutoff us>".
struct RequestHeader {
  size_t id = 0, module = 0, schedule = 0;
  double cutoffUs = 0;
};

std::optional<RequestHeader> parseHeader(const std::string &line) {
  std::istringstream in(line);
  std::string tag;
  RequestHeader h;
  if (!(in >> tag >> h.id >> h.module >> h.schedule >> h.cutoffUs) || tag != "M")
    return std::nullopt;
  return h;
}

} // namespace

std::optional<size_t> tilec::autotune::requestPayloadBytes(const std::string &headerLine) {
  std::optional<RequestHeader> h = parseHeader(headerLine);
  if (!h)
    return std::nullopt;
  return h->id + h->module + h->schedule;
}

bool tilec::autotune::decodeRequest(const std::string &bytes, MeasureRequest &r) {
  size_t newline = bytes.find('\n');
  if (newline == std::string::npos)
    return false;
  std::optional<RequestHeader> h = parseHeader(bytes.substr(0, newline));
  if (!h || bytes.size() != newline + 1 + h->id + h->module + h->schedule)
    return false;
  size_t a = h->id, b = h->module, c = h->schedule;
  r.cutoffUs = h->cutoffUs;
  r.taskId = bytes.substr(newline + 1, a);
  r.moduleText = bytes.substr(newline + 1 + a, b);
  r.schedule = bytes.substr(newline + 1 + a + b, c);
  return true;
}

std::string tilec::autotune::encodeResult(const MeasureResult &r) {
  std::string times;
  for (double t : r.timesUs)
    times += (times.empty() ? "" : ",") + std::to_string(t);
  std::string error = r.error;
  for (char &ch : error)
    if (ch == '\n' || ch == '\t' || ch == '\r')
      ch = ' ';
  return r.status + "\t" + std::to_string(r.medianUs) + "\t" + (times.empty() ? "-" : times) +
         "\t" + error + "\n";
}

MeasureResult tilec::autotune::decodeResult(const std::string &line) {
  MeasureResult r;
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t'))
    fields.push_back(field);
  if (fields.size() < 3) {
    r.status = "crash";
    r.error = "malformed worker reply '" + line + "'";
    return r;
  }
  r.status = fields[0];
  r.medianUs = std::strtod(fields[1].c_str(), nullptr);
  if (fields[2] != "-") {
    std::istringstream times(fields[2]);
    while (std::getline(times, field, ','))
      r.timesUs.push_back(std::strtod(field.c_str(), nullptr));
  }
  if (fields.size() > 3)
    r.error = fields[3];
  while (!r.error.empty() && r.error.back() == '\n')
    r.error.pop_back();
  return r;
}

//===----------------------------------------------------------------------===//
// LocalMeasurer
//===----------------------------------------------------------------------===//

namespace {

class LocalMeasurer : public Measurer {
public:
  explicit LocalMeasurer(MeasureOptions options) : options(std::move(options)) {
    // A worker that dies mid-write must not kill the tuner.
    std::signal(SIGPIPE, SIG_IGN);
    // The workers' candidate artifacts live here; the tuner removes it, so a
    // killed worker leaves nothing behind.
    char dir[] = "/tmp/tilec-tune-XXXXXX";
    if (this->options.worker.scratch.empty() && mkdtemp(dir)) {
      scratch = dir;
      this->options.worker.scratch = dir;
    }
  }
  ~LocalMeasurer() override {
    stop();
    if (!scratch.empty())
      std::filesystem::remove_all(scratch);
  }

  using Measurer::measure;
  void measure(const std::vector<MeasureRequest> &batch, const OnResult &onResult) override {
    for (size_t i = 0; i < batch.size(); ++i)
      onResult(i, measureOne(batch[i]));
  }

private:
  bool start(std::string &error);
  void stop();
  MeasureResult measureOne(const MeasureRequest &request);
  /// Reads one line within the deadline: 1 line read, 0 timeout, -1 EOF/error.
  int readLine(std::chrono::steady_clock::time_point deadline, std::string &line);

  MeasureOptions options;
  pid_t pid = -1;
  int toWorker = -1, fromWorker = -1;
  std::string pending; ///< bytes read past the last line
  std::string scratch; ///< made (and removed) here
};

bool LocalMeasurer::start(std::string &error) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
    return error = std::string("pipe: ") + std::strerror(errno), false;
  std::string exe = options.executable.empty() ? "/proc/self/exe" : options.executable;
  const WorkerOptions &w = options.worker;
  std::vector<std::string> args = {exe,
                                   "tune-worker",
                                   "--target=" + w.target,
                                   "--threads=" + std::to_string(w.threads),
                                   "--min-repeats=" + std::to_string(w.minRepeats),
                                   "--min-seconds=" + std::to_string(w.minSeconds)};
  if (!w.faults.empty())
    args.push_back("--faults=" + w.faults);
  if (!w.scratch.empty())
    args.push_back("--scratch=" + w.scratch);
  // Everything the child needs is built before fork: only async-signal-safe
  // calls may run between fork and exec in a process with threads.
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : options.cpus)
    CPU_SET(c, &set);
  pid = fork();
  if (pid < 0)
    return error = std::string("fork: ") + std::strerror(errno), false;
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (options.quiet) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 2);
    }
    if (!options.cpus.empty())
      sched_setaffinity(0, sizeof set, &set);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  toWorker = in[1];
  fromWorker = out[0];
  pending.clear();
  return true;
}

void LocalMeasurer::stop() {
  if (pid <= 0)
    return;
  close(toWorker);
  close(fromWorker);
  // A healthy worker exits when its stdin closes; one that hangs is killed.
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

int LocalMeasurer::readLine(std::chrono::steady_clock::time_point deadline, std::string &line) {
  for (;;) {
    size_t newline = pending.find('\n');
    if (newline != std::string::npos) {
      line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      return 1;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return 0;
    pollfd p{fromWorker, POLLIN, 0};
    int ready = poll(&p, 1, int(left.count()));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0)
      return 0;
    char buffer[4096];
    ssize_t n = read(fromWorker, buffer, sizeof buffer);
    if (n <= 0)
      return -1;
    pending.append(buffer, size_t(n));
  }
}

MeasureResult LocalMeasurer::measureOne(const MeasureRequest &request) {
  MeasureResult result;
  std::string error;
  if (pid <= 0 && !start(error)) {
    result.status = "crash";
    result.error = "cannot start a measurement worker: " + error;
    return result;
  }
  std::string bytes = encodeRequest(request);
  bool sent = write(toWorker, bytes.data(), bytes.size()) == ssize_t(bytes.size());
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(int64_t(options.timeoutS * 1000));
  std::string line;
  int got = sent ? readLine(deadline, line) : -1;
  if (got == 1)
    return decodeResult(line);
  // The worker is gone or stuck: classify, then start afresh next time.
  if (got == 0) {
    kill(pid, SIGKILL);
    double waited =
        options.timeoutS +
        std::chrono::duration<double>(std::chrono::steady_clock::now() - deadline).count();
    char text[96];
    std::snprintf(text, sizeof text, "no result within %g s (waited %.1f s); worker killed",
                  options.timeoutS, waited);
    result.status = "timeout";
    result.error = text;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != 0) {
    result.status = "crash";
    if (WIFSIGNALED(status))
      result.error = std::string("worker died: ") + strsignal(WTERMSIG(status));
    else
      result.error = "worker exited with status " + std::to_string(WEXITSTATUS(status));
  }
  close(toWorker);
  close(fromWorker);
  pid = -1;
  return result;
}

} // namespace

std::unique_ptr<Measurer> tilec::autotune::makeLocalMeasurer(const MeasureOptions &options) {
  return std::make_unique<LocalMeasurer>(options);
}
