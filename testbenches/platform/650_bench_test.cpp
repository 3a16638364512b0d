// `cowsim bench` smoke test: every workload at its tiny size, once (the speed targets are
// checked by the full-size benchmark, never by timed tests). Work counts are computed by hand
// from the workload definitions in platform/bench/workloads.cpp.
#include <gtest/gtest.h>

#include <fstream>

#include "platform/bench/generated_stream.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

nlohmann::json run_bench(const std::string& extra) {
  const std::string out = temp_dir() + "/bench.json";
  CliResult r = cli("bench --size tiny --repeat 1 -o " + out + " " + extra);
  EXPECT_EQ(r.code, 0) << r.err;
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

const nlohmann::json& workload(const nlohmann::json& result, const std::string& name) {
  for (const auto& w : result["workloads"])
    if (w["name"] == name) return w;
  throw std::runtime_error("no workload " + name);
}

TEST(Bench, GeneratedStreamPeeksTheRecordNextReturns) {
  // peek() feeds the executor's host prefetch of the next walk: it must announce exactly the
  // next record (head, generated, tail), consume nothing, and say nothing past the end.
  auto rec = [](trace::Op op, uint64_t addr) {
    trace::Record r;
    r.op = op;
    r.pid = 1;
    r.addr = addr;
    return r;
  };
  bench::GeneratedStream s("t", {rec(trace::Op::kWrite, 1), rec(trace::Op::kRead, 2)}, 5,
                           [&](uint64_t i, trace::Record& r) { r = rec(trace::Op::kRead, 100 + bench::mix64(i) % 64); },
                           {rec(trace::Op::kExit, 0)});
  std::vector<uint64_t> addrs;
  trace::Record r, ahead, again;
  for (;;) {
    const bool known = s.peek(ahead);
    ASSERT_EQ(known, s.peek(again));  // peeking twice consumes nothing
    if (!s.next(r)) {
      EXPECT_FALSE(known);
      break;
    }
    ASSERT_TRUE(known);
    EXPECT_EQ(ahead, r);
    EXPECT_EQ(again, r);
    addrs.push_back(r.addr);
  }
  ASSERT_EQ(addrs.size(), 8u);  // 2 head + 5 generated + 1 tail
  EXPECT_EQ(addrs[2], 100 + bench::mix64(0) % 64);
  EXPECT_EQ(addrs[6], 100 + bench::mix64(4) % 64);
  EXPECT_FALSE(s.next(r));  // stays at the end
  EXPECT_FALSE(s.peek(r));
}

TEST(Bench, EveryWorkloadRunsAtTinySize) {
  nlohmann::json r = run_bench("");
  EXPECT_EQ(r["size"], "tiny");
  ASSERT_EQ(r["workloads"].size(), 8u);
  // hit: 200,000 reads plus the 64 first writes that populate the 64 pages.
  EXPECT_EQ(workload(r, "hit")["work"], 200064u);
  // walk: 64 MiB populated (16,384 writes), then 100,000 random reads.
  EXPECT_EQ(workload(r, "walk")["work"], 116384u);
  // drill-write: 16 MiB = 4096 pages written by the parent, then by the child.
  EXPECT_EQ(workload(r, "drill-write")["work"], 8192u);
  EXPECT_EQ(workload(r, "drill-write")["ptes_forked"], 4096u);
  // processes: 200 children, each writes its 1 MiB = 256 pages; the parent maps nothing, so
  // its first fork copies no PTE.
  EXPECT_EQ(workload(r, "processes")["work"], 51200u);
  EXPECT_EQ(workload(r, "processes")["ptes_forked"], 0u);
  // fork-chain: pid 1 writes 64 KiB = 16 pages, which every fork of the chain copies.
  EXPECT_EQ(workload(r, "fork-chain")["work"], 16u);
  EXPECT_EQ(workload(r, "fork-chain")["ptes_forked"], 16u);
  // vmas: 1,000 one-page mappings, one write each, all forked.
  EXPECT_EQ(workload(r, "vmas")["work"], 1000u);
  EXPECT_EQ(workload(r, "vmas")["ptes_forked"], 1000u);
  // trace-read: 100,000 records, read once.
  EXPECT_EQ(workload(r, "trace-read")["work"], 100000u);
  for (const auto& w : r["workloads"]) {
    if (w["status"] == "pending") continue;  // redis-bgsave before its scenario exists
    EXPECT_EQ(w["status"], "measured") << w["name"];
    EXPECT_GT(w["host_seconds"].get<double>(), 0.0) << w["name"];
    EXPECT_GT(w["peak_rss_bytes"].get<uint64_t>(), 0u) << w["name"];
    EXPECT_GT(w["bare_host_seconds"].get<double>(), 0.0) << w["name"];
    // The bare baseline does the same accesses.
    if (w["name"] != "trace-read") {
      EXPECT_EQ(w["bare_work"], w["work"]) << w["name"];
    }
    EXPECT_FALSE(w.contains("targets")) << "targets apply to the full size only";
  }
  // Its bare baseline counts 16-byte slots: the header, the mmap's 2, 99,998 single accesses,
  // the exit and the end-of-trace record.
  EXPECT_EQ(workload(r, "trace-read")["bare_work"], 100003u);
}

TEST(Bench, OneWorkloadOnly) {
  nlohmann::json r = run_bench("--workload drill-write");
  ASSERT_EQ(r["workloads"].size(), 1u);
  EXPECT_EQ(r["workloads"][0]["name"], "drill-write");
}

TEST(Bench, ScalingWorkloadsTakeACount) {
  // processes=3: 3 children x 256 pages; vmas=5: 5 one-page mappings written and forked.
  nlohmann::json r = run_bench("--workload processes=3 --workload vmas=5 --workload fork-chain=4");
  ASSERT_EQ(r["workloads"].size(), 3u);
  EXPECT_EQ(workload(r, "processes")["work"], 768u);
  EXPECT_EQ(workload(r, "processes")["bare_work"], 768u);
  EXPECT_EQ(workload(r, "vmas")["work"], 5u);
  EXPECT_EQ(workload(r, "vmas")["ptes_forked"], 5u);
  EXPECT_EQ(workload(r, "fork-chain")["work"], 16u);
}

TEST(Bench, BadArgumentsAreInputErrors) {
  CliResult a = cli("bench --size huge");
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.err.find("--size must be tiny or full, got 'huge'"), std::string::npos) << a.err;
  CliResult b = cli("bench --size tiny --workload nope");
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("unknown workload 'nope' (workloads: hit, walk, drill-write, redis-bgsave, trace-read, processes, "
                          "fork-chain, vmas)"),
            std::string::npos)
      << b.err;
  CliResult e = cli("bench --size tiny --workload processes=1x");
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.err.find("workload 'processes=1x': the count must be an integer from 2 to 1000000"), std::string::npos)
      << e.err;
  CliResult f = cli("bench --size tiny --workload hit=5");
  EXPECT_EQ(f.code, 2);
  EXPECT_NE(f.err.find("workload 'hit' takes no count"), std::string::npos) << f.err;
  CliResult c = cli("bench --size tiny --repeat 0");
  EXPECT_EQ(c.code, 2);
  CliResult d = cli("bench --size tiny --workload hit -o /nonexistent-dir/x.json");
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.err.find("/nonexistent-dir/x.json: cannot write the result file"), std::string::npos) << d.err;
}

}  // namespace
}  // namespace cowsim::test
