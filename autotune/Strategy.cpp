//===- Strategy.cpp - random and model-guided evolutionary search ---------===//

#include "autotune/Strategy.h"

#include <algorithm>
#include <numeric>

using namespace tilec;
using namespace tilec::autotune;
using codegen::Schedule;

namespace {

/// Adds `s` to `out` unless it was measured or is already there.
bool addFresh(const Schedule &s, const TaskSearchState &state, std::set<std::string> &taken,
              std::vector<Schedule> &out) {
  std::string key = s.str();
  if (state.measured.count(key) || !taken.insert(key).second)
    return false;
  out.push_back(s);
  return true;
}

/// Seeds first, then random draws, until `n` or the draws stop finding new ones.
void fillRandom(TaskSearchState &state, int n, std::mt19937 &rng, std::set<std::string> &taken,
                std::vector<Schedule> &out) {
  while (!state.seeds.empty() && int(out.size()) < n) {
    addFresh(state.seeds.front(), state, taken, out);
    state.seeds.erase(state.seeds.begin());
  }
  for (int misses = 0; int(out.size()) < n && misses < 200;)
    if (!addFresh(state.space.sample(rng), state, taken, out))
      ++misses;
}

class RandomStrategy : public Strategy {
public:
  std::vector<Schedule> propose(TaskSearchState &state, int n, std::mt19937 &rng) override {
    std::vector<Schedule> out;
    std::set<std::string> taken;
    fillRandom(state, n, rng, taken, out);
    return out;
  }
};

class EvolutionaryStrategy : public Strategy {
public:
  EvolutionaryStrategy(const CostModel &model, codegen::Target target, int threads)
      : model(model), target(std::move(target)), threads(threads) {}

  std::vector<Schedule> propose(TaskSearchState &state, int n, std::mt19937 &rng) override {
    std::vector<Schedule> out;
    std::set<std::string> taken;
    // Seeds always; without a model (or a parent) there is nothing to evolve.
    while (!state.seeds.empty() && int(out.size()) < n) {
      addFresh(state.seeds.front(), state, taken, out);
      state.seeds.erase(state.seeds.begin());
    }
    if (!model.trained() || state.valid.empty()) {
      fillRandom(state, n, rng, taken, out);
      return out;
    }
    std::vector<Schedule> pool = evolve(state, rng);
    // Exploit: the model's best; explore: a quarter at random from the pool.
    int explore = std::max(1, n / 4);
    for (const Schedule &s : pool) {
      if (int(out.size()) >= n - explore)
        break;
      addFresh(s, state, taken, out);
    }
    std::shuffle(pool.begin(), pool.end(), rng);
    for (const Schedule &s : pool) {
      if (int(out.size()) >= n)
        break;
      addFresh(s, state, taken, out);
    }
    fillRandom(state, n, rng, taken, out);
    return out;
  }

private:
  /// Three generations of mutation and crossover scored by the model; the
  /// final population sorted best first.
  std::vector<Schedule> evolve(const TaskSearchState &state, std::mt19937 &rng) {
    std::vector<std::pair<Schedule, double>> measured = state.valid;
    std::sort(measured.begin(), measured.end(),
              [](auto &a, auto &b) { return a.second < b.second; });
    std::vector<Schedule> parents;
    for (size_t i = 0; i < measured.size() && i < 8; ++i)
      parents.push_back(measured[i].first);
    std::vector<Schedule> population;
    for (int generation = 0; generation < 3; ++generation) {
      std::vector<Schedule> children;
      std::set<std::string> seen;
      auto parent = [&] {
        // Rank-biased: the best parents breed more.
        size_t i = std::min<size_t>(
            parents.size() - 1,
            size_t(std::abs(std::normal_distribution<double>(0, double(parents.size()) / 2)(rng))));
        return parents[i];
      };
      for (int i = 0; i < 256; ++i) {
        double roll = std::uniform_real_distribution<double>(0, 1)(rng);
        std::optional<Schedule> child;
        if (roll < 0.6)
          child = state.space.mutate(parent(), rng);
        else if (roll < 0.8)
          child = state.space.crossover(parent(), parent(), rng);
        else
          child = state.space.sample(rng);
        if (child && !state.measured.count(child->str()) && seen.insert(child->str()).second)
          children.push_back(*child);
      }
      population = rank(state, children);
      parents.assign(population.begin(),
                     population.begin() + std::min<size_t>(population.size(), 32));
      for (size_t i = 0; i < measured.size() && i < 4; ++i)
        parents.push_back(measured[i].first);
      if (parents.empty())
        break;
    }
    return population;
  }

  std::vector<Schedule> rank(const TaskSearchState &state, std::vector<Schedule> candidates) {
    std::vector<std::vector<float>> rows;
    for (const Schedule &s : candidates)
      rows.push_back(features(state.task->shape, s, target, threads));
    std::vector<float> scores = model.predict(rows);
    std::vector<size_t> order(candidates.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    std::vector<Schedule> sorted;
    for (size_t i : order)
      sorted.push_back(candidates[i]);
    return sorted;
  }

  const CostModel &model;
  codegen::Target target;
  int threads;
};

} // namespace

std::unique_ptr<Strategy> tilec::autotune::makeRandomStrategy() {
  return std::make_unique<RandomStrategy>();
}

std::unique_ptr<Strategy> tilec::autotune::makeEvolutionaryStrategy(const CostModel &model,
                                                                    const codegen::Target &target,
                                                                    int threads) {
  return std::make_unique<EvolutionaryStrategy>(model, target, threads);
}
