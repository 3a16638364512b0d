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

constexpr const char* kStaging = ".cowsim-staging";

}  // namespace

OutputFolder check_output_folder(const std::string& dir) {
  fs::path out(dir);
  std::error_code ec;
  auto st = fs::status(out, ec);
  if (!fs::exists(st)) return OutputFolder::kNew;
  if (!fs::is_directory(st)) throw InputError(dir + ": exists and is not a folder (--out names the results folder)");
  bool empty = true, staging_only = true;
  for (const auto& e : fs::directory_iterator(out, ec)) {
    empty = false;
    if (e.path().filename() != kStaging) staging_only = false;
  }
  if (ec) throw InputError(dir + ": cannot read the output folder: " + ec.message());
  if (empty) return OutputFolder::kEmpty;
  if (staging_only || (fs::is_regular_file(out / "stats.json") && fs::is_regular_file(out / "config.json")))
    return OutputFolder::kEarlierRun;
  throw InputError(dir + ": the output folder is not empty and holds no earlier cowsim results (no stats.json and "
                   "config.json); refusing to write into it: name a new or empty folder with -o/--out");
}

void write_outputs(const std::string& dir, const RunResult& r) {
  fs::path out(dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw InputError(dir + ": cannot create output folder: " + ec.message());
  fs::path stage = out / kStaging;
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

}  // namespace cowsim
