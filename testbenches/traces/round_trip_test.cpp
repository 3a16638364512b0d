// Lossless round trips: text -> records A -> binary -> records B -> canonical text -> records C,
// with A == B == C field by field (names compared as strings).
#include <random>

#include "testbenches/traces/random_trace.h"
#include "testbenches/traces/trace_test_util.h"

namespace cowsim::trace::test {
namespace {

// Records with their names spelled out, so records from different tables compare.
struct Resolved {
  Record r;
  std::string name;
  bool operator==(const Resolved& o) const { return r == o.r && name == o.name; }
};

std::vector<Resolved> resolve(const std::vector<Record>& records, const NameTable& names) {
  std::vector<Resolved> out;
  for (Record r : records) {
    std::string name = r.name == kNoName ? "" : names[r.name];
    r.name = r.name == kNoName ? kNoName : 0;  // ids are table-specific
    out.push_back({r, name});
  }
  return out;
}

void PrintTo(const Resolved& x, std::ostream* os) {
  cowsim::trace::PrintTo(x.r, os);
  *os << " '" << x.name << "'";
}

// Runs the whole chain on a text trace and checks each stage against the first.
void expect_round_trip(const std::string& text_path) {
  ScratchDir dir;
  NameTable names_a;
  const auto a = read_all(text_path, names_a);

  const std::string bin_path = dir.write("b.cwb", encode(a, names_a, Encoding::kBinary));
  NameTable names_b;
  const auto b = read_all(bin_path, names_b);
  ASSERT_EQ(resolve(b, names_b), resolve(a, names_a)) << text_path;

  const std::string text2 = encode(b, names_b, Encoding::kText);
  NameTable names_c;
  const auto c = read_all(dir.write("c.cwt", text2), names_c);
  ASSERT_EQ(resolve(c, names_c), resolve(a, names_a)) << text_path;

  // The canonical text is a fixed point: writing C again gives the same bytes.
  EXPECT_EQ(encode(c, names_c, Encoding::kText), text2);
}

TEST(RoundTrip, EveryExampleTrace) {
  const auto examples = example_traces();
  ASSERT_GE(examples.size(), 5u);
  for (const auto& path : examples) expect_round_trip(path);
}

TEST(RoundTrip, ConvertTraceBothWays) {
  ScratchDir dir;
  for (const auto& path : example_traces()) {
    convert_trace(path, dir.path("x.cwb"));
    convert_trace(dir.path("x.cwb"), dir.path("x.cwt"));
    NameTable n1, n2;
    EXPECT_EQ(resolve(read_all(dir.path("x.cwt"), n2), n2), resolve(read_all(path, n1), n1)) << path;
  }
}

TEST(RoundTrip, RandomTraces) {
  std::mt19937_64 rng(0xc0ffee);
  ScratchDir dir;
  for (int i = 0; i < 250; ++i) {
    NameTable names;
    const auto records = random_records(rng, 1 + rng() % 200, names);
    const std::string text = random_spelling(rng, records, names);
    // The varied spelling parses into exactly the generated records...
    const std::string path = dir.write("r" + std::to_string(i) + ".cwt", text);
    NameTable parsed_names;
    ASSERT_EQ(resolve(read_all(path, parsed_names), parsed_names), resolve(records, names))
        << "trace " << i << ":\n" << text;
    // ...and survives the whole chain.
    expect_round_trip(path);
    if (::testing::Test::HasFatalFailure()) FAIL() << "trace " << i << ":\n" << text;
  }
}

TEST(RoundTrip, CanonicalFormatting) {
  NameTable names;
  auto one = [&](const std::string& line) {
    auto records = parse_text(line + "\n", names);
    return records.size() == 1 ? format_record(records[0], names) : "";
  };
  EXPECT_EQ(one("1 mmap 0X7F0000000000 1048576 rw private,anon"), "1 mmap 0x7f0000000000 1M rw private,anon");
  EXPECT_EQ(one("01 munmap 4096 0x40000000"), "1 munmap 0x1000 1G");
  EXPECT_EQ(one("1 mprotect 0 1000 none"), "1 mprotect 0x0 1000 none");
  EXPECT_EQ(one("1 madvise 0 3072 hugepage"), "1 madvise 0x0 3K hugepage");
  EXPECT_EQ(one("1 mmap 0 1T rwx shared,file=a.b"), "1 mmap 0x0 1T rwx shared,file=a.b");
  EXPECT_EQ(one("1 r 0x1000 8"), "1 r 0x1000");
  EXPECT_EQ(one("1 w 0x1000 +4096 /4096 8"), "1 w 0x1000 +4K");
  EXPECT_EQ(one("1 x 0x1000 +1025 /1024 4096"), "1 x 0x1000 +1025 /1K 4K");
  EXPECT_EQ(one("1 r 0x1000 +2048K /64 1"), "1 r 0x1000 +2M /64 1");
  EXPECT_EQ(one("1 compute 1K"), "1 compute 1024");
  EXPECT_EQ(one("1 fork 0x10"), "1 fork 16");
  EXPECT_EQ(one("1 vfork 2"), "1 vfork 2");
  EXPECT_EQ(one("1 wait 2"), "1 wait 2");
  EXPECT_EQ(one("1 cpu 0x0"), "1 cpu 0");
  EXPECT_EQ(one("1 exec"), "1 exec");
  EXPECT_EQ(one("1 exit"), "1 exit");
  EXPECT_EQ(one("1 post a"), "1 post a");
  EXPECT_EQ(one("1 await a"), "1 await a");
  EXPECT_EQ(one("1 snapshot a:b"), "1 snapshot a:b");
}

}  // namespace
}  // namespace cowsim::trace::test
