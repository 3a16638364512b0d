// The cowsim command line as users meet it: exit codes, messages that name the problem, and
// result files that appear only when a run succeeds.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"
#include "traces/trace_io.h"

namespace cowsim::test {
namespace {

namespace fs = std::filesystem;
const std::string kExamples = std::string(COWSIM_SOURCE_DIR) + "/traces/examples/";

TEST(Cli, RunWritesStatsConfigAndSmapsAndPrintsASummary) {
  std::string out = temp_dir();
  CliResult r = cli("run " + kExamples + "touch-1m.cwt --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("256"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out + "/stats.json"));
  EXPECT_TRUE(fs::exists(out + "/config.json"));
  EXPECT_FALSE(fs::exists(out + "/.cowsim-staging"));
  std::ifstream txt(out + "/stats.txt");
  std::string line;
  bool found = false;
  while (std::getline(txt, line))
    if (line.rfind("processes.1.minflt 256 # ", 0) == 0) found = true;
  EXPECT_TRUE(found) << "stats.txt lacks `path value # description` for minflt";
  // config.json holds every parameter, defaults resolved.
  auto cfg = nlohmann::json::parse(std::ifstream(out + "/config.json"));
  EXPECT_EQ(cfg["tlb"]["l1d"]["a"]["entries"], 64);
  EXPECT_EQ(cfg["tlb"]["stlb"]["a"]["sizes"], "4K+2M");
  EXPECT_EQ(cfg["walker"]["levels"], 4);
  EXPECT_TRUE(cfg["kernel"]["cost"].contains("fork_per_pte"));
  EXPECT_EQ(cfg["memory"]["dram"]["latency"], 240);
}

TEST(Cli, HistogramsExportEveryLatencyHistogramsBins) {
  std::string out = temp_dir(), dir = temp_dir(), csv = temp_dir() + "/all.csv";
  CliResult r = cli("run " + kExamples + "touch-1m.cwt -q --out " + out + " --histograms " + csv);
  ASSERT_EQ(r.code, 0) << r.err;
  r = cli("run " + kExamples + "touch-1m.cwt -q --out " + out + " --histograms " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  auto stats = stable_stats(out + "/stats.json");
  // The one-file CSV: per histogram, the bin counts add up to its `count` statistic.
  std::ifstream f(csv);
  std::string line;
  std::getline(f, line);
  EXPECT_EQ(line, "histogram,unit,lower,upper,count");
  std::map<std::string, uint64_t> sums;
  while (std::getline(f, line)) {
    std::stringstream ls(line);
    std::string name, unit, lower, upper, count;
    std::getline(ls, name, ',');
    std::getline(ls, unit, ',');
    std::getline(ls, lower, ',');
    std::getline(ls, upper, ',');
    std::getline(ls, count, ',');
    EXPECT_LT(std::stoull(lower), std::stoull(upper)) << line;
    sums[name] += std::stoull(count);
  }
  ASSERT_FALSE(sums.empty());
  for (const auto& [name, n] : sums) {
    EXPECT_EQ(n, at(stats, name + ".count")) << name;
    EXPECT_TRUE(fs::exists(dir + "/" + name + ".csv")) << name;
  }
  // touch-1m writes 1 MiB once: 256 zero-fill faults, all in the histogram's bins.
  EXPECT_EQ(sums["kernel.faults.anon_zero_fill.latency"], 256u);
}

TEST(Cli, RunWithoutATraceRunsTheDefaultScenario) {
  // What `make run` does.
  std::string out = temp_dir();
  CliResult r = cli("run --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("scenario fork-cow"), std::string::npos) << r.out;
  // 64 MiB heap, child writes half of it: 8192 copies.
  EXPECT_EQ(at(stable_stats(out + "/stats.json"), "processes.2.faults.cow_copy"), 8192u);
}

TEST(Cli, EveryExampleTraceRunsOnTheDefaultSystem) {
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    CliResult r = cli("run " + entry.path().string() + " -q --out " + temp_dir());
    EXPECT_EQ(r.code, 0) << entry.path() << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << "--quiet printed: " << r.out;
  }
}

TEST(Cli, EveryPresetRunsAndFiveLevelPresetsReadFiveLevels) {
  CliResult list = cli("presets");
  std::istringstream names(list.out);
  std::string line;
  int ran = 0;
  while (std::getline(names, line)) {
    std::string name = line.substr(0, line.find(' '));
    std::string out = temp_dir();
    CliResult r = cli("run " + kExamples + "touch-1m.cwt -q --preset " + name + " --out " + out);
    ASSERT_EQ(r.code, 0) << name << ": " << r.err;
    auto s = stable_stats(out + "/stats.json");
    auto cfg = nlohmann::json::parse(std::ifstream(out + "/config.json"));
    bool five = cfg["walker"]["levels"] == 5;
    // A cold walk of the first page reads every level down to the missing one; a 5-level
    // system reads PML5 entries, a 4-level one has none to read.
    EXPECT_EQ(s["cores"]["0"]["walker"]["pte_reads_by_level"].contains("pml5e"), five) << name;
    if (five) EXPECT_GT(at(s, "cores.0.walker.pte_reads_by_level.pml5e"), 0u) << name;
    EXPECT_EQ(at(s, "processes.1.faults.anon_zero_fill"), 256u) << name;
    ++ran;
  }
  EXPECT_GE(ran, 5);
}

TEST(Cli, BinaryTraceGivesIdenticalStatistics) {
  std::string dir = temp_dir();
  trace::convert_trace(kExamples + "fork-cow.cwt", dir + "/fork-cow.cwb");
  ASSERT_EQ(cli("run " + kExamples + "fork-cow.cwt --out " + dir + "/text").code, 0);
  ASSERT_EQ(cli("run " + dir + "/fork-cow.cwb --out " + dir + "/bin").code, 0);
  EXPECT_EQ(stable_stats(dir + "/text/stats.json"), stable_stats(dir + "/bin/stats.json"));
}

TEST(Cli, SameInputsGiveBitIdenticalStatistics) {
  std::string dir = temp_dir();
  for (const char* run : {"a", "b"})
    ASSERT_EQ(cli(std::string("run --scenario fork-cow --param heap=8M --set cores=2 --out ") + dir + "/" + run).code, 0);
  EXPECT_EQ(stable_stats(dir + "/a/stats.json"), stable_stats(dir + "/b/stats.json"));
}

TEST(Cli, MalformedTraceIsRejectedWithFileAndLineAndNoResults) {
  std::string trace = write_temp("cowsim-trace 1\n1 mmap 0x7f0000000000 1M rw private,anon\n1 jump 0x10\n");
  std::string out = temp_dir();
  CliResult r = cli("run " + trace + " --out " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(trace + ":3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("jump"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/stats.json"));
}

TEST(Cli, ErrorInTheLastLineStillWritesNothing) {
  // The whole trace is validated before the simulation starts.
  std::string trace = write_temp("cowsim-trace 1\n1 mmap 0x7f0000000000 1M rw private,anon\n1 w 0x7f0000000000 +1M\n1 w 0x800000000000000000\n");
  std::string out = temp_dir();
  CliResult r = cli("run " + trace + " --out " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(":4:"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/stats.json"));
}

TEST(Cli, TruncatedBinaryTraceNamesTheByteOffset) {
  std::string dir = temp_dir();
  trace::convert_trace(kExamples + "touch-1m.cwt", dir + "/t.cwb");
  fs::resize_file(dir + "/t.cwb", fs::file_size(dir + "/t.cwb") - 5);
  CliResult r = cli("run " + dir + "/t.cwb --out " + dir + "/out");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("byte"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/out/stats.json"));
}

TEST(Cli, RecordAfterExitAndWaitForAStrangerAreRejected) {
  CliResult a = cli("run " + write_temp("cowsim-trace 1\n1 exit\n1 compute 5\n") + " --out " + temp_dir());
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.err.find("after its exit"), std::string::npos) << a.err;
  CliResult b = cli("run " + write_temp("cowsim-trace 1\n1 wait 7\n") + " --out " + temp_dir());
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("has not forked"), std::string::npos) << b.err;
  CliResult c = cli("run " + write_temp("cowsim-trace 1\n1 cpu 9\n") + " --out " + temp_dir());
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("cpu 9"), std::string::npos) << c.err;
}

TEST(Cli, BadConfigurationNamesTheKeyAndTheChoices) {
  CliResult a = cli("run --set tlb.l1d.a.policy=fifo --out " + temp_dir());
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.err.find("lru|plru|random"), std::string::npos) << a.err;
  CliResult b = cli("run --set tlb.l2.entries=5 --out " + temp_dir());
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("tlb.l2.entries"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("l1d"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("stlb"), std::string::npos) << b.err;
  CliResult c = cli("run --preset nosuch --out " + temp_dir());
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("default"), std::string::npos) << c.err;
  CliResult d = cli("run --scenario nosuch --out " + temp_dir());
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.err.find("fork-cow"), std::string::npos) << d.err;
  CliResult e = cli("run --scenario touch --param size=abc --out " + temp_dir());
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.err.find("size"), std::string::npos) << e.err;
  std::string bad_json = write_temp("{ \"cores\": 2, }", ".json");
  CliResult f = cli("run --config " + bad_json + " --out " + temp_dir());
  EXPECT_EQ(f.code, 2);
  EXPECT_NE(f.err.find(bad_json), std::string::npos) << f.err;
}

TEST(Cli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(cli("").code, 2);
  EXPECT_EQ(cli("frobnicate").code, 2);
  EXPECT_EQ(cli("run --no-such-option").code, 2);
  EXPECT_EQ(cli("trace").code, 2);
  EXPECT_EQ(cli("run /nonexistent/trace.cwt --out " + temp_dir()).code, 2);
  EXPECT_EQ(cli("--help").code, 0);
  EXPECT_EQ(cli("run --help").code, 0);
}

TEST(Cli, GenWritesAScenarioAsATraceThatRunsLikeTheScenario) {
  std::string dir = temp_dir();
  ASSERT_EQ(cli("gen fork-cow --param heap=4M -o " + dir + "/s.cwb").code, 0);
  ASSERT_EQ(cli("run " + dir + "/s.cwb --out " + dir + "/file").code, 0);
  ASSERT_EQ(cli("run --scenario fork-cow --param heap=4M --out " + dir + "/scen").code, 0);
  EXPECT_EQ(stable_stats(dir + "/file/stats.json")["processes"], stable_stats(dir + "/scen/stats.json")["processes"]);
  EXPECT_EQ(at(stable_stats(dir + "/scen/stats.json"), "processes.2.faults.cow_copy"), 512u);  // 50% of 1024 pages
}

TEST(Cli, ListingsNameEveryPresetAndScenario) {
  CliResult p = cli("presets");
  EXPECT_EQ(p.code, 0);
  EXPECT_NE(p.out.find("default"), std::string::npos);
  EXPECT_NE(p.out.find("tiny-tlb"), std::string::npos);
  CliResult s = cli("scenarios");
  EXPECT_EQ(s.code, 0);
  EXPECT_NE(s.out.find("fork-cow"), std::string::npos);
  EXPECT_NE(s.out.find("--param heap="), std::string::npos);
}

TEST(Cli, SnapshotsAreWrittenInLinuxSmapsLayout) {
  std::string out = temp_dir();
  ASSERT_EQ(cli("run --scenario fork-cow --param heap=1M --out " + out).code, 0);
  std::ifstream f(out + "/smaps/after-fork/2.smaps");
  std::string header, size;
  std::getline(f, header);
  std::getline(f, size);
  EXPECT_EQ(header, "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ");
  EXPECT_EQ(size, "Size:               1024 kB");
}

}  // namespace
}  // namespace cowsim::test
