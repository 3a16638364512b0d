// The translation hardware in whole runs: the waveform (--vcd), a shared versus private LLC
// seen from a second core, and the window of outstanding accesses.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

namespace fs = std::filesystem;
const std::string kExamples = std::string(COWSIM_SOURCE_DIR) + "/traces/examples/";

// A VCD file's signals by full name ("system.core0.fault") and their value changes in order.
struct Vcd {
  std::map<std::string, std::string> id_of;
  std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> changes;  // by id
  uint64_t last_time = 0;

  explicit Vcd(const std::string& path) {
    std::ifstream in(path);
    std::string tok;
    std::vector<std::string> scope;
    uint64_t time = 0;
    while (in >> tok) {
      if (tok == "$scope") {
        std::string kind, name;
        in >> kind >> name;
        scope.push_back(name);
      } else if (tok == "$upscope") {
        scope.pop_back();
      } else if (tok == "$var") {
        std::string type, width, id, name;
        in >> type >> width >> id >> name;
        std::string full;
        for (size_t i = 1; i < scope.size(); ++i) full += scope[i] + ".";  // without "SystemC."
        id_of[full + name] = id;
      } else if (tok[0] == '#') {
        time = std::stoull(tok.substr(1));
        last_time = time;
      } else if (tok[0] == 'b') {
        std::string id;
        in >> id;
        changes[id].push_back({time, tok.substr(1)});
      } else if ((tok[0] == '0' || tok[0] == '1') && tok.size() > 1) {
        changes[tok.substr(1)].push_back({time, tok.substr(0, 1)});
      }
    }
  }
  size_t count(const std::string& signal, const std::string& value) {
    size_t n = 0;
    for (auto& [t, v] : changes[id_of.at(signal)]) n += v == value;
    return n;
  }
};

// Two cores that do not race: the child (on core 1) copies half the heap while the parent
// waits, then the parent writes everything (reusing the pages the child no longer shares).
const char* kForkWaitWrite = R"(cowsim-trace 1
1 mmap 0x7f0000000000 4M rw private,anon
1 w 0x7f0000000000 +4M /4K
1 fork 2
1 wait 2
1 w 0x7f0000000000 +4M /4K
1 exit
2 w 0x7f0000000000 +2M /4K
2 exit
)";

TEST(Waveform, VcdHasEveryCoresSignalsAndDoesNotChangeTheResults) {
  std::string with = temp_dir(), without = temp_dir();
  std::string vcd = with + "/run.vcd", trace = write_temp(kForkWaitWrite);
  CliResult a = cli("run " + trace + " -q --out " + with + " --vcd " + vcd);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_TRUE(a.err.empty()) << a.err;  // no SystemC notes on the terminal
  ASSERT_EQ(cli("run " + trace + " -q --out " + without).code, 0);
  nlohmann::json s = stable_stats(with + "/stats.json");
  EXPECT_EQ(s, stable_stats(without + "/stats.json"));  // tracing only observes

  Vcd w(vcd);
  for (std::string core : {"system.core0.", "system.core1."})
    for (std::string sig : {"state", "pid", "fault", "shootdown"}) EXPECT_TRUE(w.id_of.count(core + sig)) << core + sig;
  // Every page fault the cores took shows as one rising edge of its core's fault signal.
  EXPECT_EQ(w.count("system.core0.fault", "1") + w.count("system.core1.fault", "1"),
            at(s, "cores.0.faults") + at(s, "cores.1.faults"));
  EXPECT_EQ(at(s, "cores.0.faults"), 1024u + 1024u);  // zero-fill, then copies/reuses after the child's CoW
  EXPECT_EQ(at(s, "cores.1.faults"), 512u);            // the child's CoW copies
  // States 2 (TLB miss) and 3 (walking) happen once per walk (binary 10 and 11).
  EXPECT_EQ(w.count("system.core0.state", "11"), at(s, "cores.0.walker.walks"));
  // The waveform ends by the end of the simulation: 3 GHz, 333333 fs per cycle.
  EXPECT_LE(w.last_time, at(s, "sim.cycles") * 333333);
  EXPECT_FALSE(fs::exists(vcd + ".partial.vcd"));
}

TEST(Waveform, FailedRunLeavesNoWaveform) {
  std::string dir = temp_dir();
  // The trace is valid, so the waveform is open and written while it runs; the run then fails
  // at its end (a deadlock: nobody posts `never`), and the waveform must go.
  std::string bad = write_temp(
      "cowsim-trace 1\n1 mmap 0x7f0000000000 64K rw private,anon\n1 w 0x7f0000000000 +64K\n1 await never\n");
  CliResult r = cli("run " + bad + " -q --out " + dir + "/out --vcd " + dir + "/run.vcd");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("deadlock"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/run.vcd"));
  EXPECT_FALSE(fs::exists(dir + "/run.vcd.partial.vcd"));
}

// stats.json of a run of `trace` (one SystemC simulation per process: runs go through the CLI).
nlohmann::json run(const std::string& trace, const std::string& options) {
  std::string out = temp_dir();
  CliResult r = cli("run " + write_temp(trace) + " -q --out " + out + " " + options);
  EXPECT_EQ(r.code, 0) << r.err;
  return stable_stats(out + "/stats.json");
}

// The parent writes one line in each of 256 pages; the child, on the other core, reads them.
const char* kChildReadsOnCore1 = R"(cowsim-trace 1
1 mmap 0x7f0000000000 1M rw private,anon
1 w 0x7f0000000000 +1M /4K
1 fork 2
2 cpu 1
2 r 0x7f0000000000 +1M /4K
2 exit
1 wait 2
1 exit
)";

TEST(SharedLlc, SecondCoreFindsTheFirstCoresLinesInTheSharedLlc) {
  // The parent's stores brought each line into its L1D, L2 and the LLC (zeroing is streaming
  // and caches nothing). The child's reads miss core 1's private levels: with a shared LLC all
  // 256 hit there, with private LLCs all 256 go to DRAM.
  nlohmann::json shared = run(kChildReadsOnCore1, "");
  nlohmann::json priv = run(kChildReadsOnCore1, "--set memory.llc.shared=false");
  EXPECT_EQ(at(shared, "cores.1.caches.dram.data.accesses"), 0u);
  EXPECT_EQ(at(shared, "llc.data.hits"), 256u);
  EXPECT_EQ(at(priv, "cores.1.caches.dram.data.accesses"), 256u);
  EXPECT_EQ(at(priv, "cores.1.caches.llc.data.hits"), 0u);
  EXPECT_FALSE(priv.contains("llc"));
  EXPECT_EQ(at(shared, "processes.2.minflt"), 0u);  // reads of CoW-shared pages do not fault
}

TEST(Window, OverlappingAccessesShortenTheRunAndChangeNothingElse) {
  // 4096 reads over 16 resident pages: after the first pass, L1 TLB and mostly L1D hits.
  const char* trace = R"(cowsim-trace 1
1 mmap 0x7f0000000000 64K rw private,anon
1 w 0x7f0000000000 +64K /4K
1 r 0x7f0000000000 +64K /16
1 exit
)";
  nlohmann::json one = run(trace, "--set cores=1");
  nlohmann::json eight = run(trace, "--set cores=1 --set core.window=8");
  EXPECT_LT(at(eight, "sim.cycles"), at(one, "sim.cycles"));
  for (const char* same : {"cores.0.accesses", "cores.0.faults", "cores.0.walker.walks", "cores.0.tlb.l1d.hits",
                           "cores.0.caches.l1d.hits", "processes.1.minflt"})
    EXPECT_EQ(at(eight, same), at(one, same)) << same;
}

}  // namespace
}  // namespace cowsim::test
