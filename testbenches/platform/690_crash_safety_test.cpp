// Crash-safe outputs (docs/reliability.md): a run killed with SIGKILL at a random moment
// leaves its --out folder holding either the complete results that were there before, the
// complete new results, or no stats.json at all; never a stats.json beside files of another
// run or half-written files. The runs here write ~1900 smaps files, so a good share of the
// kills land while results are being written.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <map>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"

extern char** environ;

namespace cowsim::test {
namespace {

namespace fs = std::filesystem;

// 31 processes: the parent writes `mib` MiB and forks 30 children, takes `snapshots` smaps
// snapshots (31 files each) labelled PREFIX<k>, and each child writes 64 KiB.
std::string trace_text(char prefix, int snapshots, int mib) {
  std::string t = "cowsim-trace 1\n1 mmap 0x7f0000000000 64M rw private,anon\n1 w 0x7f0000000000 +" +
                  std::to_string(mib) + "M\n";
  for (int i = 2; i <= 31; ++i) t += "1 fork " + std::to_string(i) + "\n";
  for (int k = 0; k < snapshots; ++k) t += std::string("1 snapshot ") + prefix + std::to_string(k) + "\n";
  t += "1 post done\n";
  for (int i = 2; i <= 31; ++i) t += "1 wait " + std::to_string(i) + "\n";
  t += "1 exit\n";
  for (int i = 2; i <= 31; ++i)
    t += std::to_string(i) + " w 0x7f0000000000 +64K\n" + std::to_string(i) + " await done\n" + std::to_string(i) + " exit\n";
  return t;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What the folder holds: 'A' or 'B' for one run's complete results, 'N' for no stats.json.
// Fails the test if stats.json is there with anything that is not its own run's, complete.
char state_of(const std::string& out, const std::map<char, uint64_t>& accesses, int snapshots) {
  if (!fs::exists(out + "/stats.json")) return 'N';
  auto stats = nlohmann::json::parse(slurp(out + "/stats.json"));  // throws if half-written
  auto config = nlohmann::json::parse(slurp(out + "/config.json"));
  char run = config["seed"] == 1 ? 'A' : 'B';
  EXPECT_EQ(stats["sim"]["accesses"].get<uint64_t>(), accesses.at(run)) << "stats.json and config.json of different runs";
  EXPECT_NE(slurp(out + "/stats.txt").find("sim.accesses " + std::to_string(accesses.at(run)) + " #"), std::string::npos)
      << "stats.txt of another run";
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(out + "/smaps")) {
    if (!e.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(e.path().parent_path().filename().string()[0], run == 'A' ? 'a' : 'b') << e.path();
  }
  EXPECT_EQ(files, size_t(snapshots) * 31) << "smaps incomplete or mixed";
  return run;
}

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

TEST(CrashSafety, KillNineAtRandomMomentsLeavesPreviousCompleteResultsOrNone) {
  constexpr int kSnapshots = 60, kKills = 60;
  std::string dir = temp_dir(), out = dir + "/out";
  std::string a = write_temp(trace_text('a', kSnapshots, 8)), b = write_temp(trace_text('b', kSnapshots, 12));
  auto args = [&](const std::string& trace, int seed) {
    return std::vector<std::string>{COWSIM_BINARY, "run", trace, "-q", "--set", "seed=" + std::to_string(seed), "--out", out};
  };
  // Unkilled runs: B's duration sets the range of kill times; A's results are the "before".
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(cli("run " + b + " -q --set seed=2 --out " + out).code, 0);
  const double run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::map<char, uint64_t> accesses;
  accesses['B'] = nlohmann::json::parse(slurp(out + "/stats.json"))["sim"]["accesses"].get<uint64_t>();
  ASSERT_EQ(cli("run " + a + " -q --set seed=1 --out " + out).code, 0);
  accesses['A'] = nlohmann::json::parse(slurp(out + "/stats.json"))["sim"]["accesses"].get<uint64_t>();
  // A: 8 MiB / 4 KiB + 30 x 16 = 2528 accesses; B: 12 MiB / 4 KiB + 480 = 3552.
  ASSERT_EQ(accesses['A'], 2528u);
  ASSERT_EQ(accesses['B'], 3552u);
  std::mt19937_64 rng(13);
  std::map<std::string, int> outcomes;
  char before = state_of(out, accesses, kSnapshots);
  ASSERT_EQ(before, 'A');
  for (int i = 0; i < kKills; ++i) {
    bool to_b = i % 2 == 0;  // alternate the run being killed, so "before" is A or B
    pid_t pid = spawn(args(to_b ? b : a, to_b ? 2 : 1));
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(std::uniform_real_distribution<>(0, 1.2 * run_seconds)(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    char after = state_of(out, accesses, kSnapshots);
    char self = to_b ? 'B' : 'A';
    const bool finished = WIFEXITED(status);
    if (finished) EXPECT_EQ(after, self) << "run " << i << " exited " << WEXITSTATUS(status);
    else EXPECT_TRUE(after == before || after == 'N' || after == self) << "run " << i << ": " << before << " -> " << after;
    const bool staging = fs::exists(out + "/.cowsim-staging");
    ++outcomes[finished          ? "finished"
               : after == 'N'    ? "killed while replacing results: none left"
               : after != before ? "killed after the new results were in place"
               : staging         ? "killed while writing the new results: previous kept"
                                 : "killed while simulating: previous kept"];
    if (HasFailure()) break;
    before = after;
  }
  for (const auto& [what, n] : outcomes) std::printf("kill -9 test: %s: %d\n", what.c_str(), n);
}

TEST(CrashSafety, KillAtEveryStepOfTheReplacementLeavesPreviousCompleteResultsOrNone) {
  // write_outputs replaces results in 15 steps (platform/outputs.cpp, step(): 2, then 2 for
  // each of stats.txt, config.json, histograms.json, timeseries.csv and smaps, then 3); run B
  // is killed at each over run A's results. Before stats.json moves aside (steps 1-2) A's
  // results stay; from then until B's stats.json is in place (3-13) there is no stats.json;
  // after it (14-15) B's results are complete; leftovers are removed by the next run.
  constexpr int kSnapshots = 2;
  std::string dir = temp_dir(), out = dir + "/out";
  std::string a = write_temp(trace_text('a', kSnapshots, 8)), b = write_temp(trace_text('b', kSnapshots, 12));
  std::map<char, uint64_t> accesses{{'A', 2528}, {'B', 3552}};
  std::string expected;
  for (int n = 1; n <= 16; ++n) {
    ASSERT_EQ(cli("run " + a + " -q --set seed=1 --out " + out).code, 0);
    setenv("COWSIM_CRASH_AT_STEP", std::to_string(n).c_str(), 1);
    CliResult r = cli("run " + b + " -q --set seed=2 --out " + out);
    unsetenv("COWSIM_CRASH_AT_STEP");
    const bool killed = r.code == 128 + SIGKILL;
    EXPECT_EQ(killed, n <= 15) << "step " << n << ": exit " << r.code;
    expected += killed ? state_of(out, accesses, kSnapshots) : 'F';
    if (!killed) EXPECT_EQ(state_of(out, accesses, kSnapshots), 'B');
  }
  // A: A's results kept; N: no stats.json; B: B's complete results; F: B finished.
  EXPECT_EQ(expected, "AANNNNNNNNNNNBBF");
  EXPECT_FALSE(fs::exists(out + "/.cowsim-staging"));  // a finished run leaves nothing behind
  EXPECT_FALSE(fs::exists(out + "/.cowsim-old"));
}

}  // namespace
}  // namespace cowsim::test
