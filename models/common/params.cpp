#include "models/common/params.h"

#include <cmath>
#include <sstream>

#include "models/common/error.h"
#include "models/common/size_text.h"

namespace cowsim {

using nlohmann::json;

ParamRegistry::Scope::Scope(ParamRegistry& r, const std::string& name) : r_(r), saved_(r.prefix_.size()) {
  r_.prefix_ += name + ".";
}
ParamRegistry::Scope::~Scope() { r_.prefix_.resize(saved_); }

std::string ParamRegistry::full(const char* name) const { return prefix_ + name; }

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

[[noreturn]] void bad_value(const std::string& path, const json& j, const std::string& expected) {
  // A value from the command line may be any bytes: invalid UTF-8 is shown replaced, not a
  // json::type_error (found by fuzz/scenario_fuzzer; fuzz/regressions/scenario/).
  throw InputError("parameter '" + path + "': invalid value " + j.dump(-1, ' ', false, json::error_handler_t::replace) +
                   " (expected " + expected + ")");
}

template <class T>
void add_unsigned(std::vector<ParamInfo>& params, std::string path, T& v, const char* unit,
                  const char* desc, T min, T max) {
  std::string range = std::to_string(min) + ".." + std::to_string(max);
  params.push_back({path, "integer", unit, desc, json(v), range, [&v] { return json(v); },
                    [&v, path, min, max, range](const json& j) {
                      uint64_t x = 0;
                      // A non-negative integer may be stored signed (json built in code holds
                      // `32` as an int): it is as valid as the unsigned one a parser makes.
                      if (j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0)) {
                        x = j.get<uint64_t>();
                      } else if (j.is_string()) {
                        switch (parse_size_text(j.get<std::string>(), true, x)) {
                          case SizeStatus::kOk: break;
                          case SizeStatus::kNotWhole:
                            bad_value(path, j, "a whole number in " + range + "; this one has a fraction left");
                          case SizeStatus::kTooLarge: bad_value(path, j, "an integer in " + range + "; this one overflows 64 bits");
                          case SizeStatus::kBad:
                            bad_value(path, j, "an integer in " + range + ", like 4096, 0x1000, 64K, 8GB or 1.5GiB");
                        }
                      } else {
                        bad_value(path, j, "an integer in " + range);
                      }
                      if (x < min || x > max) bad_value(path, j, "an integer in " + range);
                      v = static_cast<T>(x);
                    }});
}

}  // namespace

void ParamRegistry::add(const char* name, uint64_t& v, const char* unit, const char* desc, uint64_t min,
                        uint64_t max) {
  add_unsigned(params_, full(name), v, unit, desc, min, max);
}

void ParamRegistry::add(const char* name, uint32_t& v, const char* unit, const char* desc, uint32_t min,
                        uint32_t max) {
  add_unsigned(params_, full(name), v, unit, desc, min, max);
}

void ParamRegistry::add(const char* name, double& v, const char* unit, const char* desc, double min,
                        double max) {
  std::ostringstream range;
  range << min << ".." << max;
  std::string path = full(name);
  params_.push_back({path, "number", unit, desc, json(v), range.str(), [&v] { return json(v); },
                     [&v, path, min, max, r = range.str()](const json& j) {
                       if (!j.is_number()) bad_value(path, j, "a number in " + r);
                       double x = j.get<double>();
                       if (!std::isfinite(x) || x < min || x > max) bad_value(path, j, "a number in " + r);
                       v = x;
                     }});
}

void ParamRegistry::add(const char* name, bool& v, const char* desc) {
  std::string path = full(name);
  params_.push_back({path, "boolean", "", desc, json(v), "true|false", [&v] { return json(v); },
                     [&v, path](const json& j) {
                       if (!j.is_boolean()) bad_value(path, j, "true or false");
                       v = j.get<bool>();
                     }});
}

void ParamRegistry::add(const char* name, std::string& v, const char* desc, std::vector<std::string> choices) {
  std::string path = full(name);
  std::string range = join(choices, "|");
  params_.push_back({path, "choice", "", desc, json(v), range, [&v] { return json(v); },
                     [&v, path, choices, range](const json& j) {
                       if (!j.is_string()) bad_value(path, j, "one of " + range);
                       for (const auto& c : choices)
                         if (c == j.get<std::string>()) { v = c; return; }
                       bad_value(path, j, "one of " + range);
                     }});
}

void ParamRegistry::add_choice(const char* name, const char* desc, const std::vector<std::string>& names,
                               std::function<size_t()> get, std::function<void(size_t)> set) {
  std::string path = full(name);
  std::string range = join(names, "|");
  params_.push_back({path, "choice", "", desc, json(names.at(get())), range,
                     [names, get] { return json(names.at(get())); },
                     [names, set, path, range](const json& j) {
                       if (j.is_string())
                         for (size_t i = 0; i < names.size(); ++i)
                           if (names[i] == j.get<std::string>()) { set(i); return; }
                       bad_value(path, j, "one of " + range);
                     }});
}

const ParamInfo* ParamRegistry::find(const std::string& path) const {
  for (const auto& p : params_)
    if (p.path == path) return &p;
  return nullptr;
}

std::string ParamRegistry::valid_keys_under(const std::string& prefix) const {
  std::vector<std::string> keys;
  for (const auto& p : params_) {
    if (p.path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = p.path.substr(prefix.size());
    std::string key = rest.substr(0, rest.find('.'));
    bool seen = false;
    for (const auto& k : keys) seen |= (k == key);
    if (!seen) keys.push_back(key);
  }
  return join(keys, ", ");
}

void ParamRegistry::apply_at(const json& j, const std::string& prefix, const std::string& origin) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string path = prefix + it.key();
    if (const ParamInfo* p = find(path)) {
      try {
        p->set(it.value());
      } catch (const InputError& e) {
        throw InputError(origin + ": " + e.what());
      }
      continue;
    }
    bool is_group = false;
    for (const auto& p : params_) is_group |= p.path.compare(0, path.size() + 1, path + ".") == 0;
    if (!is_group) {
      std::string where = prefix.empty() ? "at top level" : "in '" + prefix.substr(0, prefix.size() - 1) + "'";
      throw InputError(origin + ": unknown parameter '" + path + "' (valid keys " + where + ": " +
                       valid_keys_under(prefix) + ")");
    }
    if (!it.value().is_object())
      throw InputError(origin + ": '" + path + "' is a group of parameters (" + valid_keys_under(path + ".") +
                       "), not a value");
    apply_at(it.value(), path + ".", origin);
  }
}

void ParamRegistry::apply(const json& j, const std::string& origin) {
  if (!j.is_object()) throw InputError(origin + ": configuration must be a JSON object");
  apply_at(j, "", origin);
}

void ParamRegistry::apply_override(const std::string& assignment, const std::string& flag) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(flag + " '" + assignment + "': expected KEY=VALUE");
  std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  const ParamInfo* p = find(path);
  if (!p) {
    // Name the valid keys at the deepest level of the path that exists.
    std::string prefix = path;
    std::string valid;
    while (valid.empty()) {
      size_t dot = prefix.rfind('.');
      prefix = dot == std::string::npos ? "" : prefix.substr(0, dot);
      valid = valid_keys_under(prefix.empty() ? "" : prefix + ".");
      if (prefix.empty()) break;
    }
    throw InputError(flag + ": unknown parameter '" + path + "' (valid keys" +
                     (prefix.empty() ? std::string(" at top level") : " in '" + prefix + "'") + ": " + valid + ")");
  }
  json value;
  if (p->type == "integer") {
    value = text;  // the setter parses sizes with suffixes
  } else if (p->type == "number") {
    try {
      size_t used = 0;
      double d = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
      value = d;
    } catch (const std::exception&) {
      throw InputError(flag + " " + path + ": '" + text + "' is not a number (expected " + p->range + ")");
    }
  } else if (p->type == "boolean") {
    if (text != "true" && text != "false")
      throw InputError(flag + " " + path + ": '" + text + "' is not a boolean (expected true or false)");
    value = (text == "true");
  } else {
    value = text;
  }
  try {
    p->set(value);
  } catch (const InputError& e) {
    throw InputError(flag + ": " + e.what());
  }
}

json ParamRegistry::to_json() const {
  json out = json::object();
  for (const auto& p : params_) {
    json* node = &out;
    size_t start = 0;
    for (size_t dot; (dot = p.path.find('.', start)) != std::string::npos; start = dot + 1)
      node = &(*node)[p.path.substr(start, dot - start)];
    (*node)[p.path.substr(start)] = p.get();
  }
  return out;
}

bool parse_size(const std::string& text, uint64_t& out) {
  return parse_size_text(text, true, out) == SizeStatus::kOk;
}

}  // namespace cowsim
