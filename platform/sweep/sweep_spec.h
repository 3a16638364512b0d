// A sweep SPEC (docs/sweeps.md): a base run and axes, expanded into points. Parsed with
// yaml-cpp so every error names the SPEC's line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cowsim::sweep {

struct Value {
  std::string text;
  int line = 0;  // 1-based line in the SPEC
};

struct Axis {
  std::string name;     // "preset", "trace", "scenario", "seed", "param.NAME" or a --set key
  std::string column;   // SQL column: non-alphanumerics replaced by '_'
  std::vector<Value> values;
  int line = 0;
};

struct Base {
  std::string trace, scenario, preset, config;
  std::vector<std::pair<std::string, Value>> params, set;
  Value seed;  // empty text: the configuration's seed
};

struct Condition {  // AXIS OP VALUE
  std::string axis, op, value;
};

struct Point {
  std::string id;                  // 12 hex digits of a hash over the point's whole run
  std::vector<std::string> values;  // one per axis, in axis order
  std::vector<int> lines;
  std::vector<std::string> run_args;  // arguments of `cowsim run` (without --out)
};

struct Spec {
  std::string path, text;
  Base base;
  std::vector<Axis> axes;
  std::vector<std::vector<std::string>> zips;
  std::vector<std::vector<Condition>> where;  // AND of ORs
  int where_line = 0;
  std::map<std::string, std::string> slurm;  // sbatch options (partition, time, cpus_per_task, mem, chunk)
};

// The most points a grid may have before `where` filters it: a SPEC asking for more is refused
// with an InputError before anything is expanded (a typo such as 30 axes of 2 values would
// otherwise take all host memory).
constexpr uint64_t kMaxGridPoints = 1000000;

std::string column_name(const std::string& axis);
// The number of points of the grid before `where`, saturated at UINT64_MAX.
uint64_t grid_size(const Spec& spec);
Spec load_spec(const std::string& path);  // throws InputError "SPEC:LINE: ..."
std::vector<Point> expand(const Spec& spec);  // throws InputError past kMaxGridPoints
// Configures every point without running it (configuration, scenario parameters, trace file).
void validate(const Spec& spec, const std::vector<Point>& points);

}  // namespace cowsim::sweep
