// The whole configuration of a simulated system, declared once: every block's parameter
// struct in the place its module has in the system tree. Presets, --config files and --set
// overrides are applied through the ParamRegistry built from it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/params.h"
#include "models/core/core_params.h"
#include "models/kernel/kernel_params.h"
#include "models/memory/memory_params.h"
#include "models/tlb/tlb_params.h"
#include "models/walker/walker_params.h"

namespace cowsim {

// Per-run limits from the command line: not parameters, they change whether a run is allowed,
// never what it simulates (docs/reliability.md, "Limits").
struct RunLimits {
  uint64_t max_accesses = UINT64_MAX;  // --max-accesses: memory accesses, ranges expanded
  uint64_t max_host_memory = 0;        // --max-host-memory, bytes; 0: the host's available memory
};

struct SimConfig {
  uint32_t cores = 1;
  uint64_t seed = 1;
  uint64_t quantum = 10000;
  CoreParams core;
  TlbHierarchyParams tlb;
  WalkerParams walker;
  MemoryParams memory;
  KernelParams kernel;
  // kernel.max_processes (declared with the kernel's parameters; kept here until the kernel
  // parameters' files settle): how many processes a trace may create in all.
  uint32_t max_processes = 32768;
  RunLimits limits;

  void declare(ParamRegistry& r);
};

struct Preset {
  std::string name, description;
  nlohmann::json body;  // parameters, with "extends" and "description" removed
  std::string extends;
};

const std::vector<Preset>& presets();  // built into the binary from platform/presets/*.json
const Preset* find_preset(const std::string& name);

struct ConfigSources {
  std::string preset;                 // empty: "default"
  std::string file;                   // --config FILE; may name "extends": PRESET
  std::vector<std::string> overrides; // --set KEY=VALUE, in order
};

// Defaults <- preset chain <- file <- overrides. Throws InputError naming what is wrong.
SimConfig load_config(const ConfigSources& src, nlohmann::json* effective = nullptr);

}  // namespace cowsim
