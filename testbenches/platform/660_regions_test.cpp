// Regions of interest, warm-up and statistics snapshots (docs/statistics.md, "Regions of
// interest and warm-up"), through the cowsim binary: a region's counts are those of the same
// trace cut at its marks, and the expected figures are derived by hand from the trace.
#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

// 4 MiB mapped, the first 2 MiB written (512 zero-fill faults: default THP is off for this
// unaligned... see kernel.thp), then the region: a read every 8 KiB over all 4 MiB (512
// reads; the 256 in the unwritten half each map the zero page) and a write every 8 KiB over
// the second 2 MiB (256 writes, each replacing a zero-page mapping by a page of its own).
const std::string kPrefix = R"(cowsim-trace 1
1 mmap 0x7f0000000000 4M rw private,anon
1 w 0x7f0000000000 +2M
)";
const std::string kRegion = R"(1 r 0x7f0000000000 +4M /8K
1 w 0x7f0000200000 +2M /8K
)";

nlohmann::json run_stats(const std::string& trace, const std::string& more = "") {
  std::string out = temp_dir();
  CliResult r = cli("run " + write_temp(trace) + " -q --out " + out + " " + more);
  EXPECT_EQ(r.code, 0) << r.err;
  return stable_stats(out + "/stats.json");
}

// The statistics a region and a cut trace must agree on: what the accesses do, not when.
const char* kCounted[] = {
    "processes.1.accesses",          "processes.1.minflt",
    "processes.1.faults.anon_zero_fill", "processes.1.faults.zero_page_map",
    "processes.1.faults.cow_copy",   "cores.0.accesses",
    "cores.0.faults",                "cores.0.walks",
    "cores.0.tlb.l1d.hits",          "cores.0.tlb.l1d.misses",
    "cores.0.tlb.stlb.hits",         "cores.0.tlb.stlb.misses",
    "cores.0.walker.pte_reads",      "cores.0.walker.latency.count",
};

TEST(Regions, RegionCountsEqualTheTraceCutAtItsMarks) {
  auto whole = run_stats(kPrefix + "1 roi begin measure\n" + kRegion + "1 roi end measure\n1 exit\n");
  auto before = run_stats(kPrefix);            // the trace cut at `roi begin`
  auto until = run_stats(kPrefix + kRegion);   // the trace cut at `roi end`
  ASSERT_TRUE(whole.contains("regions"));
  const auto& region = whole["regions"]["measure"];
  for (const char* key : kCounted) EXPECT_EQ(at(region, key), at(until, key) - at(before, key)) << key;
  // By hand: 512 reads + 256 writes in the region; 256 zero-page maps (reads of the unwritten
  // half, one per 8 KiB) and 256 faults for the writes to those zero-page mappings.
  EXPECT_EQ(at(region, "processes.1.accesses"), 768u);
  EXPECT_EQ(at(region, "sim.accesses"), 768u);
  EXPECT_EQ(at(region, "processes.1.faults.zero_page_map"), 256u);
  EXPECT_EQ(at(region, "processes.1.minflt"), 512u);
  // The region's records: its two range records and the `roi end` mark.
  EXPECT_EQ(at(region, "processes.1.records"), 3u);
  // Same keys as the whole run (regions aside), the new p999/p9999 included.
  for (const auto& [section, v] : whole.items())
    if (section != "regions" && section != "scenario") EXPECT_TRUE(region.contains(section)) << section;
  EXPECT_EQ(at(region, "kernel.faults.zero_page_map.latency.count"), 256u);
  EXPECT_TRUE(region["kernel"]["faults"]["zero_page_map"]["latency"].contains("p9999"));
  // The whole run is unchanged by the marks' presence in what it counts.
  EXPECT_EQ(at(whole, "processes.1.accesses"), 512u + 768u);
}

TEST(Regions, WarmupRecordsStartsTheStatisticsAfterTheWarmup) {
  // --warmup-records 2: the mmap and the 2 MiB populate are the warm-up.
  auto warm = run_stats(kPrefix + kRegion + "1 exit\n", "--warmup-records 2");
  EXPECT_EQ(at(warm, "processes.1.accesses"), 768u);
  EXPECT_EQ(at(warm, "processes.1.faults.anon_zero_fill"), 0u);  // all 512 were in the warm-up
  EXPECT_EQ(at(warm, "processes.1.minflt"), 512u);
  EXPECT_EQ(at(warm, "sim.accesses"), 768u);
}

TEST(Regions, WarmupAccessesSplitsARangeAtTheNthAccess) {
  // --warmup-accesses 100: the first 100 of the populate's 512 writes are the warm-up, so
  // 412 writes + 768 region accesses are counted, and 412 zero-fill faults.
  auto warm = run_stats(kPrefix + kRegion + "1 exit\n", "--warmup-accesses 100");
  EXPECT_EQ(at(warm, "processes.1.accesses"), 412u + 768u);
  EXPECT_EQ(at(warm, "processes.1.faults.anon_zero_fill"), 412u);
}

TEST(Regions, SnapshotRecordsWriteTheStatisticsSoFar) {
  auto s = run_stats(kPrefix + "1 snapshot populated\n" + kRegion + "1 exit\n");
  ASSERT_TRUE(s.contains("snapshots"));
  EXPECT_EQ(at(s["snapshots"]["populated"], "processes.1.accesses"), 512u);
  EXPECT_EQ(at(s["snapshots"]["populated"], "processes.1.faults.anon_zero_fill"), 512u);
  EXPECT_EQ(at(s, "processes.1.accesses"), 512u + 768u);
}

void expect_error(const std::string& trace, const std::string& args, const std::string& message) {
  std::string path = write_temp(trace), out = temp_dir();
  CliResult r = cli("run " + path + " -q --out " + out + " " + args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out + "/stats.json")) << "nothing half-written";
}

TEST(Regions, BadMarksAreErrorsNamingFileAndLine) {
  const std::string h = "cowsim-trace 1\n1 mmap 0x7f0000000000 1M rw private,anon\n";
  expect_error(h + "1 roi end a\n", "", ".cwt:3: roi end a: region 'a' has no roi begin before this record");
  expect_error(h + "1 roi begin a\n1 roi begin a\n1 roi end a\n", "",
               ".cwt:4: roi begin a: region 'a' was already begun at ");
  expect_error(h + "1 roi begin a\n1 roi end a\n1 roi begin a\n1 roi end a\n", "", "measured once");
  expect_error(h + "1 roi begin a\n1 w 0x7f0000000000\n", "", ".cwt:3: roi begin a: the region is never ended");
  expect_error(h + "1 roi begin " + std::string(65, 'x') + "\n", "", "at most 64 bytes, this one has 65");
  expect_error(h + "1 roi between a\n", "", ".cwt:3: bad roi mark 'between'");
  expect_error(h + "1 w 0x7f0000000000\n", "--warmup-records 2", "leaves nothing to measure: the trace has 2 records");
}

}  // namespace
}  // namespace cowsim::test
