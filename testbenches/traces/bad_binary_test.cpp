// Every class of bad binary input is an InputError "FILE: byte N: <what>", and no damaged
// file crashes the reader or yields an invalid record.
#include <random>

#include "testbenches/traces/binary_builder.h"
#include "testbenches/traces/trace_test_util.h"
#include "traces/validate.h"

namespace cowsim::trace::test {
namespace {

struct BinaryError : ::testing::Test {
  ScratchDir dir;

  std::string error_for(const std::string& bytes, const std::string& name = "bad.cwb") {
    const std::string path = dir.write(name, bytes);
    return input_error([&] {
      NameTable names;
      read_all(path, names);
    });
  }
  // Checks the message starts with "FILE: byte N: " and contains every one of `parts`.
  void expect_error(const BinaryBuilder& b, uint64_t byte, std::initializer_list<std::string> parts) {
    const std::string msg = error_for(b.bytes());
    const std::string where = dir.path("bad.cwb") + ": byte " + std::to_string(byte) + ": ";
    EXPECT_EQ(msg.rfind(where, 0), 0u) << "message: " << msg << "\nexpected prefix: " << where;
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg << "\nlacks: " << part;
  }
};

BinaryBuilder start() { return BinaryBuilder().header(); }

TEST_F(BinaryError, ForeignFile) {
  expect_error(BinaryBuilder().raw("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), 0, {"not a cowsim binary trace", "bad magic"});
  expect_error(BinaryBuilder().raw("cowsim-trace 1\n1 exit\n"), 0, {"not a cowsim binary trace"});  // text named .cwb
  expect_error(BinaryBuilder(), 0, {"not a cowsim binary trace"});  // empty .cwb
}

TEST_F(BinaryError, MagicDamagedByTextModeTransfer) {
  // CR LF -> LF, as an FTP text transfer would do: the file is still recognised by its
  // first byte and reported as a broken binary trace, even under a .cwt name.
  std::string bytes = start().end().bytes();
  bytes.erase(4, 1);
  const std::string msg = error_for(bytes, "mangled.cwt");
  EXPECT_NE(msg.find(dir.path("mangled.cwt") + ": byte 0: not a cowsim binary trace"), std::string::npos) << msg;
}

TEST_F(BinaryError, UnsupportedVersionAndHeaderFlags) {
  expect_error(BinaryBuilder().header(2).end(), 8, {"unsupported binary trace version 2"});
  expect_error(BinaryBuilder().header(0).end(), 8, {"unsupported binary trace version 0"});
  expect_error(BinaryBuilder().header(1, 0x10).end(), 12, {"reserved header flags are nonzero", "0x10"});
  expect_error(BinaryBuilder().raw(std::string("\x89" "CWB\r\n\x1a\n\x01\0", 10)), 8, {"truncated header"});
}

TEST_F(BinaryError, TruncatedRecords) {
  expect_error(start().slot(0x43, 0, 0, 1, 0).raw("\x02\0\0"), 32, {"truncated record", "16-byte slot"});
  expect_error(start().slot(0x43, 0, 0, 1, 0).slot(0x11, 0, 0, 1, 0x1000), 32, {"truncated record", "32-byte munmap"});
  expect_error(start().slot(0x01, 0, 20, 0, 0).raw("0123456789abcdef"), 16, {"truncated record", "bytes of string 0"});
}

TEST_F(BinaryError, MissingEndRecordOrDataAfterIt) {
  expect_error(start().slot(0x43, 0, 0, 1, 0), 32, {"without the end-of-trace record"});
  expect_error(start(), 16, {"without the end-of-trace record"});
  expect_error(start().end().slot(0x43, 0, 0, 1, 0), 32, {"data after the end-of-trace record"});
  expect_error(start().end().raw("\n"), 32, {"data after the end-of-trace record"});
  expect_error(start().slot(0x02, 0, 0, 1, 0), 16, {"end-of-trace record are nonzero"});
}

TEST_F(BinaryError, UnknownOpCode) {
  expect_error(start().slot(0x00, 0, 0, 1, 0).end(), 16, {"unknown op code 0x0"});  // zero-filled data
  expect_error(start().slot(0x43, 0, 0, 1, 0).slot(0x03, 0, 0, 1, 0).end(), 32, {"unknown op code 0x3"});
  expect_error(start().slot(0xff, 0, 0, 1, 0).end(), 16, {"unknown op code 0xff"});
}

TEST_F(BinaryError, StringUsedBeforeDefinition) {
  expect_error(start().slot(0x60, 0, 0, 1, 0).end(), 16, {"string 0 used before its definition"});
  expect_error(start().str(0, "a").slot(0x10, 3, 2, 1, 0x1000).slot2(4096, 5).end(), 48,
               {"string 5 used before its definition"});
  expect_error(start().str(1, "a").end(), 16, {"string id 1 out of order (expected 0)"});
}

TEST_F(BinaryError, HugeStringLengthRejectedBeforeReading) {
  // 65535 bytes are announced but not present: the length itself is the error.
  expect_error(start().slot(0x01, 0, 65535, 0, 0), 16, {"string length 65535 out of range 1..1024"});
  expect_error(start().slot(0x01, 0, 1025, 0, 0), 16, {"string length 1025"});
  expect_error(start().slot(0x01, 0, 0, 0, 0).end(), 16, {"string length 0"});
}

TEST_F(BinaryError, BadStringBytes) {
  expect_error(start().str(0, "a b").end(), 16, {"name may only contain", "'a b'"});
  expect_error(start().str(0, std::string("a\0", 2)).end(), 16, {"name may only contain", "'a\\x00'"});
  BinaryBuilder padded = start().slot(0x01, 0, 3, 0, 0).raw("abc");
  padded.raw(std::string(12, '\0') + "x").end();  // nonzero padding byte
  expect_error(padded, 32, {"string padding bytes are nonzero"});
}

TEST_F(BinaryError, ReservedFieldsNonzero) {
  expect_error(start().slot(0x20, 1, 8, 1, 0x1000).end(), 16, {"reserved fields of a r record"});
  expect_error(start().slot(0x43, 0, 0, 1, 7).end(), 16, {"reserved fields of a exit record"});
  expect_error(start().slot(0x30, 0, 1, 1, 7).end(), 16, {"reserved fields of a compute record"});
  expect_error(start().slot(0x11, 0, 0, 1, 0x1000).slot2(4096, 1).end(), 32, {"reserved fields of a munmap record"});
  expect_error(start().slot(0x12, 3, 1, 1, 0x1000).slot2(4096, 0).end(), 16, {"reserved fields of a mprotect"});
  expect_error(start().slot(0x01, 1, 1, 0, 0).raw(std::string("a") + std::string(15, '\0')).end(), 16,
               {"reserved fields of a string definition"});
}

TEST_F(BinaryError, SemanticRulesAreTheTextOnes) {
  expect_error(start().slot(0x43, 0, 0, 0, 0).end(), 16, {"pid must be 1..2147483647", "got 0"});
  expect_error(start().slot(0x43, 0, 0, 0x80000000, 0).end(), 16, {"pid must be", "got 2147483648"});
  expect_error(start().slot(0x40, 0, 0, 3, 3).end(), 16, {"child pid must differ", "got 3"});
  expect_error(start().slot(0x44, 0, 0, 3, 0).end(), 16, {"child pid must be 1..2147483647", "got 0"});
  expect_error(start().slot(0x20, 0, 8, 1, 0x0100000000000000).end(), 16, {"non-canonical address", "0x100000000000000"});
  expect_error(start().slot(0x20, 0, 8, 1, 0xff00000000000000).end(), 16, {"kernel address", "0xff00000000000000"});
  expect_error(start().slot(0x20, 0, 16, 1, 0xfffffffffffff8).end(), 16, {"access must end below 2^56"});
  expect_error(start().slot(0x11, 0, 0, 1, 0xfffffffffff000).slot2(8192, 0).end(), 16, {"below 2^56", "got 8K"});
  expect_error(start().slot(0x11, 0, 0, 1, 0x1000).slot2(UINT64_MAX, 0).end(), 16, {"below 2^56"});
  expect_error(start().slot(0x10, 3, 0, 1, 0x1000).slot2(0, UINT64_MAX).end(), 16, {"length must be > 0"});
  expect_error(start().slot(0x24, 0, 8, 1, 0x1000).slot2(0, 4096).end(), 16, {"range length must be > 0"});
  expect_error(start().slot(0x24, 0, 8, 1, 0x1000).slot2(4096, 0).end(), 16, {"stride must be 1..4G", "/0"});
  expect_error(start().slot(0x24, 0, 8, 1, 0x1000).slot2(4096, (1ull << 32) + 1).end(), 16, {"stride must be"});
  expect_error(start().slot(0x21, 0, 0, 1, 0x1000).end(), 16, {"access size must be 1..4096", "got 0"});
  expect_error(start().slot(0x21, 0, 4097, 1, 0x1000).end(), 16, {"access size must be", "got 4097"});
  expect_error(start().slot(0x50, 0, 0, 1, 4096).end(), 16, {"cpu core must be 0..4095", "got 4096"});
  expect_error(start().slot(0x12, 2, 0, 1, 0x1000).slot2(4096, 0).end(), 16, {"prot must be", "0x2"});
  expect_error(start().slot(0x10, 3, 8, 1, 0x1000).slot2(4096, UINT64_MAX).end(), 16, {"unknown mmap flags 0x8"});
  expect_error(start().slot(0x10, 3, 6, 1, 0x1000).slot2(4096, UINT64_MAX).end(), 16, {"huge1g needs an anonymous mapping"});
  expect_error(start().slot(0x10, 3, 2, 1, 0x1000).slot2(4096, UINT64_MAX).end(), 16, {"a file mapping needs a file name"});
  expect_error(start().str(0, "f").slot(0x10, 3, 0, 1, 0x1000).slot2(4096, 0).end(), 48, {"a file mapping needs a file name"});
  expect_error(start().slot(0x13, 7, 0, 1, 0x1000).slot2(4096, 0).end(), 16, {"unknown madvise advice code 0x7"});
}

// Every prefix of a valid file is rejected: the end record makes truncation at a record
// boundary detectable too. Never a crash, never a record that is not in the original.
TEST_F(BinaryError, EveryTruncationIsRejected) {
  NameTable names;
  std::vector<Record> records;
  Record r;
  r.op = Op::kMmap;
  r.pid = 1;
  r.addr = 0x7f0000000000;
  r.len = 1 << 20;
  r.prot = 3;
  r.flags = kMapShared | kMapFile;
  r.name = names.intern("data/file-with-a-long-name.dat");
  records.push_back(r);
  r = Record{};
  r.op = Op::kWrite;
  r.pid = 1;
  r.addr = 0x7f0000000000;
  r.len = 1 << 20;
  records.push_back(r);
  r.len = 0;
  records.push_back(r);
  r = Record{};
  r.op = Op::kPost;
  r.pid = 1;
  r.name = names.intern("go");
  records.push_back(r);
  r = Record{};
  r.op = Op::kExit;
  r.pid = 1;
  records.push_back(r);
  const std::string bytes = encode(records, names, Encoding::kBinary);
  for (const char* name : {"cut.cwb", "cut.cwt"}) {
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      const std::string path = dir.write(name, bytes.substr(0, cut));
      NameTable fresh;
      size_t delivered = 0;
      const std::string msg = input_error([&] {
        auto stream = open_trace(path, fresh);
        Record got;
        while (stream->next(got)) {
          ASSERT_LT(delivered, records.size());
          EXPECT_EQ(format_record(got, fresh), format_record(records[delivered], names)) << "cut " << cut;
          ++delivered;
        }
      });
      EXPECT_NE(msg.find(path), std::string::npos) << "cut " << cut << ": " << msg;
    }
  }
  NameTable fresh;  // the whole file is fine
  EXPECT_EQ(read_all(dir.write("whole.cwb", bytes), fresh).size(), records.size());
}

// Random byte damage: the reader either rejects the file or returns only valid records.
TEST_F(BinaryError, RandomCorruptionNeverYieldsInvalidRecords) {
  NameTable names;
  const std::string path = std::string(COWSIM_SOURCE_DIR) + "/traces/examples/file-mapping.cwt";
  const std::string clean = encode(read_all(path, names), names, Encoding::kBinary);
  std::mt19937_64 rng(20240613);
  int rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = clean;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
    const std::string damaged = dir.write("damaged.cwb", bytes);
    NameTable fresh;
    try {
      auto stream = open_trace(damaged, fresh);
      Record r;
      while (stream->next(r)) {
        ASSERT_FALSE(check_record(r).has_value()) << "iteration " << i;
        if (r.name != kNoName) {
          ASSERT_LT(r.name, fresh.size());
        }
      }
    } catch (const InputError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);  // most damage is caught by the format itself
}

TEST(SingleAccessFastPath, AgreesWithCheckRecord) {
  std::mt19937_64 rng(7);
  const uint64_t pids[] = {0, 1, 2, kMaxPid - 1, kMaxPid, kMaxPid + 1, UINT32_MAX};
  const uint64_t sizes[] = {0, 1, 8, 4095, 4096, 4097, 65535};
  const uint64_t addrs[] = {0, 1, kUserAddressLimit - 4096, kUserAddressLimit - 4097, kUserAddressLimit - 8,
                            kUserAddressLimit - 1, kUserAddressLimit, 0xff00000000000000, UINT64_MAX};
  for (uint64_t pid : pids)
    for (uint64_t size : sizes)
      for (uint64_t addr : addrs) {
        for (Op op : {Op::kRead, Op::kWrite, Op::kFetch}) {
          Record r;
          r.op = op;
          r.pid = static_cast<uint32_t>(pid);
          r.size = static_cast<uint32_t>(size);
          r.addr = addr;
          EXPECT_EQ(single_access_ok(r.pid, r.size, r.addr), !check_record(r).has_value())
              << pid << " " << size << " " << addr;
        }
      }
  for (int i = 0; i < 100000; ++i) {
    Record r;
    r.op = Op::kRead;
    r.pid = static_cast<uint32_t>(rng());
    r.size = static_cast<uint32_t>(rng() % 5000);
    r.addr = rng() >> (rng() % 64);
    ASSERT_EQ(single_access_ok(r.pid, r.size, r.addr), !check_record(r).has_value());
  }
}

}  // namespace
}  // namespace cowsim::trace::test

namespace cowsim::trace::test {
namespace {

// Span begin (0x70): a = arrival kind 0..3, x = string id, y = ns; span end (0x71): x = string id.
TEST_F(BinaryError, Spans) {
  expect_error(start().str(0, "set").slot(0x70, 4, 0, 1, 0).slot2(0, 0).end(), 48, {"unknown span arrival kind", "4"});
  expect_error(start().str(0, "set").slot(0x70, 0, 0, 1, 0).slot2(5, 0).end(), 48,
               {"a span that arrives now has no arrival time", "5"});
  expect_error(start().str(0, "set").slot(0x70, 1, 0, 1, 0).slot2((uint64_t{1} << 48) + 1, 0).end(), 48,
               {"at most 2^48 ns"});
  expect_error(start().str(0, "set").slot(0x70, 1, 0, 1, 0).slot2(5, 1).end(), 64, {"reserved fields of a span begin record"});
  expect_error(start().slot(0x71, 0, 0, 1, 0).end(), 16, {"string 0 used before its definition"});
  expect_error(start().str(0, "set").slot(0x71, 0, 3, 1, 0).end(), 48, {"reserved fields of a span end record"});
}

}  // namespace
}  // namespace cowsim::trace::test
