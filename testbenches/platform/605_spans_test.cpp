// Spans (request latency) end to end on hand-built traces. Only `compute` runs between the
// span records, at core.ipc = 1 and 3000 MHz (3 cycles per ns), so every latency follows from
// the instruction counts; all of them are below 1024 cycles, where the histogram is exact,
// or are checked through max/mean, which are exact everywhere.
#include <gtest/gtest.h>

#include "platform/sim_config.h"
#include "platform/system.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

const std::vector<std::string> kIpc1 = {"core.ipc=1", "core.frequency_mhz=3000"};

// Arrival now, in the past (queued behind earlier work) and in the future (the process waits).
TEST(Spans, ArrivalNowPastAndFuture) {
  const std::string spans = R"(cowsim-trace 1
1 span begin a          # arrives at T (now)
1 compute 600
1 span end a            # latency 600
1 span begin b at +100  # arrives T + 100 ns = T + 300 cycles; the process is at T + 600: waits 300
1 compute 900
1 span end b            # latency 300 + 900 = 1200
1 span begin b at +1000 # arrives T + 300 + 3000 = T + 3300; the process is at T + 1500: idles 1800
1 compute 60
1 span end b            # latency 60
1 exit
)";
  RunResult r = run_text(spans, kIpc1);
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "spans.a.count"), 1u);
  EXPECT_EQ(at(s, "spans.a.max"), 600u);
  EXPECT_EQ(at(s, "spans.a.p50"), 600u);
  EXPECT_EQ(at(s, "spans.b.count"), 2u);
  EXPECT_EQ(at(s, "spans.b.max"), 1200u);
  EXPECT_DOUBLE_EQ(s["spans"]["b"]["mean"].get<double>(), (1200.0 + 60.0) / 2);
  EXPECT_EQ(at(s, "spans.b.p50"), 60u);  // the smaller of two: 50% of the samples lie at or below it
  EXPECT_EQ(at(s, "spans.b.processes.1.count"), 2u);
  EXPECT_FALSE(s["spans"]["b"].contains("before"));  // no window span: no split
  // Span records are not counted as records and take no time: 3 computes and the exit.
  EXPECT_EQ(at(s, "processes.1.records"), 4u);
  EXPECT_EQ(at(s, "cores.0.records"), 4u);
  // The core is busy for the switch-in, 600 + 900 + 60 and the exit; the run ends
  // 1800 cycles later than that, the idle wait for the last arrival (the 300-cycle queueing
  // of b is time the core spent busy on a).
  EXPECT_EQ(at(s, "sim.cycles") - at(s, "cores.0.cycles"), 1800u);
}

// An absolute arrival time: ns since the simulation began.
TEST(Spans, AbsoluteArrival) {
  RunResult r = run_text(R"(cowsim-trace 1
1 span begin p          # arrives at T, when the process first runs
1 compute 9000
1 span begin q at 1000  # arrives at 1000 ns = cycle 3000, in the past
1 compute 30
1 span end q            # latency T + 9030 - 3000
1 span end p            # latency 9030
1 exit
)",
                         kIpc1);
  // The process first runs after the switch onto the idle core: a context switch and a full
  // TLB flush (the core had no mm loaded), from cycle 0.
  ConfigSources src;
  src.overrides = kIpc1;
  const KernelCosts k = kernel_params(load_config(src)).cost;
  const uint64_t t = k.context_switch + k.full_flush;
  ASSERT_GT(t + 9030, 3000u);
  EXPECT_EQ(at(r.stats, "spans.p.max"), 9030u);
  EXPECT_EQ(at(r.stats, "spans.q.max"), t + 9030 - 3000);
}

// Nested spans within a process, and the same name in a parent and its forked child: per
// process and over all processes.
TEST(Spans, NestedSpansAndProcesses) {
  RunResult r = run_text(R"(cowsim-trace 1
1 fork 2
1 span begin outer
1 span begin req
1 compute 300
1 span end req        # 300
1 compute 600
1 span end outer      # 900
1 wait 2
1 exit
2 span begin req
2 compute 900
2 span end req        # 900
2 exit
)",
                         {"core.ipc=1", "cores=2"});
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "spans.req.count"), 2u);
  EXPECT_EQ(at(s, "spans.req.p50"), 300u);
  EXPECT_EQ(at(s, "spans.req.max"), 900u);
  EXPECT_DOUBLE_EQ(s["spans"]["req"]["mean"].get<double>(), 600.0);
  EXPECT_EQ(at(s, "spans.req.processes.1.max"), 300u);
  EXPECT_EQ(at(s, "spans.req.processes.2.max"), 900u);
  EXPECT_EQ(at(s, "spans.outer.count"), 1u);
  EXPECT_EQ(at(s, "spans.outer.max"), 900u);
  EXPECT_FALSE(s["spans"]["outer"]["processes"].contains("2"));
}

// The window span splits the others by arrival: a span that arrived before the window opened
// is "before" even when it ends inside it.
TEST(Spans, WindowSplitsByArrival) {
  RunResult r = run_text(R"(cowsim-trace 1
1 span begin x
1 compute 30
1 span end x          # before: 30
1 span begin x        # arrives before the window ...
1 compute 300
1 span window w       # the window opens
1 compute 300
1 span end x          # ... ends inside it: before, 600
1 span begin x
1 compute 90
1 span end x          # during: 90
1 span end w          # the window closes (open 390 cycles)
1 span begin x
1 compute 900
1 span end x          # after: 900
1 exit
)",
                         kIpc1);
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "spans.x.count"), 4u);
  EXPECT_EQ(at(s, "spans.x.before.count"), 2u);
  EXPECT_EQ(at(s, "spans.x.before.max"), 600u);
  EXPECT_EQ(at(s, "spans.x.before.p50"), 30u);
  EXPECT_EQ(at(s, "spans.x.during.count"), 1u);
  EXPECT_EQ(at(s, "spans.x.during.max"), 90u);
  EXPECT_EQ(at(s, "spans.x.after.count"), 1u);
  EXPECT_EQ(at(s, "spans.x.after.max"), 900u);
  EXPECT_EQ(at(s, "spans.w.max"), 390u);  // 300 + 90
  EXPECT_EQ(at(s, "spans.w.window.end_cycle") - at(s, "spans.w.window.begin_cycle"), 390u);
  EXPECT_FALSE(s["spans"]["w"].contains("before"));  // the window is not split by itself
}

// Bad span pairing is an input error at the offending line, exit code 2.
TEST(Spans, PairingErrors) {
  auto run = [](const std::string& body) { return cli("run " + write_temp("cowsim-trace 1\n" + body) + " -o " + temp_dir() + "/o"); };
  CliResult c = run("1 compute 5\n1 span end q\n1 exit\n");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find(".cwt:3: span end 'q' without a matching span begin in process 1"), std::string::npos) << c.err;
  c = run("1 span begin q\n1 compute 5\n1 exit\n");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find(".cwt:2: span 'q' never ends (process 1 exits at"), std::string::npos) << c.err;
  c = run("1 span begin q\n1 compute 5\n");  // the trace just ends
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find(".cwt:2: span 'q' never ends (process 1 reaches the end of its trace)"), std::string::npos) << c.err;
  c = run("1 span end q\n1 span begin q\n");  // ends close the latest begin of their name only
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find(".cwt:2: span end 'q' without"), std::string::npos) << c.err;
  c = run("1 span window a\n1 span end a\n1 span window b\n1 span end b\n1 exit\n");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find(".cwt:4: a second window span"), std::string::npos) << c.err;
  c = run("1 span begin " + std::string(1025, 'n') + "\n");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find(".cwt:2: name must be 1..1024 bytes"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace cowsim::test
