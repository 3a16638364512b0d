// One `cowsim run`: validate the trace, build the System, simulate, collect statistics.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/stats.h"
#include "models/kernel/kernel_module.h"
#include "platform/sim_config.h"
#include "platform/trace_plan.h"

namespace cowsim {

struct RunResult;

struct TraceSource {
  std::string label;  // the trace path, or "scenario NAME"
  StreamOpener open;  // a fresh stream over every record, each call
  // Built-in scenarios: adds the scenario's headline results to a finished run.
  std::function<void(RunResult&)> report = nullptr;
};

TraceSource trace_file_source(const std::string& path, trace::NameTable& names);
// A built-in scenario: each reader gets its own stream, generated lazily from the seed and
// the core clock of `cfg`; after the run, its report fills stats.json's "scenario" section.
TraceSource scenario_source(const std::string& name, const std::vector<std::string>& params, trace::NameTable& names,
                            const SimConfig& cfg);

struct RunResult {
  nlohmann::json stats;       // stats.json (with a "scenario" section for built-in scenarios)
  StatText stats_text;        // stats.txt
  nlohmann::json config;      // config.json: the effective configuration
  std::vector<SmapsSnapshot> snapshots;
  std::vector<std::string> kernel_errors;  // failed system calls (the run went on)
  std::vector<std::string> headlines;      // a scenario's results, for the terminal summary
  nlohmann::json histograms;               // histograms.json: every latency histogram's bins
  std::string timeseries_csv;              // timeseries.csv, with --sample-interval (else empty)
};

// What a run does besides simulating; none of it changes the statistics, but the warm-up.
struct RunOptions {
  Cycles sample_interval{0};  // 0: no time series
  bool progress = false;      // draw a progress line on stderr (platform/progress.h)
  bool check = false;         // check the invariants after every system call, fork and exit (platform/invariants.h)
  // --warmup-records / --warmup-accesses: the whole run's statistics start after this many
  // records / memory accesses of the trace in file order (platform/marks.h); 0: from the start.
  uint64_t warmup_records = 0, warmup_accesses = 0;
};

// Simulates `src` on the configured system. Throws InputError for bad traces and deadlocks.
// `vcd_path`: also write a waveform there (platform/waveform.h).
RunResult simulate(const SimConfig& cfg, const nlohmann::json& effective_config, const TraceSource& src,
                   trace::NameTable& names, bool strict, const std::string& vcd_path = "",
                   const RunOptions& opts = {});

class System;
// A seam for test tools: when set, every simulate() calls it once its System is built, before
// the run starts (testbenches/platform/686_corrupting_cowsim.cpp seeds corruptions this way
// to show an invariant violation ends the real CLI with exit 1). The cowsim binary sets none.
void set_system_observer(std::function<void(System&)> observer);

// A few lines for the terminal: what ran, how long, and per process faults and memory.
std::string summarize(const RunResult& r, const std::string& label);

}  // namespace cowsim
