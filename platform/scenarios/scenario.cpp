#include "platform/scenarios/scenario.h"

#include "models/common/error.h"

namespace cowsim {

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

}  // namespace cowsim
