// Record equality, the name table and the shared spellings.
#include "testbenches/traces/trace_test_util.h"

namespace cowsim::trace::test {
namespace {

TEST(Record, EqualityComparesEveryField) {
  const Record base;
  EXPECT_EQ(base, Record{});
  std::vector<void (*)(Record&)> changes = {
      [](Record& r) { r.op = Op::kExit; },      [](Record& r) { r.prot = 1; },
      [](Record& r) { r.flags = 1; },           [](Record& r) { r.advice = Advice::kDofork; },
      [](Record& r) { r.pid = 2; },             [](Record& r) { r.size = 4; },
      [](Record& r) { r.name = 0; },            [](Record& r) { r.addr = 1; },
      [](Record& r) { r.len = 1; },             [](Record& r) { r.stride = 1; }};
  for (size_t i = 0; i < changes.size(); ++i) {
    Record r;
    changes[i](r);
    EXPECT_FALSE(r == base) << "field " << i;
  }
}

TEST(NameTable, InternsEachNameOnce) {
  NameTable t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.intern("zeta"), 0u);
  EXPECT_EQ(t.intern("alpha"), 1u);
  EXPECT_EQ(t.intern("mid"), 2u);
  EXPECT_EQ(t.intern("alpha"), 1u);
  EXPECT_EQ(t.intern("zeta"), 0u);
  EXPECT_EQ(t.intern(std::string_view("midway").substr(0, 3)), 2u);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], "zeta");
  EXPECT_EQ(t[1], "alpha");
  EXPECT_EQ(t[2], "mid");
}

TEST(NameTable, ManyNames) {
  NameTable t;
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(t.intern("n" + std::to_string(i * 7919 % 2000)), static_cast<uint32_t>(i));
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(t.intern("n" + std::to_string(i * 7919 % 2000)), static_cast<uint32_t>(i));
}

TEST(Record, Spellings) {
  const char* ops[] = {"mmap", "munmap", "mprotect", "madvise", "r", "w", "x", "compute", "fork",
                       "vfork", "exec", "exit", "wait", "cpu", "post", "await", "snapshot", "span begin", "span end", "roi begin", "roi end"};
  for (size_t i = 0; i < std::size(ops); ++i) EXPECT_STREQ(op_name(static_cast<Op>(i)), ops[i]);
  EXPECT_STREQ(advice_name(Advice::kWipeonfork), "wipeonfork");
  EXPECT_STREQ(advice_name(Advice::kDontneed), "dontneed");
  EXPECT_EQ(prot_name(0), "none");
  EXPECT_EQ(prot_name(kProtRead | kProtWrite), "rw");
  EXPECT_EQ(prot_name(kProtRead | kProtExec), "rx");
  EXPECT_EQ(prot_name(7), "rwx");
}

TEST(Record, AccessesExpandRanges) {
  Record r;
  r.op = Op::kWrite;
  EXPECT_EQ(r.accesses(), 1u);
  r.len = 1 << 20;
  EXPECT_EQ(r.accesses(), 256u);
  r.len = 4097;
  EXPECT_EQ(r.accesses(), 2u);
  r.op = Op::kMmap;
  EXPECT_EQ(r.accesses(), 0u);
}

}  // namespace
}  // namespace cowsim::trace::test
