// Built-in workloads: each generates a trace from a few parameters, deterministically for a
// given seed, so users can run a question without writing a trace (`cowsim scenarios`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/common/params.h"
#include "traces/record.h"
#include "traces/trace_io.h"

namespace cowsim {

class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual const char* name() const = 0;
  virtual const char* description() const = 0;
  virtual void declare(ParamRegistry& r) = 0;  // its parameters, with defaults and units
  virtual std::vector<trace::Record> generate(trace::NameTable& names, uint64_t seed) const = 0;
};

std::vector<std::unique_ptr<Scenario>> all_scenarios();
// The named scenario with `--param K=V` assignments applied. Throws InputError.
std::unique_ptr<Scenario> make_scenario(const std::string& name, const std::vector<std::string>& params);
constexpr const char* kDefaultScenario = "fork-cow";

}  // namespace cowsim
