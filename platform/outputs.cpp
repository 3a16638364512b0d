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
    write_file(stage / "histograms.json", r.histograms.dump() + "\n");
    if (!r.timeseries_csv.empty()) write_file(stage / "timeseries.csv", r.timeseries_csv);
    fs::create_directories(stage / "smaps");
    for (const auto& snap : r.snapshots)
      write_file(stage / "smaps" / safe_name(snap.label) / (std::to_string(snap.pid) + ".smaps"), snap.text);
    // Results of an earlier run in the same folder are replaced, never mixed with these.
    for (const char* name : {"stats.json", "stats.txt", "config.json", "histograms.json", "timeseries.csv", "smaps"}) {
      fs::remove_all(out / name);
      if (fs::exists(stage / name)) fs::rename(stage / name, out / name);
    }
    fs::remove_all(stage);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(stage, ec);
    throw InputError(dir + ": cannot write results: " + e.what());
  }
}

}  // namespace cowsim
