#include "platform/outputs.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>

#include "models/common/error.h"
#include "models/common/histogram.h"

namespace cowsim {

namespace fs = std::filesystem;

namespace {

// The crash-safety test (testbenches/platform/690) kills the process at step N of the
// replacement below, for every N, by setting COWSIM_CRASH_AT_STEP=N: the steps are
// microseconds apart, too close for a kill from outside to hit each one.
void step() {
  static const long crash_at = [] {
    const char* v = std::getenv("COWSIM_CRASH_AT_STEP");
    return v ? std::atol(v) : 0L;
  }();
  static long n = 0;
  if (crash_at && ++n == crash_at) ::kill(::getpid(), SIGKILL);
}

// `fill` streams the contents: a large report is never held twice (tree and text) in memory.
void write_with(const fs::path& path, const std::function<void(std::ostream&)>& fill) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  fill(out);
  out.close();
  if (!out) throw InputError(path.string() + ": cannot write");
}

void write_file(const fs::path& path, const std::string& text) {
  write_with(path, [&text](std::ostream& o) { o << text; });
}

// Labels become folder names: keep them to a safe set of characters.
std::string safe_name(const std::string& label) {
  std::string s;
  for (char c : label) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

// cowsim's own files in a results folder: the staging folder, the earlier run's files moved
// aside, and the run lock (platform/run_lock.cpp). Any of them marks the folder as cowsim's.
constexpr const char* kStaging = ".cowsim-staging";
constexpr const char* kOld = ".cowsim-old";
constexpr const char* kLock = ".cowsim-lock";

}  // namespace

OutputFolder check_output_folder(const std::string& dir) {
  fs::path out(dir);
  std::error_code ec;
  auto st = fs::status(out, ec);
  if (!fs::exists(st)) return OutputFolder::kNew;
  if (!fs::is_directory(st)) throw InputError(dir + ": exists and is not a folder (--out names the results folder)");
  bool empty = true, ours = false;
  for (const auto& e : fs::directory_iterator(out, ec)) {
    empty = false;
    auto name = e.path().filename();
    if (name == kStaging || name == kOld || name == kLock) ours = true;
  }
  if (ec) throw InputError(dir + ": cannot read the output folder: " + ec.message());
  if (empty) return OutputFolder::kEmpty;
  if (ours || (fs::is_regular_file(out / "stats.json") && fs::is_regular_file(out / "config.json")))
    return OutputFolder::kEarlierRun;
  throw InputError(dir + ": the output folder is not empty and holds no earlier cowsim results (no stats.json and "
                   "config.json); refusing to write into it: name a new or empty folder with -o/--out");
}

void write_outputs(const std::string& dir, const RunResult& r) {
  fs::path out(dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw InputError(dir + ": cannot create output folder: " + ec.message());
  fs::path stage = out / kStaging, old = out / kOld;
  fs::remove_all(stage, ec);  // what a killed run left behind
  fs::remove_all(old, ec);
  try {
    // operator<< with setw(2) is dump(2), written as it is serialised.
    write_with(stage / "stats.json", [&r](std::ostream& o) { o << std::setw(2) << r.stats << "\n"; });
    write_with(stage / "stats.txt", [&r](std::ostream& o) { r.stats_text.write(o); });
    write_file(stage / "config.json", r.config.dump(2) + "\n");
    write_file(stage / "histograms.json", r.histograms.dump() + "\n");
    if (!r.timeseries_csv.empty()) write_file(stage / "timeseries.csv", r.timeseries_csv);
    fs::create_directories(stage / "smaps");
    for (const auto& snap : r.snapshots)
      write_file(stage / "smaps" / safe_name(snap.label) / (std::to_string(snap.pid) + ".smaps"), snap.text);
    // stats.json marks a complete set of results: it goes first and comes back last, so a
    // run killed at any moment leaves either the earlier run's complete results or a folder
    // without stats.json, never a mix that looks complete. Every rename is atomic; the
    // earlier run's files are moved aside (not deleted file by file) and removed at the end.
    step();
    fs::create_directories(old);
    step();
    if (fs::exists(out / "stats.json")) fs::rename(out / "stats.json", old / "stats.json");
    for (const char* name : {"stats.txt", "config.json", "histograms.json", "timeseries.csv", "smaps"}) {
      step();
      if (fs::exists(out / name)) fs::rename(out / name, old / name);
      step();
      if (fs::exists(stage / name)) fs::rename(stage / name, out / name);  // stale optional files go
    }
    step();
    fs::rename(stage / "stats.json", out / "stats.json");
    step();
    fs::remove_all(stage);
    step();
    fs::remove_all(old);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(stage, ec);
    throw InputError(dir + ": cannot write results: " + e.what());
  }
}

void write_histograms(const std::string& path, const RunResult& r) {
  // r.histograms holds each bin's lower edge (the overflow bin's: the maximum); the upper edge
  // is the next bin's lower edge, or just above the maximum for the overflow bin.
  auto rows = [](const nlohmann::json& h, const std::string& lead) {
    std::string t;
    const auto& edges = h["lower_edges"];
    const auto& counts = h["counts"];
    for (size_t i = 0; i < edges.size(); ++i) {
      uint64_t lower = edges[i].get<uint64_t>();
      unsigned b = LatencyHistogram::bin(lower);
      uint64_t upper = b < LatencyHistogram::kBins ? LatencyHistogram::lower_edge(b + 1) : lower + 1;
      if (b == LatencyHistogram::kBins) lower = LatencyHistogram::lower_edge(b);
      t += lead + std::to_string(lower) + "," + std::to_string(upper) + "," +
           std::to_string(counts[i].get<uint64_t>()) + "\n";
    }
    return t;
  };
  bool one_file = path.size() > 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  if (one_file) {
    std::string t = "histogram,unit,lower,upper,count\n";
    for (const auto& [name, h] : r.histograms.items()) t += rows(h, name + "," + h["unit"].get<std::string>() + ",");
    std::string tmp = path + ".tmp";
    write_file(tmp, t);
    fs::rename(tmp, path);
    return;
  }
  fs::path dir(path), stage = dir / ".cowsim-staging";
  std::error_code ec;
  fs::remove_all(stage, ec);
  try {
    fs::create_directories(stage);
    for (const auto& [name, h] : r.histograms.items())
      write_file(stage / (safe_name(name) + ".csv"), "lower,upper,count\n" + rows(h, ""));
    for (const auto& e : fs::directory_iterator(stage)) {
      fs::path dest = dir / e.path().filename();
      fs::remove(dest);
      fs::rename(e.path(), dest);
    }
    fs::remove_all(stage);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(stage, ec);
    throw InputError(path + ": cannot write histograms: " + e.what());
  }
}

}  // namespace cowsim
