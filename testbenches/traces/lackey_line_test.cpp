// Lackey log lines, one kind at a time. Every line here is copied from a log Valgrind 3.19
// wrote (fixtures/lackey and the small glibc programs used while writing the importer).
#include <gtest/gtest.h>

#include "traces/lackey/log_line.h"

namespace cowsim::lackey {
namespace {

TEST(LackeyLine, MemoryAccesses) {
  LogLine l = parse_line("I  0401ab70,3");
  EXPECT_EQ(l.kind, LineKind::kFetch);
  EXPECT_EQ(l.addr, 0x401ab70u);
  EXPECT_EQ(l.size, 3u);
  l = parse_line(" L 1fff000418,8");
  EXPECT_EQ(l.kind, LineKind::kLoad);
  EXPECT_EQ(l.addr, 0x1fff000418u);
  EXPECT_EQ(l.size, 8u);
  l = parse_line(" S 1fff0005a0,16");
  EXPECT_EQ(l.kind, LineKind::kStore);
  EXPECT_EQ(l.size, 16u);
  l = parse_line(" M 04033e06,1");
  EXPECT_EQ(l.kind, LineKind::kModify);
  EXPECT_EQ(l.addr, 0x4033e06u);
  EXPECT_EQ(l.size, 1u);
}

TEST(LackeyLine, MalformedAccessesAreUnknownWithAReason) {
  for (const char* bad : {" L ,8", " L 1fff000418", " L 1fff000418,", " L 1fff000418,0", " L 1fff0g0418,8",
                          " S 11112222333344445,8", " M 04033e06,1x", "I 0401ab70,3", " X 04033e06,1"}) {
    LogLine l = parse_line(bad);
    EXPECT_EQ(l.kind, LineKind::kUnknown) << bad;
    EXPECT_NE(l.why, nullptr) << bad;
  }
}

TEST(LackeyLine, SyscallWithItsResultOnTheSameLine) {
  LogLine l = parse_line(
      "SYSCALL[3395,1](9) sys_mmap ( 0x0, 8192, 3, 34, 4294967295, 0 ) --> [pre-success] Success(0x4835000) ");
  ASSERT_EQ(l.kind, LineKind::kSyscall);
  EXPECT_EQ(l.sys.pid, 3395u);
  EXPECT_EQ(l.sys.tid, 1u);
  EXPECT_EQ(l.sys.nr, 9u);
  EXPECT_EQ(l.sys.name, "sys_mmap");
  EXPECT_EQ(l.sys.args, " 0x0, 8192, 3, 34, 4294967295, 0 ");
  EXPECT_EQ(l.sys.status, SyscallStatus::kDone);
  EXPECT_TRUE(l.sys.ok);
  EXPECT_EQ(l.sys.value, 0x4835000u);

  l = parse_line("SYSCALL[3395,1](10) sys_mprotect ( 0x4a16000, 16384, 1 )[sync] --> Success(0x0) ");
  EXPECT_EQ(l.sys.status, SyscallStatus::kDone);
  EXPECT_TRUE(l.sys.ok);
  EXPECT_EQ(l.sys.value, 0u);

  l = parse_line("SYSCALL[3395,1](21) sys_access ( 0x402a2a0(/etc/ld.so.preload), 4 )[sync] --> Failure(0x2) ");
  EXPECT_EQ(l.sys.nr, 21u);
  EXPECT_FALSE(l.sys.ok);
  EXPECT_EQ(l.sys.value, 2u);

  // exit_group has no space before its parenthesis.
  l = parse_line("SYSCALL[3395,1](231) exit_group( 0 ) --> [pre-success] Success(0x0) ");
  EXPECT_EQ(l.sys.name, "exit_group");
  EXPECT_EQ(l.sys.args, " 0 ");
  EXPECT_TRUE(l.sys.ok);
}

TEST(LackeyLine, AsynchronousSyscallsComeInTwoLines) {
  LogLine l = parse_line("SYSCALL[3395,1](61) sys_wait4 ( 3396, 0x0, 0, 0x0 ) --> [async] ... ");
  ASSERT_EQ(l.kind, LineKind::kSyscall);
  EXPECT_EQ(l.sys.status, SyscallStatus::kAsyncPending);
  EXPECT_EQ(l.sys.args, " 3396, 0x0, 0, 0x0 ");
  l = parse_line("SYSCALL[3395,1](61) ... [async] --> Success(0xd44) ");
  ASSERT_EQ(l.kind, LineKind::kSyscall);
  EXPECT_EQ(l.sys.status, SyscallStatus::kAsyncDone);
  EXPECT_EQ(l.sys.nr, 61u);
  EXPECT_TRUE(l.sys.ok);
  EXPECT_EQ(l.sys.value, 0xd44u);
  l = parse_line("SYSCALL[3395,1](257) ... [async] --> Failure(0x2) ");
  EXPECT_EQ(l.sys.status, SyscallStatus::kAsyncDone);
  EXPECT_FALSE(l.sys.ok);
}

TEST(LackeyLine, ForkAnnouncementsLeaveTheResultToTheNextLine) {
  LogLine l = parse_line(
      "SYSCALL[3395,1](56) sys_clone ( 1200011, 0x0, 0x0, 0x4a29a10, 0x0 )   clone(fork): process 3395 created "
      "child 3396");
  ASSERT_EQ(l.kind, LineKind::kSyscall);
  EXPECT_EQ(l.sys.status, SyscallStatus::kOpen);
  EXPECT_EQ(l.sys.child, 3396u);
  EXPECT_EQ(l.sys.name, "sys_clone");
  l = parse_line("SYSCALL[5736,1](58) sys_fork ( )   fork: process 5736 created child 5743");
  EXPECT_EQ(l.sys.status, SyscallStatus::kOpen);
  EXPECT_EQ(l.sys.nr, 58u);  // vfork, printed as sys_fork
  EXPECT_EQ(l.sys.child, 5743u);
  l = parse_line(" --> [pre-success] Success(0xd44) ");
  ASSERT_EQ(l.kind, LineKind::kResult);
  EXPECT_TRUE(l.sys.ok);
  EXPECT_EQ(l.sys.value, 0xd44u);
  l = parse_line(" --> [pre-fail] Failure(0x26) ");
  ASSERT_EQ(l.kind, LineKind::kResult);
  EXPECT_FALSE(l.sys.ok);
  EXPECT_EQ(l.sys.value, 0x26u);
}

TEST(LackeyLine, ASuccessfulExecveHasNoResult) {
  LogLine l = parse_line("SYSCALL[7353,1](59) sys_execve ( 0x403018(/bin/true), 0x1fff0005c0, 0x1fff000618 )");
  ASSERT_EQ(l.kind, LineKind::kSyscall);
  EXPECT_EQ(l.sys.status, SyscallStatus::kOpen);
  EXPECT_EQ(l.sys.child, 0u);
  // Cut inside the arguments: not a complete call.
  EXPECT_EQ(parse_line("SYSCALL[7353,1](59) sys_execve ( 0x403018(/bin/tr").kind, LineKind::kUnknown);
}

TEST(LackeyLine, UnimplementedSyscalls) {
  LogLine l = parse_line("SYSCALL[3395,1](334) unimplemented (by the kernel) syscall: 334! (ni_syscall)");
  ASSERT_EQ(l.kind, LineKind::kSyscall);
  EXPECT_EQ(l.sys.nr, 334u);
  EXPECT_EQ(l.sys.status, SyscallStatus::kOpen);
  EXPECT_EQ(l.sys.child, 0u);
}

TEST(LackeyLine, MalformedSyscalls) {
  for (const char* bad : {"SYSCALL[3395](9) sys_mmap ( 0x0 ) --> Success(0x0)",
                          "SYSCALL[3395,1]9 sys_mmap ( 0x0 ) --> Success(0x0)",
                          "SYSCALL[x,1](9) sys_mmap ( 0x0 ) --> Success(0x0)",
                          "SYSCALL[3395,1](9) sys_mmap ( 0x0 ) --> Succeeded(0x0)",
                          "SYSCALL[3395,1](9) sys_mmap ( 0x0 ) --> Success(0xzz)",
                          "SYSCALL[3395,1](9) sys_mmap ( 0x0 ) --> Success(0x0) trailing",
                          "SYSCALL[3395,1](61) ... [async] --> ",
                          " --> Success(0x0",
                          " --> "}) {
    EXPECT_EQ(parse_line(bad).kind, LineKind::kUnknown) << bad;
  }
}

TEST(LackeyLine, ValgrindCommentary) {
  LogLine l = parse_line("==3396== Parent PID: 3395");
  ASSERT_EQ(l.kind, LineKind::kCommentary);
  EXPECT_EQ(l.vg_pid, 3396u);
  EXPECT_EQ(l.text, "Parent PID: 3395");
  l = parse_line("==3395== ");
  EXPECT_EQ(l.kind, LineKind::kCommentary);
  EXPECT_EQ(l.text, "");
  l = parse_line("--3395-- Reading syms from /usr/bin/true");
  EXPECT_EQ(l.kind, LineKind::kCommentary);
  EXPECT_EQ(l.vg_pid, 3395u);
  for (const char* bad : {"==3395 Parent PID: 1", "==x== hello", "", "hello", "=="})
    EXPECT_EQ(parse_line(bad).kind, LineKind::kUnknown) << bad;
}

TEST(LackeyLine, Arguments) {
  std::string_view a[6];
  ASSERT_EQ(split_args(" 0x0, 8192, 3, 34, 4294967295, 0 ", a, 6), 6u);
  uint64_t v;
  ASSERT_TRUE(parse_arg(a[1], v));
  EXPECT_EQ(v, 8192u);
  ASSERT_TRUE(parse_arg(a[4], v));
  EXPECT_EQ(v, 4294967295u);
  ASSERT_TRUE(parse_arg("-1", v));
  EXPECT_EQ(v, UINT64_MAX);
  ASSERT_TRUE(parse_arg("0x4a16000", v));
  EXPECT_EQ(v, 0x4a16000u);
  EXPECT_FALSE(parse_arg("12ab", v));
  EXPECT_FALSE(parse_arg("", v));
  ASSERT_TRUE(parse_hex_arg("1200011", v));  // clone flags
  EXPECT_EQ(v, 0x1200011u);

  // A path in parentheses keeps its commas.
  ASSERT_EQ(split_args(" 4294967196, 0x1ffefff630(/tmp/a,b.so), 524288 ", a, 6), 3u);
  EXPECT_EQ(arg_string(a[1]), "/tmp/a,b.so");
  ASSERT_TRUE(parse_arg(a[1], v));
  EXPECT_EQ(v, 0x1ffefff630u);
  EXPECT_EQ(split_args(" ", a, 6), 0u);
  EXPECT_EQ(split_args("", a, 6), 0u);
}

}  // namespace
}  // namespace cowsim::lackey
