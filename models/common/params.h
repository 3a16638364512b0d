// Parameters are declared once, next to the model that uses them: name, default (the member's
// initializer), unit, description and valid range or choices. A ParamRegistry collects them
// from the whole configuration tree, so JSON presets, --set overrides, the effective-config
// dump and docs/configuration.md all come from the same declarations.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cowsim {

struct ParamInfo {
  std::string path;          // dotted, e.g. "tlb.l1d.entries"
  std::string type;          // "integer", "number", "boolean", "choice"
  std::string unit;
  std::string description;
  nlohmann::json default_value;
  std::string range;         // human-readable valid values, e.g. "1..65536" or "lru|plru|random"
  std::function<nlohmann::json()> get;
  std::function<void(const nlohmann::json&)> set;  // throws InputError naming the path
};

class ParamRegistry {
 public:
  // Scope: params declared while it lives get "name." prefixed.
  class Scope {
   public:
    Scope(ParamRegistry& r, const std::string& name);
    ~Scope();
   private:
    ParamRegistry& r_;
    size_t saved_;
  };

  void add(const char* name, uint64_t& v, const char* unit, const char* desc, uint64_t min, uint64_t max);
  void add(const char* name, uint32_t& v, const char* unit, const char* desc, uint32_t min, uint32_t max);
  void add(const char* name, double& v, const char* unit, const char* desc, double min, double max);
  void add(const char* name, bool& v, const char* desc);
  // A string parameter restricted to the given choices.
  void add(const char* name, std::string& v, const char* desc, std::vector<std::string> choices);
  // An enum parameter: `names[i]` is the spelling of enum value i.
  template <class E>
  void add_enum(const char* name, E& v, const char* desc, std::vector<std::string> names) {
    add_choice(name, desc, names, [&v] { return static_cast<size_t>(v); },
               [&v](size_t i) { v = static_cast<E>(i); });
  }

  const std::vector<ParamInfo>& params() const { return params_; }
  const ParamInfo* find(const std::string& path) const;

  // Applies a JSON object (nested objects = dotted paths). Unknown keys, wrong types and values
  // out of range are InputErrors naming `origin`, the key and the valid keys or values.
  void apply(const nlohmann::json& j, const std::string& origin);
  // Applies one "dotted.path=value" override; the value is parsed for the parameter's type.
  // `flag` names the option in error messages.
  void apply_override(const std::string& assignment, const std::string& flag = "--set");
  // Effective configuration, every parameter present, as nested JSON.
  nlohmann::json to_json() const;

 private:
  void add_choice(const char* name, const char* desc, const std::vector<std::string>& names,
                  std::function<size_t()> get, std::function<void(size_t)> set);
  void apply_at(const nlohmann::json& j, const std::string& prefix, const std::string& origin);
  std::string full(const char* name) const;
  std::string valid_keys_under(const std::string& prefix) const;

  std::vector<ParamInfo> params_;
  std::string prefix_;
};

// Parses a size by the one rule of models/common/size_text.h (64K, 8GB, 1.5GiB, 0x1000).
// Returns false on any malformation, fraction left over or overflow.
bool parse_size(const std::string& text, uint64_t& out);

}  // namespace cowsim
