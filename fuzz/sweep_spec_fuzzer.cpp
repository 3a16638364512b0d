// Fuzzes the sweep SPEC (docs/sweeps.md): the input is the SPEC file, loaded, expanded and
// validated as `cowsim sweep --dry-run` does, without running anything. Oracle:
// - a SPEC is loaded or refused with an InputError "SPEC:LINE: ..." whose LINE is a line of
//   the file (1 up to one past its last line: YAML reports an unclosed list at the end);
// - a grid larger than kMaxGridPoints is refused the same way by expand(), before any point
//   is built; a smaller one expands to exactly its points: each names a value of every axis,
//   zipped axes advance together, the `where` conditions filter (never add) points, and
//   without `where` every combination is there once;
// - the points are then configured as `cowsim run` would (validate): each forms a valid
//   configuration, or the whole SPEC is refused with an InputError naming the SPEC's line.
// Bounded work: grids of more than kMaxExpand points are only checked for their refusal or
// skipped, and at most kMaxValidate points are configured. A file name without '/' (config,
// trace) is taken in the harness's scratch folder, which holds a small trace `t.cwt` and a
// configuration `c.json`; SPECs naming paths with a '/' are not configured (a device or FIFO
// would block the reader, which is not a SPEC bug).
#include <cstring>
#include <set>
#include <string>

#include "fuzz/fuzz_util.h"
#include "platform/sweep/sweep_spec.h"

namespace {
constexpr uint64_t kMaxExpand = 4096;
constexpr size_t kMaxValidate = 16;

// "PATH:LINE: ..." with 1 <= LINE <= max_line.
bool names_spec_line(const std::string& msg, const std::string& path, int max_line) {
  if (msg.compare(0, path.size() + 1, path + ":") != 0) return false;
  size_t i = path.size() + 1, j = i;
  while (j < msg.size() && j - i < 9 && msg[j] >= '0' && msg[j] <= '9') ++j;
  if (j == i || j >= msg.size() || msg[j] != ':') return false;
  int line = std::stoi(msg.substr(i, j - i));
  return line >= 1 && line <= max_line;
}

// Makes the SPEC's file names (config, trace) names in `dir`; false if one has a '/'.
bool files_in(cowsim::sweep::Spec& s, const std::string& dir) {
  bool ok = true;
  auto in_dir = [&](std::string& p) {
    if (p.find('/') != std::string::npos) ok = false;
    else if (!p.empty()) p = dir + "/" + p;
  };
  in_dir(s.base.config);
  in_dir(s.base.trace);
  for (auto& a : s.axes)
    if (a.name == "trace")
      for (auto& v : a.values) in_dir(v.text);
  return ok;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cowsim;
  static const std::string dir = [] {
    const std::string& d = fuzz::scratch_dir();
    const char trace[] = "cowsim-trace 1\n1 mmap 0x10000 16K rw private,anon\n1 w 0x10000 +16K\n1 exit\n";
    const char config[] = "{\"cores\": 2}\n";
    fuzz::write_file(d + "/t.cwt", reinterpret_cast<const uint8_t*>(trace), std::strlen(trace));
    fuzz::write_file(d + "/c.json", reinterpret_cast<const uint8_t*>(config), std::strlen(config));
    return d;
  }();
  const std::string path = dir + "/spec.yaml";
  fuzz::write_file(path, data, size);
  int lines = 1;
  for (size_t i = 0; i < size; ++i) lines += data[i] == '\n';
  const int max_line = lines + 1;

  auto expect_line = [&](auto&& f) {
    try {
      f();
      return true;
    } catch (const InputError& e) {
      if (!names_spec_line(e.what(), path, max_line)) {
        std::fprintf(stderr, "fuzz: the error does not name a line 1..%d of the SPEC: %s\n", max_line, e.what());
        std::abort();
      }
      return false;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz: not an InputError: %s\n", e.what());
      std::abort();
    }
  };

  sweep::Spec spec;
  if (!expect_line([&] { spec = sweep::load_spec(path); })) return 0;

  const uint64_t grid = sweep::grid_size(spec);
  if (grid > sweep::kMaxGridPoints) {
    FUZZ_CHECK(!expect_line([&] { sweep::expand(spec); }), "a grid past kMaxGridPoints was expanded");
    return 0;
  }
  if (grid > kMaxExpand) return 0;
  const bool configurable = files_in(spec, dir);
  std::vector<sweep::Point> points;
  FUZZ_CHECK(expect_line([&] { points = sweep::expand(spec); }), "a grid within the limit was refused");
  FUZZ_CHECK(points.size() <= grid, "more points than the grid has");
  if (spec.where.empty()) FUZZ_CHECK(points.size() == grid, "without 'where' a point is missing");
  std::set<std::vector<std::string>> combos;
  for (const auto& p : points) {
    FUZZ_CHECK(p.values.size() == spec.axes.size() && p.lines.size() == spec.axes.size(), "a point lacks an axis");
    FUZZ_CHECK(p.id.size() == 12 && p.id.find_first_not_of("0123456789abcdef") == std::string::npos,
               "a point id is not 12 hex digits");
    FUZZ_CHECK(!p.run_args.empty(), "a point has no run");
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      size_t k = 0;
      while (k < spec.axes[a].values.size() && spec.axes[a].values[k].text != p.values[a]) ++k;
      FUZZ_CHECK(k < spec.axes[a].values.size(), "a point's value is not a value of its axis");
      FUZZ_CHECK(spec.axes[a].values[k].line == p.lines[a], "a point's value has the wrong line");
      for (const auto& g : spec.zips) {  // zipped axes: the same index in every axis of a group
        bool in = false;
        for (const auto& n : g) in |= n == spec.axes[a].name;
        if (!in) continue;
        for (size_t b = 0; b < spec.axes.size(); ++b)
          for (const auto& n : g)
            if (n == spec.axes[b].name)
              FUZZ_CHECK(spec.axes[b].values[k].text == p.values[b], "zipped axes did not advance together");
      }
    }
    FUZZ_CHECK(combos.insert(p.values).second, "a combination of values appears twice");
  }

  if (points.size() > kMaxValidate || !configurable) return 0;
  expect_line([&] { sweep::validate(spec, points); });
  return 0;
}
