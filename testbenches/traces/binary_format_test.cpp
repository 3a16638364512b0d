// The binary encoding byte by byte: the writer's exact output and the reader's decoding of
// hand-built files, per docs/trace-format.md.
#include "testbenches/traces/binary_builder.h"
#include "testbenches/traces/trace_test_util.h"

#include <sstream>

namespace cowsim::trace::test {
namespace {

Record rec(Op op, uint32_t pid, uint64_t addr = 0, uint64_t len = 0) {
  Record r;
  r.op = op;
  r.pid = pid;
  r.addr = addr;
  r.len = len;
  return r;
}

std::vector<Record> decode(const std::string& bytes, NameTable& names) {
  ScratchDir dir;
  return read_all(dir.write("t.cwb", bytes), names);
}

TEST(BinaryFormat, EmptyTraceIsHeaderPlusEndRecord) {
  NameTable names;
  const std::string bytes = encode({}, names, Encoding::kBinary);
  EXPECT_EQ(bytes, BinaryBuilder().header().end().bytes());
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89\x43\x57\x42\x0d\x0a\x1a\x0a", 8));
  EXPECT_EQ(bytes.substr(8, 8), std::string("\x01\0\0\0\0\0\0\0", 8));  // version 1, flags 0
  EXPECT_TRUE(decode(bytes, names).empty());
}

TEST(BinaryFormat, SingleAccessesAreOneSlot) {
  NameTable names;
  Record r = rec(Op::kRead, 0x01020304, 0x7f0000001000);
  Record w = rec(Op::kWrite, 5, 0x10);
  w.size = 4096;
  Record x = rec(Op::kFetch, 6, 0x400000);
  x.size = 16;
  const BinaryBuilder want = BinaryBuilder()
                                 .header()
                                 .slot(0x20, 0, 8, 0x01020304, 0x7f0000001000)
                                 .slot(0x21, 0, 4096, 5, 0x10)
                                 .slot(0x22, 0, 16, 6, 0x400000)
                                 .end();
  EXPECT_EQ(encode({r, w, x}, names, Encoding::kBinary), want.bytes());
  EXPECT_EQ(decode(want.bytes(), names), (std::vector<Record>{r, w, x}));
  // Little-endian: the pid's low byte comes first.
  EXPECT_EQ(want.bytes().substr(16 + 4, 4), "\x04\x03\x02\x01");
}

TEST(BinaryFormat, RangesTakeTwoSlots) {
  NameTable names;
  Record r = rec(Op::kRead, 1, 0x7f0000000000, 1 << 20);
  r.stride = 64;
  r.size = 4;
  Record w = rec(Op::kWrite, 1, 0x7f0000000000, 1 << 20);  // default stride and size
  Record x = rec(Op::kFetch, 2, 0x1000, 100);
  x.stride = 1;
  const BinaryBuilder want = BinaryBuilder()
                                 .header()
                                 .slot(0x24, 0, 4, 1, 0x7f0000000000).slot2(1 << 20, 64)
                                 .slot(0x25, 0, 8, 1, 0x7f0000000000).slot2(1 << 20, 4096)
                                 .slot(0x26, 0, 8, 2, 0x1000).slot2(100, 1)
                                 .end();
  EXPECT_EQ(encode({r, w, x}, names, Encoding::kBinary), want.bytes());
  EXPECT_EQ(decode(want.bytes(), names), (std::vector<Record>{r, w, x}));
}

TEST(BinaryFormat, MemoryMapOps) {
  NameTable names;
  Record anon = rec(Op::kMmap, 1, 0x7f0000000000, 1 << 20);
  anon.prot = kProtRead | kProtWrite;
  Record file = rec(Op::kMmap, 1, 0x7f1000000000, 64 << 10);
  file.prot = kProtRead | kProtExec;
  file.flags = kMapShared | kMapFile;
  file.name = names.intern("lib/libc.so.6");
  Record unmap = rec(Op::kMunmap, 1, 0x7f0000000000, 4096);
  Record prot = rec(Op::kMprotect, 1, 0x7f0000000000, 8192);
  prot.prot = kProtNone;
  Record advise = rec(Op::kMadvise, 1, 0x7f0000000000, 2 << 20);
  advise.advice = Advice::kDontneed;
  const BinaryBuilder want = BinaryBuilder()
                                 .header()
                                 .slot(0x10, 3, 0, 1, 0x7f0000000000).slot2(1 << 20, UINT64_MAX)
                                 .str(0, "lib/libc.so.6")
                                 .slot(0x10, 5, 3, 1, 0x7f1000000000).slot2(64 << 10, 0)
                                 .slot(0x11, 0, 0, 1, 0x7f0000000000).slot2(4096, 0)
                                 .slot(0x12, 0, 0, 1, 0x7f0000000000).slot2(8192, 0)
                                 .slot(0x13, 6, 0, 1, 0x7f0000000000).slot2(2 << 20, 0)
                                 .end();
  EXPECT_EQ(encode({anon, file, unmap, prot, advise}, names, Encoding::kBinary), want.bytes());
  EXPECT_EQ(decode(want.bytes(), names), (std::vector<Record>{anon, file, unmap, prot, advise}));
}

TEST(BinaryFormat, AdviceCodes) {
  const Advice by_code[] = {Advice::kDontfork, Advice::kDofork, Advice::kWipeonfork,
                            Advice::kKeeponfork, Advice::kHugepage, Advice::kNohugepage,
                            Advice::kDontneed};
  for (uint8_t code = 0; code < 7; ++code) {
    NameTable names;
    auto records = decode(BinaryBuilder().header().slot(0x13, code, 0, 1, 0).slot2(4096, 0).end().bytes(), names);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].advice, by_code[code]) << int{code};
  }
}

TEST(BinaryFormat, ProcessAndSyncOps) {
  NameTable names;
  const uint32_t ready = names.intern("ready");
  const uint32_t label = names.intern("phase-1");
  Record post = rec(Op::kPost, 2);
  post.name = ready;
  Record await = rec(Op::kAwait, 1);
  await.name = ready;
  Record snap = rec(Op::kSnapshot, 1);
  snap.name = label;
  const std::vector<Record> records = {
      rec(Op::kCompute, 1, UINT64_MAX), rec(Op::kFork, 1, 2), rec(Op::kVfork, 1, 3),
      rec(Op::kExec, 3), rec(Op::kExit, 3), rec(Op::kWait, 1, 3), rec(Op::kCpu, 2, 4095),
      post, await, snap};
  const BinaryBuilder want = BinaryBuilder()
                                 .header()
                                 .slot(0x30, 0, 0, 1, UINT64_MAX)
                                 .slot(0x40, 0, 0, 1, 2)
                                 .slot(0x41, 0, 0, 1, 3)
                                 .slot(0x42, 0, 0, 3, 0)
                                 .slot(0x43, 0, 0, 3, 0)
                                 .slot(0x44, 0, 0, 1, 3)
                                 .slot(0x50, 0, 0, 2, 4095)
                                 .str(0, "ready")
                                 .slot(0x60, 0, 0, 2, 0)
                                 .slot(0x61, 0, 0, 1, 0)  // string defined once only
                                 .str(1, "phase-1")
                                 .slot(0x62, 0, 0, 1, 1)
                                 .end();
  EXPECT_EQ(encode(records, names, Encoding::kBinary), want.bytes());
  EXPECT_EQ(decode(want.bytes(), names), records);
}

TEST(BinaryFormat, StringPaddingAndMaximumLength) {
  NameTable names;
  Record a = rec(Op::kPost, 1);
  a.name = names.intern(std::string(16, 'a'));  // exactly one slot of bytes, no padding
  Record b = rec(Op::kPost, 1);
  b.name = names.intern(std::string(kMaxNameLength, 'b'));
  const std::string bytes = encode({a, b}, names, Encoding::kBinary);
  EXPECT_EQ(bytes.size(), 16 + (16 + 16 + 16) + (16 + 1024 + 16) + 16u);
  NameTable fresh;
  auto records = decode(bytes, fresh);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(fresh[records[1].name], std::string(kMaxNameLength, 'b'));
}

TEST(BinaryFormat, FileStringIdsMapIntoTheCallersTable) {
  NameTable names;
  names.intern("already-here");
  names.intern("ready");
  const std::string bytes = BinaryBuilder()
                                .header()
                                .str(0, "ready")
                                .str(1, "new")
                                .slot(0x61, 0, 0, 1, 1)
                                .slot(0x60, 0, 0, 1, 0)
                                .end()
                                .bytes();
  auto records = decode(bytes, names);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, 2u);  // "new" appended to the table
  EXPECT_EQ(records[1].name, 1u);  // "ready" reused
  EXPECT_EQ(names.size(), 3u);
}

TEST(BinaryFormat, WhereIsTheByteOffsetOfTheLastRecord) {
  ScratchDir dir;
  const std::string path = dir.write("w.cwb", BinaryBuilder()
                                                  .header()
                                                  .slot(0x30, 0, 0, 1, 5)
                                                  .str(0, "x")
                                                  .slot(0x60, 0, 0, 1, 0)
                                                  .slot(0x11, 0, 0, 1, 0).slot2(4096, 0)
                                                  .end()
                                                  .bytes());
  NameTable names;
  auto stream = open_trace(path, names);
  Record r;
  ASSERT_TRUE(stream->next(r));
  EXPECT_EQ(stream->where(), path + ": byte 16");
  ASSERT_TRUE(stream->next(r));
  EXPECT_EQ(stream->where(), path + ": byte 64");
  ASSERT_TRUE(stream->next(r));
  EXPECT_EQ(stream->where(), path + ": byte 80");
  EXPECT_FALSE(stream->next(r));
  EXPECT_FALSE(stream->next(r));
}

TEST(BinaryFormat, RecordsStraddlingReadBlocks) {
  // Enough 32-byte records after the 16-byte header that some straddle each 1 MiB block.
  NameTable names;
  std::vector<Record> records;
  for (uint64_t i = 0; i < 100000; ++i) {
    Record r = rec(Op::kWrite, 1 + i % 7, 0x1000 + i * 64, 4096 + i);
    r.stride = 1 + i % 4096;
    records.push_back(r);
    if (i % 1000 == 0) {
      Record s = rec(Op::kSnapshot, 1);
      s.name = names.intern("s" + std::to_string(i) + std::string(i % 900, 'p'));
      records.push_back(s);
    }
  }
  const std::string bytes = encode(records, names, Encoding::kBinary);
  ASSERT_GT(bytes.size(), 3u << 20);
  NameTable fresh;
  auto back = decode(bytes, fresh);
  ASSERT_EQ(back.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].op == Op::kSnapshot) {
      ASSERT_EQ(fresh[back[i].name], names[records[i].name]) << i;
      back[i].name = records[i].name;
    }
    ASSERT_EQ(back[i], records[i]) << i;
  }
}

TEST(BinaryFormat, PeekAnnouncesTheNextSingleAccess) {
  // peek() is a host prefetch hint: when it answers, next() must return that record; it
  // answers for buffered single accesses (the common record) and for nothing else.
  NameTable names;
  std::vector<Record> records;
  for (uint64_t i = 0; i < 3000; ++i) {
    Record r = rec(i % 3 == 0 ? Op::kWrite : Op::kRead, 1 + i % 5, 0x7f0000000000 + i * 8);
    if (i % 7 == 0) r.len = 100;  // a range: two slots, not announced
    records.push_back(r);
    if (i % 500 == 0) {
      Record s = rec(Op::kSnapshot, 1);
      s.name = names.intern("s" + std::to_string(i));
      records.push_back(s);
    }
  }
  ScratchDir dir;
  const std::string path = dir.write("peek.cwb", encode(records, names, Encoding::kBinary));
  NameTable fresh;
  auto stream = open_trace(path, fresh);
  size_t i = 0, singles_announced = 0, singles = 0;
  for (Record r, ahead;; ++i) {
    const bool known = stream->peek(ahead);
    if (!stream->next(r)) {
      EXPECT_FALSE(known);
      break;
    }
    ASSERT_LT(i, records.size());
    if (known) {
      ASSERT_EQ(ahead, r) << i;
      EXPECT_EQ(records[i].len, 0u) << i;
    }
    if (records[i].op != Op::kSnapshot && records[i].len == 0) {
      ++singles;
      singles_announced += known;
    }
    EXPECT_EQ(records[i].op == Op::kSnapshot ? Op::kSnapshot : records[i].op, r.op) << i;
  }
  EXPECT_EQ(i, records.size());
  EXPECT_GT(singles_announced, singles * 9 / 10);  // all but the first and those after a string
}

TEST(BinaryFormat, ContentBeatsExtension) {
  // A binary trace is recognised by its magic even if it is named .cwt.
  ScratchDir dir;
  const std::string path = dir.write("really-binary.cwt", BinaryBuilder().header().slot(0x43, 0, 0, 9, 0).end().bytes());
  NameTable names;
  auto records = read_all(path, names);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], rec(Op::kExit, 9));
}

TEST(BinaryFormat, WriterRejectsInvalidRecords) {
  NameTable names;
  std::ostringstream out;
  auto writer = make_writer(out, Encoding::kBinary);
  std::string msg = input_error([&] { writer->write(rec(Op::kExit, 0), names); });
  EXPECT_NE(msg.find("pid must be 1..2147483647"), std::string::npos) << msg;
  Record post = rec(Op::kPost, 1);
  post.name = 3;  // not in the table
  msg = input_error([&] { writer->write(post, names); });
  EXPECT_NE(msg.find("name id 3 is not in the name table"), std::string::npos) << msg;
  post.name = names.intern("bad name");
  msg = input_error([&] { writer->write(post, names); });
  EXPECT_NE(msg.find("'bad name'"), std::string::npos) << msg;
  auto text = make_writer(out, Encoding::kText);
  msg = input_error([&] { text->write(rec(Op::kFork, 4, 4), names); });
  EXPECT_NE(msg.find("child pid must differ"), std::string::npos) << msg;
}

TEST(BinaryFormat, DecodesAFileLargerThanTheReadBlock) {
  // 4 Mi records (64 MiB) span many 1 MiB read blocks: every record must come back once, in
  // order, across block boundaries. Decode speed is measured by the benchmarks, not here.
  NameTable names;
  std::vector<Record> records(1 << 22, rec(Op::kRead, 1, 0x1000));
  ScratchDir dir;
  const std::string path = dir.write("big.cwb", encode(records, names, Encoding::kBinary));
  auto stream = open_trace(path, names);
  Record r;
  uint64_t n = 0, sum = 0;
  while (stream->next(r)) {
    ++n;
    sum += r.addr;
  }
  EXPECT_EQ(n, records.size());
  EXPECT_EQ(sum, records.size() * 0x1000);
}

}  // namespace
}  // namespace cowsim::trace::test
