// The importer on logs Valgrind wrote for small real programs (fixtures/lackey/<case>/: the
// program, capture.sh, log/), the same programs captured live when Valgrind is installed,
// and the imported traces run through `cowsim run`. The programs' comments list every
// access they make; the expected counts below are taken from there.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testbenches/traces/lackey_test_util.h"
#include "testbenches/traces/trace_test_util.h"
#include "traces/trace_io.h"

namespace cowsim::lackey::test {
namespace {

namespace fs = std::filesystem;
using trace::Op;
using trace::Record;

const std::string kFixtures = std::string(COWSIM_SOURCE_DIR) + "/testbenches/traces/fixtures/lackey/";
const std::string kBinary = COWSIM_BINARY;

// A scratch folder removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string p = (fs::temp_directory_path() / "cowsim-lackey-test-XXXXXX").string();
    if (!mkdtemp(p.data())) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct Cli {
  int code;
  std::string out, err;
};

// Runs `command` (a shell command line) and collects its exit code and output.
Cli shell(const std::string& command) {
  TempDir t;
  const std::string out = t / "out", err = t / "err";
  const int status = std::system((command + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, trace::test::read_file(out), trace::test::read_file(err)};
}

Cli cowsim(const std::string& args) { return shell(kBinary + " " + args); }

bool on_path(const std::string& program) { return shell("command -v " + program).code == 0; }

std::vector<Record> records(const std::string& path) {
  trace::NameTable names;
  return trace::test::read_all(path, names);
}

struct Counts {
  uint64_t r = 0, w = 0;
};

// Loads and stores of `pid` to [lo, hi).
Counts accesses(const std::vector<Record>& rs, uint32_t pid, uint64_t lo, uint64_t hi) {
  Counts c;
  for (const auto& r : rs) {
    if (r.pid != pid || r.addr < lo || r.addr >= hi) continue;
    if (r.op == Op::kRead) c.r += r.accesses();
    if (r.op == Op::kWrite) c.w += r.accesses();
  }
  return c;
}

const Record* find(const std::vector<Record>& rs, uint32_t pid, Op op, uint64_t len = 0) {
  for (const auto& r : rs)
    if (r.pid == pid && r.op == op && (len == 0 || r.len == len)) return &r;
  return nullptr;
}

// What fork_touch.c does, checked on its imported trace.
void check_fork_touch(const std::vector<Record>& rs) {
  ASSERT_FALSE(rs.empty());
  const uint32_t parent = rs.front().pid;
  const Record* fork = find(rs, parent, Op::kFork);
  ASSERT_NE(fork, nullptr);
  const uint32_t child = static_cast<uint32_t>(fork->addr);
  const Record* region = find(rs, parent, Op::kMmap, 16 * 4096);
  ASSERT_NE(region, nullptr);
  const uint64_t r0 = region->addr, r1 = r0 + 16 * 4096;

  Counts p = accesses(rs, parent, r0, r1), c = accesses(rs, child, r0, r1);
  EXPECT_EQ(p.w, 16u + 2u);  // one store per page before the fork, two after the wait
  EXPECT_EQ(p.r, 0u);
  EXPECT_EQ(c.r, 8u + 4u + 1u);  // 8 loads, 4 incq (Lackey M: load + store), the wiped page
  EXPECT_EQ(c.w, 4u);

  // The parent's system calls, in order, with the brk heap as an mmap of its two pages.
  std::vector<std::string> calls;
  trace::NameTable names;
  bool region_seen = false;
  for (const auto& r : rs) {
    if (r.pid != parent || r.is_access() || r.op == Op::kCompute) continue;
    if (r.op == Op::kMmap && r.addr == r0) region_seen = true;
    if (region_seen) calls.push_back(trace::format_record(r, names).substr(std::to_string(parent).size() + 1));
  }
  ASSERT_EQ(calls.size(), 12u) << ::testing::PrintToString(calls);
  const Record* heap = find(rs, parent, Op::kMmap, 2 * 4096);
  ASSERT_NE(heap, nullptr);
  auto hex = [](uint64_t a) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(a));
    return std::string(b);
  };
  EXPECT_EQ(calls[0], "mmap " + hex(r0) + " 64K rw private,anon");
  EXPECT_EQ(calls[1], "mmap " + hex(heap->addr) + " 8K rw private,anon");  // brk(brk0 + 2 pages)
  EXPECT_EQ(calls[2], "mprotect " + hex(r0 + 15 * 4096) + " 4K r");
  EXPECT_EQ(calls[3], "madvise " + hex(r0 + 14 * 4096) + " 4K wipeonfork");
  EXPECT_EQ(calls[4], "fork " + std::to_string(child));
  EXPECT_EQ(calls[5], "wait " + std::to_string(child));
  // Two pages mapped, grown by mremap in place to eight (Valgrind placed them so), unmapped.
  const Record* small = find(rs, parent, Op::kMmap, 2 * 4096);
  for (const auto& r : rs)
    if (r.pid == parent && r.op == Op::kMmap && r.len == 2 * 4096 && r.addr != heap->addr) small = &r;
  EXPECT_EQ(calls[6], "mmap " + hex(small->addr) + " 8K rw private,anon");
  EXPECT_EQ(calls[7], "mmap " + hex(small->addr + 2 * 4096) + " 24K rw private,anon");
  EXPECT_EQ(calls[8], "munmap " + hex(small->addr) + " 32K");
  EXPECT_EQ(calls[9], "munmap " + hex(r0) + " 64K");
  EXPECT_EQ(calls[10], "munmap " + hex(heap->addr) + " 8K");       // brk(brk0)
  EXPECT_EQ(calls[11], "exit");
  EXPECT_EQ(accesses(rs, parent, heap->addr, heap->addr + 2 * 4096).w, 2u);
  EXPECT_EQ(find(rs, child, Op::kExit), &rs.back());
}

TEST(LackeyFixture, ForkTouch) {
  Imported im = import_dir(kFixtures + "fork-touch/log");
  TempDir t;
  import_logs(kFixtures + "fork-touch/log", t / "t.cwb", {});
  check_fork_touch(records(t / "t.cwb"));
  ASSERT_EQ(im.report.processes.size(), 2u);
  EXPECT_EQ(im.report.processes[0].pid, 7475u);
  EXPECT_EQ(im.report.processes[1].pid, 7476u);
  EXPECT_EQ(im.report.processes[1].modifies, 4u);
  EXPECT_EQ(im.report.problems.count, 0u);
  // Only the stack was in use before the log starts (the program has no data of its own).
  EXPECT_EQ(im.lines.at(0), "7475 mmap 0x1fff000000 4K rw private,anon");
  EXPECT_EQ(im.report.preexisting_ranges, 1u);
}

TEST(LackeyFixture, VforkExec) {
  Imported im = import_dir(kFixtures + "vfork-exec/log");
  EXPECT_EQ(im.of(7492), (std::vector<std::string>{"exec", "exit"}));
  const auto parent = im.of(7491);
  ASSERT_GE(parent.size(), 5u);
  // vfork, then the page the parent writes once the child has exec'd, the wait, the exit.
  const std::vector<std::string> tail(parent.end() - 5, parent.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"vfork 7492", "mmap 0x4800000 4K rw private,anon", "w 0x4800000 1",
                                            "wait 7492", "exit"}));
  EXPECT_EQ(im.report.processes.at(1).failed, 1u);  // the execve of /nonexistent/true
}

TEST(LackeyFixture, FileShare) {
  Imported im = import_dir(kFixtures + "file-share/log");
  const auto parent = im.of(20127), child = im.of(20128);
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  // The executable's first page, mapped through the descriptor openat returned.
  EXPECT_TRUE(has(parent, "mmap 0x4800000 4K r private,file=./file_share"));
  EXPECT_TRUE(has(parent, "mmap 0x4801000 8K rw shared,anon"));
  EXPECT_TRUE(has(parent, "fork 20128"));  // clone(SIGCHLD), as glibc's fork
  EXPECT_TRUE(has(parent, "wait 20128"));  // wait4(-1): the child's pid is the result
  TempDir t;
  import_logs(kFixtures + "file-share/log", t / "t.cwt", {});
  auto rs = records(t / "t.cwt");
  EXPECT_EQ(accesses(rs, 20127, 0x4800000, 0x4801000).r, 1u);
  EXPECT_EQ(accesses(rs, 20127, 0x4801000, 0x4803000).w, 1u);
  EXPECT_EQ(accesses(rs, 20127, 0x4801000, 0x4803000).r, 1u);
  EXPECT_EQ(accesses(rs, 20128, 0x4800000, 0x4801000).r, 1u);
  EXPECT_EQ(accesses(rs, 20128, 0x4801000, 0x4803000).w, 1u);
  EXPECT_EQ(accesses(rs, 20128, 0x4801000, 0x4803000).r, 1u);
}

TEST(LackeyFixture, TheExampleTraceIsTheForkTouchFixtureImported) {
  // traces/examples/lackey-fork-touch.cwt was made by `cowsim import lackey` from this log.
  Imported im = import_dir(kFixtures + "fork-touch/log", {}, true);
  EXPECT_EQ(trace_lines(std::string(COWSIM_SOURCE_DIR) + "/traces/examples/lackey-fork-touch.cwt", true), im.lines);
}

TEST(LackeyFixture, ImportedTraceRunsWithTheFaultsTheProgramCauses) {
  TempDir t;
  Cli imp = cowsim("import lackey " + kFixtures + "fork-touch/log -o " + (t / "ft.cwb"));
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_NE(imp.out.find("imported 2 processes"), std::string::npos) << imp.out;
  EXPECT_EQ(imp.err, "");
  Cli run = cowsim("run " + (t / "ft.cwb") + " --strict -q --out " + (t / "out"));
  ASSERT_EQ(run.code, 0) << run.err;
  auto stats = nlohmann::json::parse(std::ifstream(t / "out/stats.json"));
  const auto& parent = stats["processes"]["7475"]["faults"];
  const auto& child = stats["processes"]["7476"]["faults"];
  // Parent: the stack page, the 16 region pages and the 2 heap pages are first-touch
  // zero fills; after the child has exited its two stores reuse pages it owns alone.
  EXPECT_EQ(parent["anon_zero_fill"], 1 + 16 + 2);
  EXPECT_EQ(parent["cow_reuse"], 2);
  EXPECT_EQ(parent["cow_copy"], 0);
  // Child: the 4 incq copy their pages; the wiped page reads as the zero page; its loads of
  // pages 0-7 hit the page-table entries fork copied.
  EXPECT_EQ(child["cow_copy"], 4);
  EXPECT_EQ(child["zero_page_map"], 1);
  EXPECT_EQ(child["anon_zero_fill"], 0);
  EXPECT_EQ(child["segv"], 0);
}

TEST(LackeyFixture, EveryFixtureImportsAndRunsStrictly) {
  for (const char* c : {"fork-touch", "vfork-exec", "file-share"}) {
    TempDir t;
    Cli imp = cowsim(std::string("import lackey ") + kFixtures + c + "/log -q --fetches -o " + (t / "t.cwt"));
    ASSERT_EQ(imp.code, 0) << c << ": " << imp.err;
    EXPECT_EQ(imp.out, "") << c;
    Cli run = cowsim("run " + (t / "t.cwt") + " --strict -q --out " + (t / "out"));
    EXPECT_EQ(run.code, 0) << c << ": " << run.err;
  }
}

TEST(LackeyCli, BadInputExitsWithCode2AndNoOutput) {
  TempDir t;
  fs::create_directory(t / "logs");
  std::ofstream(t / "logs/trace.5") << "==5== Lackey, an example Valgrind tool\n S 1fff00";
  Cli r = cowsim("import lackey " + (t / "logs") + " -o " + (t / "x.cwb"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("trace.5:2: truncated log"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t / "x.cwb"));
  EXPECT_FALSE(fs::exists(t / "x.cwb.tmp"));

  r = cowsim("import strace " + (t / "logs") + " -o " + (t / "x.cwb"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown log format 'strace' (cowsim imports: lackey)"), std::string::npos) << r.err;
  r = cowsim("import lackey " + (t / "logs") + " -o " + (t / "x.txt"));
  EXPECT_EQ(r.code, 2);
}

TEST(LackeyCli, CaptureWithoutValgrindSaysSo) {
  TempDir t;
  fs::create_directory(t / "empty");
  Cli r = shell("PATH=" + (t / "empty") + " " + kBinary + " capture -o " + (t / "x.cwb") + " -- /bin/true");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("valgrind is not installed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t / "x.cwb"));
}

// Builds fork_touch.c, captures it with Valgrind and checks what the program does. Runs when
// Valgrind and a C compiler are installed (scripts/install-deps.sh installs both).
TEST(LackeyLive, CaptureOfAForkingProgram) {
  if (!on_path("valgrind")) GTEST_SKIP() << "valgrind is not installed";
  if (!on_path("cc")) GTEST_SKIP() << "no C compiler (cc)";
  TempDir t;
  Cli cc = shell("cc -O2 -static -nostdlib -fno-stack-protector -no-pie -fcf-protection=none -o " +
                 (t / "fork_touch") + " " + kFixtures + "fork-touch/fork_touch.c");
  ASSERT_EQ(cc.code, 0) << cc.err;
  Cli cap = cowsim("capture -o " + (t / "live.cwb") + " --keep-logs " + (t / "logs") + " -- " + (t / "fork_touch"));
  ASSERT_EQ(cap.code, 0) << cap.err;
  EXPECT_NE(cap.out.find("imported 2 processes"), std::string::npos) << cap.out;
  check_fork_touch(records(t / "live.cwb"));
  EXPECT_EQ(std::distance(fs::directory_iterator(t / "logs"), fs::directory_iterator()), 2);
  Cli run = cowsim("run " + (t / "live.cwb") + " --strict -q --out " + (t / "out"));
  EXPECT_EQ(run.code, 0) << run.err;
}

}  // namespace
}  // namespace cowsim::lackey::test
