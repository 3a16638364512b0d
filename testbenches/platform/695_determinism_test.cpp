// Determinism (docs/reliability.md): for every built-in scenario, the same inputs give
// bit-identical statistics (host-time entries excepted) run after run, with a waveform
// written or not, and whether the workload comes from the scenario itself or from its trace
// written by `cowsim gen` as text or as binary.
#include <filesystem>

#include <gtest/gtest.h>

#include "platform/scenarios/scenario.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

class Determinism : public ::testing::TestWithParam<std::string> {};

TEST_P(Determinism, StatisticsAreBitIdenticalAcrossRunsWaveformsAndEncodings) {
  const std::string name = GetParam(), dir = temp_dir();
  auto run = [&](const std::string& what, const std::string& tag, const std::string& extra = "") {
    CliResult r = cli("run " + what + " -q --out " + dir + "/" + tag + extra);
    EXPECT_EQ(r.code, 0) << what << extra << ": " << r.err;
    return stable_stats(dir + "/" + tag + "/stats.json");
  };
  nlohmann::json first = run("--scenario " + name, "first");
  nlohmann::json again = run("--scenario " + name, "again", " --vcd " + dir + "/w.vcd");
  EXPECT_TRUE(std::filesystem::file_size(dir + "/w.vcd") > 0);
  EXPECT_EQ(first, again) << "a second run, with --vcd, differs";

  ASSERT_EQ(cli("gen " + name + " -o " + dir + "/t.cwt").code, 0);
  ASSERT_EQ(cli("gen " + name + " -o " + dir + "/t.cwb").code, 0);
  nlohmann::json text = run(dir + "/t.cwt", "text"), binary = run(dir + "/t.cwb", "binary");
  EXPECT_EQ(text, binary) << "the text and binary forms of the trace differ";
  first.erase("scenario");  // the scenario's own report; a trace run has none
  EXPECT_EQ(first, text) << "the scenario and its generated trace differ";
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> v;
  for (const auto& s : all_scenarios()) v.push_back(s->name());
  return v;
}

INSTANTIATE_TEST_SUITE_P(EveryScenario, Determinism, ::testing::ValuesIn(scenario_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace cowsim::test
