// Helpers for scenario reports: reading a run's statistics and smaps snapshots back, and
// formatting headline lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/scenarios/program.h"
#include "platform/scenarios/scenario.h"
#include "platform/scenarios/smaps_reader.h"

namespace cowsim::scenario {

constexpr uint64_t kPage = 4096;

// stats.json value at a dotted path ("processes.2.faults.cow_copy"); 0 if absent (a process
// that never ran, an outcome that never occurred).
uint64_t stat(const nlohmann::json& stats, const std::string& dotted);
double stat_value(const nlohmann::json& stats, const std::string& dotted);
// The kernel.forks entry that created `child`, or null.
const nlohmann::json* fork_of(const nlohmann::json& stats, uint32_t child);
// The smaps of `pid` in the snapshot labelled `label`; empty if there is none.
std::vector<SmapsVma> snapshot_of(const ScenarioRun& run, const std::string& label, uint32_t pid);
bool has_snapshot(const ScenarioRun& run, const std::string& label, uint32_t pid);

// "1.50 GiB", "256.0 MiB", "12.0 KiB", "100 B".
std::string bytes_text(uint64_t bytes);
// printf into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Requires `bytes` to be a positive multiple of `unit`, naming the scenario and parameter.
void require_multiple(const char* scenario, const char* param, uint64_t bytes, uint64_t unit, const char* unit_name);

// Peak physical memory of the run, in bytes (kernel.memory.frames_peak frames of 4 KiB).
uint64_t peak_memory_bytes(const nlohmann::json& stats);

// Declares the `heap` parameter of the scenarios whose parent populates a private anonymous
// heap and then forks.
void declare_fork_heap(ParamRegistry& r, uint64_t& heap);
// The same with the heap's THP switch (declare_thp).
void declare_fork_heap(ParamRegistry& r, uint64_t& heap, std::string& thp);

// The scenarios' one THP switch, `thp=auto|on|off`, and what it does to a heap after its mmap:
// auto gives no advice (huge pages only if kernel.thp.enabled=always), on is MADV_HUGEPAGE
// (huge pages unless kernel.thp.enabled=never), off is MADV_NOHUGEPAGE (never huge pages).
// docs/scenarios.md has the table.
void declare_thp(ParamRegistry& r, std::string& thp, const char* what = "the heap");
void advise_thp(RecordSink& p, const std::string& thp, uint32_t pid, uint64_t addr, uint64_t len);

// The fork that created `child`: latency (cycles and µs at the configured clock), entries
// copied, VMAs copied and skipped. All zero if there was no such fork.
nlohmann::json fork_results(const nlohmann::json& stats, const ScenarioContext& ctx, uint32_t child);

}  // namespace cowsim::scenario
