// parse_size and ParamRegistry: the one place every configuration value passes through.
#include <gtest/gtest.h>

#include <string>

#include "models/common/error.h"
#include "models/common/params.h"
#include "models/common/size_text.h"

namespace cowsim {
namespace {

uint64_t size_of(const std::string& text) {
  uint64_t v = 12345;  // sentinel: a failed parse must leave it alone
  EXPECT_TRUE(parse_size(text, v)) << text;
  return v;
}

bool rejects(const std::string& text) {
  uint64_t v = 12345;
  bool ok = parse_size(text, v);
  EXPECT_EQ(v, 12345u) << "a rejected parse must not write its output: " << text;
  return !ok;
}

TEST(ParseSize, DecimalAndHex) {
  EXPECT_EQ(size_of("0"), 0u);
  EXPECT_EQ(size_of("4096"), 4096u);
  EXPECT_EQ(size_of("0x1000"), 4096u);    // 1 * 16^3
  EXPECT_EQ(size_of("0XfF"), 255u);       // both cases of x and of the hex digits
  EXPECT_EQ(size_of("007"), 7u);          // leading zeros are decimal, not octal
}

TEST(ParseSize, SuffixesArePowersOf1024) {
  EXPECT_EQ(size_of("1K"), 1024u);
  EXPECT_EQ(size_of("4K"), 4096u);
  EXPECT_EQ(size_of("2M"), 2u << 20);                // 2 * 1024^2
  EXPECT_EQ(size_of("3G"), uint64_t{3} << 30);
  EXPECT_EQ(size_of("1T"), uint64_t{1} << 40);
}

TEST(ParseSize, OneRuleForBytesSuffixesAndFractions) {
  // K/M/G/T are powers of 1024 with or without B or iB, in either case (Linux memparse, Redis "gb").
  EXPECT_EQ(size_of("8GB"), uint64_t{8} << 30);
  EXPECT_EQ(size_of("8GiB"), uint64_t{8} << 30);
  EXPECT_EQ(size_of("8gb"), uint64_t{8} << 30);
  EXPECT_EQ(size_of("1k"), 1024u);
  EXPECT_EQ(size_of("1KiB"), 1024u);
  EXPECT_EQ(size_of("100B"), 100u);                       // B alone: bytes
  // A fraction is fine when the product is whole: 1.5 x 2^30 = 1610612736, 0.5 x 1024 = 512.
  EXPECT_EQ(size_of("1.5G"), 1610612736u);
  EXPECT_EQ(size_of("0.5K"), 512u);
  EXPECT_EQ(size_of("2.0"), 2u);
  EXPECT_EQ(size_of("1.25M"), 1310720u);                  // 1.25 x 1048576
  EXPECT_EQ(size_of("0.0009765625K"), 1u);                // 2^-10 x 2^10
  // (2^24 - 0.5) x 2^40 = 2^64 - 2^39 still fits; 16777215.99999... T would too, 16777216T not.
  EXPECT_EQ(size_of("16777215.5T"), UINT64_MAX - (uint64_t{1} << 39) + 1);
}

TEST(ParseSize, FractionsThatLeaveAPartOfAByteAreRejected) {
  for (const char* bad : {"1.1K", "1.5", "0.3M", "1.00000000000000000001G"}) {
    uint64_t v = 7;
    EXPECT_EQ(parse_size_text(bad, true, v), SizeStatus::kNotWhole) << bad;
    EXPECT_EQ(v, 7u);
  }
}

TEST(ParseSize, LimitsAndOverflow) {
  EXPECT_EQ(size_of("18446744073709551615"), UINT64_MAX);  // 2^64 - 1 fits exactly
  EXPECT_TRUE(rejects("18446744073709551616"));              // 2^64 does not
  EXPECT_EQ(size_of("0xffffffffffffffff"), UINT64_MAX);
  EXPECT_TRUE(rejects("0x10000000000000000"));               // 17 hex digits = 2^64
  EXPECT_EQ(size_of("16777215T"), ((uint64_t{1} << 24) - 1) << 40);  // (2^24 - 1) * 2^40 < 2^64
  EXPECT_TRUE(rejects("16777216T"));                         // 2^24 * 2^40 = 2^64
}

TEST(ParseSize, Malformed) {
  for (const char* bad : {"", "K", "0x", "-1", " 1", "1 ", "1E", "0xg", "12a", "0x10K", "1.", ".5K", "1..5K", "5iB",
                          "1KBB", "1.5.2K", "1Kb2", "KiB", "1 K"})
    EXPECT_TRUE(rejects(bad)) << "'" << bad << "'";
}

// A small configuration tree, declared as the models declare theirs.
struct Config {
  uint32_t entries = 64, ways = 4;
  uint64_t size = 1 << 20;
  double ipc = 1.0;
  bool strict = false;
  std::string mode = "fast";
  enum class Policy { kLru, kPlru, kRandom } policy = Policy::kLru;

  void declare(ParamRegistry& r) {
    {
      ParamRegistry::Scope tlb(r, "tlb");
      r.add("entries", entries, "entries", "TLB entries", 1, 65536);
      r.add("ways", ways, "ways", "Associativity", 1, 64);
      r.add_enum("policy", policy, "Replacement", {"lru", "plru", "random"});
    }
    {
      ParamRegistry::Scope mem(r, "memory");
      r.add("size", size, "bytes", "Memory size", 4096, uint64_t{1} << 40);
    }
    r.add("ipc", ipc, "instructions/cycle", "IPC", 0.25, 4.0);
    r.add("strict", strict, "Fail on errors");
    r.add("mode", mode, "Mode", {"fast", "slow"});
  }
};

class Params : public ::testing::Test {
 protected:
  void SetUp() override { cfg.declare(reg); }
  std::string error_of(const nlohmann::json& j) {
    try {
      reg.apply(j, "cfg.json");
    } catch (const InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no InputError for " << j.dump();
    return "";
  }
  std::string override_error(const std::string& a) {
    try {
      reg.apply_override(a);
    } catch (const InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no InputError for " << a;
    return "";
  }
  Config cfg;
  ParamRegistry reg;
};

TEST_F(Params, ScopesPrefixDottedPaths) {
  // Declaration order; the scope is popped when it goes out of scope.
  std::vector<std::string> paths;
  for (const auto& p : reg.params()) paths.push_back(p.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"tlb.entries", "tlb.ways", "tlb.policy", "memory.size", "ipc", "strict",
                                             "mode"}));
  const ParamInfo* e = reg.find("tlb.entries");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, "integer");
  EXPECT_EQ(e->range, "1..65536");
  EXPECT_EQ(e->default_value, 64);
  EXPECT_EQ(reg.find("tlb.policy")->range, "lru|plru|random");
  EXPECT_EQ(reg.find("entries"), nullptr);
}

TEST_F(Params, ApplyNestedObject) {
  reg.apply({{"tlb", {{"entries", 32}, {"policy", "plru"}}}, {"memory", {{"size", "2M"}}}, {"ipc", 2},
             {"strict", true}, {"mode", "slow"}},
            "cfg.json");
  EXPECT_EQ(cfg.entries, 32u);
  EXPECT_EQ(cfg.ways, 4u);  // untouched keys keep their defaults
  EXPECT_EQ(cfg.policy, Config::Policy::kPlru);
  EXPECT_EQ(cfg.size, 2u << 20);  // a string integer goes through parse_size
  EXPECT_DOUBLE_EQ(cfg.ipc, 2.0);  // an integer is a valid number
  EXPECT_TRUE(cfg.strict);
  EXPECT_EQ(cfg.mode, "slow");
}

TEST_F(Params, IntegersParsedOrBuiltInCodeAreTheSame) {
  // A parser stores 16 as unsigned; json built in code stores it as a signed int. Both are
  // the integer 16; only a negative one is invalid.
  reg.apply(nlohmann::json::parse(R"({"tlb": {"entries": 16}})"), "text");
  EXPECT_EQ(cfg.entries, 16u);
  reg.apply({{"tlb", {{"entries", int64_t{24}}}}}, "code");
  EXPECT_EQ(cfg.entries, 24u);
  EXPECT_NE(error_of(nlohmann::json::parse(R"({"tlb": {"entries": -16}})")).find("invalid value -16"), std::string::npos);
  EXPECT_EQ(cfg.entries, 24u);
}

TEST_F(Params, UnknownKeyNamesTheValidKeys) {
  EXPECT_EQ(error_of({{"tlb", {{"entires", 32}}}}),
            "cfg.json: unknown parameter 'tlb.entires' (valid keys in 'tlb': entries, ways, policy)");
  EXPECT_EQ(error_of({{"cache", 1}}),
            "cfg.json: unknown parameter 'cache' (valid keys at top level: tlb, memory, ipc, strict, mode)");
  EXPECT_EQ(error_of({{"tlb", 5}}), "cfg.json: 'tlb' is a group of parameters (entries, ways, policy), not a value");
  EXPECT_EQ(cfg.entries, 64u);
}

TEST_F(Params, WrongTypeAndOutOfRange) {
  EXPECT_EQ(error_of({{"tlb", {{"entries", "many"}}}}),
            "cfg.json: parameter 'tlb.entries': invalid value \"many\" (expected an integer in 1..65536, like 4096, "
            "0x1000, 64K, 8GB or 1.5GiB)");
  EXPECT_EQ(error_of({{"tlb", {{"entries", "1.1K"}}}}),
            "cfg.json: parameter 'tlb.entries': invalid value \"1.1K\" (expected a whole number in 1..65536; this "
            "one has a fraction left)");
  EXPECT_NE(error_of({{"tlb", {{"entries", -1}}}}).find("expected an integer in 1..65536"), std::string::npos);
  EXPECT_NE(error_of({{"tlb", {{"entries", 2.5}}}}).find("invalid value 2.5"), std::string::npos);
  EXPECT_NE(error_of({{"tlb", {{"entries", 0}}}}).find("invalid value 0"), std::string::npos);      // below 1
  EXPECT_NE(error_of({{"tlb", {{"entries", 65537}}}}).find("invalid value 65537"), std::string::npos);  // above
  EXPECT_NE(error_of({{"ipc", 8.0}}).find("expected a number in 0.25..4"), std::string::npos);
  EXPECT_NE(error_of({{"ipc", "2"}}).find("parameter 'ipc'"), std::string::npos);
  EXPECT_NE(error_of({{"strict", 1}}).find("expected true or false"), std::string::npos);
  EXPECT_NE(error_of({{"mode", "medium"}}).find("expected one of fast|slow"), std::string::npos);
  EXPECT_NE(error_of({{"tlb", {{"policy", "fifo"}}}}).find("expected one of lru|plru|random"), std::string::npos);
  EXPECT_EQ(error_of(nlohmann::json::array()), "cfg.json: configuration must be a JSON object");
  // Nothing was changed by the rejected values.
  EXPECT_EQ(cfg.entries, 64u);
  EXPECT_DOUBLE_EQ(cfg.ipc, 1.0);
  EXPECT_EQ(cfg.mode, "fast");
}

TEST_F(Params, ApplyOverrideParsesForTheType) {
  reg.apply_override("tlb.entries=2K");  // 2 * 1024
  EXPECT_EQ(cfg.entries, 2048u);
  reg.apply_override("memory.size=0x100000");
  EXPECT_EQ(cfg.size, 1u << 20);
  reg.apply_override("ipc=0.5");
  EXPECT_DOUBLE_EQ(cfg.ipc, 0.5);
  reg.apply_override("strict=true");
  EXPECT_TRUE(cfg.strict);
  reg.apply_override("tlb.policy=random");
  EXPECT_EQ(cfg.policy, Config::Policy::kRandom);
  reg.apply_override("tlb.ways=8");
  reg.apply_override("tlb.ways=16");  // last one wins
  EXPECT_EQ(cfg.ways, 16u);
}

TEST_F(Params, ApplyOverrideErrors) {
  EXPECT_EQ(override_error("tlb.entries"), "--set 'tlb.entries': expected KEY=VALUE");
  EXPECT_EQ(override_error("=5"), "--set '=5': expected KEY=VALUE");
  EXPECT_EQ(override_error("tlb.size=5"),
            "--set: unknown parameter 'tlb.size' (valid keys in 'tlb': entries, ways, policy)");
  // No prefix of "a.b.c" exists: the valid keys are the top-level ones.
  EXPECT_EQ(override_error("a.b.c=1"),
            "--set: unknown parameter 'a.b.c' (valid keys at top level: tlb, memory, ipc, strict, mode)");
  EXPECT_EQ(override_error("ipc=fast"), "--set ipc: 'fast' is not a number (expected 0.25..4)");
  EXPECT_EQ(override_error("ipc=1.5x"), "--set ipc: '1.5x' is not a number (expected 0.25..4)");
  EXPECT_EQ(override_error("strict=yes"), "--set strict: 'yes' is not a boolean (expected true or false)");
  EXPECT_EQ(override_error("tlb.entries=0"),
            "--set: parameter 'tlb.entries': invalid value \"0\" (expected an integer in 1..65536)");
  try {
    reg.apply_override("x", "--preset");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "--preset 'x': expected KEY=VALUE");
  }
}

TEST_F(Params, InvalidUtf8ValueIsAnInputErrorShowingReplacementCharacters) {
  // Found by fuzz/scenario_fuzzer: the error message dumped the value as JSON, which threw
  // json::type_error 316 on invalid UTF-8 (exit 1, internal error, instead of exit 2).
  EXPECT_EQ(override_error("tlb.entries=1\xf5"),
            "--set: parameter 'tlb.entries': invalid value \"1\xef\xbf\xbd\" (expected an integer in 1..65536, "
            "like 4096, 0x1000, 64K, 8GB or 1.5GiB)");
}

TEST_F(Params, ToJsonNestsEveryParameter) {
  cfg.entries = 128;
  cfg.policy = Config::Policy::kPlru;
  nlohmann::json expected = {{"tlb", {{"entries", 128}, {"ways", 4}, {"policy", "plru"}}},
                             {"memory", {{"size", 1 << 20}}},
                             {"ipc", 1.0},
                             {"strict", false},
                             {"mode", "fast"}};
  EXPECT_EQ(reg.to_json(), expected);
  // The effective configuration applies back to the same values.
  Config other;
  ParamRegistry r2;
  other.declare(r2);
  r2.apply(reg.to_json(), "effective.json");
  EXPECT_EQ(other.entries, 128u);
  EXPECT_EQ(other.policy, Config::Policy::kPlru);
}

}  // namespace
}  // namespace cowsim
