// The `cowsim trace` subcommands: convert, dump, stat, and encodings by file name.
#include <sstream>

#include "testbenches/traces/trace_test_util.h"

namespace cowsim::trace::test {
namespace {

std::string touch_1m() { return example_dir() + "/touch-1m.cwt"; }

TEST(EncodingForPath, ByExtension) {
  EXPECT_EQ(encoding_for_path("a/b.cwb"), Encoding::kBinary);
  EXPECT_EQ(encoding_for_path("x.cwt"), Encoding::kText);
  const std::string msg = input_error([] { encoding_for_path("trace.txt"); });
  EXPECT_NE(msg.find("trace.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find(".cwt"), std::string::npos) << msg;
  EXPECT_NE(msg.find(".cwb"), std::string::npos) << msg;
  input_error([] { encoding_for_path("cwb"); });
  input_error([] { encoding_for_path("x.CWB"); });
}

TEST(Convert, TextToBinaryAndBack) {
  ScratchDir dir;
  convert_trace(touch_1m(), dir.path("t.cwb"));
  EXPECT_EQ(read_file(dir.path("t.cwb")).substr(0, 4), "\x89" "CWB");
  EXPECT_FALSE(file_exists(dir.path("t.cwb.tmp")));
  convert_trace(dir.path("t.cwb"), dir.path("t.cwt"));
  EXPECT_EQ(read_file(dir.path("t.cwt")),
            "cowsim-trace 1\n"
            "1 mmap 0x7f0000000000 1M rw private,anon\n"
            "1 w 0x7f0000000000 +1M\n"
            "1 exit\n");
}

TEST(Convert, BadInputLeavesNoOutput) {
  ScratchDir dir;
  const std::string bad = dir.write("bad.cwt", "cowsim-trace 1\n1 exit\n1 mmap 0x1000 4K rw bogus\n");
  for (const char* out : {"out.cwb", "out.cwt"}) {
    const std::string msg = input_error([&] { convert_trace(bad, dir.path(out)); });
    EXPECT_NE(msg.find(bad + ":3:"), std::string::npos) << msg;
    EXPECT_FALSE(file_exists(dir.path(out))) << out;
    EXPECT_FALSE(file_exists(dir.path(out) + ".tmp")) << out;
  }
  // An existing output survives a failed conversion untouched.
  dir.write("keep.cwb", "old");
  input_error([&] { convert_trace(bad, dir.path("keep.cwb")); });
  EXPECT_EQ(read_file(dir.path("keep.cwb")), "old");
  EXPECT_FALSE(file_exists(dir.path("keep.cwb.tmp")));
}

TEST(Convert, MissingInputOrBadOutputName) {
  ScratchDir dir;
  std::string msg = input_error([&] { convert_trace(dir.path("none.cwt"), dir.path("o.cwb")); });
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
  EXPECT_FALSE(file_exists(dir.path("o.cwb.tmp")));
  msg = input_error([&] { convert_trace(touch_1m(), dir.path("o.bin")); });
  EXPECT_NE(msg.find("o.bin"), std::string::npos) << msg;
  EXPECT_FALSE(file_exists(dir.path("o.bin.tmp")));
  msg = input_error([&] { convert_trace(touch_1m(), dir.path("no-such-dir/o.cwb")); });
  EXPECT_NE(msg.find("cannot create"), std::string::npos) << msg;
}

TEST(Dump, WritesCanonicalText) {
  ScratchDir dir;
  const std::string in = dir.write("in.cwt",
                                   "# comment\ncowsim-trace 1\n"
                                   "0x1 mmap 0X7F0000000000 0x100000 rw shared,file=x.dat\n"
                                   "1\tr 0x7f0000000000 +1024K /4K 8  # defaults spelled out\n");
  std::ostringstream out;
  dump_trace(in, out);
  EXPECT_EQ(out.str(),
            "cowsim-trace 1\n"
            "1 mmap 0x7f0000000000 1M rw shared,file=x.dat\n"
            "1 r 0x7f0000000000 +1M\n");
  convert_trace(in, dir.path("in.cwb"));
  std::ostringstream from_binary;
  dump_trace(dir.path("in.cwb"), from_binary);
  EXPECT_EQ(from_binary.str(), out.str());
}

// The row of the stat table whose first cell is `label`, split into cells.
std::vector<std::string> row(const std::string& table, const std::string& label) {
  std::istringstream in(table);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::vector<std::string> v;
    for (std::string c; cells >> c;) v.push_back(c);
    if (!v.empty() && v[0] == label) return v;
  }
  return {};
}

TEST(Stat, Touch1mHas256AccessesForPid1) {
  std::ostringstream out;
  stat_trace(touch_1m(), out);
  const std::string s = out.str();
  const auto header = row(s, "pid");
  EXPECT_EQ(header, (std::vector<std::string>{"pid", "mmap", "w", "exit", "records", "accesses"})) << s;
  EXPECT_EQ(row(s, "1"), (std::vector<std::string>{"1", "1", "1", "1", "3", "256"})) << s;
  EXPECT_EQ(row(s, "total"), (std::vector<std::string>{"total", "1", "1", "1", "3", "256"})) << s;
}

TEST(Stat, PerProcessCountsAlignedColumns) {
  ScratchDir dir;
  const std::string in = dir.path("s.cwb");
  const std::string text = dir.write("s.cwt",
                                     "cowsim-trace 1\n"
                                     "1 r 0x1000\n"
                                     "1 fork 22\n"
                                     "22 w 0x1000 +8K /1\n"   // 8192 accesses
                                     "22 r 0x1000 +4097\n"    // 2 accesses
                                     "22 exit\n"
                                     "1 wait 22\n"
                                     "1 exit\n");
  convert_trace(text, in);
  std::ostringstream out;
  stat_trace(in, out);
  const std::string s = out.str();
  EXPECT_EQ(row(s, "pid"), (std::vector<std::string>{"pid", "r", "w", "fork", "exit", "wait", "records", "accesses"})) << s;
  EXPECT_EQ(row(s, "1"), (std::vector<std::string>{"1", "1", "0", "1", "1", "1", "4", "1"})) << s;
  EXPECT_EQ(row(s, "22"), (std::vector<std::string>{"22", "1", "1", "0", "1", "0", "3", "8194"})) << s;
  EXPECT_EQ(row(s, "total"), (std::vector<std::string>{"total", "2", "1", "1", "2", "1", "7", "8195"})) << s;
  EXPECT_NE(s.find("7 records, 2 processes"), std::string::npos) << s;
  // Columns line up: every table line has the same length.
  std::istringstream lines(s);
  std::string line;
  std::getline(lines, line);  // summary
  size_t width = 0;
  while (std::getline(lines, line)) {
    if (width == 0) width = line.size();
    EXPECT_EQ(line.size(), width) << s;
  }
}

TEST(Stat, HugeRangesDoNotOverflowTheTotal) {
  ScratchDir dir;
  // Each record is 2^56 one-byte accesses; 512 of them sum to 2^65, past 64 bits.
  std::string text = "cowsim-trace 1\n";
  for (int i = 0; i < 512; ++i) text += "1 r 0x0 +0x100000000000000 /1 1\n";
  std::ostringstream out;
  stat_trace(dir.write("h.cwt", text), out);
  EXPECT_EQ(row(out.str(), "1").back(), "36893488147419103232") << out.str();
}

TEST(Stat, BadTraceIsAnInputError) {
  ScratchDir dir;
  std::ostringstream out;
  const std::string msg = input_error([&] { stat_trace(dir.write("b.cwt", "cowsim-trace 1\n1 zap\n"), out); });
  EXPECT_NE(msg.find(":2: unknown op 'zap'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cowsim::trace::test
