// Limits and bad input (docs/reliability.md, "Limits"): each is refused before anything is
// simulated, with exit code 2, a message that says what and why, and no results written;
// the run just inside each limit is accepted, so the tests pin the boundary.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "testbenches/platform/run_helpers.h"
#include "traces/trace_io.h"

namespace cowsim::test {
namespace {

namespace fs = std::filesystem;
const std::string kExamples = std::string(COWSIM_SOURCE_DIR) + "/traces/examples/";

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Runs `args` into a fresh --out folder; the refusal must leave no results there.
CliResult refused(const std::string& args) {
  std::string out = temp_dir();
  CliResult r = cli("run " + args + " --out " + out);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
  EXPECT_FALSE(fs::exists(out + "/stats.json")) << args;
  return r;
}
void accepted(const std::string& args) {
  CliResult r = cli("run " + args + " -q --out " + temp_dir());
  EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
}

TEST(Limits, MappingBeyondTheUserAddressSpaceOfThePagingIsRefused) {
  // 4-level paging: user space is [0, 2^47) = 128 TiB. 0x7fff00000000 + 4 GiB = 2^47 exactly
  // fits; 8 GiB ends 4 GiB beyond. 5-level paging (2^56) takes it.
  std::string fits = write_temp("cowsim-trace 1\n1 mmap 0x7fff00000000 4G rw private,anon\n1 exit\n");
  std::string beyond = write_temp("cowsim-trace 1\n1 mmap 0x7fff00000000 8G rw private,anon\n1 exit\n");
  accepted(fits);
  CliResult r = refused(beyond);
  EXPECT_TRUE(contains(r.err, beyond + ":2: mmap range [0x7fff00000000, +8 GiB) ends beyond the 128 TiB user address space"))
      << r.err;
  accepted(beyond + " --set walker.levels=5");
}

TEST(Limits, WriteRangeNeedingMoreFramesThanMemoryIsRefused) {
  // memory.size = 16 MiB = 4096 frames of 4 KiB. A 16 MiB write range needs 4096 frames (the
  // kernel's own pages then make it run out, but that is the model's business: allowed);
  // 16 MiB + 4 KiB needs 4097 pages, more frames than exist: refused.
  std::string ok = write_temp("cowsim-trace 1\n1 mmap 0x7f0000000000 1G rw private,anon\n1 w 0x7f0000000000 +16M\n1 exit\n");
  std::string big = write_temp("cowsim-trace 1\n1 mmap 0x7f0000000000 1G rw private,anon\n1 w 0x7f0000000000 +16388K\n1 exit\n");
  accepted(ok + " --set memory.size=16M");
  CliResult r = refused(big + " --set memory.size=16M");
  EXPECT_TRUE(contains(r.err, big + ":3: this write range touches 4097 pages, more than the 4096 frames of memory.size = 16 MiB"))
      << r.err;
  // A mapping larger than memory is fine (Linux overcommits); so is reading it (zero page).
  accepted(write_temp("cowsim-trace 1\n1 mmap 0x7f0000000000 1G rw private,anon\n1 r 0x7f0000000000 +1G\n1 exit\n") +
           " --set memory.size=16M");
}

TEST(Limits, MaxAccessesCountsRangesExpanded) {
  // The touch scenario at size=1M writes one range of 1 MiB / 4 KiB = 256 accesses.
  accepted("--scenario touch --param size=1M --max-accesses 256");
  CliResult r = refused("--scenario touch --param size=1M --max-accesses 255");
  EXPECT_TRUE(contains(r.err, "more than --max-accesses 255 memory accesses")) << r.err;
  CliResult bad = refused("--scenario touch --max-accesses 0");
  EXPECT_TRUE(contains(bad.err, "--max-accesses: '0' is not a positive number")) << bad.err;
}

std::string fork_bomb(int children) {
  std::string t = "cowsim-trace 1\n";
  for (int i = 2; i <= children + 1; ++i) t += "1 fork " + std::to_string(i) + "\n";
  t += "1 exit\n";
  for (int i = 2; i <= children + 1; ++i) t += std::to_string(i) + " exit\n";
  return t;
}

TEST(Limits, ForkBombPastMaxProcessesIsRefusedAtTheForkThatCrossesIt) {
  // Pid 1 and 15 children are 16 processes: at the limit. 16 children: the fork creating
  // pid 17 (line 17: the header is line 1, "1 fork 2" line 2) crosses it.
  accepted(write_temp(fork_bomb(15)) + " --set kernel.max_processes=16");
  std::string bomb = write_temp(fork_bomb(16));
  CliResult r = refused(bomb + " --set kernel.max_processes=16");
  EXPECT_TRUE(contains(r.err, bomb + ":17: the trace creates more than kernel.max_processes = 16 processes")) << r.err;
}

TEST(Limits, TruncatedBinaryTraceIsRefusedBeforeAnythingRuns) {
  // The binary header holds no record count; the end record is what says the file is whole.
  // A file cut anywhere (here: inside the end record) fails the plan, before simulating.
  std::string dir = temp_dir();
  trace::convert_trace(kExamples + "fork-cow.cwt", dir + "/t.cwb");
  fs::resize_file(dir + "/t.cwb", fs::file_size(dir + "/t.cwb") - 1);
  CliResult r = refused(dir + "/t.cwb");
  EXPECT_TRUE(contains(r.err, dir + "/t.cwb: byte")) << r.err;
  EXPECT_FALSE(contains(r.out, "records,")) << "a summary means something was simulated";
}

TEST(Limits, NonsensicalConfigurationValuesAreRefusedNamingTheKey) {
  const std::string t = kExamples + "touch-1m.cwt";
  struct Case {
    std::string set, says;
  } cases[] = {
      {"cores=0", "parameter 'cores': invalid value \"0\" (expected an integer in 1..256)"},
      {"core.frequency_mhz=0", "parameter 'core.frequency_mhz': invalid value \"0\""},
      {"memory.size=1", "parameter 'memory.size': invalid value \"1\""},
      {"memory.size=0x8000000000000000", "parameter 'memory.size': invalid value \"0x8000000000000000\""},
      {"tlb.l1d.a.entries=0", "parameter 'tlb.l1d.a.entries': invalid value \"0\""},
      {"tlb.l1d.a.ways=0", "parameter 'tlb.l1d.a.ways': invalid value \"0\""},
      {"tlb.l1d.a.entries=48", "tlb.l1d.a: entries / ways = 12 sets; must be a power of two"},
      {"tlb.l1d.a.ways=5", "tlb.l1d.a: entries (64) must be a multiple of ways (5)"},
      {"memory.l1d.ways=7", "memory.l1d: size (32768 bytes) must be a multiple of ways x line"},
      {"quantum=0", "parameter 'quantum': invalid value \"0\""},
      {"walker.count=0", "parameter 'walker.count': invalid value \"0\""},
      {"kernel.max_processes=0", "parameter 'kernel.max_processes': invalid value \"0\""},
  };
  for (const auto& c : cases) {
    CliResult r = refused(t + " --set " + c.set);
    EXPECT_TRUE(contains(r.err, c.says)) << c.set << ": " << r.err;
  }
}

TEST(Limits, HostMemoryEstimateRefusesBeforeRunning) {
  // The estimate's fixed part alone is 30 MiB (platform/host_memory.h), above 10 MiB.
  CliResult r = refused("--scenario touch --max-host-memory 10M");
  EXPECT_TRUE(contains(r.err, "more than --max-host-memory 10 MiB; refused before simulating")) << r.err;
}

TEST(Limits, HostMemoryWatchStopsARunThatOutgrowsTheLimitAndKeepsEarlierResults) {
  // The parent writes 1 GiB (262144 pages, 512 page-table pages = 2 MiB of host memory) and
  // forks 40 children that stay alive: each fork copies those 2 MiB of tables, 80 MiB in
  // all, which the estimate (pages touched, not tables copied) does not foresee: the run
  // passes the 60 MiB check before it starts and must be stopped while it runs.
  std::string t = "cowsim-trace 1\n1 mmap 0x7f0000000000 1G rw private,anon\n1 w 0x7f0000000000 +1G\n";
  for (int i = 2; i <= 41; ++i) t += "1 fork " + std::to_string(i) + "\n";
  t += "1 post go\n";
  for (int i = 2; i <= 41; ++i) t += "1 wait " + std::to_string(i) + "\n";
  t += "1 exit\n";
  for (int i = 2; i <= 41; ++i) t += std::to_string(i) + " await go\n" + std::to_string(i) + " exit\n";
  std::string trace = write_temp(t);
  std::string out = temp_dir();
  ASSERT_EQ(cli("run " + kExamples + "touch-1m.cwt -q --out " + out).code, 0);
  const std::string before = nlohmann::json::parse(std::ifstream(out + "/stats.json")).dump();
  CliResult r = cli("run " + trace + " --max-host-memory 60M --out " + out);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "more than --max-host-memory 60 MiB")) << r.err;
  EXPECT_FALSE(contains(r.err, "refused before simulating")) << "the estimate should not have caught it: " << r.err;
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(out + "/stats.json")).dump(), before);
}

TEST(Limits, SecondRunIntoALockedOutputFolderFailsAtOnce) {
  std::string out = temp_dir();
  int fd = ::open((out + "/.cowsim-lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // as a run in progress holds it
  CliResult r = cli("run " + kExamples + "touch-1m.cwt --out " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, out + ": another cowsim run is writing its results into this folder")) << r.err;
  EXPECT_FALSE(fs::exists(out + "/stats.json"));
  ::close(fd);  // the run ended: the folder is free again
  EXPECT_EQ(cli("run " + kExamples + "touch-1m.cwt -q --out " + out).code, 0);
  EXPECT_TRUE(fs::exists(out + "/stats.json"));
}

}  // namespace
}  // namespace cowsim::test
