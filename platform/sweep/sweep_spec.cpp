#include "platform/sweep/sweep_spec.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "models/common/error.h"
#include "platform/scenarios/scenario.h"
#include "platform/sim_config.h"
#include "platform/simulation.h"
#include "traces/trace_io.h"

namespace cowsim::sweep {
namespace {

[[noreturn]] void fail(const Spec& s, int line, const std::string& what) {
  throw InputError(s.path + ":" + std::to_string(line) + ": " + what);
}
int line_of(const YAML::Node& n) { return n.Mark().line + 1; }

std::string scalar(const Spec& s, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) fail(s, line_of(n), what + " must be a single value (a string or a number), not a list or map");
  return n.Scalar();
}

bool is_integer(const std::string& t) {
  if (t.empty()) return false;
  for (char c : t)
    if (c < '0' || c > '9') return false;
  return true;
}

std::vector<std::pair<std::string, Value>> scalar_map(const Spec& s, const YAML::Node& n, const std::string& what) {
  if (!n.IsMap()) fail(s, line_of(n), what + " must be a map of KEY: VALUE");
  std::vector<std::pair<std::string, Value>> out;
  for (const auto& kv : n)
    out.push_back({kv.first.Scalar(), Value{scalar(s, kv.second, what + "." + kv.first.Scalar()), line_of(kv.second)}});
  return out;
}

void set_or_add(std::vector<std::pair<std::string, std::string>>& kv, const std::string& k, const std::string& v) {
  for (auto& e : kv)
    if (e.first == k) { e.second = v; return; }
  kv.push_back({k, v});
}

std::vector<Condition> parse_condition(const Spec& s, const std::string& text, int line) {
  std::vector<Condition> ors;
  std::string rest = text;
  for (;;) {
    size_t p = rest.find(" or ");
    std::string part = rest.substr(0, p);
    std::istringstream in(part);
    Condition c;
    std::string extra;
    if (!(in >> c.axis >> c.op >> c.value) || (in >> extra))
      fail(s, line, "where condition '" + part + "' must read AXIS OP VALUE (OP one of == != < <= > >=), joined by ' or '");
    static const std::set<std::string> ops{"==", "!=", "<", "<=", ">", ">="};
    if (!ops.count(c.op)) fail(s, line, "where: unknown operator '" + c.op + "'");
    bool known = false;
    for (const auto& a : s.axes) known |= a.name == c.axis;
    if (!known) fail(s, line, "where: '" + c.axis + "' is not an axis of this sweep");
    ors.push_back(c);
    if (p == std::string::npos) break;
    rest = rest.substr(p + 4);
  }
  return ors;
}

bool holds(const Condition& c, const std::string& v) {
  char* e1 = nullptr;
  char* e2 = nullptr;
  double a = std::strtod(v.c_str(), &e1), b = std::strtod(c.value.c_str(), &e2);
  bool numeric = !v.empty() && !c.value.empty() && *e1 == 0 && *e2 == 0;
  int cmp = numeric ? (a < b ? -1 : a > b ? 1 : 0) : v.compare(c.value);
  if (c.op == "==") return cmp == 0;
  if (c.op == "!=") return cmp != 0;
  if (c.op == "<") return cmp < 0;
  if (c.op == "<=") return cmp <= 0;
  if (c.op == ">") return cmp > 0;
  return cmp >= 0;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

std::string column_name(const std::string& axis) {
  std::string c;
  for (char ch : axis) c += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return c;
}

Spec load_spec(const std::string& path) {
  Spec s;
  s.path = path;
  std::ifstream f(path);
  if (!f) throw InputError(path + ": cannot read the SPEC");
  std::stringstream ss;
  ss << f.rdbuf();
  s.text = ss.str();
  YAML::Node root;
  try {
    root = YAML::Load(s.text);
  } catch (const YAML::Exception& e) {
    fail(s, e.mark.line + 1, "not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) fail(s, 1, "a SPEC is a map with 'base' and 'axes'");
  static const std::set<std::string> top{"base", "axes", "zip", "where", "slurm"};
  for (const auto& kv : root)
    if (!top.count(kv.first.Scalar()))
      fail(s, line_of(kv.first), "unknown key '" + kv.first.Scalar() + "' (known: base, axes, zip, where, slurm)");

  if (root["base"]) {
    const YAML::Node b = root["base"];
    if (!b.IsMap()) fail(s, line_of(b), "base must be a map");
    static const std::set<std::string> keys{"trace", "scenario", "params", "preset", "config", "set", "seed"};
    for (const auto& kv : b) {
      std::string k = kv.first.Scalar();
      if (!keys.count(k))
        fail(s, line_of(kv.first), "unknown key 'base." + k + "' (known: trace, scenario, params, preset, config, set, seed)");
      if (k == "params") s.base.params = scalar_map(s, kv.second, "base.params");
      else if (k == "set") s.base.set = scalar_map(s, kv.second, "base.set");
      else {
        std::string v = scalar(s, kv.second, "base." + k);
        if (k == "trace") s.base.trace = v;
        if (k == "scenario") s.base.scenario = v;
        if (k == "preset") s.base.preset = v;
        if (k == "config") s.base.config = v;
        if (k == "seed") {
          if (!is_integer(v)) fail(s, line_of(kv.second), "base.seed must be a non-negative integer, not '" + v + "'");
          s.base.seed = Value{v, line_of(kv.second)};
        }
      }
    }
    if (!s.base.trace.empty() && !s.base.scenario.empty())
      fail(s, line_of(b), "base names a trace and a scenario; give one");
  }

  const YAML::Node axes = root["axes"];
  if (axes) {
    if (!axes.IsMap()) fail(s, line_of(axes), "axes must be a map of AXIS: [VALUE, ...]");
    for (const auto& kv : axes) {
      Axis a;
      a.name = kv.first.Scalar();
      a.column = column_name(a.name);
      a.line = line_of(kv.first);
      for (const auto& other : s.axes)
        if (other.column == a.column) fail(s, a.line, "axes '" + other.name + "' and '" + a.name + "' share the column name " + a.column);
      static const std::set<std::string> reserved{"id", "status", "exit_code", "host_seconds", "peak_rss_kib",
                                                  "stderr_tail", "config_json", "out_dir"};
      if (reserved.count(a.column)) fail(s, a.line, "axis '" + a.name + "' collides with the points table's column " + a.column);
      if (!kv.second.IsSequence()) fail(s, line_of(kv.second), "axis '" + a.name + "' must be a list of values");
      if (kv.second.size() == 0) fail(s, line_of(kv.second), "axis '" + a.name + "' is empty (a sweep over no values has no points)");
      std::set<std::string> seen;
      for (const auto& v : kv.second) {
        Value val{scalar(s, v, "a value of axis '" + a.name + "'"), line_of(v)};
        if (a.name == "seed" && !is_integer(val.text))
          fail(s, val.line, "seed values must be non-negative integers, not '" + val.text + "'");
        if (a.name == "param." || a.name.empty()) fail(s, a.line, "axis 'param.' needs a parameter name");
        if (!seen.insert(val.text).second) fail(s, val.line, "axis '" + a.name + "' lists '" + val.text + "' twice");
        a.values.push_back(val);
      }
      s.axes.push_back(a);
    }
  }

  if (const YAML::Node z = root["zip"]) {
    if (!z.IsSequence()) fail(s, line_of(z), "zip must be a list of groups, each a list of axis names");
    std::set<std::string> used;
    for (const auto& g : z) {
      if (!g.IsSequence() || g.size() < 2) fail(s, line_of(g), "a zip group is a list of two or more axis names");
      std::vector<std::string> group;
      size_t len = 0;
      for (const auto& n : g) {
        std::string name = scalar(s, n, "a zip entry");
        const Axis* ax = nullptr;
        for (const auto& a : s.axes)
          if (a.name == name) ax = &a;
        if (!ax) fail(s, line_of(n), "zip: '" + name + "' is not an axis of this sweep");
        if (!used.insert(name).second) fail(s, line_of(n), "zip: axis '" + name + "' is in two groups");
        if (len && ax->values.size() != len)
          fail(s, line_of(n), "zip: axis '" + name + "' has " + std::to_string(ax->values.size()) +
                                  " values, the group's first axis " + std::to_string(len));
        len = ax->values.size();
        group.push_back(name);
      }
      s.zips.push_back(group);
    }
  }

  if (const YAML::Node w = root["where"]) {
    s.where_line = line_of(w);
    if (w.IsScalar()) s.where.push_back(parse_condition(s, w.Scalar(), line_of(w)));
    else if (w.IsSequence())
      for (const auto& c : w) s.where.push_back(parse_condition(s, scalar(s, c, "a where condition"), line_of(c)));
    else fail(s, line_of(w), "where must be a condition or a list of conditions");
  }

  if (const YAML::Node sl = root["slurm"]) {
    if (!sl.IsMap()) fail(s, line_of(sl), "slurm must be a map");
    static const std::set<std::string> keys{"partition", "time", "cpus_per_task", "mem", "chunk", "account", "qos"};
    for (const auto& kv : sl) {
      std::string k = kv.first.Scalar();
      if (!keys.count(k))
        fail(s, line_of(kv.first), "unknown key 'slurm." + k + "' (known: partition, time, cpus_per_task, mem, chunk, account, qos)");
      std::string v = scalar(s, kv.second, "slurm." + k);
      if ((k == "chunk" || k == "cpus_per_task") && (!is_integer(v) || v == "0"))
        fail(s, line_of(kv.second), "slurm." + k + " must be a positive integer, not '" + v + "'");
      s.slurm[k] = v;
    }
  }
  return s;
}

namespace {

// Dimensions of the grid: each zip group is one dimension; every other axis its own.
std::vector<std::vector<size_t>> dimensions(const Spec& spec) {
  std::vector<std::vector<size_t>> dims;  // axis indices per dimension
  std::vector<bool> placed(spec.axes.size(), false);
  for (size_t i = 0; i < spec.axes.size(); ++i) {
    if (placed[i]) continue;
    std::vector<size_t> dim{i};
    placed[i] = true;
    for (const auto& g : spec.zips) {
      bool in = false;
      for (const auto& n : g) in |= n == spec.axes[i].name;
      if (!in) continue;
      for (size_t j = 0; j < spec.axes.size(); ++j)
        for (const auto& n : g)
          if (!placed[j] && spec.axes[j].name == n) { dim.push_back(j); placed[j] = true; }
    }
    dims.push_back(dim);
  }
  return dims;
}

}  // namespace

uint64_t grid_size(const Spec& spec) {
  uint64_t n = 1;
  for (const auto& d : dimensions(spec)) {
    uint64_t v = spec.axes[d[0]].values.size();  // never 0: load_spec refuses an empty axis
    if (v == 0) return 0;
    n = n > UINT64_MAX / v ? UINT64_MAX : n * v;
  }
  return n;
}

std::vector<Point> expand(const Spec& spec) {
  const uint64_t size = grid_size(spec);
  if (size > kMaxGridPoints) {
    std::string product;
    for (const auto& d : dimensions(spec))
      product += (product.empty() ? "" : " x ") + std::to_string(spec.axes[d[0]].values.size());
    fail(spec, spec.axes[0].line,
         "the grid has " + (size == UINT64_MAX ? std::string("2^64 or more") : std::to_string(size)) + " points (" +
             product + ", before 'where'), more than " + std::to_string(kMaxGridPoints) +
             "; split the sweep or zip axes that vary together");
  }
  const std::vector<std::vector<size_t>> dims = dimensions(spec);
  std::vector<Point> points;
  std::vector<size_t> idx(dims.size(), 0);
  for (;;) {
    Point p;
    p.values.resize(spec.axes.size());
    p.lines.resize(spec.axes.size());
    for (size_t d = 0; d < dims.size(); ++d)
      for (size_t a : dims[d]) {
        p.values[a] = spec.axes[a].values[idx[d]].text;
        p.lines[a] = spec.axes[a].values[idx[d]].line;
      }
    bool keep = true;
    for (const auto& ors : spec.where) {
      bool any = false;
      for (const auto& c : ors)
        for (size_t a = 0; a < spec.axes.size(); ++a)
          if (spec.axes[a].name == c.axis) any |= holds(c, p.values[a]);
      keep &= any;
    }
    if (keep) {
      // The point's run: base, then its axis values.
      std::string trace = spec.base.trace, scenario = spec.base.scenario, preset = spec.base.preset;
      std::vector<std::pair<std::string, std::string>> params, set;
      for (const auto& kv : spec.base.params) params.push_back({kv.first, kv.second.text});
      for (const auto& kv : spec.base.set) set.push_back({kv.first, kv.second.text});
      if (!spec.base.seed.text.empty()) set_or_add(set, "seed", spec.base.seed.text);
      for (size_t a = 0; a < spec.axes.size(); ++a) {
        const std::string& n = spec.axes[a].name;
        const std::string& v = p.values[a];
        if (n == "trace") { trace = v; scenario.clear(); }
        else if (n == "scenario") { scenario = v; trace.clear(); }
        else if (n == "preset") preset = v;
        else if (n.rfind("param.", 0) == 0) set_or_add(params, n.substr(6), v);
        else set_or_add(set, n, v);
      }
      if (!trace.empty()) p.run_args.push_back(trace);
      else p.run_args.insert(p.run_args.end(), {"--scenario", scenario.empty() ? kDefaultScenario : scenario});
      if (!preset.empty()) p.run_args.insert(p.run_args.end(), {"--preset", preset});
      if (!spec.base.config.empty()) p.run_args.insert(p.run_args.end(), {"--config", spec.base.config});
      for (const auto& kv : params) p.run_args.insert(p.run_args.end(), {"--param", kv.first + "=" + kv.second});
      for (const auto& kv : set) p.run_args.insert(p.run_args.end(), {"--set", kv.first + "=" + kv.second});
      std::string key;
      for (const auto& a : p.run_args) key += a + '\0';
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
      p.id = std::string(hex).substr(0, 12);
      points.push_back(p);
    }
    size_t d = 0;
    for (; d < dims.size(); ++d) {
      if (++idx[d] < spec.axes[dims[d][0]].values.size()) break;
      idx[d] = 0;
    }
    if (d == dims.size()) break;
  }
  return points;
}

namespace {

// Configures one run exactly as `cowsim run` would, without simulating.
void configure(const std::vector<std::string>& args) {
  ConfigSources src;
  std::string trace, scenario;
  std::vector<std::string> params;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--scenario") scenario = args[++i];
    else if (args[i] == "--preset") src.preset = args[++i];
    else if (args[i] == "--config") src.file = args[++i];
    else if (args[i] == "--param") params.push_back(args[++i]);
    else if (args[i] == "--set") src.overrides.push_back(args[++i]);
    else trace = args[i];
  }
  SimConfig cfg = load_config(src);
  trace::NameTable names;
  if (!trace.empty()) {
    std::ifstream f(trace);
    if (!f) throw InputError("cannot read trace " + trace);
  } else {
    TraceSource ts = scenario_source(scenario, params, names, cfg);
    ts.open();  // checks the parameters that must work together (the stream is generated lazily)
  }
}

}  // namespace

void validate(const Spec& spec, const std::vector<Point>& points) {
  std::set<std::string> ids;
  for (const auto& p : points) {
    try {
      configure(p.run_args);
    } catch (const InputError& e) {
      std::string where, lines;
      for (size_t a = 0; a < spec.axes.size(); ++a) {
        where += (where.empty() ? "" : ", ") + spec.axes[a].name + "=" + p.values[a];
        lines += (lines.empty() ? "" : ",") + std::to_string(p.lines[a]);
      }
      int first = spec.axes.empty() ? 1 : p.lines[0];
      // Name the line of the one value at fault when a single axis value alone is the cause.
      for (size_t a = 0; a < spec.axes.size(); ++a)
        if (std::string(e.what()).find(spec.axes[a].name) != std::string::npos ||
            std::string(e.what()).find(p.values[a]) != std::string::npos) { first = p.lines[a]; break; }
      fail(spec, first, "point " + p.id + " (" + where + "; values on lines " + lines + ") cannot be configured: " + e.what());
    }
    if (!ids.insert(p.id).second) fail(spec, 1, "two points have the same run (id " + p.id + ")");
  }
}

}  // namespace cowsim::sweep
