// Every class of bad text input is an InputError "FILE:LINE: <what>" quoting the token.
#include "testbenches/traces/trace_test_util.h"

namespace cowsim::trace::test {
namespace {

// The error for a trace whose body (after the header on line 1) is `body`.
struct TextError : ::testing::Test {
  ScratchDir dir;

  std::string error_for_file(const std::string& text) {
    const std::string path = dir.write("bad.cwt", text);
    return input_error([&] {
      NameTable names;
      read_all(path, names);
    });
  }
  // Checks the message names the file and line and contains every one of `parts`.
  void expect_error(const std::string& body, int line, std::initializer_list<std::string> parts) {
    const std::string msg = error_for_file("cowsim-trace 1\n" + body);
    const std::string where = dir.path("bad.cwt") + ":" + std::to_string(line) + ": ";
    EXPECT_EQ(msg.rfind(where, 0), 0u) << "message: " << msg << "\nexpected prefix: " << where;
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg << "\nlacks: " << part;
  }
};

TEST_F(TextError, UnknownOp) {
  expect_error("1 exit\n1 jump 0x1000\n", 3, {"unknown op", "'jump'"});
  expect_error("1 R 0x1000\n", 2, {"unknown op", "'R'"});  // ops are case-sensitive
}

TEST_F(TextError, MissingFields) {
  expect_error("1 mmap 0x1000 4K rw\n", 2, {"'mmap' is missing <flags>", "usage"});
  expect_error("1 mmap 0x1000\n", 2, {"'mmap' is missing <len>"});
  expect_error("1 r\n", 2, {"'r' is missing <addr>"});
  expect_error("1 fork\n", 2, {"'fork' is missing <child-pid>"});
  expect_error("1 post\n", 2, {"'post' is missing <name>"});
  expect_error("1\n", 2, {"missing op", "'1'"});
}

TEST_F(TextError, ExtraFields) {
  expect_error("1 exit now\n", 2, {"extra field", "'now'"});
  expect_error("1 munmap 0x1000 4K rw\n", 2, {"extra field", "'rw'"});
  expect_error("1 r 0x1000 8 8\n", 2, {"extra field", "'8'"});
  expect_error("1 w 0x1000 +4K /64 8 9\n", 2, {"extra field", "'9'"});
  expect_error("1 w 0x1000 +4K /64 8 9 10\n", 2, {"extra field"});
  expect_error("1 r 0x1000 8 +4K\n", 2, {"extra field", "'+4K'"});  // range after size
}

TEST_F(TextError, BadNumber) {
  expect_error("1 r 0x10g0\n", 2, {"bad number", "'0x10g0'"});
  expect_error("1 r 12ab\n", 2, {"bad number", "'12ab'"});
  expect_error("x1 exit\n", 2, {"bad number", "'x1'"});
  expect_error("1 r -4096\n", 2, {"bad number", "'-4096'"});
  expect_error("1 r 0x\n", 2, {"bad number", "'0x'"});
  expect_error("1 munmap 0x1000 0x10K\n", 2, {"bad number", "'0x10K'"});  // suffix on hex
  expect_error("1 munmap 0x1000 4q\n", 2, {"bad number", "'4q'"});       // no such multiplier
  expect_error("1 munmap 0x1000 4iB\n", 2, {"bad number", "'4iB'"});     // iB needs a multiplier
  expect_error("1 munmap 0x1000 1.1K\n", 2, {"'1.1K'", "is not a whole number"});  // 1126.4 bytes
  expect_error("1 r 0x1000.5\n", 2, {"bad number"});                    // addresses: integers only
  expect_error("1 r 4K\n", 2, {"bad number", "'4K'"});  // addresses take no suffix
  expect_error("1 cpu 1K\n", 2, {"bad number", "'1K'"});
  expect_error("1 w 0x1000 +4X\n", 2, {"bad number", "'+4X'"});
  expect_error("1 w 0x1000 +4K /\n", 2, {"bad number", "'/'"});
}

TEST_F(TextError, NumberOverflow) {
  expect_error("1 compute 18446744073709551616\n", 2, {"does not fit in 64 bits", "'18446744073709551616'"});
  expect_error("1 r 0x10000000000000000\n", 2, {"does not fit in 64 bits", "'0x10000000000000000'"});
  expect_error("1 compute 16777216T\n", 2, {"does not fit in 64 bits", "'16777216T'"});  // 2^64
  expect_error("1 compute 99999999999999999999999\n", 2, {"does not fit"});
}

TEST_F(TextError, PidRange) {
  expect_error("0 exit\n", 2, {"pid must be 1..2147483647", "'0'"});
  expect_error("2147483648 exit\n", 2, {"pid must be", "'2147483648'"});
  expect_error("0x100000000 exit\n", 2, {"pid must be", "'0x100000000'"});  // no silent truncation
}

TEST_F(TextError, ChildPid) {
  expect_error("1 fork 0\n", 2, {"child pid must be 1..2147483647", "'0'"});
  expect_error("1 vfork 2147483648\n", 2, {"child pid must be", "'2147483648'"});
  expect_error("7 wait 7\n", 2, {"child pid must differ", "'7'"});
  expect_error("7 fork 0x7\n", 2, {"child pid must differ", "'0x7'"});
}

TEST_F(TextError, NonCanonicalAndKernelAddresses) {
  expect_error("1 r 0x0100000000000000\n", 2, {"non-canonical address", "'0x0100000000000000'"});
  expect_error("1 r 0x8000000000000000\n", 2, {"non-canonical", "'0x8000000000000000'"});
  expect_error("1 r 0xff00000000000000\n", 2, {"kernel address", "'0xff00000000000000'"});
  expect_error("1 mmap 0xffffffffffff0000 4K rw private,anon\n", 2, {"kernel address", "'0xffffffffffff0000'"});
  expect_error("1 munmap 0x100000000000000 4K\n", 2, {"non-canonical", "'0x100000000000000'"});
}

TEST_F(TextError, EndOfRangeOverflowsOrLeavesUserSpace) {
  expect_error("1 mmap 0xfffffffffff000 8K rw private,anon\n", 2, {"below 2^56", "'8K'"});
  expect_error("1 munmap 0xff000000000000 512T\n", 2, {"below 2^56", "'512T'"});
  expect_error("1 munmap 0xff000000000000 0xffffffffffffff00\n", 2, {"below 2^56", "'0xffffffffffffff00'"});
  expect_error("1 madvise 0x1000 0xffffffffffffffff dontneed\n", 2, {"below 2^56", "'0xffffffffffffffff'"});
  expect_error("1 w 0xfffffffffff000 +8K\n", 2, {"below 2^56", "'+8K'"});
  expect_error("1 r 0xfffffffffffff8 16\n", 2, {"access must end below 2^56", "'0xfffffffffffff8'"});
  // Last access of the range starts inside user space but its bytes run past 2^56.
  expect_error("1 r 0xfffffffffff000 +4K /4088 16\n", 2, {"last access", "'16'"});
}

TEST_F(TextError, ZeroLengths) {
  expect_error("1 w 0x1000 +0\n", 2, {"range length must be > 0", "'+0'"});
  expect_error("1 w 0x1000 +0x0 /8\n", 2, {"range length must be > 0", "'+0x0'"});
  expect_error("1 mmap 0x1000 0 rw private,anon\n", 2, {"length must be > 0", "'0'"});
  expect_error("1 munmap 0x1000 0\n", 2, {"length must be > 0", "'0'"});
}

TEST_F(TextError, StrideRange) {
  expect_error("1 r 0x1000 +4K /0\n", 2, {"stride must be 1..4G", "'/0'"});
  expect_error("1 r 0x1000 +4K /4294967297\n", 2, {"stride must be", "'/4294967297'"});
  expect_error("1 r 0x1000 /64\n", 2, {"without a range", "'/64'"});
}

TEST_F(TextError, AccessSize) {
  expect_error("1 r 0x1000 0\n", 2, {"access size must be 1..4096", "'0'"});
  expect_error("1 w 0x1000 4097\n", 2, {"access size must be", "'4097'"});
  expect_error("1 x 0x1000 +4K /64 8K\n", 2, {"access size must be", "'8K'"});
  expect_error("1 r 0x1000 0x100000000\n", 2, {"access size", "'0x100000000'"});  // no truncation
}

TEST_F(TextError, CpuCore) {
  expect_error("1 cpu 4096\n", 2, {"cpu core must be 0..4095", "'4096'"});
}

TEST_F(TextError, BadProtFlagsAdvice) {
  expect_error("1 mprotect 0x1000 4K wx\n", 2, {"bad prot", "'wx'"});
  expect_error("1 mmap 0x1000 4K rw private\n", 2, {"bad mmap flags", "'private'"});
  expect_error("1 mmap 0x1000 4K rw anon,private\n", 2, {"bad mmap flags", "'anon,private'"});
  expect_error("1 mmap 0x1000 4K rw private,file\n", 2, {"bad mmap flags", "'private,file'"});
  expect_error("1 mmap 0x1000 4K rw private,huge1g\n", 2, {"bad mmap flags", "'private,huge1g'"});
  expect_error("1 madvise 0x1000 4K willneed\n", 2, {"unknown madvise advice", "'willneed'"});
}

TEST_F(TextError, BadNames) {
  expect_error("1 post a*b\n", 2, {"name may only contain", "'a*b'"});
  expect_error("1 mmap 0x1000 4K rw shared,file=\n", 2, {"name must be 1..1024 bytes", "'shared,file='"});
  expect_error("1 mmap 0x1000 4K rw shared,file=a,b\n", 2, {"name may only contain", "'shared,file=a,b'"});
  expect_error("1 snapshot " + std::string(1025, 'n') + "\n", 2, {"name must be 1..1024 bytes"});
  expect_error("1 await caf\xc3\xa9\n", 2, {"name may only contain", "'caf\\xc3\\xa9'"});
  NameTable names;  // the longest name is fine
  EXPECT_EQ(parse_text("1 snapshot " + std::string(1024, 'n') + "\n", names).size(), 1u);
}

TEST_F(TextError, Header) {
  EXPECT_NE(error_for_file("").find(dir.path("bad.cwt") + ":1: empty trace"), std::string::npos);
  EXPECT_NE(error_for_file("# only a comment\n").find("missing the header"), std::string::npos);
  std::string msg = error_for_file("# c\n\ncowsim-trace 2\n1 exit\n");
  EXPECT_NE(msg.find(dir.path("bad.cwt") + ":3: unsupported trace version '2'"), std::string::npos) << msg;
  msg = error_for_file("1 exit\ncowsim-trace 1\n");
  EXPECT_NE(msg.find(":1: not a cowsim trace"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'1'"), std::string::npos) << msg;
  msg = error_for_file("cowsim-trace\n");
  EXPECT_NE(msg.find(":1: header 'cowsim-trace' lacks the version"), std::string::npos) << msg;
  msg = error_for_file("cowsim-trace 1 extra\n");
  EXPECT_NE(msg.find(":1: extra field 'extra'"), std::string::npos) << msg;
  msg = error_for_file("cowsim-trace 1\ncowsim-trace 1\n");  // header only once
  EXPECT_NE(msg.find(":2: the header 'cowsim-trace 1' may appear only once"), std::string::npos) << msg;
}

TEST_F(TextError, NotATraceAtAll) {
  const std::string elf("\x7f" "ELF\x02\x01\x01\0\0\0", 10);
  const std::string msg = error_for_file(elf + std::string(100, '\0'));
  EXPECT_NE(msg.find(dir.path("bad.cwt") + ":1: not a cowsim trace"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\\x7fELF"), std::string::npos) << msg;  // shown escaped, not raw
  EXPECT_EQ(msg.find('\0'), std::string::npos);
}

TEST_F(TextError, LineTooLong) {
  const std::string msg = error_for_file("cowsim-trace 1\n1 exit # " + std::string(2 << 20, 'c') + "\n");
  EXPECT_NE(msg.find(dir.path("bad.cwt") + ":2: line longer than 1 MiB"), std::string::npos) << msg;
}

TEST_F(TextError, UnreadableFiles) {
  std::string msg = input_error([&] {
    NameTable names;
    open_trace(dir.path("missing.cwt"), names);
  });
  EXPECT_NE(msg.find(dir.path("missing.cwt") + ": cannot open: No such file"), std::string::npos) << msg;
  msg = input_error([&] {
    NameTable names;
    open_trace(dir.path(""), names);  // the directory itself
  });
  EXPECT_NE(msg.find("cannot open: Is a directory"), std::string::npos) << msg;
}

TEST_F(TextError, RecordsBeforeTheErrorAreDelivered) {
  const std::string path = dir.write("partial.cwt", "cowsim-trace 1\n1 exec\n1 exit\n1 bogus\n");
  NameTable names;
  auto stream = open_trace(path, names);
  Record r;
  ASSERT_TRUE(stream->next(r));
  ASSERT_TRUE(stream->next(r));
  EXPECT_EQ(r.op, Op::kExit);
  const std::string msg = input_error([&] { stream->next(r); });
  EXPECT_NE(msg.find(path + ":4: unknown op 'bogus'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cowsim::trace::test

namespace cowsim::trace::test {
namespace {

TEST_F(TextError, Spans) {
  expect_error("1 span\n", 2, {"'span' is missing begin, window or end", "usage"});
  expect_error("1 span start x\n", 2, {"unknown span record", "'start'"});
  expect_error("1 span begin\n", 2, {"'span begin' is missing <name>"});
  expect_error("1 span end x y\n", 2, {"extra field", "'y'"});
  expect_error("1 span window w at 5\n", 2, {"extra field", "'at'"});  // a window arrives now
  expect_error("1 span begin x when 5\n", 2, {"expected 'at'", "'when'"});
  expect_error("1 span begin x at\n", 2, {"missing the arrival time"});
  expect_error("1 span begin x at 4K\n", 2, {"bad number", "'4K'"});  // ns: plain integers
  expect_error("1 span begin x at 281474976710657\n", 2, {"at most 2^48 ns", "'281474976710657'"});
  expect_error("1 span begin x at +1 2\n", 2, {"extra field", "'2'"});
  expect_error("1 span begin " + std::string(1025, 'a') + "\n", 2, {"name must be 1..1024 bytes"});
  expect_error("1 span end a,b\n", 2, {"name may only contain"});
}

}  // namespace
}  // namespace cowsim::trace::test
