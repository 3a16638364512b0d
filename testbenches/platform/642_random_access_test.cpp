// The random-access scenario (TLB reach): walk and fault counts computed by hand from its
// parameters and the default preset's TLBs (Skylake-style, presets/default.json):
//   L1 DTLB: 64 x 4 KiB entries (16 sets x 4 ways), 32 x 2 MiB entries (8 sets x 4 ways)
//   STLB:    1536 entries for 4 KiB and 2 MiB pages (128 sets x 12 ways)
// Populating writes one store per 4 KiB page; the first touch of each page (4 KiB or huge)
// walks, faults and walks again: 2 walks, 2 L1 and 2 STLB misses per page.
#include <sys/resource.h>

#include <gtest/gtest.h>

#include "models/common/error.h"
#include "platform/scenarios/scenario.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

// One simulation per process (SystemC): runs go through the cowsim binary.
nlohmann::json run(const std::vector<std::string>& params, const std::vector<std::string>& sets = {}) {
  std::string args = "run -q --scenario random-access --out " + temp_dir();
  std::string out = args.substr(args.rfind(' ') + 1);
  for (const auto& p : params) args += " --param " + p;
  for (const auto& s : sets) args += " --set " + s;
  CliResult r = cli(args);
  EXPECT_EQ(r.code, 0) << r.err;
  return stable_stats(out + "/stats.json");
}

TEST(RandomAccess, HeapWithinStlbReachNeverWalksAfterPopulating) {
  // 4 MiB = 1024 pages of 4 KiB at consecutive page numbers: 1024 / 128 sets = 8 per STLB set
  // <= 12 ways, so after populating every page is in the STLB and no measured access walks.
  nlohmann::json r = run({"heap=4M", "accesses=20000"});
  const auto& s = r;
  EXPECT_EQ(at(s, "processes.1.faults.anon_zero_fill"), 1024u);
  EXPECT_EQ(at(s, "cores.0.walks"), 2u * 1024);
  EXPECT_EQ(at(s, "cores.0.tlb.stlb.misses"), 2u * 1024);
  // Every measured access that misses the L1 DTLB hits the STLB.
  EXPECT_EQ(at(s, "cores.0.tlb.stlb.hits"), at(s, "cores.0.tlb.l1d.misses") - 2 * 1024);
  EXPECT_EQ(at(s, "scenario.results.populate_walks"), 2048u);
  EXPECT_EQ(at(s, "scenario.results.measured_walks"), 0u);
}

TEST(RandomAccess, HeapBeyondStlbReachWalksNineAccessesInTen) {
  // 64 MiB = 16384 pages: 128 pages map to each STLB set, which holds 12 of them. A uniform
  // access finds its page there with probability 12/128 (the L1 DTLB's 64 entries are the
  // most recently used, almost always in the STLB too), so it walks with probability
  // 1 - 12/128 = 0.90625. Over N = 100000 accesses the binomial spread is
  // sqrt(N p (1-p)) = 92 walks; the bound below is 5 of those.
  const uint64_t n = 100000;
  nlohmann::json r = run({"heap=64M", "accesses=100000"});
  const auto& s = r;
  EXPECT_EQ(at(s, "scenario.results.populate_walks"), 2u * 16384);
  const double expected = n * (1.0 - 12.0 / 128);  // 90625
  EXPECT_NEAR(static_cast<double>(at(s, "scenario.results.measured_walks")), expected, 460.0);
  // All of it but the population is on core 0, and no measured access faults.
  EXPECT_EQ(at(s, "cores.0.walks"), at(s, "scenario.results.measured_walks") + 2 * 16384);
  EXPECT_EQ(at(s, "processes.1.minflt"), 16384u);
}

TEST(RandomAccess, HugePagesBringTheSameHeapWithinL1Reach) {
  // thp=on: 64 MiB = 32 huge pages (MADV_HUGEPAGE, kernel.thp.enabled=madvise). 32 consecutive
  // 2 MiB pages spread 4 per set over the L1 DTLB's 8 x 4 huge-page entries, so after the 2
  // walks per huge page of populating, every access hits the L1 DTLB.
  nlohmann::json r = run({"heap=64M", "accesses=100000", "thp=on"});
  const auto& s = r;
  EXPECT_EQ(at(s, "processes.1.faults.thp_zero_fill"), 32u);
  EXPECT_EQ(at(s, "processes.1.faults.anon_zero_fill"), 0u);
  EXPECT_EQ(at(s, "cores.0.walks"), 64u);
  EXPECT_EQ(at(s, "cores.0.tlb.l1d.misses"), 64u);
  EXPECT_EQ(at(s, "scenario.results.measured_walks"), 0u);
  // thp=off (MADV_NOHUGEPAGE) keeps 4 KiB pages even where kernel.thp.enabled=always.
  nlohmann::json off = run({"heap=4M", "accesses=10", "thp=off"}, {"kernel.thp.enabled=always"});
  EXPECT_EQ(at(off, "processes.1.faults.thp_zero_fill"), 0u);
  EXPECT_EQ(at(off, "processes.1.faults.anon_zero_fill"), 1024u);
  // thp=auto (no advice) gets huge pages only from kernel.thp.enabled=always: 4 MiB = 2.
  nlohmann::json dflt = run({"heap=4M", "accesses=10"}, {"kernel.thp.enabled=always"});
  EXPECT_EQ(at(dflt, "processes.1.faults.thp_zero_fill"), 2u);
}

TEST(RandomAccess, FiveLevelWalksReadOneMoreEntryEach) {
  // Without paging-structure caches a walk reads one entry per level down to the first
  // not-present one. 5-level paging adds the PML5E read to every walk that gets past the
  // top level: all of them but the very first, which finds the top entry not present yet.
  std::vector<std::string> no_psc = {"walker.psc.pml5e.entries=0", "walker.psc.pml4e.entries=0",
                                     "walker.psc.pdpte.entries=0", "walker.psc.pde.entries=0"};
  auto with = [&](const char* levels) {
    auto o = no_psc;
    o.push_back(levels);
    return run({"heap=16M", "accesses=20000"}, o);
  };
  nlohmann::json four = with("walker.levels=4"), five = with("walker.levels=5");
  uint64_t walks = at(four, "cores.0.walks");
  EXPECT_EQ(at(five, "cores.0.walks"), walks);  // same TLB behaviour
  EXPECT_EQ(at(five, "cores.0.walker.pte_reads") - at(four, "cores.0.walker.pte_reads"), walks - 1);
  EXPECT_EQ(at(five, "cores.0.walker.pte_reads_by_level.pml5e"), walks);
}

TEST(RandomAccess, ForkedChildWritingCopiesEachPageItWritesOnce) {
  // 64 KiB = 16 pages, one slot per page (stride 4 KiB), 2000 stores: the chance that some
  // page is never written is 16 x (15/16)^2000 < 1e-50, so the child copies all 16, once each.
  nlohmann::json w = run({"heap=64K", "stride=4K", "accesses=2000", "writes=100", "fork=true"});
  EXPECT_EQ(at(w, "processes.2.faults.cow_copy"), 16u);
  EXPECT_EQ(at(w, "processes.2.minflt"), 16u);
  EXPECT_EQ(at(w, "scenario.results.measured_cow_copy"), 16u);
  // Loads only: the child shares every page and never faults.
  nlohmann::json r = run({"heap=64K", "stride=4K", "accesses=2000", "fork=true"});
  EXPECT_EQ(at(r, "processes.2.minflt"), 0u);
  EXPECT_EQ(at(r, "processes.2.accesses"), 2000u);
}

TEST(RandomAccess, ZipfLoadsWalkLessThanUniformButNoLessThanTheTailAllows) {
  // 64 MiB / 64 B = 2^20 slots, 64 per page, zipf s = 0.99 ~ 1. The top k ranks carry about
  // H(k)/H(n) of the loads (H(k) ~ ln k + 0.577). The STLB holds at most 1536 pages, i.e. at
  // most 1536 x 64 = 98304 slots: at best H(98304)/H(2^20) = 12.07/14.44 = 0.84 of the loads hit
  // it, so at least 0.16 walk. Uniform loads walk 0.906 of the time (test above); hot slots
  // reused while their page is still in the STLB must bring zipf well below that.
  nlohmann::json z = run({"heap=64M", "accesses=100000", "distribution=zipf"});
  double w = static_cast<double>(at(z, "scenario.results.measured_walks")) / 100000;
  EXPECT_GT(w, 0.16);
  EXPECT_LT(w, 0.8 * 0.906);
}

struct Mix {
  uint64_t records = 0, loads = 0, stores = 0, max_addr = 0, misaligned = 0;
};
Mix mix(const std::vector<std::string>& params, uint64_t seed = 1) {
  trace::NameTable names;
  auto sc = make_scenario("random-access", params);
  ScenarioContext ctx;
  ctx.seed = seed;
  auto stream = sc->open(names, ctx);
  Mix m;
  trace::Record r;
  while (stream->next(r)) {
    ++m.records;
    if (r.len != 0) continue;  // the populating range
    if (r.op == trace::Op::kRead) ++m.loads;
    if (r.op == trace::Op::kWrite) ++m.stores;
    if (r.op == trace::Op::kRead || r.op == trace::Op::kWrite) {
      m.max_addr = std::max(m.max_addr, r.addr);
      m.misaligned += (r.addr - 0x7f0000000000) % 24 != 0;
    }
  }
  return m;
}

TEST(RandomAccess, StoresShareAndStrideShapeTheAddresses) {
  // writes=25 over 100000 accesses: 25000 stores expected, binomial spread 137; 5 of those.
  Mix m = mix({"heap=1M", "accesses=100000", "writes=25", "stride=24"});
  EXPECT_EQ(m.loads + m.stores, 100000u);
  EXPECT_NEAR(static_cast<double>(m.stores), 25000.0, 685.0);
  // Slots of 24 bytes: (1 MiB - 8) / 24 + 1 = 43691 of them, the last at 43690 x 24.
  EXPECT_EQ(m.misaligned, 0u);
  EXPECT_LE(m.max_addr, 0x7f0000000000u + 43690 * 24);
  EXPECT_GT(m.max_addr, 0x7f0000000000u + 43000 * 24);
  // zipf: the same seed gives the same stream; another seed another.
  Mix a = mix({"heap=1M", "accesses=1000", "distribution=zipf"}, 7), b = mix({"heap=1M", "accesses=1000", "distribution=zipf"}, 7),
      c = mix({"heap=1M", "accesses=1000", "distribution=zipf"}, 8);
  EXPECT_EQ(a.max_addr, b.max_addr);
  EXPECT_NE(a.max_addr, c.max_addr);
}

TEST(RandomAccess, StreamsInConstantMemory) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  long before = u.ru_maxrss;
  // mmap, populate between its roi marks, roi begin measured, 3M single accesses, roi end,
  // exit; 3M records materialised would take > 100 MB.
  Mix m = mix({"heap=1G", "accesses=3000000"});
  EXPECT_EQ(m.records, 3000000u + 7);
  getrusage(RUSAGE_SELF, &u);
  EXPECT_LT(u.ru_maxrss - before, 16 * 1024);
}

TEST(RandomAccess, BadParametersNameTheScenarioAndExitTwo) {
  CliResult r = cli("run --scenario random-access --param stride=12 --out " + temp_dir());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("random-access: stride must be a multiple of 8 and at most heap"), std::string::npos) << r.err;
  r = cli("run --scenario random-access --param heap=64K --param stride=1M --out " + temp_dir());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("at most heap (65536), got 1048576"), std::string::npos) << r.err;
  r = cli("run --scenario random-access --param thp=yes --out " + temp_dir());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'thp'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("auto|on|off"), std::string::npos) << r.err;
  r = cli("run --scenario random-access --param writes=101 --out " + temp_dir());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'writes'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cowsim::test
