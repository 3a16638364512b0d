// The standard workloads of `cowsim bench` (docs/performance.md): what each simulates, at the
// full size the targets of issue 6 are stated for and at a tiny size for the smoke test.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform/simulation.h"
#include "traces/trace_io.h"

namespace cowsim::bench {

enum class Size { kTiny, kFull };
Size parse_size(const std::string& s);  // "tiny" | "full", else InputError
const char* size_name(Size s);

// One benchmark workload. `kind` says how it runs: a simulation of a generated trace, a
// simulation of a built-in scenario, or a read of a binary trace file.
struct Workload {
  enum class Kind { kGenerated, kScenario, kTraceRead };
  std::string name;
  std::string description;
  std::string target;                  // issues 6 and 14: the target, as text (full size); empty for a NAME=COUNT point
  Kind kind = Kind::kGenerated;
  std::vector<std::string> overrides;  // --set KEY=VALUE for the simulated system
  // kGenerated: a fresh stream over the whole trace, each call.
  StreamOpener open;
  // kScenario: the built-in scenario and its --param assignments.
  std::string scenario;
  std::vector<std::string> params;
  // kTraceRead: records in the file and how many times it is read.
  uint64_t trace_records = 0, trace_passes = 1;
};

// hit walk drill-write redis-bgsave trace-read processes fork-chain vmas
const std::vector<std::string>& workload_names();
// `spec` is NAME, or NAME=COUNT for processes, fork-chain and vmas (their scaling tables).
// InputError for an unknown name or a bad count.
Workload make_workload(const std::string& spec, Size size);

// Writes the trace-read workload's binary trace (single reads and writes of one process, with
// an mmap first and an exit last) to `path`.
void write_read_trace(const std::string& path, uint64_t records);

}  // namespace cowsim::bench
