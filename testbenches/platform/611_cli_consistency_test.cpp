// One rule across commands: -o/--out names every output (--output kept as an alias), sizes
// read the same everywhere, output folders are never mixed with a user's files, and every
// heap-owning scenario has the same thp switch.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "platform/scenarios/scenario.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(CliConsistency, EveryCommandNamesItsOutputDashOAndDashDashOut) {
  for (const char* cmd : {"run", "gen", "bench", "import lackey", "capture"}) {
    CliResult r = cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("-o [ --out ]"), std::string::npos) << cmd << ":\n" << r.out;
  }
  std::string dir = temp_dir();
  // The three spellings of gen's output write the same trace.
  for (const char* opt : {"-o", "--out", "--output"})
    ASSERT_EQ(cli("gen touch --param size=8K " + std::string(opt) + " " + dir + "/t" + opt + ".cwt").code, 0) << opt;
  EXPECT_EQ(slurp(dir + "/t-o.cwt"), slurp(dir + "/t--output.cwt"));
  EXPECT_EQ(slurp(dir + "/t--out.cwt"), slurp(dir + "/t--output.cwt"));
  // run takes -o as well as --out.
  ASSERT_EQ(cli("run -q --scenario touch --param size=8K -o " + dir + "/run").code, 0);
  EXPECT_TRUE(fs::exists(dir + "/run/stats.json"));
}

TEST(CliConsistency, ForeignNonEmptyFolderIsRefusedBeforeSimulating) {
  std::string dir = temp_dir();
  std::ofstream(dir + "/notes.txt") << "mine\n";
  CliResult r = cli("run --scenario touch --param size=8K -o " + dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(dir + ": the output folder is not empty and holds no earlier cowsim results"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir + "/stats.json"));
  EXPECT_EQ(slurp(dir + "/notes.txt"), "mine\n");
  EXPECT_EQ(r.out, "");  // refused before the simulation, not after it
  // A file where the folder should be.
  r = cli("run --scenario touch --param size=8K -o " + dir + "/notes.txt");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("notes.txt: exists and is not a folder"), std::string::npos) << r.err;
}

TEST(CliConsistency, EarlierResultsAreReplacedWithANoteOnStderr) {
  std::string dir = temp_dir() + "/out";
  CliResult first = cli("run --scenario touch --param size=8K -o " + dir);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(first.err.find("replacing"), std::string::npos) << first.err;  // a new folder
  std::ofstream(dir + "/my-plot.png") << "x";  // a user's file beside the results stays
  CliResult second = cli("run --scenario touch --param size=16K -o " + dir);
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.err.find("replacing the results of an earlier run in " + dir), std::string::npos) << second.err;
  EXPECT_NE(slurp(dir + "/stats.json").find("\"size\": 16384"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/my-plot.png"));
  // -q: nothing printed on success, the note included.
  CliResult quiet = cli("run -q --scenario touch --param size=8K -o " + dir);
  EXPECT_EQ(quiet.code, 0);
  EXPECT_EQ(quiet.err, "");
  // A folder holding only the staging folder a failed run left behind is cowsim's too.
  std::string staged = temp_dir();
  fs::create_directories(staged + "/.cowsim-staging/smaps");
  CliResult st = cli("run --scenario touch --param size=8K -o " + staged);
  EXPECT_EQ(st.code, 0) << st.err;
  EXPECT_FALSE(fs::exists(staged + "/.cowsim-staging"));
  EXPECT_TRUE(fs::exists(staged + "/stats.json"));
  // An empty folder is fine and not "replaced".
  std::string empty = temp_dir();
  CliResult e = cli("run --scenario touch --param size=8K -o " + empty);
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.err.find("replacing"), std::string::npos);
}

TEST(CliConsistency, HelpListsVersion) {
  CliResult h = cli("--help");
  EXPECT_NE(h.out.find("--version"), std::string::npos) << h.out;
  CliResult v = cli("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("cowsim ", 0), 0u) << v.out;
}

TEST(CliConsistency, SizesReadTheSameInParamsSetAndTraces) {
  std::string dir = temp_dir();
  // --param: 1.5M = 1.5 x 2^20 = 1572864; --set: 8GB = 8 x 2^30 = 8589934592.
  CliResult r = cli("run -q --scenario touch --param size=1.5M --set memory.size=8GB -o " + dir + "/a");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string stats = slurp(dir + "/a/stats.json"), config = slurp(dir + "/a/config.json");
  EXPECT_NE(stats.find("\"size\": 1572864"), std::string::npos);
  EXPECT_NE(config.find("\"size\": 8589934592"), std::string::npos);
  // The same heap as a trace length: 384 pages either way.
  std::string t = write_temp("cowsim-trace 1\n1 mmap 0x7f0000000000 1.5MiB rw private,anon\n1 w 0x7f0000000000 +1.5MB\n1 exit\n");
  ASSERT_EQ(cli("run -q " + t + " -o " + dir + "/b").code, 0);
  EXPECT_NE(slurp(dir + "/b/stats.json").find("\"anon_zero_fill\": 384"), std::string::npos);
  // A fraction of a byte is an error naming the key.
  r = cli("run --scenario touch --param size=1.1K -o " + dir + "/c");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("parameter 'size': invalid value \"1.1K\" (expected a whole number"), std::string::npos) << r.err;
  r = cli("run --set memory.size=lots -o " + dir + "/d");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'memory.size'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("like 4096, 0x1000, 64K, 8GB or 1.5GiB"), std::string::npos) << r.err;
}

// The records of a scenario's stream up to its first access: its mmaps and their advice.
std::vector<trace::Record> prologue(const std::string& name, const std::vector<std::string>& params) {
  trace::NameTable names;
  auto s = make_scenario(name, params);
  auto stream = s->open(names, {});
  std::vector<trace::Record> out;
  trace::Record r;
  while (stream->next(r) && r.op != trace::Op::kWrite && r.op != trace::Op::kRead) out.push_back(r);
  return out;
}

TEST(CliConsistency, EveryScenarioHasTheSameThpSwitch) {
  const std::map<std::string, std::string> small = {
      {"touch", "size=4M"}, {"redis-bgsave", "dataset=4M"}, {"thp-one-byte", "heap=4M"}, {"dontfork", "heap=4M"},
      {"wipeonfork", "heap=4M"}, {"random-access", "heap=4M"}};
  for (auto& sc : all_scenarios()) {
    std::string name = sc->name();
    ParamRegistry r;
    sc->declare(r);
    const ParamInfo* p = r.find("thp");
    ASSERT_NE(p, nullptr) << name << " has no thp parameter";
    EXPECT_EQ(p->range, "auto|on|off") << name;
    std::string size = small.count(name) ? small.at(name) : "heap=4M";
    for (const char* v : {"auto", "on", "off"}) {
      auto recs = prologue(name, {size, std::string("thp=") + v});
      int huge = 0, nohuge = 0;
      for (const auto& rec : recs)
        if (rec.op == trace::Op::kMadvise && rec.addr == 0x7f0000000000) {
          huge += rec.advice == trace::Advice::kHugepage;
          nohuge += rec.advice == trace::Advice::kNohugepage;
        }
      // on: MADV_HUGEPAGE on the heap; off: MADV_NOHUGEPAGE; auto: no advice at all.
      EXPECT_EQ(huge, std::string(v) == "on" ? 1 : 0) << name << " thp=" << v;
      EXPECT_EQ(nohuge, std::string(v) == "off" ? 1 : 0) << name << " thp=" << v;
    }
  }
  // The defaults: auto everywhere (unchanged traces), except thp-one-byte, which is about huge pages.
  for (auto& sc : all_scenarios()) {
    ParamRegistry r;
    sc->declare(r);
    EXPECT_EQ(r.find("thp")->get(), std::string(sc->name()) == "thp-one-byte" ? "on" : "auto") << sc->name();
  }
}

}  // namespace
}  // namespace cowsim::test
