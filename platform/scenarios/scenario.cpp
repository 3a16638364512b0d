#include "platform/scenarios/scenario.h"

#include <cmath>

#include "models/common/error.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/sim_config.h"

namespace cowsim {

ScenarioContext ScenarioContext::of(const SimConfig& cfg) {
  ScenarioContext c;
  c.seed = cfg.seed;
  c.frequency_mhz = cfg.core.frequency_mhz;
  c.ipc = cfg.core.ipc;
  return c;
}

uint64_t ScenarioContext::cycles_for(uint64_t amount, uint64_t per_second) const {
  // amount / per_second seconds at frequency_mhz * 10^6 cycles per second, in exact integers.
  unsigned __int128 c = static_cast<unsigned __int128>(amount) * frequency_mhz * 1000000u / per_second;
  return c > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(c);
}

uint64_t ScenarioContext::instructions(uint64_t cycles) const {
  // The fewest instructions whose ceil(n / ipc) reaches `cycles`.
  return static_cast<uint64_t>(std::ceil(static_cast<double>(cycles) * ipc));
}

std::unique_ptr<trace::RecordStream> Scenario::open(trace::NameTable& names, const ScenarioContext& ctx) const {
  auto p = std::make_unique<scenario::Program>(names);
  build(*p, ctx);
  return std::make_unique<scenario::ProgramStream>(std::string("scenario ") + name(), std::move(p), names);
}

ScenarioReport Scenario::report(const ScenarioRun&, trace::NameTable&, const ScenarioContext&) const { return {}; }

std::vector<std::unique_ptr<Scenario>> all_scenarios() {
  std::vector<std::unique_ptr<Scenario>> v;
  v.push_back(scenario::make_fork_cow());
  v.push_back(scenario::make_touch());
  v.push_back(scenario::make_redis_bgsave());
  v.push_back(scenario::make_fork_exec());
  v.push_back(scenario::make_prefork_server());
  v.push_back(scenario::make_full_copy());
  v.push_back(scenario::make_full_copy_lines());
  v.push_back(scenario::make_thp_one_byte());
  v.push_back(scenario::make_drill_read());
  v.push_back(scenario::make_drill_write());
  v.push_back(scenario::make_drill_half());
  v.push_back(scenario::make_dontfork());
  v.push_back(scenario::make_wipeonfork());
  v.push_back(scenario::make_random_access());
  return v;
}

std::unique_ptr<Scenario> make_scenario(const std::string& name, const std::vector<std::string>& params) {
  std::string names;
  for (auto& s : all_scenarios()) {
    if (name == s->name()) {
      ParamRegistry r;
      s->declare(r);
      for (const auto& p : params) r.apply_override(p, "--param");
      return std::move(s);
    }
    names += (names.empty() ? "" : ", ") + std::string(s->name());
  }
  throw InputError("unknown scenario '" + name + "' (scenarios: " + names + ")");
}

nlohmann::json scenario_params(Scenario& s) {
  ParamRegistry r;
  s.declare(r);
  return r.to_json();
}

}  // namespace cowsim
