// Contention on whole runs (docs/memory-contention.md): two cores share the memory channels and
// the zone and LRU locks; one core, or the off switches, keep the fixed costs.
#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

const std::string kOff = " --set memory.dram.contention=false --set kernel.locks.enabled=false";

nlohmann::json run(const std::string& args, const std::string& tag) {
  const std::string dir = temp_dir() + "/" + tag;
  CliResult r = cli("run " + args + " -q --out " + dir);
  EXPECT_EQ(r.code, 0) << args << ": " << r.err;
  return stable_stats(dir + "/stats.json");
}

// Parent and child write every page of a 16 MiB heap at once on two cores: 4096 CoW copies.
TEST(Contention, TwoCoresCopyingAtOnceSeeLongerCowFaults) {
  const std::string args = "--scenario full-copy --param heap=16M --set cores=2";
  const nlohmann::json on = run(args, "on"), off = run(args + kOff, "off");
  // Off: the fixed cost, 10118 cycles, for every copy (docs/kernel-model.md, the cost model).
  EXPECT_EQ(at(off, "kernel.faults.cow_copy.latency.max"), 10118u);
  EXPECT_EQ(at(off, "kernel.faults.cow_copy.latency.p99"), 10118u);
  EXPECT_FALSE(off.contains("dram"));
  // On: the same number of copies, none cheaper, some longer; the waits are their own steps.
  EXPECT_EQ(at(on, "kernel.faults.cow_copy.latency.count"), at(off, "kernel.faults.cow_copy.latency.count"));
  EXPECT_GT(at(on, "kernel.faults.cow_copy.latency.max"), 10118u);
  const auto& steps = on["kernel"]["faults"]["cow_copy"]["steps"];
  EXPECT_EQ(steps["copy"].get<double>(), 2288.0);  // the copy itself is unchanged: the waits are extra
  EXPECT_GT(on["kernel"]["faults"]["cow_copy"]["latency"]["mean"].get<double>(), 10118.0);
  EXPECT_GT(steps["dram_wait"].get<double>() + steps["lock_wait"].get<double>(), 0.0);
  EXPECT_GT(at(on, "kernel.locks.lru.acquisitions"), 0u);
  // Every contended CoW fault stays inside the measured single-threaded range, 3.3-4.4 us
  // (13200 cycles at 3 GHz).
  EXPECT_LE(at(on, "kernel.faults.cow_copy.latency.max"), 13200u);
}

// One process on a two-core machine: nothing overlaps, so every statistic the off switch also
// has is equal; the contention statistics show traffic and no wait.
TEST(Contention, OneBusyCoreOfTwoMatchesTheOffSwitch) {
  const std::string args = "--scenario touch --param size=8M --set cores=2";
  nlohmann::json on = run(args, "on1"), off = run(args + kOff, "off1");
  EXPECT_GT(at(on, "dram.zero.requests"), 0u);
  EXPECT_EQ(at(on, "dram.zero.wait_cycles") + at(on, "dram.data.wait_cycles") + at(on, "dram.walk.wait_cycles"), 0u);
  EXPECT_EQ(at(on, "kernel.locks.zone.wait_cycles") + at(on, "kernel.locks.lru.wait_cycles"), 0u);
  on.erase("dram");
  on["kernel"].erase("locks");
  on.erase("config");
  off.erase("config");
  for (auto& [outcome, f] : on["kernel"]["faults"].items())
    if (f.contains("steps")) {
      f["steps"].erase("dram_wait");
      f["steps"].erase("lock_wait");
    }
  EXPECT_EQ(on, off);
}

}  // namespace
}  // namespace cowsim::test
