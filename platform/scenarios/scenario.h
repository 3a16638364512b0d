// Built-in workloads: each generates a trace from a few parameters, deterministically for a
// given seed, so users can run a question without writing a trace (`cowsim scenarios`,
// docs/scenarios.md). A scenario is a generator: it streams its records (a 40 GiB workload is
// a handful of range records and loops, never a materialised trace) and can be reopened as
// often as the simulation needs a fresh stream. After a run it reads the statistics and smaps
// snapshots back and reports its headline numbers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/params.h"
#include "models/kernel/kernel_module.h"
#include "traces/record.h"
#include "traces/trace_io.h"

namespace cowsim {

struct SimConfig;

namespace scenario {
class Program;
}

// What a scenario takes from the effective configuration.
struct ScenarioContext {
  uint64_t seed = 1;
  uint32_t frequency_mhz = 3000;
  double ipc = 1.0;

  static ScenarioContext of(const SimConfig& cfg);
  // Cycles that `amount` takes at `per_second` (bytes at a bandwidth, ops at a rate).
  uint64_t cycles_for(uint64_t amount, uint64_t per_second) const;
  // The `compute` instruction count that lasts `cycles` (compute n costs ceil(n / ipc)).
  uint64_t instructions(uint64_t cycles) const;
  double usec(uint64_t cycles) const { return static_cast<double>(cycles) / frequency_mhz; }
};

// A finished run, as a scenario's report sees it.
struct ScenarioRun {
  const nlohmann::json& stats;   // stats.json
  const std::vector<SmapsSnapshot>& snapshots;
  const nlohmann::json& config;  // config.json: the effective configuration
};

// Headline results: `results` becomes stats.json's "scenario.results", `lines` are printed
// under the run's summary.
struct ScenarioReport {
  nlohmann::json results = nlohmann::json::object();
  std::vector<std::string> lines;
};

class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual const char* name() const = 0;
  virtual const char* description() const = 0;
  virtual void declare(ParamRegistry& r) = 0;  // its parameters, with defaults and units

  // A fresh stream over every record. Throws InputError for parameters that cannot work
  // together (the registry has already checked each one's range).
  std::unique_ptr<trace::RecordStream> open(trace::NameTable& names, const ScenarioContext& ctx) const;
  virtual ScenarioReport report(const ScenarioRun& run, trace::NameTable& names, const ScenarioContext& ctx) const;

 protected:
  virtual void build(scenario::Program& p, const ScenarioContext& ctx) const = 0;
};

std::vector<std::unique_ptr<Scenario>> all_scenarios();
// The named scenario with `--param K=V` assignments applied. Throws InputError.
std::unique_ptr<Scenario> make_scenario(const std::string& name, const std::vector<std::string>& params);
// The scenario's parameters with their current values, as nested JSON.
nlohmann::json scenario_params(Scenario& s);
constexpr const char* kDefaultScenario = "fork-cow";

}  // namespace cowsim
