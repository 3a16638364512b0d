// Every copy engine and both CoW granularities on every built-in scenario (tiny parameters) and
// on every example trace, with --check (the invariants after every system call, fork and exit).
// What must hold besides passing the checks:
// - page granularity, any engine: the engine changes how a page is copied, never which pages
//   are copied, so the fault counts, pages copied and peak frames equal cpu_nt's;
// - line granularity: the same trace (same accesses), no page copied that page granularity did
//   not copy, and overlay storage that is back to zero once every process has exited.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "platform/scenarios/scenario.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

namespace fs = std::filesystem;

// Parameters that make each scenario a few thousand accesses at most. A new scenario without
// an entry fails EveryScenarioHasTinyParameters, so it cannot escape this test.
const std::map<std::string, std::string> kTiny = {
    {"fork-cow", "--param heap=1M"},
    {"touch", "--param size=256K"},
    {"redis-bgsave", "--param dataset=2M --param write_rate=100000 --param writes_before=20 --param writes_after=20"},
    {"fork-exec", "--param heap=1M --param program=64K"},
    {"prefork-server", "--param heap=1M --param workers=2 --param requests=200"},
    {"full-copy", "--param heap=1M"},
    {"full-copy-lines", "--param heap=256K"},
    {"thp-one-byte", "--param heap=4M"},
    {"drill-read", "--param heap=1M"},
    {"drill-write", "--param heap=1M"},
    {"drill-half", "--param heap=1M"},
    {"dontfork", "--param heap=1M --param region=1M"},
    {"wipeonfork", "--param heap=1M --param secrets=64K"},
    {"random-access", "--param heap=1M --param accesses=2000 --param writes=50 --param fork=true"},
};

struct Variant {
  const char* name;
  const char* sets;
  bool line;
};
const Variant kVariants[] = {
    {"cpu", "--set kernel.copy.engine=cpu", false},
    {"dma_poll", "--set kernel.copy.engine=dma", false},
    {"dma_sleep", "--set kernel.copy.engine=dma --set kernel.copy.dma_wait=sleep", false},
    {"rowclone", "--set kernel.copy.engine=rowclone", false},
    {"rowclone_same_subarray",
     "--set kernel.copy.engine=rowclone --set kernel.alloc.policy=same_subarray --set memory.dram.map.subarray_low=true",
     false},
    {"line", "--set kernel.cow.granularity=line", true},
    {"line_rowclone",
     "--set kernel.cow.granularity=line --set kernel.copy.engine=rowclone --set kernel.alloc.policy=same_subarray",
     true},
};

nlohmann::json run_checked(const std::string& input, const std::string& sets) {
  const std::string out = temp_dir();
  CliResult r = cli("run " + input + " " + sets + " -q --check --out " + out);
  EXPECT_EQ(r.code, 0) << input << " " << sets << "\n" << r.err;
  if (r.code != 0) return nullptr;
  return stable_stats(out + "/stats.json");
}

uint64_t sum_processes(const nlohmann::json& s, const char* field) {
  uint64_t n = 0;
  for (const auto& [pid, p] : s["processes"].items()) n += p["faults"][field].get<uint64_t>();
  return n;
}

// The comparisons above, for one input (a scenario with its parameters, or a trace file).
void check_every_variant(const std::string& input) {
  const nlohmann::json base = run_checked(input, "");
  ASSERT_FALSE(base.is_null());
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(input + " with " + v.name);
    const nlohmann::json s = run_checked(input, v.sets);
    if (s.is_null()) continue;
    EXPECT_EQ(at(s, "sim.accesses"), at(base, "sim.accesses"));
    if (!v.line) {
      for (const char* f : {"cow_copy", "cow_reuse", "anon_zero_fill", "pages_copied", "thp_copy", "bytes_copied"})
        EXPECT_EQ(sum_processes(s, f), sum_processes(base, f)) << f;
      EXPECT_EQ(at(s, "kernel.memory.frames_peak"), at(base, "kernel.memory.frames_peak"));
    } else {
      EXPECT_LE(sum_processes(s, "pages_copied"), sum_processes(base, "pages_copied"));
      EXPECT_EQ(at(s, "kernel.overlay.bytes"), 0u);  // every process exited: its overlays are freed
      EXPECT_EQ(at(s, "kernel.overlay.created"),
                at(s, "kernel.overlay.conversions") + at(s, "kernel.overlay.dropped"));
    }
  }
}

TEST(EnginesEverywhere, EveryScenarioHasTinyParameters) {
  for (const auto& sc : all_scenarios()) EXPECT_TRUE(kTiny.count(sc->name())) << sc->name();
}

class EnginesOnScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(EnginesOnScenario, EveryEngineAndGranularityPassesTheChecks) {
  check_every_variant("--scenario " + GetParam() + " " + kTiny.at(GetParam()));
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> v;
  for (const auto& [name, params] : kTiny) v.push_back(name);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EnginesOnScenario, ::testing::ValuesIn(scenario_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(EnginesEverywhere, EveryExampleTracePassesTheChecks) {
  int traces = 0;
  for (const auto& e : fs::directory_iterator(std::string(COWSIM_SOURCE_DIR) + "/traces/examples")) {
    if (e.path().extension() != ".cwt") continue;
    ++traces;
    check_every_variant(e.path().string());
  }
  EXPECT_GE(traces, 5);
}

}  // namespace
}  // namespace cowsim::test
