// Helpers for platform tests: run a trace text through simulate(), or run the cowsim binary.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "platform/simulation.h"

namespace cowsim::test {

// Writes `text` to a fresh temporary file with the given extension; returns its path.
std::string write_temp(const std::string& text, const std::string& ext = ".cwt");
std::string temp_dir();

// Simulates a trace given as text with the default preset plus `overrides`.
RunResult run_text(const std::string& trace_text, const std::vector<std::string>& overrides = {});

struct CliResult {
  int code;
  std::string out, err;
};
// Runs the cowsim binary with `args` (a shell-quoted string).
CliResult cli(const std::string& args);

// stats.json without the host-time statistics (regions' and snapshots' too), which differ from
// run to run.
nlohmann::json stable_stats(const std::string& path);

uint64_t at(const nlohmann::json& j, const std::string& dotted);

}  // namespace cowsim::test
