// Regions of interest, warm-up and statistics snapshots (docs/statistics.md, "Regions of
// interest and warm-up"), through the cowsim binary: a region's counts are those of the same
// trace cut at its marks, and the expected figures are derived by hand from the trace.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

// 4 MiB mapped (4 KiB pages: kernel.thp.enabled=madvise and no advice), the first 2 MiB
// written: 512 writes, 512 zero-fill faults. Then the region: a read every 8 KiB over all
// 4 MiB (512 reads; the 256 in the unwritten half each map the zero page) and a write every
// 8 KiB over the second 2 MiB (256 writes, each replacing a zero-page mapping by a page of
// its own: a CoW of the zero page).
const std::string kPrefix = R"(cowsim-trace 1
1 mmap 0x7f0000000000 4M rw private,anon
1 w 0x7f0000000000 +2M
)";
const std::string kRegion = R"(1 r 0x7f0000000000 +4M /8K
1 w 0x7f0000200000 +2M /8K
)";

struct Outputs {
  nlohmann::json stats, histograms;
};

Outputs run_trace(const std::string& trace, const std::string& more = "") {
  std::string out = temp_dir();
  CliResult r = cli("run " + write_temp(trace) + " -q --out " + out + " " + more);
  EXPECT_EQ(r.code, 0) << r.err;
  Outputs x;
  x.stats = stable_stats(out + "/stats.json");
  std::ifstream h(out + "/histograms.json");
  x.histograms = nlohmann::json::parse(h);
  return x;
}

// Every numeric statistic by its dotted path (the host-time ones are already gone).
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, nlohmann::json>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  out[prefix] = j;
}
std::map<std::string, nlohmann::json> flat(const nlohmann::json& j) {
  std::map<std::string, nlohmann::json> out;
  flatten(j, "", out);
  return out;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A histogram's bins as lower edge -> count (histograms.json lists the non-empty ones).
std::map<uint64_t, uint64_t> bins(const nlohmann::json& histograms, const std::string& path) {
  std::map<uint64_t, uint64_t> b;
  if (!histograms.contains(path)) return b;
  const auto& h = histograms[path];
  for (size_t i = 0; i < h["counts"].size(); ++i) b[h["lower_edges"][i].get<uint64_t>()] = h["counts"][i].get<uint64_t>();
  return b;
}

// The statistics that are levels, not counts: a region reports them at its end, as the trace
// cut at `roi end` does at its end.
bool is_level(const std::string& key) {
  for (const char* tail : {".parent", ".start_cycle", ".end_cycle", ".exit", "sim.processes", "sim.seconds"})
    if (ends_with(key, tail)) return true;
  return key.find("smaps_rollup") != std::string::npos || key.find("kernel.memory.") == 0 ||
         key.find("kernel.forks.") == 0;
}
// A histogram's summary (checked through its bins) or a mean of one.
bool is_distribution(const std::string& key) {
  for (const char* tail : {".count", ".mean", ".p50", ".p90", ".p99", ".p999", ".p9999", ".max"})
    if (ends_with(key, tail) && key.find("latency") != std::string::npos) return true;
  return key.find(".steps.") != std::string::npos && key.find("kernel.faults.") == 0;
}

TEST(Regions, RegionCountsEqualTheTraceCutAtItsMarks) {
  // The trace cut at `roi begin` and at `roi end` both end their process there (end of
  // trace), as the whole trace does at `1 exit`: the exit costs and counts the same in all
  // three (it frees frames and tables, which are levels), so it cancels out of until - before.
  const Outputs whole = run_trace(kPrefix + "1 roi begin measure\n" + kRegion + "1 roi end measure\n1 exit\n");
  const Outputs before = run_trace(kPrefix);           // the trace cut at `roi begin`
  const Outputs until = run_trace(kPrefix + kRegion);  // the trace cut at `roi end`
  ASSERT_TRUE(whole.stats.contains("regions"));
  const nlohmann::json& region = whole.stats["regions"]["measure"];
  auto r = flat(region), b = flat(before.stats), u = flat(until.stats);
  size_t counts = 0, levels = 0;
  for (const auto& [key, v] : r) {
    if (key.find("kernel.forks.") == 0) continue;  // none here
    ASSERT_TRUE(u.count(key)) << key << " is in the region but not in the whole run";
    if (is_distribution(key)) continue;  // below, bin by bin
    if (key.find("processes.1.exit") == 0) {
      EXPECT_EQ(v, "running at the mark");
      continue;
    }
    if (ends_with(key, ".end_cycle") || key == "sim.seconds") continue;  // the mark's cycle, below
    if (key == "kernel.memory.frames_in_use" || key == "kernel.memory.table_pages") continue;  // below
    if (is_level(key)) {
      EXPECT_EQ(v, u[key]) << key;
      ++levels;
    } else {
      EXPECT_EQ(v.get<uint64_t>(), u[key].get<uint64_t>() - (b.count(key) ? b[key].get<uint64_t>() : 0)) << key;
      ++counts;
    }
  }
  EXPECT_GT(counts, 100u);  // every counter of the cores, TLBs, walkers, caches, kernel
  EXPECT_GT(levels, 10u);
  // Every key of the whole run is in the region (the region's own section aside).
  for (const auto& [key, v] : flat(whole.stats)) {
    if (key.find("regions.") != 0 && key.find("kernel.forks.") != 0) EXPECT_TRUE(r.count(key)) << key;
  }
  // The peak so far is a level the exit does not lower.
  EXPECT_EQ(at(region, "kernel.memory.frames_peak"), at(until.stats, "kernel.memory.frames_peak"));
  // The region's length: from the end of the populate to the end of the region's accesses,
  // which the cut traces' cycles bound (each also ends with the same exit).
  EXPECT_EQ(at(region, "sim.cycles"), at(until.stats, "sim.cycles") - at(before.stats, "sim.cycles"));

  // Distributions: the region's bins are the cut traces' difference, bin by bin.
  size_t histograms = 0;
  for (const auto& [path, h] : until.histograms.items()) {
    auto ub = bins(until.histograms, path), bb = bins(before.histograms, path);
    auto rb = bins(whole.histograms, "regions.measure." + path);
    std::map<uint64_t, uint64_t> diff;
    for (const auto& [edge, n] : ub)
      if (n > (bb.count(edge) ? bb[edge] : 0)) diff[edge] = n - (bb.count(edge) ? bb[edge] : 0);
    // The overflow bin's edge is its maximum, which the region may place differently.
    if (!diff.empty() && !rb.empty() && diff.rbegin()->first >= (uint64_t{1} << 44)) continue;
    EXPECT_EQ(rb, diff) << path;
    uint64_t count = 0;
    for (const auto& [edge, n] : diff) count += n;
    if (r.count(path + ".count")) {
      EXPECT_EQ(r[path + ".count"].get<uint64_t>(), count) << path;
    }
    ++histograms;
  }
  EXPECT_GT(histograms, 5u);

  // By hand: 512 reads + 256 writes in the region; 256 zero-page maps (reads of the unwritten
  // half, one per 8 KiB) and 256 faults for the writes to those zero-page mappings.
  EXPECT_EQ(at(region, "processes.1.accesses"), 768u);
  EXPECT_EQ(at(region, "sim.accesses"), 768u);
  EXPECT_EQ(at(region, "processes.1.faults.zero_page_map"), 256u);
  EXPECT_EQ(at(region, "processes.1.faults.anon_zero_fill"), 0u);
  EXPECT_EQ(at(region, "processes.1.minflt"), 512u);
  EXPECT_EQ(at(region, "kernel.faults.zero_page_map.latency.count"), 256u);
  // The region's records: its two range records (marks are not records).
  EXPECT_EQ(at(region, "processes.1.records"), 2u);
  EXPECT_EQ(at(region, "sim.records"), 2u);
}

TEST(Regions, MarksLeaveTheWholeRunBitIdentical) {
  // Marks take no time and are not records: the whole run's statistics are those of the same
  // trace without them, key for key (the regions section aside).
  const Outputs marked = run_trace(kPrefix + "1 roi begin a\n1 roi begin b\n" + kRegion + "1 roi end a\n1 roi end b\n1 exit\n");
  const Outputs plain = run_trace(kPrefix + kRegion + "1 exit\n");
  nlohmann::json m = marked.stats;
  m.erase("regions");
  EXPECT_EQ(m, plain.stats);
  nlohmann::json mh = marked.histograms;
  for (auto it = mh.begin(); it != mh.end();)
    it = it.key().find("regions.") == 0 ? mh.erase(it) : std::next(it);
  EXPECT_EQ(mh, plain.histograms);
  // Overlapping regions a and b cover the same accesses.
  EXPECT_EQ(marked.stats["regions"]["a"], marked.stats["regions"]["b"]);
}

TEST(Regions, RegionPercentilesDescribeTheRegionOnly) {
  // Zero-fill faults before the region, zero-page-map faults in it: the kernel's fault
  // latency per outcome is a fixed sum of steps, so each outcome's histogram holds one value.
  // The region holds none of the 512 zero-fills (count 0, percentiles 0) and all 256
  // zero-page maps (the whole run's, the same value at every percentile).
  const Outputs whole = run_trace(kPrefix + "1 roi begin m\n" + kRegion + "1 roi end m\n1 exit\n");
  const auto& region = whole.stats["regions"]["m"];
  EXPECT_EQ(at(whole.stats, "kernel.faults.anon_zero_fill.latency.count"), 512u);
  EXPECT_EQ(at(region, "kernel.faults.anon_zero_fill.latency.count"), 0u);
  EXPECT_EQ(at(region, "kernel.faults.anon_zero_fill.latency.p50"), 0u);
  EXPECT_EQ(at(region, "kernel.faults.anon_zero_fill.latency.max"), 0u);
  for (const char* q : {"p50", "p99", "p9999", "max"})
    EXPECT_EQ(at(region, std::string("kernel.faults.zero_page_map.latency.") + q),
              at(whole.stats, std::string("kernel.faults.zero_page_map.latency.") + q)) << q;
  // Walks: the populate's 512 walks that fault and 512 that retry, then the region's. The
  // region's walk-latency histogram is the whole run's minus the populate's (a region m0
  // around the populate), bin by bin, and its count the region's walks.
  const Outputs two = run_trace(kPrefix.substr(0, kPrefix.find("1 w")) + "1 roi begin m0\n1 w 0x7f0000000000 +2M\n1 roi end m0\n" +
                      "1 roi begin m\n" + kRegion + "1 roi end m\n1 exit\n");
  auto wb = bins(two.histograms, "cores.0.walker.latency"), pb = bins(two.histograms, "regions.m0.cores.0.walker.latency"),
       mb = bins(two.histograms, "regions.m.cores.0.walker.latency");
  for (auto& [edge, n] : pb) wb[edge] -= n;
  for (auto it = wb.begin(); it != wb.end();) it = it->second == 0 ? wb.erase(it) : std::next(it);
  EXPECT_EQ(mb, wb);
  EXPECT_EQ(at(two.stats, "regions.m0.cores.0.walks"), 1024u);  // 512 pages: walk, fault, walk
  EXPECT_EQ(at(two.stats, "regions.m.cores.0.walks") + 1024u, at(two.stats, "cores.0.walks"));
  EXPECT_EQ(at(two.stats, "regions.m.cores.0.walker.latency.count"), at(two.stats, "regions.m.cores.0.walks"));
}

TEST(Regions, WarmupRecordsStartsTheStatisticsAfterTheWarmup) {
  // --warmup-records 2: the mmap and the 2 MiB populate are the warm-up; counted after it: the
  // region's 768 accesses, no zero-fill (all 512 were in the warm-up), 256 zero-page maps and
  // 256 CoW faults = 512 minor faults, and 3 records (two ranges and the exit).
  const Outputs warm = run_trace(kPrefix + kRegion + "1 exit\n", "--warmup-records 2");
  EXPECT_EQ(at(warm.stats, "processes.1.accesses"), 768u);
  EXPECT_EQ(at(warm.stats, "processes.1.faults.anon_zero_fill"), 0u);
  EXPECT_EQ(at(warm.stats, "kernel.faults.anon_zero_fill.latency.count"), 0u);
  EXPECT_EQ(at(warm.stats, "processes.1.minflt"), 512u);
  EXPECT_EQ(at(warm.stats, "sim.accesses"), 768u);
  EXPECT_EQ(at(warm.stats, "sim.records"), 3u);
  EXPECT_FALSE(warm.stats.contains("regions"));
  // The same statistics as a warm-up of the populate's 512 accesses, which ends at the same
  // record, key for key.
  const Outputs by_accesses = run_trace(kPrefix + kRegion + "1 exit\n", "--warmup-accesses 512");
  EXPECT_EQ(warm.stats, by_accesses.stats);
  // And as the region from the same point to just before the exit, in every counter the exit
  // does not touch: the region's 768 accesses, 2 records; the warm-up adds the exit record.
  const Outputs marked = run_trace(kPrefix + "1 roi begin r\n" + kRegion + "1 roi end r\n1 exit\n");
  EXPECT_EQ(at(marked.stats, "regions.r.cores.0.walks"), at(warm.stats, "cores.0.walks"));
  EXPECT_EQ(at(marked.stats, "regions.r.cores.0.tlb.stlb.misses"), at(warm.stats, "cores.0.tlb.stlb.misses"));
  EXPECT_EQ(at(marked.stats, "regions.r.sim.records") + 1, at(warm.stats, "sim.records"));
  // The whole run without a warm-up counts all: 512 + 768 accesses.
  const Outputs all = run_trace(kPrefix + kRegion + "1 exit\n");
  EXPECT_EQ(at(all.stats, "sim.accesses"), 1280u);
  EXPECT_LT(at(warm.stats, "sim.cycles"), at(all.stats, "sim.cycles"));
}

TEST(Regions, WarmupAccessesSplitsARangeAtTheNthAccess) {
  // --warmup-accesses 100: the first 100 of the populate's 512 writes are the warm-up, so
  // 412 writes + 768 region accesses are counted, and 412 zero-fill faults. The populate
  // range is split there: its rest (412 writes) is a record after the warm-up, with the
  // region's two ranges and the exit: 4 records.
  const Outputs warm = run_trace(kPrefix + kRegion + "1 exit\n", "--warmup-accesses 100");
  EXPECT_EQ(at(warm.stats, "processes.1.accesses"), 412u + 768u);
  EXPECT_EQ(at(warm.stats, "processes.1.faults.anon_zero_fill"), 412u);
  EXPECT_EQ(at(warm.stats, "kernel.faults.anon_zero_fill.latency.count"), 412u);
  EXPECT_EQ(at(warm.stats, "sim.records"), 4u);
  // K suffix: 1K = 1024 accesses = the populate's 512 and 512 of the region's first range.
  const Outputs k = run_trace(kPrefix + kRegion + "1 exit\n", "--warmup-accesses 1K");
  EXPECT_EQ(at(k.stats, "sim.accesses"), 1280u - 1024u);
}

TEST(Regions, SnapshotRecordsWriteTheStatisticsSoFar) {
  const Outputs s = run_trace(kPrefix + "1 snapshot populated\n" + kRegion + "1 snapshot populated\n1 exit\n");
  ASSERT_TRUE(s.stats.contains("snapshots"));
  const auto& first = s.stats["snapshots"]["populated"];
  EXPECT_EQ(at(first, "processes.1.accesses"), 512u);
  EXPECT_EQ(at(first, "processes.1.faults.anon_zero_fill"), 512u);
  // Its records: the mmap, the populate, and the snapshot itself (a system call).
  EXPECT_EQ(at(first, "sim.records"), 3u);
  // A repeated label gets .2, as the smaps snapshots do.
  EXPECT_EQ(at(s.stats["snapshots"]["populated.2"], "processes.1.accesses"), 1280u);
  EXPECT_EQ(at(s.stats, "processes.1.accesses"), 512u + 768u);
  // As the trace cut at the snapshot, in what the accesses did.
  const Outputs cut = run_trace(kPrefix);
  for (const char* key : {"cores.0.walks", "cores.0.tlb.stlb.misses", "kernel.faults.anon_zero_fill.latency.count",
                          "processes.1.minflt", "sim.accesses"})
    EXPECT_EQ(at(first, key), at(cut.stats, key)) << key;
}

TEST(Regions, RunsAreDeterministic) {
  const std::string t = kPrefix + "1 roi begin m\n" + kRegion + "1 roi end m\n1 snapshot s\n1 exit\n";
  const Outputs a = run_trace(t, "--warmup-records 1"), b = run_trace(t, "--warmup-records 1");
  EXPECT_EQ(a.stats, b.stats);
  ASSERT_TRUE(a.stats.contains("regions") && a.stats.contains("snapshots"));
  EXPECT_EQ(a.histograms, b.histograms);
}

TEST(Regions, BinaryTracesCarryTheMarks) {
  // The same trace converted to the binary format gives the same region.
  const std::string text = kPrefix + "1 roi begin m\n" + kRegion + "1 roi end m\n1 exit\n";
  const std::string in = write_temp(text), bin = temp_dir() + "/t.cwb";
  CliResult c = cli("trace convert " + in + " " + bin);
  ASSERT_EQ(c.code, 0) << c.err;
  std::string out = temp_dir();
  CliResult r = cli("run " + bin + " -q --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  auto s = stable_stats(out + "/stats.json");
  EXPECT_EQ(s, run_trace(text).stats);
  EXPECT_EQ(at(s, "regions.m.sim.accesses"), 768u);
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
  expect_error(h + "1 roi begin a\n1 roi end a\n1 roi begin a\n1 roi end a\n", "", ".cwt:5: roi begin a: region 'a' was already begun at");
  expect_error(h + "1 roi begin a\n1 roi end a\n1 roi end a\n", "", ".cwt:5: roi end a: region 'a' has no roi begin before this record (it already ended)");
  expect_error(h + "1 roi begin a\n1 w 0x7f0000000000\n", "", ".cwt:3: roi begin a: the region is never ended");
  expect_error(h + "1 roi begin " + std::string(65, 'x') + "\n", "", ".cwt:3: roi begin 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': a region name may be at most 64 bytes, this one has 65");
  expect_error(h + "1 roi between a\n", "", ".cwt:3: bad roi mark 'between'");
  expect_error(h + "1 roi begin\n", "", ".cwt:3: ");
  expect_error(h + "1 roi begin a b\n", "", ".cwt:3: ");
  // A region begun by one process and ended by another passes the file-order check; ending it
  // before it begins in simulated time (the child waits for the parent's post, which follows
  // the parent's roi end) is an error at run time, naming the record's file and line.
  expect_error(h + "1 fork 2\n2 await go\n2 roi begin x\n2 exit\n1 roi end x\n1 post go\n1 wait 2\n1 exit\n", "",
               ".cwt:7: roi end x (pid 1, cycle ");
  expect_error(h + "1 w 0x7f0000000000\n", "--warmup-records 2", "leaves nothing to measure: the trace has 2 records");
  expect_error(h + "1 w 0x7f0000000000\n", "--warmup-accesses 1", "leaves nothing to measure: the trace has 1 memory accesses");
  expect_error(h + "1 w 0x7f0000000000\n", "--warmup-records 1 --warmup-accesses 1", "give one of them, not both");
  expect_error(h + "1 w 0x7f0000000000\n", "--warmup-records lots", "--warmup-records");
  expect_error(h + "1 w 0x7f0000000000\n", "--warmup-records -1", "--warmup-records");
  expect_error(h + "1 w 0x7f0000000000\n", "--warmup-accesses 0.5", "--warmup-accesses");
}

}  // namespace
}  // namespace cowsim::test
