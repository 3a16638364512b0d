// Every form of the text grammar parses into exactly the expected record fields.
#include "testbenches/traces/trace_test_util.h"

namespace cowsim::trace::test {
namespace {

Record parse_one(const std::string& line, NameTable& names) {
  auto records = parse_text(line + "\n", names);
  EXPECT_EQ(records.size(), 1u) << line;
  return records.empty() ? Record{} : records[0];
}

Record parse_one(const std::string& line) {
  NameTable names;
  return parse_one(line, names);
}

Record make(Op op, uint32_t pid) {
  Record r;
  r.op = op;
  r.pid = pid;
  return r;
}

TEST(TextReader, MmapAnonymous) {
  Record want = make(Op::kMmap, 1);
  want.addr = 0x7f0000000000;
  want.len = uint64_t{4} << 30;
  want.prot = kProtRead | kProtWrite;
  want.flags = kMapPrivate | kMapAnon;
  EXPECT_EQ(parse_one("1 mmap 0x7f0000000000 4G rw private,anon"), want);
}

TEST(TextReader, MmapSharedFileWithName) {
  NameTable names;
  const Record r = parse_one("7 mmap 0x1000 8192 rx shared,file=data/db-1.dat", names);
  Record want = make(Op::kMmap, 7);
  want.addr = 0x1000;
  want.len = 8192;
  want.prot = kProtRead | kProtExec;
  want.flags = kMapShared | kMapFile;
  want.name = 0;
  EXPECT_EQ(r, want);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0], "data/db-1.dat");
}

TEST(TextReader, EveryProtSpelling) {
  const std::pair<const char*, uint8_t> cases[] = {
      {"none", 0}, {"r", 1}, {"rw", 3}, {"rx", 5}, {"rwx", 7}};
  for (const auto& [text, bits] : cases) {
    EXPECT_EQ(parse_one(std::string("1 mprotect 0x2000 4K ") + text).prot, bits) << text;
    EXPECT_EQ(parse_one(std::string("1 mmap 0x2000 4K ") + text + " private,anon").prot, bits);
  }
}

TEST(TextReader, MunmapMprotect) {
  Record want = make(Op::kMunmap, 3);
  want.addr = 0x7f0000001000;
  want.len = 3 * 4096;
  EXPECT_EQ(parse_one("3 munmap 0x7f0000001000 12K"), want);
  want.op = Op::kMprotect;
  want.prot = kProtNone;
  EXPECT_EQ(parse_one("3 mprotect 0x7f0000001000 12288 none"), want);
}

TEST(TextReader, EveryAdvice) {
  const std::pair<const char*, Advice> cases[] = {
      {"dontfork", Advice::kDontfork},     {"dofork", Advice::kDofork},
      {"wipeonfork", Advice::kWipeonfork}, {"keeponfork", Advice::kKeeponfork},
      {"hugepage", Advice::kHugepage},     {"nohugepage", Advice::kNohugepage},
      {"dontneed", Advice::kDontneed}};
  for (const auto& [text, advice] : cases) {
    Record want = make(Op::kMadvise, 2);
    want.addr = 0x200000;
    want.len = 2 << 20;
    want.advice = advice;
    EXPECT_EQ(parse_one(std::string("2 madvise 0x200000 2M ") + text), want) << text;
  }
}

TEST(TextReader, SingleAccessesWithDefaultAndExplicitSize) {
  Record want = make(Op::kRead, 1);
  want.addr = 0x1000;
  EXPECT_EQ(parse_one("1 r 0x1000"), want);  // size 8, len 0 (one access)
  EXPECT_EQ(want.size, 8u);
  EXPECT_EQ(want.len, 0u);
  want.op = Op::kWrite;
  want.size = 1;
  EXPECT_EQ(parse_one("1 w 0x1000 1"), want);
  want.op = Op::kFetch;
  want.size = 4096;
  EXPECT_EQ(parse_one("1 x 4096 4K"), want);
}

TEST(TextReader, RangeForms) {
  Record want = make(Op::kWrite, 1);
  want.addr = 0x7f0000000000;
  want.len = 1 << 20;
  EXPECT_EQ(parse_one("1 w 0x7f0000000000 +1M"), want);  // stride 4096, size 8
  EXPECT_EQ(parse_one("1 w 0x7f0000000000 +1M").accesses(), 256u);

  want.op = Op::kRead;
  want.stride = 64;
  EXPECT_EQ(parse_one("1 r 0x7f0000000000 +1M /64"), want);
  want.size = 4;
  EXPECT_EQ(parse_one("1 r 0x7f0000000000 +1M /64 4"), want);
  want.stride = kDefaultStride;
  want.size = 16;
  want.op = Op::kFetch;
  EXPECT_EQ(parse_one("1 x 0x7f0000000000 +1048576 16"), want);  // size without stride
  want.len = 0x3000;
  want.stride = 2 << 20;
  want.size = 8;
  EXPECT_EQ(parse_one("1 x 0x7f0000000000 +0x3000 /2M"), want);  // hex length
}

TEST(TextReader, ComputeForkVforkExecExitWaitCpu) {
  Record want = make(Op::kCompute, 4);
  want.addr = 123456789;
  EXPECT_EQ(parse_one("4 compute 123456789"), want);
  want.addr = UINT64_MAX;
  EXPECT_EQ(parse_one("4 compute 18446744073709551615"), want);
  want.addr = 3ull << 30;
  EXPECT_EQ(parse_one("4 compute 3G"), want);  // counts take suffixes too

  for (auto [text, op] : {std::pair{"fork", Op::kFork}, std::pair{"vfork", Op::kVfork},
                          std::pair{"wait", Op::kWait}}) {
    Record child = make(op, 4);
    child.addr = 5;
    EXPECT_EQ(parse_one(std::string("4 ") + text + " 5"), child) << text;
  }
  EXPECT_EQ(parse_one("4 exec"), make(Op::kExec, 4));
  EXPECT_EQ(parse_one("2147483647 exit"), make(Op::kExit, 2147483647));
  Record cpu = make(Op::kCpu, 4);
  cpu.addr = 4095;
  EXPECT_EQ(parse_one("4 cpu 4095"), cpu);
}

TEST(TextReader, PostAwaitSnapshotInternNames) {
  NameTable names;
  auto records = parse_text("1 post ready\n2 await ready\n1 snapshot phase:2@x+y_z.-/\n", names);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].op, Op::kPost);
  EXPECT_EQ(records[1].op, Op::kAwait);
  EXPECT_EQ(records[2].op, Op::kSnapshot);
  EXPECT_EQ(records[0].name, records[1].name);  // one name, one id
  EXPECT_EQ(names[records[0].name], "ready");
  EXPECT_EQ(names[records[2].name], "phase:2@x+y_z.-/");
  EXPECT_EQ(records[2].pid, 1u);
}

TEST(TextReader, SuffixesArePowersOf1024) {
  EXPECT_EQ(parse_one("1 munmap 0x0 1K").len, 1024u);
  EXPECT_EQ(parse_one("1 munmap 0x0 3M").len, 3u << 20);
  EXPECT_EQ(parse_one("1 munmap 0x0 5G").len, 5ull << 30);
  EXPECT_EQ(parse_one("1 munmap 0x0 2T").len, 2ull << 40);
  EXPECT_EQ(parse_one("1 munmap 0x0 0x10").len, 16u);
  EXPECT_EQ(parse_one("1 munmap 0x0 0XaBc").len, 0xabcu);
  EXPECT_EQ(parse_one("1 munmap 0x0 007").len, 7u);
}

TEST(TextReader, SizesFollowTheConfigurationsRule) {
  // The rule of models/common/size_text.h, the same as --set and --param.
  EXPECT_EQ(parse_one("1 munmap 0x0 8GB").len, 8ull << 30);
  EXPECT_EQ(parse_one("1 munmap 0x0 8GiB").len, 8ull << 30);
  EXPECT_EQ(parse_one("1 munmap 0x0 1.5G").len, 1610612736u);  // 1.5 x 2^30
  EXPECT_EQ(parse_one("1 munmap 0x0 4k").len, 4096u);
  EXPECT_EQ(parse_one("1 w 0x0 +1.5M /0.5K").len, 1572864u);     // 1.5 x 2^20
  EXPECT_EQ(parse_one("1 w 0x0 +1.5M /0.5K").stride, 512u);
}

TEST(TextReader, CommentsBlankLinesTabsAndCarriageReturns) {
  NameTable names;
  const std::string text =
      "# leading comment\n"
      "\n"
      "   # indented comment\n"
      "cowsim-trace 1 # header with a comment\n"
      "\t\n"
      "1\tmmap\t0x1000   4K \t rw private,anon   # trailing comment\n"
      "# between\n"
      "1 r 0x1000#comment right after a field\r\n"
      "1 exit";  // no final newline
  ScratchDir dir;
  auto stream = open_trace(dir.write("c.cwt", text), names);
  Record r;
  ASSERT_TRUE(stream->next(r));
  EXPECT_EQ(r.op, Op::kMmap);
  EXPECT_EQ(r.len, 4096u);
  EXPECT_EQ(stream->where(), dir.path("c.cwt") + ":6");
  ASSERT_TRUE(stream->next(r));
  EXPECT_EQ(r.op, Op::kRead);
  EXPECT_EQ(r.addr, 0x1000u);
  EXPECT_EQ(stream->where(), dir.path("c.cwt") + ":8");
  ASSERT_TRUE(stream->next(r));
  EXPECT_EQ(r.op, Op::kExit);
  EXPECT_EQ(stream->where(), dir.path("c.cwt") + ":9");
  EXPECT_FALSE(stream->next(r));
  EXPECT_FALSE(stream->next(r));  // stays at the end
}

TEST(TextReader, LastLineWithoutNewline) {
  // The final line is only found at end of file, after the buffer has been compacted.
  ScratchDir dir;
  NameTable names;
  auto records = read_all(dir.write("n.cwt", "cowsim-trace 1\n1 r 0x7f0000001000 +4K /64 16"), names);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].addr, 0x7f0000001000u);
  EXPECT_EQ(records[0].len, 4096u);
  EXPECT_EQ(records[0].stride, 64u);
  EXPECT_EQ(records[0].size, 16u);
}

TEST(TextReader, HeaderOnlyTraceIsEmpty) {
  NameTable names;
  EXPECT_TRUE(parse_text("", names).empty());
  EXPECT_TRUE(parse_text("# nothing\n\n", names).empty());
}

TEST(TextReader, LimitsAreInclusive) {
  EXPECT_EQ(parse_one("1 r 0xfffffffffff000 4K").addr, 0xfffffffffff000u);  // ends at 2^56
  EXPECT_EQ(parse_one("1 munmap 0x0 64T").len, uint64_t{1} << 46);
  EXPECT_EQ(parse_one("1 munmap 0xff000000000000 0x1000000000000").len, 1ull << 48);
  EXPECT_EQ(parse_one("1 r 0x0 +1 /4G").stride, 1ull << 32);
  EXPECT_EQ(parse_one("1 r 0x0 +4K /1").accesses(), 4096u);
}

TEST(TextReader, ManyLinesCrossBufferBoundaries) {
  // More than one 1 MiB block, so lines straddle refills.
  std::string body;
  const int n = 60000;
  for (int i = 0; i < n; ++i) body += "1 r " + std::to_string(0x1000 + i * 8) + "   # padding padding\n";
  NameTable names;
  auto records = parse_text(body, names);
  ASSERT_EQ(records.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_EQ(records[i].addr, static_cast<uint64_t>(0x1000 + i * 8));
}

}  // namespace
}  // namespace cowsim::trace::test
