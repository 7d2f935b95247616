//===- TaskScheduler.cpp - budgeted tuning of a model's tasks -------------===//

#include "autotune/TaskScheduler.h"

#include "autotune/Strategy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

using namespace tilec;
using namespace tilec::autotune;
using codegen::Schedule;

std::string tilec::autotune::taskId(const Task &task) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : task.signature)
    h = (h ^ c) * 1099511628211ull;
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%016llx", (unsigned long long)h);
  return buffer;
}

namespace {

class Scheduler {
public:
  Scheduler(const std::vector<Task> &tasks, Database &db, Measurer &measurer,
            const TuneOptions &options, const std::function<void(const Progress &)> &progress,
            TuneSummary &summary)
      : tasks(tasks), db(db), measurer(measurer), options(options), progress(progress),
        summary(summary), rng(options.seed) {}

  bool run(std::string &error);

private:
  RecordKey keyOf(const Task &t) const {
    return {options.fingerprint, t.signature, codegen::kCodegenVersion};
  }
  void loadHistory();
  void seedFromNearestShapes(TaskSearchState &state);
  /// Measures `schedules` of the given tasks, stores and accounts for them.
  bool measure(const std::vector<std::pair<size_t, Schedule>> &batch, std::string &error);
  /// Stores one result and accounts for it.
  bool record(size_t task, const Schedule &s, const MeasureResult &m, std::string &error);
  size_t pickTask() const;
  double modelTime(bool defaults) const;
  void report(size_t task);

  const std::vector<Task> &tasks;
  Database &db;
  Measurer &measurer;
  const TuneOptions &options;
  const std::function<void(const Progress &)> &progress;
  TuneSummary &summary;
  std::mt19937 rng;
  CostModel model;
  std::vector<TaskSearchState> states;
  std::vector<double> gain; ///< recent relative improvement per task
  std::vector<bool> exhausted;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  int budget = 0;
  bool baselinesDone = false;

  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

/// Trains the model on every earlier valid record of this machine: the shapes
/// of other models teach it before this run has measured anything.
void Scheduler::loadHistory() {
  for (const Record &r : db.validRecords(options.fingerprint, codegen::kCodegenVersion)) {
    std::optional<codegen::DispatchShape> shape = decodeShape(r.loops);
    std::string ignored;
    std::optional<Schedule> s = codegen::parseSchedule(r.schedule, ignored);
    if (shape && s)
      model.add(r.key.signature, features(*shape, *s, options.target, options.threads), r.medianUs);
  }
}

void Scheduler::seedFromNearestShapes(TaskSearchState &state) {
  const codegen::DispatchShape &shape = state.task->shape;
  std::vector<std::pair<double, Schedule>> near;
  for (const Record &r : db.bestPerKey(options.fingerprint, codegen::kCodegenVersion)) {
    std::optional<codegen::DispatchShape> other = decodeShape(r.loops);
    if (!other || other->rootKind != shape.rootKind ||
        other->resultShape.size() != shape.resultShape.size() ||
        other->rootLoops.size() != shape.rootLoops.size() ||
        r.key.signature == state.task->signature)
      continue;
    double distance = 0;
    for (size_t i = 0; i < shape.rootLoops.size(); ++i)
      distance += std::abs(std::log2(double(shape.rootLoops[i]) + 1) -
                           std::log2(double(other->rootLoops[i]) + 1));
    for (size_t i = 0; i < shape.resultShape.size(); ++i)
      distance += std::abs(std::log2(double(shape.resultShape[i]) + 1) -
                           std::log2(double(other->resultShape[i]) + 1));
    std::string ignored;
    if (std::optional<Schedule> s = codegen::parseSchedule(r.schedule, ignored))
      near.emplace_back(distance, *s);
  }
  std::sort(near.begin(), near.end(), [](auto &a, auto &b) { return a.first < b.first; });
  for (size_t i = 0; i < near.size() && state.seeds.size() < 3; ++i)
    if (std::optional<Schedule> fitted = state.space.adapt(near[i].second))
      state.seeds.push_back(*fitted);
}

bool Scheduler::measure(const std::vector<std::pair<size_t, Schedule>> &batch, std::string &error) {
  std::vector<MeasureRequest> requests;
  for (const auto &[t, s] : batch) {
    // Far slower than the best known (5x: the checked run is a cold one): one
    // run says enough.
    double best = summary.tasks[t].bestUs;
    requests.push_back(
        {taskId(tasks[t]), tasks[t].moduleText, s.str(), std::isfinite(best) ? 5 * best : 0.0});
    states[t].measured.insert(s.str());
  }
  // Each result is stored the moment it arrives: a killed tuner loses at most
  // the measurements still in flight.
  bool stored = true;
  measurer.measure(requests, [&](size_t i, const MeasureResult &m) {
    if (stored)
      stored = record(batch[i].first, batch[i].second, m, error);
  });
  if (!stored)
    return false;
  std::string why;
  if (!model.train(why))
    summary.costModelNote = why;
  // The estimate means something once every task has its baseline.
  if (baselinesDone)
    summary.curve.emplace_back(elapsed(), modelTime(false));
  return true;
}

bool Scheduler::record(size_t t, const Schedule &s, const MeasureResult &m, std::string &error) {
  Record r;
  r.key = keyOf(tasks[t]);
  r.schedule = s.str();
  r.status = m.status;
  r.medianUs = m.medianUs;
  r.timesUs = m.timesUs;
  r.error = m.error;
  r.rootKind = tasks[t].shape.rootKind;
  r.loops = encodeShape(tasks[t].shape);
  if (!db.insert(r, error))
    return false;
  TaskOutcome &o = summary.tasks[t];
  ++o.trials;
  ++summary.trials;
  if (!m.valid()) {
    ++o.failures;
    ++summary.failures;
    return true;
  }
  states[t].valid.emplace_back(s, m.medianUs);
  model.add(tasks[t].signature, features(tasks[t].shape, s, options.target, options.threads),
            m.medianUs);
  if (s == tasks[t].defaultSchedule)
    o.defaultUs = m.medianUs;
  if (m.medianUs < o.bestUs) {
    o.bestUs = m.medianUs;
    o.bestSchedule = s.str();
  }
  return true;
}

double Scheduler::modelTime(bool defaults) const {
  double total = 0;
  for (size_t t = 0; t < tasks.size(); ++t) {
    const TaskOutcome &o = summary.tasks[t];
    double us = defaults ? o.defaultUs : std::min(o.bestUs, o.defaultUs);
    if (std::isfinite(us))
      total += us * tasks[t].count;
  }
  return total;
}

size_t Scheduler::pickTask() const {
  size_t best = tasks.size();
  double bestScore = -1;
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (exhausted[t])
      continue;
    const TaskOutcome &o = summary.tasks[t];
    double time = std::isfinite(o.bestUs) ? o.bestUs : 1e6;
    // Recent gain, plus optimism that fades with the task's trials: once
    // every gain has decayed, time still spreads over tasks instead of
    // pouring into the one with the largest share.
    double optimism = 0.5 / (1.0 + o.trials / 8.0);
    double score = tasks[t].count * time * (gain[t] + optimism);
    if (score > bestScore) {
      bestScore = score;
      best = t;
    }
  }
  return best;
}

void Scheduler::report(size_t task) {
  if (!progress)
    return;
  Progress p;
  p.task = task;
  p.trials = summary.trials;
  p.budget = budget;
  p.elapsedS = elapsed();
  double perTrial = summary.trials ? p.elapsedS / summary.trials : 0;
  p.etaS = perTrial * std::max(0, budget - summary.trials);
  if (options.timeBudgetS > 0)
    p.etaS = std::min(p.etaS, std::max(0.0, options.timeBudgetS - p.elapsedS));
  p.modelUs = modelTime(false);
  p.defaultModelUs = modelTime(true);
  progress(p);
}

bool Scheduler::run(std::string &error) {
  summary.tasks.assign(tasks.size(), {});
  gain.assign(tasks.size(), 1.0);
  exhausted.assign(tasks.size(), false);
  for (const Task &t : tasks)
    states.emplace_back(t, options.target);
  loadHistory();
  std::string why;
  model.train(why);
  std::unique_ptr<Strategy> strategy =
      options.strategy == "random"
          ? makeRandomStrategy()
          : makeEvolutionaryStrategy(model, options.target, options.threads);
  // 1-2. Reuse what is known; measure defaults of the rest; queue seeds.
  std::vector<std::pair<size_t, Schedule>> defaults;
  for (size_t t = 0; t < tasks.size(); ++t) {
    TaskOutcome &o = summary.tasks[t];
    std::optional<Record> known = db.best(keyOf(tasks[t]));
    if (known && !options.retune) {
      o.reused = true;
      o.bestUs = known->medianUs;
      o.bestSchedule = known->schedule;
      for (const Record &r : db.records(keyOf(tasks[t])))
        if (r.valid() && r.schedule == tasks[t].defaultSchedule.str())
          o.defaultUs = r.medianUs;
      exhausted[t] = true;
      continue;
    }
    // Retuning starts from the best known schedule of this very dispatch.
    std::string ignored;
    if (known)
      if (std::optional<Schedule> s = codegen::parseSchedule(known->schedule, ignored))
        states[t].seeds.push_back(*s);
    seedFromNearestShapes(states[t]);
    defaults.emplace_back(t, tasks[t].defaultSchedule);
  }
  int active = int(defaults.size());
  budget = options.trials > 0 ? options.trials : 32 * active;
  int batchSize = std::max(options.batch, measurer.parallelism());
  for (size_t i = 0; i < defaults.size(); i += size_t(batchSize)) {
    std::vector<std::pair<size_t, Schedule>> part(
        defaults.begin() + i, defaults.begin() + std::min(defaults.size(), i + batchSize));
    if (!measure(part, error))
      return false;
    report(part.back().first);
  }
  baselinesDone = true;
  summary.curve.emplace_back(elapsed(), modelTime(false));
  // 3-4. Batches to the task that promises the most.
  while (summary.trials < budget && (options.timeBudgetS <= 0 || elapsed() < options.timeBudgetS)) {
    size_t t = pickTask();
    if (t == tasks.size())
      break;
    int n = std::min(batchSize, budget - summary.trials);
    std::vector<Schedule> proposals = strategy->propose(states[t], n, rng);
    if (proposals.empty()) {
      exhausted[t] = true;
      continue;
    }
    double before = summary.tasks[t].bestUs;
    std::vector<std::pair<size_t, Schedule>> batch;
    for (const Schedule &s : proposals)
      batch.emplace_back(t, s);
    if (!measure(batch, error))
      return false;
    double after = summary.tasks[t].bestUs;
    double roundGain =
        std::isfinite(before) && std::isfinite(after) ? (before - after) / before : 0.0;
    gain[t] = 0.5 * gain[t] + 0.5 * roundGain;
    report(t);
  }
  summary.seconds = elapsed();
  double final = modelTime(false);
  for (const auto &[seconds, us] : summary.curve)
    if (us <= 1.05 * final) {
      summary.secondsToWithin5Percent = seconds;
      break;
    }
  return true;
}

} // namespace

bool tilec::autotune::tuneTasks(const std::vector<Task> &tasks, Database &db, Measurer &measurer,
                                const TuneOptions &options,
                                const std::function<void(const Progress &)> &progress,
                                TuneSummary &summary, std::string &error) {
  Scheduler scheduler(tasks, db, measurer, options, progress, summary);
  return scheduler.run(error);
}
