// Built-in scenarios: headline numbers against values computed by hand from the parameters.
// Page-table pages for a heap at 0x7f0000000000 (1 GiB aligned) of P 4 KiB pages below 1 GiB:
// ceil(P / 512) PTE pages + 1 PD + 1 PDPT + 1 PML4.
#include <gtest/gtest.h>

#include "models/common/error.h"
#include "testbenches/platform/640_run_scenario.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

constexpr uint64_t kPage = 4096;
uint64_t tables(uint64_t pages) { return (pages + 511) / 512 + 3; }

TEST(DrillScenarios, WriteCopiesEveryPageOnce) {
  RunResult r = run_scenario("drill-write", {"heap=16M"});
  const auto& s = r.stats;
  const uint64_t pages = 4096;  // 16 MiB / 4 KiB
  EXPECT_EQ(at(s, "processes.2.faults.cow_copy"), pages);
  EXPECT_EQ(at(s, "scenario.results.child_cow_copy"), pages);
  EXPECT_EQ(at(s, "scenario.results.child_bytes_copied"), 16u << 20);
  // The parent's heap, the child's copies, and both processes' page tables.
  EXPECT_EQ(at(s, "scenario.results.frames_peak_bytes"), (2 * pages + 2 * tables(pages)) * kPage);
  EXPECT_EQ(at(s, "scenario.results.fork.ptes_copied"), pages);
  EXPECT_EQ(s["scenario"]["name"], "drill-write");
}

TEST(DrillScenarios, ReadSharesEverything) {
  RunResult r = run_scenario("drill-read", {"heap=16M"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "scenario.results.child_minflt"), 0u);
  EXPECT_EQ(at(s, "scenario.results.child_at_exit_kb.Shared_Dirty"), 16384u);
  EXPECT_EQ(at(s, "scenario.results.child_at_exit_kb.Pss"), 8192u);  // two sharers
  EXPECT_EQ(at(s, "scenario.results.child_at_exit_kb.Private_Dirty"), 0u);
}

TEST(DrillScenarios, HalfTurnsHalfTheHeapPrivateInBoth) {
  RunResult r = run_scenario("drill-half", {"heap=16M"});
  const auto& s = r.stats;
  for (const char* who : {"parent", "child"}) {
    std::string before = std::string("scenario.results.snapshots.before-writes.") + who + ".";
    std::string after = std::string("scenario.results.snapshots.after-writes.") + who + ".";
    EXPECT_EQ(at(s, before + "Shared_Dirty"), 16384u) << who;
    EXPECT_EQ(at(s, before + "Private_Dirty"), 0u) << who;
    // After one side copies a page, both sides count it Private_Dirty (sources.md §4).
    EXPECT_EQ(at(s, after + "Shared_Dirty"), 8192u) << who;
    EXPECT_EQ(at(s, after + "Private_Dirty"), 8192u) << who;
  }
}

TEST(RedisBgsave, DistinctWritesGiveCowSizeOfPagesWritten) {
  // One 4 KiB value per page; 1000 writes/s during a 16 MiB save at 16 MiB/s (1 s): 1000
  // writes, each to a different page, so the child's Private_Dirty is 1000 pages.
  RunResult r = run_scenario("redis-bgsave", {"dataset=16M", "value_size=4096", "write_rate=1000",
                                              "disk_bandwidth=16M", "distribution=distinct"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "scenario.results.writes_during_save"), 1000u);
  EXPECT_EQ(at(s, "scenario.results.distinct_pages_written"), 1000u);
  EXPECT_EQ(at(s, "scenario.results.rdb_last_cow_size"), 1000u * kPage);
  EXPECT_EQ(at(s, "scenario.results.parent_cow_copy"), 1000u);
  EXPECT_EQ(at(s, "scenario.results.sizing_rule_bytes"), (16u << 20) + 1000u * kPage);
  // Peak: the dataset, the parent's 1000 copies, and both processes' page tables.
  EXPECT_EQ(at(s, "scenario.results.peak_memory_bytes"), (4096 + 1000 + 2 * tables(4096)) * kPage);
  // latest_fork_usec is the fork's cycles at the default 3000 MHz, in whole µs.
  EXPECT_EQ(at(s, "scenario.results.latest_fork_usec"), at(s, "kernel.forks.0.cycles") / 3000);
  // The save lasts the disk time plus the child's own reading.
  double save = s["scenario"]["results"]["save_seconds"].get<double>();
  EXPECT_GE(save, 1.0);
  EXPECT_LE(save, 1.1);
}

TEST(RedisBgsave, SetLatencySplitsBeforeDuringAndAfterTheSave) {
  // One 4 KiB value per page, every SET a different key: 10 SETs before the fork, 1000 during
  // the 1 s save (1000/s x 16 MiB / 16 MiB/s), 20 after the child is reaped. SETs arrive 1 ms
  // apart, far longer than any SET takes, so none queues: each latency is its service time.
  RunResult r = run_scenario("redis-bgsave", {"dataset=16M", "value_size=4096", "write_rate=1000",
                                              "disk_bandwidth=16M", "distribution=distinct", "writes_before=10",
                                              "writes_after=20"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "spans.set.before.count"), 10u);
  EXPECT_EQ(at(s, "spans.set.during.count"), 1000u);
  EXPECT_EQ(at(s, "spans.set.after.count"), 20u);
  EXPECT_EQ(at(s, "spans.set.count"), 1030u);
  EXPECT_EQ(at(s, "spans.bgsave.count"), 1u);
  // Every SET during the save writes a page still shared with the child: one CoW copy each,
  // and only then; so each such latency is at least its fault's, and is about a SET before
  // the fork (the same 64 stores to a page not yet in the TLB, no fault) plus the fault.
  EXPECT_EQ(at(s, "kernel.faults.cow_copy.latency.count"), 1000u);
  EXPECT_EQ(at(s, "processes.1.faults.cow_copy"), 1000u);
  const uint64_t fault = at(s, "kernel.faults.cow_copy.latency.p50");
  EXPECT_GE(at(s, "spans.set.during.p50"), fault);
  EXPECT_GE(at(s, "spans.set.during.p50"), at(s, "spans.set.before.p50") + fault * 99 / 100);  // bins: 1.1%
  // The summary in scenario.results is the same statistics in microseconds (3000 cycles/us).
  const auto& lat = s["scenario"]["results"]["set_latency_usec"];
  EXPECT_EQ(lat["during"]["count"].get<uint64_t>(), 1000u);
  EXPECT_DOUBLE_EQ(lat["during"]["p99"].get<double>(), at(s, "spans.set.during.p99") / 3000.0);
  EXPECT_DOUBLE_EQ(lat["before"]["max"].get<double>(), at(s, "spans.set.before.max") / 3000.0);
  EXPECT_DOUBLE_EQ(lat["after"]["p999"].get<double>(), at(s, "spans.set.after.p999") / 3000.0);
  bool printed = false;
  for (const auto& l : r.headlines) printed |= l.find("SET latency (us, arrival to completion) before 10:") != std::string::npos;
  EXPECT_TRUE(printed);
}

TEST(RedisBgsave, SetsThatArriveDuringTheForkWaitForIt) {
  // 10^6 SETs/s: one every 1000 ns = 3000 cycles. The first SET of the save arrives 3000 cycles
  // after fork() began and cannot run before fork() returns, so it waits fork_cycles - 3000
  // cycles and the worst SET of the save is at least that.
  RunResult r = run_scenario("redis-bgsave", {"dataset=16M", "write_rate=1000000", "writes_before=100", "writes_after=0"});
  const auto& s = r.stats;
  const uint64_t fork = at(s, "kernel.forks.0.cycles");
  ASSERT_GT(fork, 3000u * 10);  // the fork spans many arrivals
  EXPECT_GE(at(s, "spans.set.during.max"), fork - 3000);
  EXPECT_EQ(at(s, "spans.set.after.count"), 0u);
  // Before the fork nothing queues: a SET of 4 stores is far shorter than the fork.
  EXPECT_LT(at(s, "spans.set.before.max"), fork / 10);
}

TEST(RedisBgsave, HugePagesUnderTheCopyPolicyCopyTwoMegabytesPerPageWritten) {
  // 16 MiB of THP = 8 huge pages; 1000 distinct 4 KiB values out of 4096 leave none of the 8
  // untouched (each holds 512 values), and under the copy policy each costs a 2 MiB copy.
  RunResult r = run_scenario("redis-bgsave", {"dataset=16M", "value_size=4096", "write_rate=1000",
                                              "disk_bandwidth=16M", "distribution=distinct", "thp=on"},
                             {"kernel.thp.cow_policy=copy"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "scenario.results.fork.pmds_copied"), 8u);
  EXPECT_EQ(at(s, "scenario.results.parent_thp_copy"), 8u);
  EXPECT_EQ(at(s, "scenario.results.parent_bytes_copied"), 16u << 20);
  EXPECT_EQ(at(s, "scenario.results.rdb_last_cow_size"), 16u << 20);
  EXPECT_EQ(at(s, "scenario.results.sizing_rule_bytes"), (16u << 20) + 1000u * kPage);  // the rule undershoots
}

TEST(RedisBgsave, UniformWritesCowSizeIsTheDistinctPagesTheyHit) {
  RunResult r = run_scenario("redis-bgsave", {"dataset=16M", "write_rate=2000", "disk_bandwidth=16M"});
  const auto& s = r.stats;
  uint64_t writes = at(s, "scenario.results.writes_during_save");
  uint64_t distinct = at(s, "scenario.results.distinct_pages_written");
  EXPECT_EQ(writes, 2000u);
  // 200-byte values: a write touches one page, two when it straddles a boundary; random keys
  // over 4096 pages repeat some pages (expected distinct ~ 4096 (1 - e^(-2000/4096)) ~ 1580).
  EXPECT_GT(distinct, 1300u);
  EXPECT_LT(distinct, 2000u * 2);
  EXPECT_EQ(at(s, "scenario.results.rdb_last_cow_size"), distinct * kPage);
  EXPECT_EQ(at(s, "processes.1.faults.cow_copy"), distinct);
}

// SystemC elaborates once per process: tests that compare runs use the cowsim binary.
nlohmann::json run_cli(const std::string& args) {
  std::string out = temp_dir();
  CliResult r = cli("run -q --out " + out + " " + args);
  EXPECT_EQ(r.code, 0) << r.err;
  return stable_stats(out + "/stats.json");
}

TEST(RedisBgsave, ZipfConcentratesWritesOnFewerPages) {
  const std::string common = "--scenario redis-bgsave --param dataset=16M --param write_rate=2000 "
                             "--param disk_bandwidth=16M";
  auto u = run_cli(common);
  auto z = run_cli(common + " --param distribution=zipf --param zipf_s=1.2");
  uint64_t du = at(u, "scenario.results.distinct_pages_written");
  uint64_t dz = at(z, "scenario.results.distinct_pages_written");
  EXPECT_LT(dz * 2, du);  // s = 1.2: the top 1% of the 83886 keys take about 85% of the writes
  EXPECT_EQ(at(z, "scenario.results.rdb_last_cow_size"), dz * kPage);
}

TEST(RedisBgsave, DistinctNeedsEnoughKeys) {
  // 100000 writes/s for 1 s over 4096 keys cannot all be distinct.
  EXPECT_THROW(run_scenario("redis-bgsave", {"dataset=16M", "value_size=4096", "write_rate=100000",
                                             "disk_bandwidth=16M", "distribution=distinct"}),
               InputError);
}

TEST(FullCopy, EveryPageCopiedOnceAndMemoryDoubles) {
  RunResult r = run_scenario("full-copy", {"heap=8M"});
  const auto& s = r.stats;
  const uint64_t pages = 2048;
  // Each page: the first writer copies it, the second finds itself the only owner and reuses.
  EXPECT_EQ(at(s, "scenario.results.cow_copy_total"), pages);
  EXPECT_EQ(at(s, "scenario.results.cow_reuse_total"), pages);
  EXPECT_EQ(at(s, "scenario.results.bytes_copied"), 8u << 20);
  EXPECT_EQ(at(s, "scenario.results.frames_peak_bytes"), (2 * pages + 2 * tables(pages)) * kPage);
}

TEST(ThpOneByte, SplitPolicyCopiesOneSubpagePerHugePage) {
  RunResult r = run_scenario("thp-one-byte", {"heap=64M"}, {"kernel.thp.cow_policy=split"});
  const auto& s = r.stats;
  EXPECT_EQ(s["scenario"]["results"]["cow_policy"], "split");
  EXPECT_EQ(at(s, "scenario.results.huge_pages"), 32u);
  EXPECT_EQ(at(s, "scenario.results.child.thp_splits"), 32u);
  EXPECT_EQ(at(s, "scenario.results.child.cow_copy"), 32u);
  EXPECT_EQ(at(s, "scenario.results.child.bytes_copied"), 32u * kPage);
  EXPECT_EQ(at(s, "scenario.results.copied_per_byte_written"), kPage);
  EXPECT_EQ(at(s, "scenario.results.child.Private_Dirty_kb"), 32u * 4);
}

TEST(ThpOneByte, CopyPolicyCopiesTwoMegabytesPerHugePage) {
  RunResult r = run_scenario("thp-one-byte", {"heap=64M"}, {"kernel.thp.cow_policy=copy"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "scenario.results.child.thp_copy"), 32u);
  EXPECT_EQ(at(s, "scenario.results.child.thp_splits"), 0u);
  EXPECT_EQ(at(s, "scenario.results.child.bytes_copied"), 64u << 20);
  EXPECT_EQ(at(s, "scenario.results.copied_per_byte_written"), 2u << 20);
  EXPECT_EQ(at(s, "scenario.results.child.AnonHugePages_kb"), 65536u);
}

TEST(ForkAdvice, DontforkLeavesTheRegionOutOfTheChild) {
  RunResult r = run_scenario("dontfork", {"heap=8M", "region=16M"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "scenario.results.with_advice.fork.ptes_copied"), 2048u);  // the heap only
  EXPECT_EQ(at(s, "scenario.results.with_advice.fork.vmas_skipped"), 1u);
  EXPECT_FALSE(s["scenario"]["results"]["with_advice"]["region_mapped_in_child"].get<bool>());
  EXPECT_EQ(at(s, "scenario.results.with_advice.child_Rss_kb"), 8192u);
  EXPECT_EQ(at(s, "scenario.results.without_advice.fork.ptes_copied"), 2048u + 4096u);
  EXPECT_TRUE(s["scenario"]["results"]["without_advice"]["region_mapped_in_child"].get<bool>());
  EXPECT_EQ(at(s, "scenario.results.without_advice.region_Rss_kb"), 16384u);
  EXPECT_LT(at(s, "scenario.results.with_advice.fork.fork_cycles"),
            at(s, "scenario.results.without_advice.fork.fork_cycles"));
}

TEST(ForkAdvice, WipeonforkChildReadsZeros) {
  RunResult r = run_scenario("wipeonfork", {"heap=8M", "secrets=1M"});
  const auto& s = r.stats;
  // Wiped: the mapping is there but empty; the child's 256 reads map the zero page.
  EXPECT_TRUE(s["scenario"]["results"]["with_advice"]["region_mapped_in_child"].get<bool>());
  EXPECT_EQ(at(s, "scenario.results.with_advice.region_Rss_kb"), 0u);
  EXPECT_EQ(at(s, "scenario.results.with_advice.child_zero_page_reads"), 256u);
  EXPECT_EQ(at(s, "scenario.results.with_advice.fork.ptes_copied"), 2048u);
  // Not wiped: the child reads the parent's pages, shared.
  EXPECT_EQ(at(s, "scenario.results.without_advice.region_Rss_kb"), 1024u);
  EXPECT_EQ(at(s, "scenario.results.without_advice.child_zero_page_reads"), 0u);
  EXPECT_EQ(at(s, "scenario.results.without_advice.fork.ptes_copied"), 2048u + 256u);
}

TEST(ForkExec, ForkWriteProtectsTheParentVforkAndSpawnDoNot) {
  RunResult r = run_scenario("fork-exec", {"heap=8M"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "scenario.results.fork.fork.ptes_copied"), 2048u);
  // The child exec'd: every parent page is write-protected with one owner left.
  EXPECT_EQ(at(s, "scenario.results.fork.parent_cow_reuse"), 2048u);
  EXPECT_EQ(at(s, "scenario.results.fork.parent_cow_copy"), 0u);
  for (const char* m : {"vfork", "spawn"}) {
    std::string k = std::string("scenario.results.") + m + ".";
    EXPECT_EQ(at(s, k + "fork.ptes_copied"), 0u) << m;
    EXPECT_EQ(at(s, k + "parent_cow_reuse"), 0u) << m;
    EXPECT_LT(at(s, k + "fork.fork_cycles"), at(s, "scenario.results.fork.fork.fork_cycles")) << m;
  }
}

TEST(ForkExec, OneMethodAlone) {
  RunResult r = run_scenario("fork-exec", {"heap=4M", "method=vfork"});
  const auto& res = r.stats["scenario"]["results"];
  EXPECT_TRUE(res.contains("vfork"));
  EXPECT_FALSE(res.contains("fork"));
  EXPECT_FALSE(res.contains("spawn"));
}

TEST(PreforkServer, ReadOnlyWorkersShareTheWholeHeap) {
  // No writes: master and 2 workers map the same 8 MiB, so each one's Pss is a third of it
  // (8192 kB / 3 = 2730.67, truncated as smaps prints it).
  RunResult r = run_scenario("prefork-server",
                             {"heap=8M", "workers=2", "requests=40", "reads=4", "writes=0", "scratch=0", "phases=2"});
  const auto& ph = r.stats["scenario"]["results"]["phases"];
  ASSERT_EQ(ph.size(), 2u);
  for (const auto& p : ph) {
    EXPECT_EQ(p["mean_worker_Rss_kb"].get<uint64_t>(), 8192u);
    EXPECT_EQ(p["mean_worker_Pss_kb"].get<uint64_t>(), 2730u);
    EXPECT_DOUBLE_EQ(p["worker_shared_percent"].get<double>(), 100.0);
    EXPECT_EQ(p["sum_Rss_kb"].get<uint64_t>(), 3u * 8192);
  }
  EXPECT_EQ(ph[1]["requests_per_worker"].get<uint64_t>(), 40u);
}

TEST(PreforkServer, WritesMakeSharingDecay) {
  RunResult r = run_scenario("prefork-server", {"heap=8M", "workers=2", "requests=400", "writes=2", "phases=4"});
  const auto& ph = r.stats["scenario"]["results"]["phases"];
  ASSERT_EQ(ph.size(), 4u);
  for (size_t k = 1; k < ph.size(); ++k) {
    EXPECT_GT(ph[k]["mean_worker_Pss_kb"].get<uint64_t>(), ph[k - 1]["mean_worker_Pss_kb"].get<uint64_t>());
    EXPECT_LT(ph[k]["worker_shared_percent"].get<double>(), ph[k - 1]["worker_shared_percent"].get<double>());
  }
  // Each worker copied at most 400 x 2 pages of the heap, plus its 64 KiB scratch.
  for (const auto& [pid, w] : ph[3]["workers"].items())
    EXPECT_LE(w["Private_kb"].get<uint64_t>(), 800u * 4 + 64) << pid;
  // One span per request: 400 per worker (pids 2 and 3), none in the master.
  EXPECT_EQ(at(r.stats, "spans.request.count"), 800u);
  EXPECT_EQ(at(r.stats, "spans.request.processes.2.count"), 400u);
  EXPECT_EQ(at(r.stats, "spans.request.processes.3.count"), 400u);
  EXPECT_FALSE(r.stats["spans"]["request"]["processes"].contains("1"));
  EXPECT_EQ(at(r.stats, "scenario.results.request_latency_usec.count"), 800u);
  // A request's latency is at least its 2 CoW-capable heap writes' worth of work: never 0.
  EXPECT_GT(at(r.stats, "spans.request.p50"), 0u);
}

TEST(Determinism, SameSeedSameStatsOtherSeedOtherWrites) {
  const std::string p = "--scenario redis-bgsave --param dataset=8M --param write_rate=2000 --param disk_bandwidth=16M";
  auto a = run_cli(p), b = run_cli(p), c = run_cli(p + " --set seed=2");
  EXPECT_EQ(a, b);
  EXPECT_NE(at(a, "scenario.results.distinct_pages_written"), 0u);
  EXPECT_NE(a["processes"], c["processes"]);
  EXPECT_EQ(at(c, "scenario.seed"), 2u);
}

}  // namespace
}  // namespace cowsim::test
