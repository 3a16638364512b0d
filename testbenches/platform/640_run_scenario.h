// Runs a built-in scenario through the same path as `cowsim run --scenario` (default preset
// plus `overrides`), for the scenario tests.
#pragma once

#include <string>
#include <vector>

#include "platform/sim_config.h"
#include "platform/simulation.h"

namespace cowsim::test {

inline RunResult run_scenario(const std::string& name, const std::vector<std::string>& params,
                              const std::vector<std::string>& overrides = {}) {
  static trace::NameTable names;  // outlives the run: snapshots and reports refer to it
  ConfigSources src;
  src.overrides = overrides;
  nlohmann::json effective;
  SimConfig cfg = load_config(src, &effective);
  TraceSource ts = scenario_source(name, params, names, cfg);
  return simulate(cfg, effective, ts, names, false);
}

}  // namespace cowsim::test
