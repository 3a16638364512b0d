// One timed run of a benchmark workload in the calling process (`cowsim bench` calls these in
// child processes, one per run). Each returns JSON: host_seconds, work (accesses or records)
// and what else the workload reports.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "platform/bench/workloads.h"

namespace cowsim::bench {

// True if the built-in scenario exists in this build (redis-bgsave comes with issue 5).
bool scenario_available(const std::string& name);

// The simulation: builds the default system with the workload's overrides and runs it.
// host_seconds covers trace validation, elaboration, simulation and statistics; for scenarios,
// fork_host_seconds is the host time spent inside the kernel model's fork().
nlohmann::json measure_simulation(const Workload& w);
// The bare baseline (bare_machine.h) over the same records.
nlohmann::json measure_bare(const Workload& w);
// trace-read: every record of `path` decoded, `passes` times.
nlohmann::json measure_trace_read(const std::string& path, uint64_t passes);
// Its bare baseline: the same bytes read in 1 MiB blocks and one field of each slot summed.
nlohmann::json measure_bare_read(const std::string& path, uint64_t passes);

}  // namespace cowsim::bench
