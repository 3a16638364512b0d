#include "testbenches/platform/run_helpers.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace cowsim::test {

namespace {
// Every folder temp_dir() made, removed when the test process exits (a test run makes thousands:
// left behind, they once filled the disk). COWSIM_KEEP_TEST_FILES=1 keeps them for a post-mortem.
struct TempDirs {
  std::vector<std::string> made;
  ~TempDirs() {
    const char* keep = std::getenv("COWSIM_KEEP_TEST_FILES");
    if (keep && *keep && std::string(keep) != "0") return;
    std::error_code ec;
    for (const std::string& d : made) std::filesystem::remove_all(d, ec);
  }
};
TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}
}  // namespace

std::string temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/cowsim-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  temp_dirs().made.push_back(tmpl);
  return tmpl;
}

std::string write_temp(const std::string& text, const std::string& ext) {
  std::string path = temp_dir() + "/trace" + ext;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

RunResult run_text(const std::string& trace_text, const std::vector<std::string>& overrides) {
  static trace::NameTable names;  // outlives the run: the kernel's snapshots refer to it
  ConfigSources src;
  src.overrides = overrides;
  nlohmann::json effective;
  SimConfig cfg = load_config(src, &effective);
  TraceSource ts = trace_file_source(write_temp(trace_text), names);
  return simulate(cfg, effective, ts, names, false);
}

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliResult cli(const std::string& args) {
  std::string dir = temp_dir();
  std::string cmd = std::string(COWSIM_BINARY) + " " + args + " >" + dir + "/out 2>" + dir + "/err </dev/null";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  return r;
}

namespace {
// The host-time statistics of `sim` sections, the whole run's and each region's or snapshot's.
void strip_host(nlohmann::json& j) {
  if (!j.is_object()) return;
  j.erase("host_seconds");
  j.erase("accesses_per_host_second");
  for (auto& [k, v] : j.items()) strip_host(v);
}
}  // namespace

nlohmann::json stable_stats(const std::string& path) {
  auto j = nlohmann::json::parse(slurp(path));
  strip_host(j);
  return j;
}

uint64_t at(const nlohmann::json& j, const std::string& dotted) {
  const nlohmann::json* node = &j;
  size_t start = 0;
  for (size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1)
    node = &node->at(dotted.substr(start, dot - start));
  return node->at(dotted.substr(start)).get<uint64_t>();
}

}  // namespace cowsim::test
