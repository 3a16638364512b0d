// Configuration: presets, files that extend them, --set overrides, and the parameter
// reference in docs/configuration.md, which must match the code.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "models/common/error.h"
#include "platform/sim_config.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

TEST(Config, DefaultPresetAppliesAndOverridesWinInOrder) {
  ConfigSources src;
  src.overrides = {"tlb.l1d.a.entries=128", "tlb.l1d.a.entries=256", "memory.size=1G"};
  SimConfig c = load_config(src);
  EXPECT_EQ(c.tlb.l1d.a.entries, 256u);
  EXPECT_EQ(c.memory.size, uint64_t{1} << 30);
  EXPECT_EQ(c.cores, 2u);  // from the default preset, not the struct default of 1
}

TEST(Config, PresetExtendsItsBase) {
  ConfigSources src;
  src.preset = "tiny-tlb";
  SimConfig c = load_config(src);
  EXPECT_EQ(c.tlb.l1d.a.entries, 8u);
  EXPECT_EQ(c.tlb.l1d.a.ways, 8u);
  EXPECT_EQ(c.tlb.l1d.b.entries, 32u);  // inherited from the code's Skylake-style default
  EXPECT_EQ(c.memory.size, uint64_t{64} << 30);  // inherited from default
}

TEST(Config, FileExtendsAPresetAndUnknownKeysAreErrors) {
  ConfigSources src;
  src.file = write_temp(R"({"extends": "tiny-tlb", "walker": {"levels": 5}})", ".json");
  SimConfig c = load_config(src);
  EXPECT_EQ(c.walker.levels, 5u);
  EXPECT_EQ(c.tlb.l1d.a.entries, 8u);
  src.file = write_temp(R"({"walker": {"level": 5}})", ".json");
  try {
    load_config(src);
    FAIL();
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("walker.level"), std::string::npos) << m;
    EXPECT_NE(m.find("levels"), std::string::npos) << m;
  }
  src.file = write_temp(R"({"walker": {"levels": 6}})", ".json");
  EXPECT_THROW(load_config(src), InputError);
  src.file = write_temp(R"({"cores": "two"})", ".json");
  EXPECT_THROW(load_config(src), InputError);
}

TEST(Config, EveryPresetLoads) {
  for (const auto& p : presets()) {
    ConfigSources src;
    src.preset = p.name;
    EXPECT_NO_THROW(load_config(src)) << p.name;
    EXPECT_FALSE(p.description.empty()) << p.name;
  }
}

TEST(Config, DocsListEveryParameterAsTheCodeDeclaresIt) {
  // docs/configuration.md embeds `cowsim params --markdown` verbatim between markers.
  std::ifstream f(std::string(COWSIM_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string doc = ss.str();
  CliResult r = cli("params --preset default --markdown");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(doc.find(r.out), std::string::npos)
      << "docs/configuration.md is out of date: regenerate its table with `cowsim params --preset default --markdown`";
}

}  // namespace
}  // namespace cowsim::test

namespace cowsim::test {
namespace {

TEST(Docs, StatisticsReferenceListsEveryStatisticARunWrites) {
  std::string out = temp_dir();
  ASSERT_EQ(cli("run --scenario fork-cow --param heap=1M -q --out " + out).code, 0);
  std::ifstream doc_file(std::string(COWSIM_SOURCE_DIR) + "/docs/statistics.md");
  std::stringstream ss;
  ss << doc_file.rdbuf();
  std::string doc = ss.str();
  std::ifstream stats(out + "/stats.txt");
  std::string line;
  int checked = 0;
  while (std::getline(stats, line)) {
    std::string path = line.substr(0, line.find(' '));
    // Instances become the placeholders the reference uses.
    auto generalise = [&](const std::string& prefix, const std::string& placeholder) {
      if (path.rfind(prefix, 0) != 0) return;
      size_t end = path.find('.', prefix.size());
      path = prefix + placeholder + path.substr(end);
    };
    generalise("processes.", "<pid>");
    generalise("cores.", "<n>");
    generalise("kernel.faults.", "<outcome>");
    generalise("kernel.forks.", "<i>");
    generalise("dram.channels.", "<i>");
    size_t code = path.find(".faults_by_error_code.");
    if (code != std::string::npos) path = path.substr(0, code) + ".faults_by_error_code.<code>";
    EXPECT_NE(doc.find("`" + path + "`"), std::string::npos) << path << " is missing from docs/statistics.md (make docs)";
    ++checked;
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace cowsim::test
