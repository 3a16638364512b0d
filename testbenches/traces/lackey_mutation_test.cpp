// No log crashes the importer: the fixture logs, damaged at random (bytes changed, inserted
// and cut, lines duplicated), either import into a trace the readers accept or fail with an
// InputError. Seeded, so a failure reproduces.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "models/common/error.h"
#include "testbenches/traces/lackey_test_util.h"
#include "testbenches/traces/trace_test_util.h"

namespace cowsim::lackey::test {
namespace {

namespace fs = std::filesystem;

TEST(LackeyMutation, DamagedLogsImportOrFailCleanly) {
  const std::string fixtures = std::string(COWSIM_SOURCE_DIR) + "/testbenches/traces/fixtures/lackey/";
  const std::vector<std::string> tokens = {"SYSCALL[", "](", "-->", " L ", " S ", " M ", "I  ", "==",
                                           " created child ", "Success(0x", "Failure(0x", "[async] ...",
                                           "... [async] -->", ",", "(", ")", "\n", "0x", "ffffffffffffffffff",
                                           "-1", "4294967295", std::string(1, '\0'), "\xff"};
  std::mt19937_64 rng(42);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int imported = 0, rejected = 0;
  for (int round = 0; round < 300; ++round) {
    trace::test::ScratchDir dir;
    const char* cases[] = {"fork-touch", "vfork-exec", "file-share"};
    std::vector<std::pair<std::string, std::string>> logs;
    for (const auto& e : fs::directory_iterator(fixtures + cases[round % 3] + "/log"))
      logs.emplace_back(e.path().filename().string(), trace::test::read_file(e.path().string()));
    for (int k = 0, n = 1 + static_cast<int>(pick(4)); k < n; ++k) {
      std::string& b = logs[pick(logs.size())].second;
      if (b.empty()) continue;
      const size_t at = pick(b.size());
      switch (pick(4)) {
        case 0: b.insert(at, tokens[pick(tokens.size())]); break;
        case 1: b.erase(at, 1 + pick(40)); break;
        case 2: b[at] = static_cast<char>(rng()); break;
        default: {
          const size_t from = b.rfind('\n', pick(b.size()));
          const size_t start = from == std::string::npos ? 0 : from + 1, end = b.find('\n', start);
          if (end != std::string::npos) b.insert(b.find('\n', at) == std::string::npos ? b.size() : b.find('\n', at) + 1,
                                                 b.substr(start, end - start + 1));
        }
      }
    }
    for (const auto& [name, bytes] : logs) dir.write(name, bytes);
    try {
      import_dir(dir.path(""));  // reads the written trace back: it must be valid
      ++imported;
    } catch (const InputError&) {
      ++rejected;
    }
  }
  // Both outcomes occur, so the damage is neither always harmless nor always fatal.
  EXPECT_GT(imported, 50);
  EXPECT_GT(rejected, 10);
}

}  // namespace
}  // namespace cowsim::lackey::test
