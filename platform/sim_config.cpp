#include "platform/sim_config.h"

#include <fstream>
#include <sstream>

#include "models/common/error.h"

namespace cowsim {

using nlohmann::json;

void SimConfig::declare(ParamRegistry& r) {
  r.add("cores", cores, "cores", "Number of CPU cores", 1, 256);
  r.add("seed", seed, "", "Seed of every random choice in the model (random replacement, scenario generators)", 0,
        UINT64_MAX);
  r.add("quantum", quantum, "cycles",
        "Temporal-decoupling quantum: how far a core may run ahead of the others before it synchronises", 1,
        uint64_t{1} << 40);
  {
    ParamRegistry::Scope s(r, "core");
    core.declare(r);
  }
  {
    ParamRegistry::Scope s(r, "tlb");
    tlb.declare(r);
  }
  {
    ParamRegistry::Scope s(r, "walker");
    walker.declare(r);
  }
  {
    ParamRegistry::Scope s(r, "memory");
    memory.declare(r);
  }
  {
    ParamRegistry::Scope s(r, "kernel");
    kernel.declare(r);
    r.add("max_processes", max_processes, "processes",
          "Most processes a trace may create in all (roots, forks and vforks); a trace past it is refused before "
          "it runs, as a fork bomb. 32768 is Linux's default pid_max",
          1, 1u << 22);
  }
}

namespace {

struct EmbeddedPreset {
  const char* name;
  const char* text;
};

json parse_json(const std::string& text, const std::string& origin) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(origin + ": invalid JSON: " + e.what());
  }
}

Preset split_preset(const std::string& name, json j, const std::string& origin) {
  if (!j.is_object()) throw InputError(origin + ": a configuration must be a JSON object");
  Preset p;
  p.name = name;
  if (j.contains("description")) {
    if (!j["description"].is_string()) throw InputError(origin + ": 'description' must be a string");
    p.description = j["description"].get<std::string>();
    j.erase("description");
  }
  if (j.contains("extends")) {
    if (!j["extends"].is_string()) throw InputError(origin + ": 'extends' must be a preset name");
    p.extends = j["extends"].get<std::string>();
    j.erase("extends");
  }
  p.body = std::move(j);
  return p;
}

void apply_chain(ParamRegistry& r, const Preset& p, int depth) {
  if (depth > 16) throw InputError("preset '" + p.name + "': 'extends' chain is too deep (a cycle?)");
  if (!p.extends.empty()) {
    const Preset* base = find_preset(p.extends);
    if (!base) {
      std::string names;
      for (const auto& q : presets()) names += (names.empty() ? "" : ", ") + q.name;
      throw InputError("'" + p.name + "' extends unknown preset '" + p.extends + "' (presets: " + names + ")");
    }
    apply_chain(r, *base, depth + 1);
  }
  r.apply(p.body, p.name.find('/') != std::string::npos ? p.name : "preset " + p.name);
}

}  // namespace

}  // namespace cowsim

// Generated at build time from platform/presets/*.json: kEmbeddedPresets[] (see platform/CMakeLists.txt).
#include "presets_embedded.inc"

namespace cowsim {

const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = [] {
    std::vector<Preset> v;
    for (const auto& e : kEmbeddedPresets)
      v.push_back(split_preset(e.name, parse_json(e.text, std::string("preset ") + e.name), std::string("preset ") + e.name));
    return v;
  }();
  return all;
}

const Preset* find_preset(const std::string& name) {
  for (const auto& p : presets())
    if (p.name == name) return &p;
  return nullptr;
}

SimConfig load_config(const ConfigSources& src, json* effective) {
  SimConfig cfg;
  ParamRegistry r;
  cfg.declare(r);
  std::string preset_name = src.preset;
  Preset file_preset;
  if (!src.file.empty()) {
    std::ifstream in(src.file);
    if (!in) throw InputError(src.file + ": cannot open configuration file");
    std::stringstream ss;
    ss << in.rdbuf();
    file_preset = split_preset(src.file, parse_json(ss.str(), src.file), src.file);
    if (!file_preset.extends.empty() && !preset_name.empty() && file_preset.extends != preset_name)
      throw InputError(src.file + ": extends preset '" + file_preset.extends + "' but --preset names '" + preset_name + "'");
    if (file_preset.extends.empty()) file_preset.extends = preset_name.empty() ? "default" : preset_name;
  }
  if (src.file.empty()) {
    const Preset* p = find_preset(preset_name.empty() ? "default" : preset_name);
    if (!p) {
      std::string names;
      for (const auto& q : presets()) names += (names.empty() ? "" : ", ") + q.name;
      throw InputError("unknown preset '" + preset_name + "' (presets: " + names + ")");
    }
    apply_chain(r, *p, 0);
  } else {
    apply_chain(r, file_preset, 0);
  }
  for (const auto& o : src.overrides) r.apply_override(o);
  if (effective) *effective = r.to_json();
  return cfg;
}

}  // namespace cowsim
