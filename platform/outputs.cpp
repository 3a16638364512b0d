#include "platform/outputs.h"

#include <filesystem>
#include <fstream>

#include "models/common/error.h"

namespace cowsim {

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw InputError(path.string() + ": cannot write");
}

// Labels become folder names: keep them to a safe set of characters.
std::string safe_name(const std::string& label) {
  std::string s;
  for (char c : label) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

}  // namespace

void write_outputs(const std::string& dir, const RunResult& r) {
  fs::path out(dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw InputError(dir + ": cannot create output folder: " + ec.message());
  fs::path stage = out / ".cowsim-staging";
  fs::remove_all(stage);
  try {
    write_file(stage / "stats.json", r.stats.dump(2) + "\n");
    write_file(stage / "stats.txt", r.stats_text);
    write_file(stage / "config.json", r.config.dump(2) + "\n");
    fs::create_directories(stage / "smaps");
    for (const auto& snap : r.snapshots)
      write_file(stage / "smaps" / safe_name(snap.label) / (std::to_string(snap.pid) + ".smaps"), snap.text);
    // Results of an earlier run in the same folder are replaced, never mixed with these.
    for (const char* name : {"stats.json", "stats.txt", "config.json", "smaps"}) {
      fs::remove_all(out / name);
      fs::rename(stage / name, out / name);
    }
    fs::remove_all(stage);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(stage, ec);
    throw InputError(dir + ": cannot write results: " + e.what());
  }
}

void write_histograms(const std::string& path, const RunResult& r) {
  auto rows = [](const StatSink::HistogramBins& h, const std::string& lead) {
    std::string t;
    for (const auto& b : h.bins)
      t += lead + std::to_string(b.lower) + "," + std::to_string(b.upper) + "," + std::to_string(b.count) + "\n";
    return t;
  };
  bool one_file = path.size() > 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
  if (one_file) {
    std::string t = "histogram,unit,lower,upper,count\n";
    for (const auto& h : r.histograms) t += rows(h, h.path + "," + h.unit + ",");
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
    for (const auto& h : r.histograms) write_file(stage / (safe_name(h.path) + ".csv"), "lower,upper,count\n" + rows(h, ""));
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
