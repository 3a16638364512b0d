// Validation of the kernel model against the real Linux kernel of this machine
// (docs/validation.md). One test per scenario in testbenches/validation/scenarios/: the
// scenario runs natively (cowsim-native-player) and in the model (cowsim run, default preset),
// and every process's minflt and, for every snapshot, every VMA's Rss, Pss, Shared_Clean,
// Shared_Dirty, Private_Clean, Private_Dirty, Anonymous and AnonHugePages must be equal.
//
// Skips: a scenario the host cannot run (the player exits 77: THP disabled, no huge page,
// MAP_FIXED_NOREPLACE missing, ...) is skipped with the player's reason; a scenario named in
// pending.txt is skipped with "pending: <its line>". Nothing else is ever skipped.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

const char* const kFields[] = {"Rss",           "Pss",       "Shared_Clean",  "Shared_Dirty",
                               "Private_Clean", "Private_Dirty", "Anonymous", "AnonHugePages"};

std::string scenarios_dir() { return std::string(VALIDATION_DIR) + "/scenarios"; }

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(scenarios_dir()))
    if (e.path().extension() == ".cwt") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// pending.txt: "<scenario> <reason...>" per line; '#' comments and blank lines ignored.
std::map<std::string, std::string> pending() {
  std::map<std::string, std::string> m;
  std::ifstream in(std::string(VALIDATION_DIR) + "/pending.txt");
  for (std::string line; std::getline(in, line);) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first);
    m[line.substr(0, line.find_first_of(" \t:"))] = line;
  }
  return m;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string make_temp_dir(const std::string& tag) {
  std::string tmpl = (fs::temp_directory_path() / ("cowsim-validation-" + tag + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back(0);
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

struct Command {
  int code;
  std::string err;
};

Command run_command(const std::string& cmd, const std::string& dir) {
  std::string full = cmd + " >'" + dir + "/stdout.txt' 2>'" + dir + "/stderr.txt' </dev/null";
  int status = std::system(full.c_str());
  Command c;
  c.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.err = slurp(dir + "/stderr.txt");
  return c;
}

// ------------------------------------------------------------------ results of one side

struct VmaFields {
  std::string header;
  std::map<std::string, uint64_t> kb;
};
using Snapshot = std::map<uint32_t, std::map<std::pair<uint64_t, uint64_t>, VmaFields>>;  // pid -> range -> fields

struct Results {
  std::map<uint32_t, uint64_t> minflt;
  std::map<std::string, Snapshot> snapshots;  // label -> ...

  bool operator==(const Results& o) const {
    if (minflt != o.minflt || snapshots.size() != o.snapshots.size()) return false;
    for (const auto& [label, snap] : snapshots) {
      auto it = o.snapshots.find(label);
      if (it == o.snapshots.end() || snap.size() != it->second.size()) return false;
      for (const auto& [pid, vmas] : snap) {
        auto jt = it->second.find(pid);
        if (jt == it->second.end() || vmas.size() != jt->second.size()) return false;
        for (const auto& [range, v] : vmas) {
          auto kt = jt->second.find(range);
          if (kt == jt->second.end() || kt->second.kb != v.kb) return false;
        }
      }
    }
    return true;
  }
};

std::map<std::pair<uint64_t, uint64_t>, VmaFields> parse_smaps(const std::string& text) {
  std::map<std::pair<uint64_t, uint64_t>, VmaFields> vmas;
  VmaFields* cur = nullptr;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    char c = line[0];
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      size_t dash = line.find('-'), sp = line.find(' ');
      uint64_t s = std::stoull(line.substr(0, dash), nullptr, 16);
      uint64_t e = std::stoull(line.substr(dash + 1, sp - dash - 1), nullptr, 16);
      cur = &vmas[{s, e}];
      cur->header = line;
      continue;
    }
    auto colon = line.find(':');
    if (!cur || colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (const char* f : kFields)
      if (name == f) cur->kb[name] = std::stoull(line.substr(colon + 1));
  }
  return vmas;
}

void read_snapshots(const fs::path& smaps_dir, Results& r) {
  if (!fs::exists(smaps_dir)) return;
  for (const auto& label : fs::directory_iterator(smaps_dir)) {
    Snapshot& snap = r.snapshots[label.path().filename().string()];
    for (const auto& f : fs::directory_iterator(label.path())) {
      if (f.path().extension() != ".smaps") continue;
      snap[uint32_t(std::stoul(f.path().stem().string()))] = parse_smaps(slurp(f.path()));
    }
  }
}

Results read_native(const std::string& dir) {
  Results r;
  for (const auto& f : fs::directory_iterator(dir + "/minflt"))
    r.minflt[uint32_t(std::stoul(f.path().filename().string()))] = std::stoull(slurp(f.path()));
  read_snapshots(dir + "/smaps", r);
  return r;
}

uint64_t native_majflt(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& f : fs::directory_iterator(dir + "/majflt")) n += std::stoull(slurp(f.path()));
  return n;
}

// ------------------------------------------------------------------ the diff

std::string hex_range(const std::pair<uint64_t, uint64_t>& r) {
  char b[64];
  snprintf(b, sizeof b, "%llx-%llx", (unsigned long long)r.first, (unsigned long long)r.second);
  return b;
}

std::vector<std::string> diff(const Results& native, const Results& model) {
  std::vector<std::string> out;
  std::set<uint32_t> pids;
  for (const auto& [p, v] : native.minflt) pids.insert(p);
  for (const auto& [p, v] : model.minflt) pids.insert(p);
  for (uint32_t p : pids) {
    auto n = native.minflt.find(p), m = model.minflt.find(p);
    if (n == native.minflt.end() || m == model.minflt.end())
      out.push_back("minflt pid " + std::to_string(p) + ": process only " + (n == native.minflt.end() ? "in the model" : "natively"));
    else if (n->second != m->second)
      out.push_back("minflt pid " + std::to_string(p) + ": native " + std::to_string(n->second) + ", model " +
                    std::to_string(m->second));
  }
  std::set<std::string> labels;
  for (const auto& [l, s] : native.snapshots) labels.insert(l);
  for (const auto& [l, s] : model.snapshots) labels.insert(l);
  for (const std::string& label : labels) {
    std::string where = "snapshot '" + label + "'";
    auto n = native.snapshots.find(label), m = model.snapshots.find(label);
    if (n == native.snapshots.end() || m == model.snapshots.end()) {
      out.push_back(where + ": taken only " + (n == native.snapshots.end() ? "in the model" : "natively"));
      continue;
    }
    std::set<uint32_t> spids;
    for (const auto& [p, v] : n->second) spids.insert(p);
    for (const auto& [p, v] : m->second) spids.insert(p);
    for (uint32_t p : spids) {
      std::string wp = where + " pid " + std::to_string(p);
      auto np = n->second.find(p), mp = m->second.find(p);
      if (np == n->second.end() || mp == m->second.end()) {
        out.push_back(wp + ": process alive only " + (np == n->second.end() ? "in the model" : "natively"));
        continue;
      }
      std::set<std::pair<uint64_t, uint64_t>> ranges;
      for (const auto& [r, v] : np->second) ranges.insert(r);
      for (const auto& [r, v] : mp->second) ranges.insert(r);
      for (const auto& range : ranges) {
        std::string wv = wp + " VMA " + hex_range(range);
        auto nv = np->second.find(range), mv = mp->second.find(range);
        if (nv == np->second.end() || mv == mp->second.end()) {
          out.push_back(wv + ": VMA only " + (nv == np->second.end() ? "in the model" : "natively"));
          continue;
        }
        for (const char* f : kFields) {
          auto a = nv->second.kb.find(f), b = mv->second.kb.find(f);
          std::string na = a == nv->second.kb.end() ? "missing" : std::to_string(a->second) + " kB";
          std::string mb = b == mv->second.kb.end() ? "missing" : std::to_string(b->second) + " kB";
          if (na != mb) out.push_back(wv + " " + f + ": native " + na + ", model " + mb);
        }
      }
    }
  }
  return out;
}

// Whether this host's kernel maps the shared zero page on a read of untouched private anonymous
// memory: Linux does unless mm_forbids_zeropage() (e.g. a PVM guest booted with
// pvm_no_zero_page=1, whose reads allocate zeroed pages). Probed: 16 pages read, then the VMA's
// Rss in /proc/self/smaps is 0 kB with the zero page and 64 kB without it.
bool host_maps_zero_page() {
  const size_t len = 16 * 4096;
  void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::runtime_error("mmap failed in the zero-page probe");
  volatile const char* p = static_cast<const char*>(m);
  unsigned sum = 0;
  for (size_t off = 0; off < len; off += 4096) sum += static_cast<unsigned char>(p[off]);
  auto vmas = parse_smaps(slurp("/proc/self/smaps"));
  munmap(m, len);
  uint64_t start = reinterpret_cast<uint64_t>(m);
  for (const auto& [range, v] : vmas)
    if (range.first <= start && start < range.second) return sum == 0 && v.kb.at("Rss") == 0;
  throw std::runtime_error("zero-page probe: its mapping is not in /proc/self/smaps");
}

// The model runs with the default preset, except that its THP settings follow the host's
// (/sys/kernel/mm/transparent_hugepage) when they differ from the preset's madvise / huge
// zero page, and kernel.zero_page follows the probe above: the model is validated against the
// kernel as configured here.
std::string host_overrides() {
  std::string args;
  std::string enabled = slurp("/sys/kernel/mm/transparent_hugepage/enabled");
  auto a = enabled.find('['), b = enabled.find(']');
  if (a != std::string::npos && b != std::string::npos) {
    std::string mode = enabled.substr(a + 1, b - a - 1);
    if (mode != "madvise" && (mode == "always" || mode == "never")) args += " --set kernel.thp.enabled=" + mode;
  }
  std::string zero = slurp("/sys/kernel/mm/transparent_hugepage/use_zero_page");
  if (!zero.empty() && zero[0] == '0') args += " --set kernel.thp.use_zero_page=false";
  static const bool zero_page = host_maps_zero_page();
  if (!zero_page) args += " --set kernel.zero_page=false";
  return args;
}

// Runs `trace` in the model with `args`, results in a subfolder of a new temporary folder
// (stdout.txt and stderr.txt make the folder itself non-empty). minflt is Linux's count: the
// faults kernel.fork.strategy odf or async add that only unshare a page table
// (faults.table_only) are taken off, so every strategy must give Linux's numbers.
Results run_model(const std::string& trace, const std::string& args, std::string& dir,
                  std::vector<std::string>& problems) {
  dir = make_temp_dir("model");
  Command c = run_command(std::string("'") + COWSIM_BINARY + "' run '" + trace + "' --out '" + dir + "/results'" + args,
                          dir);
  Results model;
  if (c.code != 0) {
    problems.push_back("cowsim run failed on " + trace + ":\n" + c.err);
    return model;
  }
  auto stats = nlohmann::json::parse(slurp(dir + "/results/stats.json"));
  for (const auto& [pid, p] : stats.at("processes").items()) {
    uint64_t table_only = p.at("faults").value("table_only", uint64_t{0});
    model.minflt[uint32_t(std::stoul(pid))] = p.at("minflt").get<uint64_t>() - table_only;
    std::string exit = p.at("exit").get<std::string>();
    if (exit != "exit" && exit != "end of trace")
      problems.push_back("model pid " + pid + " ended with '" + exit + "' (natively: a normal exit)");
    if (uint64_t e = p.at("syscall_errors").get<uint64_t>())
      problems.push_back("model pid " + pid + ": " + std::to_string(e) + " system calls failed (natively: none)");
  }
  read_snapshots(dir + "/results/smaps", model);
  return model;
}

// ------------------------------------------------------------------ the test

class Validation : public ::testing::TestWithParam<std::string> {};

TEST_P(Validation, MatchesLinux) {
  const std::string name = GetParam();
  const std::string trace = scenarios_dir() + "/" + name + ".cwt";
  auto pend = pending();
  if (auto it = pend.find(name); it != pend.end()) GTEST_SKIP() << "pending: " << it->second;

  // Native: runs until two agree exactly (host noise such as page migration can, rarely, add
  // a fault to one run); the agreed result is the reference.
  std::vector<std::pair<Results, std::string>> runs;
  const Results* native = nullptr;
  std::string native_dir;
  for (int attempt = 0; attempt < 5 && !native; ++attempt) {
    std::string dir = make_temp_dir("native");
    Command c = run_command(std::string("'") + COWSIM_NATIVE_PLAYER + "' '" + trace + "' --out '" + dir + "'", dir);
    if (c.code == 77) {
      std::string reason = c.err.substr(0, c.err.find('\n'));
      if (reason.rfind("SKIP: ", 0) == 0) reason = reason.substr(6);
      fs::remove_all(dir);
      GTEST_SKIP() << "cannot run natively on this host: " << reason;
    }
    ASSERT_EQ(c.code, 0) << "native player failed on " << trace << ":\n" << c.err;
    if (uint64_t maj = native_majflt(dir)) {
      fs::remove_all(dir);
      GTEST_SKIP() << "cannot measure natively on this host: the trace's accesses took " << maj
                   << " major faults (the model has none)";
    }
    runs.emplace_back(read_native(dir), dir);
    for (size_t i = 0; i + 1 < runs.size() && !native; ++i)
      if (runs[i].first == runs.back().first) {
        native = &runs.back().first;
        native_dir = runs.back().second;
      }
  }
  ASSERT_NE(native, nullptr) << "native results of " << name << " differ in each of " << runs.size()
                             << " runs; first run: " << runs.front().second;

  // Model.
  std::vector<std::string> problems;
  std::string model_dir;
  Results model = run_model(trace, host_overrides(), model_dir, problems);
  ASSERT_TRUE(problems.empty()) << problems.front();

  for (const std::string& d : diff(*native, model)) problems.push_back(d);
  if (problems.empty()) {
    for (const auto& r : runs) fs::remove_all(r.second);
    fs::remove_all(model_dir);
    return;
  }
  std::string text;
  for (const std::string& p : problems) text += "  " + p + "\n";
  ADD_FAILURE() << name << ": the model differs from Linux (" << problems.size() << " differences):\n"
                << text << "native results: " << native_dir << "\nmodel results:  " << model_dir
                << "\nreplay by hand: " << COWSIM_NATIVE_PLAYER << " " << trace << " --out DIR --verbose";
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Scenario, Validation, ::testing::ValuesIn(scenario_names()), test_name);

// kernel.fork.strategy odf and async on the same traces give Linux's minflt (besides their
// table-only faults) and the same smaps as the linux strategy (which the test above holds to
// the real kernel); model against model, so it runs on every host.
class StrategyValidation : public ::testing::TestWithParam<std::string> {};

TEST_P(StrategyValidation, OdfAndAsyncMatchLinux) {
  const std::string trace = scenarios_dir() + "/" + GetParam() + ".cwt";
  std::vector<std::string> problems;
  std::string linux_dir;
  Results linux = run_model(trace, "", linux_dir, problems);
  ASSERT_TRUE(problems.empty()) << problems.front();
  for (const char* strategy : {"odf", "async"}) {
    std::string dir;
    Results other = run_model(trace, std::string(" --set kernel.fork.strategy=") + strategy, dir, problems);
    for (std::string d : diff(linux, other)) problems.push_back(std::string(strategy) + ": " + d);
    if (problems.empty()) fs::remove_all(dir);
  }
  if (problems.empty()) fs::remove_all(linux_dir);
  std::string text;
  for (const std::string& p : problems) text += "  " + p + "\n";
  EXPECT_TRUE(problems.empty()) << GetParam() << " (\"native\" below is the linux strategy):\n" << text;
}

INSTANTIATE_TEST_SUITE_P(Scenario, StrategyValidation, ::testing::ValuesIn(scenario_names()), test_name);

// The suite itself: enough scenarios, each documented, and pending.txt names only real ones.
TEST(ValidationSuite, ScenariosAreDocumentedAndPendingListIsValid) {
  auto names = scenario_names();
  EXPECT_GE(names.size(), 12u);
  for (const std::string& n : names) {
    std::string text = slurp(scenarios_dir() + "/" + n + ".cwt");
    EXPECT_EQ(text.rfind("# " + n + ":", 0), 0u) << n << ".cwt must start with a '# " << n << ": ...' comment";
  }
  for (const auto& [name, line] : pending())
    EXPECT_TRUE(std::find(names.begin(), names.end(), name) != names.end())
        << "pending.txt names '" << name << "', which is not a scenario";
}

}  // namespace
