// The Lackey importer on small logs written here in Valgrind 3.19's exact format: fork
// edges, system-call translation, memory mapped before the log starts, problems and errors.
// Expected records are worked out by hand from the rules in docs/real-traces.md.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "testbenches/traces/lackey_test_util.h"
#include "testbenches/traces/trace_test_util.h"

namespace cowsim::lackey::test {
namespace {

using trace::test::input_error;
using trace::test::ScratchDir;
using Lines = std::vector<std::string>;

const std::string kExitGroup = "exit_group( 0 ) --> [pre-success] Success(0x0) \n";

std::string sys(unsigned pid, const std::string& rest) { return "SYSCALL[" + std::to_string(pid) + ",1]" + rest; }

TEST(LackeyImport, TheForkIsWhereTheParentAnnouncesItAndTheChildFollowsItsParent) {
  ScratchDir dir;
  dir.write("trace.100", header(100, 1) + " S 1fff000ff8,8\n" +
                             sys(100, "(9) sys_mmap ( 0x0, 8192, 3, 34, -1, 0 ) --> [pre-success] Success(0x4800000) \n") +
                             " S 04800000,8\n" +
                             sys(100, "(56) sys_clone ( 1200011, 0x0, 0x0, 0x4a29a10, 0x0 )   clone(fork): process 100 "
                                      "created child 101\n") +
                             " --> [pre-success] Success(0x65) \n S 04801000,8\n" +
                             sys(100, "(61) sys_wait4 ( 101, 0x0, 0, 0x0 ) --> [async] ... \n") +
                             sys(100, "(61) ... [async] --> Success(0x65) \n") + sys(100, "(231) " + kExitGroup) +
                             footer(100));
  dir.write("trace.101", header(101, 100) + " --> [pre-success] Success(0x0) \n L 04800000,8\n M 1fff000ff0,8\n" +
                             sys(101, "(231) " + kExitGroup) + footer(101));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.lines, (Lines{"100 mmap 0x1fff000000 4K rw private,anon", "100 w 0x1fff000ff8",
                             "100 mmap 0x4800000 8K rw private,anon", "100 w 0x4800000", "100 fork 101",
                             "100 w 0x4801000", "100 wait 101", "100 exit",
                             // The child's stream: M is a load and a store.
                             "101 r 0x4800000", "101 r 0x1fff000ff0", "101 w 0x1fff000ff0", "101 exit"}));
  ASSERT_EQ(im.report.processes.size(), 2u);
  EXPECT_EQ(im.report.processes[1].pid, 101u);
  EXPECT_EQ(im.report.processes[1].parent, 100u);
  EXPECT_EQ(im.report.processes[1].modifies, 1u);
  EXPECT_EQ(im.report.problems.count, 0u);
}

TEST(LackeyImport, MemoryManagementCallsBecomeRecords) {
  ScratchDir dir;
  const unsigned p = 200;
  dir.write("trace.200",
            header(p, 1) +
                sys(p, "(257) sys_openat ( 4294967196, 0x1ffefff630(/lib/x86_64-linux-gnu/libc.so.6), 524288 ) --> "
                       "[async] ... \n") +
                sys(p, "(257) ... [async] --> Success(0x3) \n") +
                // ld.so maps the whole file, then segments over it at their offsets.
                sys(p, "(9) sys_mmap ( 0x0, 1974096, 1, 2050, 3, 0 ) --> [pre-success] Success(0x4847000) \n") +
                sys(p, "(9) sys_mmap ( 0x486d000, 1400832, 5, 2066, 3, 155648 ) --> [pre-success] Success(0x486d000) \n") +
                sys(p, "(3) sys_close ( 3 )[sync] --> Success(0x0) \n") +
                sys(p, "(9) sys_mmap ( 0x0, 8192, 3, 33, -1, 0 ) --> [pre-success] Success(0x4a00000) \n") +
                // MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB
                sys(p, "(9) sys_mmap ( 0x0, 1073741824, 3, 2013528098, -1, 0 ) --> [pre-success] Success(0x40000000) \n") +
                sys(p, "(10) sys_mprotect ( 0x4a00000, 4096, 1 )[sync] --> Success(0x0) \n") +
                sys(p, "(28) sys_madvise ( 0x40000000, 1073741824, 10 ) --> [async] ... \n") +
                sys(p, "(28) ... [async] --> Success(0x0) \n") +
                sys(p, "(28) sys_madvise ( 0x4a00000, 8192, 3 )[sync] --> Success(0x0) \n") +  // WILLNEED: no effect
                sys(p, "(11) sys_munmap ( 0x4847000, 41491 )[sync] --> Success(0x0) \n") +
                sys(p, "(12) sys_brk ( 0x0 ) --> [pre-success] Success(0x4035000) \n") +
                sys(p, "(12) sys_brk ( 0x4056000 ) --> [pre-success] Success(0x4056000) \n") +
                sys(p, "(12) sys_brk ( 0x4046800 ) --> [pre-success] Success(0x4046800) \n") +
                sys(p, "(12) sys_brk ( 0x5000000 ) --> [pre-success] Success(0x4046800) \n") +  // refused
                sys(p, "(25) sys_mremap ( 0x4a00000, 8192, 16384, 0x1 ) --> [pre-success] Success(0x4a00000) \n") +
                sys(p, "(25) sys_mremap ( 0x4a00000, 16384, 4096, 0x0 ) --> [pre-success] Success(0x4a00000) \n") +
                sys(p, "(25) sys_mremap ( 0x4a00000, 4096, 8192, 0x1 ) --> [pre-success] Success(0x4c00000) \n") +
                sys(p, "(11) sys_munmap ( 0x4848000, 4096 )[sync] --> Failure(0x16) \n") +
                sys(p, "(231) " + kExitGroup) + footer(p));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.of(p), (Lines{
                          // 1974096 bytes round up to 482 pages = 1928K.
                          "mmap 0x4847000 1928K r private,file=/lib/x86_64-linux-gnu/libc.so.6",
                          "mmap 0x486d000 1368K rx private,file=/lib/x86_64-linux-gnu/libc.so.6@155648",
                          "mmap 0x4a00000 8K rw shared,anon",
                          "mmap 0x40000000 1G rw private,anon,huge1g",
                          "mprotect 0x4a00000 4K r",
                          "madvise 0x40000000 1G dontfork",
                          "munmap 0x4847000 44K",  // 41491 bytes: 11 pages
                          "mmap 0x4035000 132K rw private,anon",  // brk 0x4035000 -> 0x4056000
                          "munmap 0x4047000 60K",                 // brk -> 0x4046800: its page stays
                          "mmap 0x4a02000 8K r shared,anon",      // grown in place, like the old pages
                          "munmap 0x4a01000 12K",                 // shrunk in place
                          "munmap 0x4a00000 4K",                  // moved
                          "mmap 0x4c00000 8K r shared,anon",
                          "exit",
                      }));
  const ProcessReport& r = im.report.processes.at(0);
  EXPECT_EQ(r.syscalls, 19u);  // an asynchronous call counts once
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(im.report.preexisting_ranges, 0u);
}

TEST(LackeyImport, MemoryInUseBeforeTheLogStartsIsMappedWhenTheProgramStarts) {
  ScratchDir dir;
  const unsigned p = 300;
  dir.write("trace.300", header(p, 1) +
                             " S 1fff000ff8,8\n"        // the stack
                             " L 1fff003000,8\n"        // two pages further: the gap is bridged
                             " L 00401000,8\n"          // the executable
                             " L 00000008,8\n"          // a null pointer: left to fault
                             " L ffffffffff600000,8\n"  // the vsyscall page: not user space
                             " S 1fff004ffc,8\n" +      // straddles two pages
                             sys(p, "(10) sys_mprotect ( 0x403000, 4096, 1 )[sync] --> Success(0x0) \n") +
                             sys(p, "(231) " + kExitGroup) + footer(p));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.of(p), (Lines{"mmap 0x401000 12K rw private,anon",     // pages 0x401 and 0x403 (mprotect)
                             "mmap 0x1fff000000 24K rw private,anon",  // pages 0x1fff000 .. 0x1fff005
                             "w 0x1fff000ff8", "r 0x1fff003000", "r 0x401000", "r 0x8", "w 0x1fff004ffc",
                             "mprotect 0x403000 4K r", "exit"}));
  EXPECT_EQ(im.report.preexisting_ranges, 2u);
  EXPECT_EQ(im.report.preexisting_pages, 6u);
  EXPECT_EQ(im.report.processes.at(0).outside_user_space, 1u);
}

TEST(LackeyImport, FetchesAreComputeUnlessAsked) {
  ScratchDir dir;
  const unsigned p = 310;
  dir.write("trace.310", header(p, 1) + "I  00401000,3\nI  00401003,5\n S 1fff000ff8,8\nI  00401008,2\n" +
                             sys(p, "(231) " + kExitGroup) + footer(p));
  EXPECT_EQ(import_dir(dir.path(""), {}, true).of(p),
            (Lines{"mmap 0x1fff000000 4K rw private,anon", "compute 2", "w 0x1fff000ff8", "compute 1", "exit"}));
  ImportOptions fetches;
  fetches.fetches = true;
  EXPECT_EQ(import_dir(dir.path(""), fetches, true).of(p),
            (Lines{"mmap 0x401000 4K rwx private,anon", "mmap 0x1fff000000 4K rwx private,anon", "x 0x401000 3",
                   "x 0x401003 5", "w 0x1fff000ff8", "x 0x401008 2", "exit"}));
}

TEST(LackeyImport, AnAccessToMemoryAnImportedCallUnmappedMapsItAgainThere) {
  ScratchDir dir;
  const unsigned p = 320;
  dir.write("trace.320", header(p, 1) +
                             sys(p, "(9) sys_mmap ( 0x0, 8192, 3, 34, -1, 0 ) --> [pre-success] Success(0x4800000) \n") +
                             " S 04800000,8\n" + sys(p, "(11) sys_munmap ( 0x4800000, 8192 )[sync] --> Success(0x0) \n") +
                             " S 04801000,8\n" + sys(p, "(231) " + kExitGroup) + footer(p));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.of(p), (Lines{"mmap 0x4800000 8K rw private,anon", "w 0x4800000", "munmap 0x4800000 8K",
                             "mmap 0x4801000 4K rw private,anon", "w 0x4801000", "exit"}));
  EXPECT_EQ(im.report.processes.at(0).late_pages, 1u);
  EXPECT_EQ(im.report.preexisting_ranges, 0u);
}

TEST(LackeyImport, VforkAndExec) {
  ScratchDir dir;
  dir.write("trace.400", header(400, 1) + sys(400, "(58) sys_fork ( )   fork: process 400 created child 401\n") +
                             " --> [pre-success] Success(0x191) \n" +
                             sys(400, "(56) sys_clone ( 4111, 0x4844ff0, 0x0, 0x0, 0x0 )   clone(fork): process 400 "
                                      "created child 402\n") +
                             " --> [pre-success] Success(0x192) \n" + sys(400, "(231) " + kExitGroup) + footer(400));
  // A failed execve (a PATH search) changes nothing; the successful one is the log's last
  // line, without a newline, because it never returns.
  dir.write("trace.401", header(401, 400) + " --> [pre-success] Success(0x0) \n" +
                             sys(401, "(59) sys_execve ( 0x403000(/nonexistent/true), 0x1fff0005c0, 0x1fff000618 ) "
                                      "--> [pre-fail] Failure(0x2) \n") +
                             sys(401, "(59) sys_execve ( 0x403018(/bin/true), 0x1fff0005c0, 0x1fff000618 )"));
  dir.write("trace.402", header(402, 400) + " --> [pre-success] Success(0x0) \n" +
                             sys(402, "(59) sys_execve ( 0x403018(/bin/true), 0x1fff0005c0, 0x1fff000618 )"));
  Imported im = import_dir(dir.path(""));
  // clone(CLONE_VM | CLONE_VFORK | SIGCHLD) is posix_spawn's vfork.
  EXPECT_EQ(im.lines, (Lines{"400 vfork 401", "400 vfork 402", "400 exit", "401 exec", "401 exit", "402 exec",
                             "402 exit"}));
  EXPECT_EQ(im.report.processes.at(1).failed, 1u);
  EXPECT_TRUE(im.report.processes.at(1).exec);
}

TEST(LackeyImport, ThreadsAreFoldedIntoTheirProcess) {
  ScratchDir dir;
  const unsigned p = 410;
  dir.write("trace.410", header(p, 1) +
                             sys(p, "(56) sys_clone ( 3d0f00, 0x522bf70, 0x522c990, 0x522c990, 0x522c6c0 ) --> "
                                    "[pre-success] Success(0x1670) \n") +
                             "SYSCALL[410,2](60) exit( 0 ) --> [pre-success] Success(0x0) \n" +
                             sys(p, "(231) " + kExitGroup) + footer(p));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.lines, (Lines{"410 exit"}));
  EXPECT_TRUE(im.report.processes.at(0).threads);
}

TEST(LackeyImport, UnknownLinesAreCountedQuotedAndLeftOut) {
  ScratchDir dir;
  const unsigned p = 500;
  const std::string log = dir.write(
      "trace.500", header(p, 1) +
                       " S 1fff000ff8,8\n"                 // line 7
                       "garbage here\n"                    // 8
                       " L zz,8\n"                         // 9
                       "==999== someone else\n"            // 10
                       " --> [pre-success] Success(0x0) \n"  // 11: no call to be the result of
                       "SYSCALL[500,1](61) ... [async] --> Success(0x1) \n"  // 12: no pending call
                       "SYSCALL[77,1](9) sys_mmap ( 0x0, 8192, 3, 34, -1, 0 ) --> Success(0x4800000) \n"  // 13
                       "\n"                                // 14
                       " S 1fff000ff0,8\n" +
                       sys(p, "(231) " + kExitGroup) + footer(p));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.of(p), (Lines{"mmap 0x1fff000000 4K rw private,anon", "w 0x1fff000ff8", "w 0x1fff000ff0", "exit"}));
  EXPECT_EQ(im.report.problems.count, 7u);
  ASSERT_EQ(im.report.problems.quoted.size(), 5u);
  EXPECT_EQ(im.report.problems.quoted[0], log + ":8: unrecognised line: 'garbage here'");
  EXPECT_EQ(im.report.problems.quoted[1], log + ":9: bad address in a memory access line: ' L zz,8'");
  EXPECT_EQ(im.report.problems.quoted[2], log + ":10: Valgrind line of another pid: '==999== someone else'");
  EXPECT_NE(im.report.problems.quoted[3].find(":11: system call result without a system call"), std::string::npos);
  EXPECT_NE(im.report.problems.quoted[4].find(":12: asynchronous result without its system call"), std::string::npos);
  std::ostringstream err;
  im.report.print_problems(err);
  EXPECT_NE(err.str().find("unknown or malformed lines: 7 (not imported); the first:\n  " + log + ":8:"),
            std::string::npos)
      << err.str();
}

TEST(LackeyImport, CallsWithArgumentsThatMakeNoSenseAreReportedNotImported) {
  ScratchDir dir;
  const unsigned p = 510;
  const std::string log = dir.write(
      "trace.510", header(p, 1) + sys(p, "(9) sys_mmap ( 0x0, 8192 ) --> [pre-success] Success(0x4800000) \n") +  // 7
                       sys(p, "(11) sys_munmap ( 0x4800123, 4096 )[sync] --> Success(0x0) \n") +  // 8: unaligned
                       sys(p, "(57) sys_fork ( )   fork: process 510 created child 511\n") +  // 9
                       " --> [pre-success] Success(0x1ff) \n" +
                       sys(p, "(57) sys_fork ( )   fork: process 510 created child 511\n") +  // 11: again
                       " --> [pre-success] Success(0x1ff) \n" + sys(p, "(231) " + kExitGroup) + footer(p));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.lines, (Lines{"510 fork 511", "510 exit", "511 exit"}));
  ASSERT_EQ(im.report.problems.quoted.size(), 3u);
  EXPECT_EQ(im.report.problems.quoted[0], log + ":7: bad mmap arguments: 'sys_mmap ( 0x0, 8192 )'");
  EXPECT_EQ(im.report.problems.quoted[1], log + ":8: bad munmap arguments: 'sys_munmap ( 0x4800123, 4096 )'");
  EXPECT_EQ(im.report.problems.quoted[2], log + ":11: pid 511 is created twice: 'sys_fork ( )'");
}

TEST(LackeyImport, ATruncatedLogIsAnErrorNamingFileAndLineAndLeavesNoOutput) {
  ScratchDir dir, out;
  const std::string log = dir.write(
      "trace.600", header(600, 1) + " S 1fff000ff8,8\n S 1fff00"  // cut in the middle of line 8
  );
  const std::string path = out.path("t.cwb");
  EXPECT_EQ(input_error([&] { import_logs(dir.path(""), path, {}); }),
            log + ":8: truncated log: the last line ends without a newline (' S 1fff00')");
  EXPECT_FALSE(trace::test::file_exists(path));
  EXPECT_FALSE(trace::test::file_exists(path + ".tmp"));
}

TEST(LackeyImport, ALogCutAtALineBoundaryIsAnErrorToo) {
  ScratchDir dir, out;
  const std::string log = dir.write("trace.601", header(601, 1) + " S 1fff000ff8,8\n S 1fff000ff0,8\n");
  EXPECT_EQ(input_error([&] { import_logs(dir.path(""), out.path("t.cwt"), {}); }),
            log +
                ":8: the log ends before its process does (no exit_group, no execve, no closing 'Exit code' line "
                "from Valgrind): truncated?");
  EXPECT_FALSE(trace::test::file_exists(out.path("t.cwt")));
}

TEST(LackeyImport, AProcessKilledByASignalEndsWithValgrindsSummary) {
  ScratchDir dir;
  dir.write("trace.602", header(602, 1) + " S 1fff000ff8,8\n==602== \n==602== Process terminating with default action "
                                          "of signal 11 (SIGSEGV)\n" +
                             footer(602));
  EXPECT_EQ(import_dir(dir.path("")).of(602), (Lines{"mmap 0x1fff000000 4K rw private,anon", "w 0x1fff000ff8", "exit"}));
}

TEST(LackeyImport, AChildWithoutALogExitsAtOnceWithAWarning) {
  ScratchDir dir;
  dir.write("trace.700", header(700, 1) + sys(700, "(57) sys_fork ( )   fork: process 700 created child 701\n") +
                             " --> [pre-success] Success(0x2bd) \n" + sys(700, "(231) " + kExitGroup) + footer(700));
  Imported im = import_dir(dir.path(""));
  EXPECT_EQ(im.lines, (Lines{"700 fork 701", "700 exit", "701 exit"}));
  ASSERT_EQ(im.report.warnings.size(), 1u);
  EXPECT_NE(im.report.warnings[0].find("trace.700:7: pid 700 forks pid 701, which has no log"), std::string::npos)
      << im.report.warnings[0];
}

TEST(LackeyImport, InconsistentFoldersAreErrors) {
  {
    ScratchDir dir;
    dir.write("trace.800", header(800, 1) + sys(800, "(231) " + kExitGroup) + footer(800));
    const std::string orphan = dir.write("trace.801", header(801, 800) + sys(801, "(231) " + kExitGroup) + footer(801));
    EXPECT_NE(input_error([&] { import_dir(dir.path("")); }).find(orphan + ": its Parent PID is 800, but "),
              std::string::npos);
  }
  {
    ScratchDir dir;
    const std::string a = dir.write("a.log", header(810, 1) + footer(810));
    const std::string b = dir.write("b.log", header(810, 1) + footer(810));
    EXPECT_EQ(input_error([&] { import_dir(dir.path("")); }), b + ": pid 810 also has a log in " + a);
  }
  {
    ScratchDir dir;
    const std::string m = dir.write("trace.1", "==5== Memcheck, a memory error detector\n");
    EXPECT_NE(input_error([&] { import_dir(dir.path("")); }).find(m + ":1: not a Lackey log (Valgrind tool: 'Memcheck"),
              std::string::npos);
  }
  {
    ScratchDir dir;
    const std::string t = dir.write("notes.txt", "hello\n");
    EXPECT_EQ(input_error([&] { import_dir(dir.path("")); }), t + ":1: not a Valgrind log (it starts with 'hello')");
  }
  {
    ScratchDir dir;
    dir.write("old.cwt", "cowsim-trace 1\n");  // traces are skipped, not read as logs
    EXPECT_NE(input_error([&] { import_dir(dir.path("")); }).find(": no Valgrind logs"), std::string::npos);
  }
}

TEST(LackeyImport, ImportingTwiceGivesTheSameBytes) {
  ScratchDir dir, out;
  dir.write("trace.900", header(900, 1) + " S 1fff000ff8,8\nI  00401000,3\n" +
                             sys(900, "(9) sys_mmap ( 0x0, 8192, 3, 34, -1, 0 ) --> [pre-success] Success(0x4800000) \n") +
                             " M 04800000,8\n" + sys(900, "(231) " + kExitGroup) + footer(900));
  import_logs(dir.path(""), out.path("a.cwb"), {});
  import_logs(dir.path(""), out.path("b.cwb"), {});
  EXPECT_EQ(trace::test::read_file(out.path("a.cwb")), trace::test::read_file(out.path("b.cwb")));
}

}  // namespace
}  // namespace cowsim::lackey::test
