// Scenario generators: streaming without materialising, restartable streams, `cowsim gen`,
// the random building blocks, and the parameter reference in docs/scenarios.md.
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "models/common/error.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/random.h"
#include "platform/scenarios/scenario.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

struct Count {
  uint64_t records = 0, accesses = 0;
};
Count count(const std::string& name, const std::vector<std::string>& params, ScenarioContext ctx = {}) {
  trace::NameTable names;
  auto s = make_scenario(name, params);
  auto stream = s->open(names, ctx);
  Count c;
  trace::Record r;
  while (stream->next(r)) {
    ++c.records;
    c.accesses += r.accesses();
  }
  return c;
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(ScenarioStream, FortyGigabyteRedisStreamsWithoutMaterialising) {
  long before = max_rss_kb();
  Count c = count("redis-bgsave", {"dataset=40G"});
  // Defaults: 10000 writes/s, disk 500 MiB/s, 200-byte values, 1 MiB chunks.
  //   save = 40 GiB / 500 MiB/s = 81.92 s -> 819200 writes, 40960 chunks.
  //   parent: mmap, roi begin/end populate around the populate, 1000 x (span begin, write,
  //           span end) before the save, roi begin fork, span window, fork, roi end fork, roi
  //           begin save, 819200 x (span begin, write, span end), post, wait, roi end save, span
  //           end, 1000 x (span begin, write, span end) after it, exit
  //   child:  40960 x (read, compute), await, snapshot, exit
  EXPECT_EQ(c.records, 4 + 3 * 1000 + 5 + 3 * 819200 + 4 + 3 * 1000 + 1 + 2 * 40960 + 3);
  // populate 40 GiB (one store per page) + 4 stores per 200-byte value + the child's reads.
  EXPECT_EQ(c.accesses, 10485760 + (1000 + 819200 + 1000) * 4 + 10485760);
  // 1.7 M records materialised would be ~70 MB; the stream holds one iteration.
  EXPECT_LT(max_rss_kb() - before, 16 * 1024);
}

TEST(ScenarioStream, FortyGigabyteDrillIsSevenRangeRecords) {
  Count c = count("drill-write", {"heap=40G"});
  EXPECT_EQ(c.records, 7u);
  EXPECT_EQ(c.accesses, 2u * 10485760);
}

TEST(ScenarioStream, ReopenedStreamsAreIdenticalAndSeedsDiffer) {
  auto records = [](uint64_t seed) {
    trace::NameTable names;
    auto s = make_scenario("prefork-server", {"heap=4M", "requests=50", "workers=2"});
    ScenarioContext ctx;
    ctx.seed = seed;
    std::vector<std::string> out;
    for (int pass = 0; pass < 2; ++pass) {
      std::string all;
      auto stream = s->open(names, ctx);
      trace::Record r;
      while (stream->next(r)) all += trace::format_record(r, names) + "\n";
      out.push_back(all);
    }
    return out;
  };
  auto one = records(1), two = records(2);
  EXPECT_EQ(one[0], one[1]);
  EXPECT_NE(one[0], two[0]);
}

TEST(ScenarioStream, TimeIsComputeAtTheConfiguredClock) {
  // A 1 MiB save at 1 MiB/s lasts 1 s: 3e9 cycles at 3000 MHz, 1.5e9 at 1500 MHz.
  auto compute = [](uint32_t mhz) {
    trace::NameTable names;
    auto s = make_scenario("redis-bgsave", {"dataset=1M", "disk_bandwidth=1M", "write_rate=0", "writes_before=0",
                                                 "writes_after=0"});
    ScenarioContext ctx;
    ctx.frequency_mhz = mhz;
    auto stream = s->open(names, ctx);
    uint64_t n = 0;
    trace::Record r;
    while (stream->next(r))
      if (r.op == trace::Op::kCompute && r.pid == 2) n += r.addr;
    return n;
  };
  EXPECT_EQ(compute(3000), 3'000'000'000u);
  EXPECT_EQ(compute(1500), 1'500'000'000u);
}

TEST(ScenarioParams, BadValuesAreInputErrorsNamingTheScenario) {
  trace::NameTable names;
  auto s = make_scenario("drill-write", {"heap=5000"});
  try {
    s->open(names, {});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("drill-write: heap must be a positive multiple of 4K"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_scenario("drill-write", {"heap=x"}), InputError);
  EXPECT_THROW(make_scenario("drill-write", {"nope=1"}), InputError);
  EXPECT_THROW(make_scenario("redis-bgsave", {"distribution=normal"}), InputError);
  EXPECT_THROW(make_scenario("no-such-scenario", {}), InputError);
}

TEST(Gen, WritesTheSameTraceTheRunSimulates) {
  std::string dir = temp_dir();
  ASSERT_EQ(cli("gen fork-cow --param heap=1M -o " + dir + "/t.cwb").code, 0);
  ASSERT_EQ(cli("run " + dir + "/t.cwb -q --out " + dir + "/a").code, 0);
  ASSERT_EQ(cli("run --scenario fork-cow --param heap=1M -q --out " + dir + "/b").code, 0);
  auto a = stable_stats(dir + "/a/stats.json"), b = stable_stats(dir + "/b/stats.json");
  EXPECT_FALSE(a.contains("scenario"));
  EXPECT_EQ(b["scenario"]["name"], "fork-cow");
  b.erase("scenario");
  EXPECT_EQ(a, b);
}

TEST(Gen, BadParameterLeavesNoFile) {
  std::string dir = temp_dir();
  CliResult r = cli("gen touch --param size=5000 -o " + dir + "/t.cwt");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("scenario touch: size must be a positive multiple of 4K"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(Run, SummaryShowsTheScenarioHeadlines) {
  CliResult r = cli("run --scenario drill-write --param heap=1M --out " + temp_dir());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("drill-write: 1.00 MiB heap"), std::string::npos) << r.out;
}

TEST(Docs, ScenarioReferenceListsEveryParameterAsTheCodeDeclaresIt) {
  // docs/scenarios.md embeds `cowsim scenarios --markdown` verbatim between markers.
  std::ifstream f(std::string(COWSIM_SOURCE_DIR) + "/docs/scenarios.md");
  std::stringstream ss;
  ss << f.rdbuf();
  CliResult r = cli("scenarios --markdown");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(ss.str().find(r.out), std::string::npos)
      << "docs/scenarios.md is out of date: regenerate it with scripts/update-docs.py (make docs)";
}

TEST(Random, PermutationIsABijection) {
  for (uint64_t n : {1ull, 2ull, 3ull, 1000ull, 4097ull, (1ull << 16) + 3}) {
    scenario::Permutation p(n, 42);
    std::vector<bool> seen(n);
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t x = p(i);
      ASSERT_LT(x, n);
      ASSERT_FALSE(seen[x]) << n;
      seen[x] = true;
    }
  }
}

TEST(Random, ZipfFollowsItsLaw) {
  // s = 1, n = 1000: P(rank 1) = 1 / H(1000) = 1 / 7.4855 = 0.1336, P(rank 2) = half of it.
  scenario::Zipf z(1000, 1.0);
  scenario::Rng rng(7);
  const int n = 200000;
  int ones = 0, twos = 0;
  for (int i = 0; i < n; ++i) {
    uint64_t k = z(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, 1000u);
    ones += k == 1;
    twos += k == 2;
  }
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.1336, 0.004);
  EXPECT_NEAR(static_cast<double>(twos) / n, 0.0668, 0.003);
}

}  // namespace
}  // namespace cowsim::test
