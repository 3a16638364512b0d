#include "platform/simulation.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>

#include "models/common/error.h"
#include "models/walker/walker.h"
#include "platform/host_memory.h"
#include "platform/invariants.h"
#include "platform/marks.h"
#include "platform/scenarios/scenario.h"
#include "platform/progress.h"
#include "platform/sanitizer_stack.h"
#include "platform/system.h"
#include "platform/timeseries.h"
#include "platform/waveform.h"
#include "traces/pid_demux.h"

namespace cowsim {

TraceSource trace_file_source(const std::string& path, trace::NameTable& names) {
  return {path, [path, &names] { return trace::open_trace(path, names); }};
}

TraceSource scenario_source(const std::string& name, const std::vector<std::string>& params, trace::NameTable& names,
                            const SimConfig& cfg) {
  std::shared_ptr<Scenario> scenario = make_scenario(name, params);
  ScenarioContext ctx = ScenarioContext::of(cfg);
  TraceSource src;
  src.label = "scenario " + name;
  src.open = [scenario, ctx, &names] { return scenario->open(names, ctx); };
  src.report = [scenario, ctx, &names](RunResult& r) {
    ScenarioReport rep = scenario->report({r.stats, r.snapshots, r.config}, names, ctx);
    r.stats["scenario"] = {{"name", scenario->name()},
                           {"seed", ctx.seed},
                           {"params", scenario_params(*scenario)},
                           {"results", rep.results}};
    r.headlines = std::move(rep.lines);
  };
  return src;
}

namespace {

// `at_mark`: a region's mark, with live processes reported as they are at that moment.
void report_process(StatSink& s, const Process& p, const Kernel& k, Cycles now, bool at_mark) {
  const bool live = at_mark && p.alive();
  StatSink::Scope scope(s, std::to_string(p.pid));
  s.gauge("parent", p.parent, "pid", "Parent pid (0: started by the trace)");
  s.counter("minflt", p.minflt(), "faults", "Minor faults, as getrusage counts them (sum of the outcomes)");
  {
    StatSink::Scope f(s, "faults");
    for (size_t i = 0; i < p.faults.size(); ++i)
      s.counter(fault_outcome_name(static_cast<FaultOutcome>(i)), p.faults[i], "faults",
                fault_outcome_description(static_cast<FaultOutcome>(i)));
    s.counter("thp_splits", p.thp_splits, "PMDs", "Huge PMDs of this process split into 512 PTEs by its faults");
    s.counter("pages_copied", p.pages_copied, "pages", "4 KiB pages copied by copy-on-write");
    s.counter("bytes_copied", p.bytes_copied, "bytes", "Bytes copied by copy-on-write");
    s.counter("segv", p.segv, "signals", "Accesses that ended in SIGSEGV");
    if (k.shares_tables()) {  // kernel.fork.strategy odf or async
      s.counter("table", p.table_faults, "faults",
                "Faults that first unshared a PTE table shared at fork (also counted under their page outcome, if any)");
      s.counter("table_only", p.table_only_faults, "faults",
                "Faults that only unshared a PTE table: the access was allowed afterwards (counted in minflt)");
    }
  }
  s.counter("fault_cycles", p.fault_cycles.value, "cycles", "Cycles spent handling this process's faults");
  s.counter("records", p.records, "records", "Trace records executed");
  s.counter("accesses", p.accesses, "accesses", "Memory accesses executed");
  s.counter("syscalls", p.syscalls, "calls", "Memory-management system calls made (mmap, munmap, ..., fork, exec)");
  s.counter("syscall_errors", p.syscall_errors, "calls", "System calls that failed with an errno");
  s.gauge("start_cycle", p.start_time.value, "cycles", "When the process started");
  s.gauge("end_cycle", live ? now.value : p.end_time.value, "cycles", "When it exited (or the run ended)");
  s.text("exit", live ? "running at the mark" : p.exit_reason, "How the process ended");
  StatSink::Scope r(s, "smaps_rollup");
  const SmapsRollup m = live ? k.rollup(p) : p.rollup;
  auto kb = [&](const char* name, uint64_t bytes, const char* desc) { s.gauge(name, bytes >> 10, "kB", desc); };
  kb("Rss", m.rss, "Resident set size as of exit");
  s.gauge("Pss", m.pss_bytes_x4096 >> 12 >> 10, "kB", "Proportional set size as of exit");
  kb("Shared_Clean", m.shared_clean, "Clean pages mapped by other processes too");
  kb("Shared_Dirty", m.shared_dirty, "Dirty pages mapped by other processes too");
  kb("Private_Clean", m.private_clean, "Clean pages only this process maps");
  kb("Private_Dirty", m.private_dirty, "Dirty pages only this process maps");
  kb("Referenced", m.referenced, "Pages with the Accessed bit set");
  kb("Anonymous", m.anonymous, "Anonymous pages");
  kb("AnonHugePages", m.anon_huge, "Anonymous memory mapped by huge PMDs");
  kb("Shared_Hugetlb", m.shared_hugetlb, "1 GiB hugetlb pages mapped by other processes too (not in Rss)");
  kb("Private_Hugetlb", m.private_hugetlb, "1 GiB hugetlb pages only this process maps (not in Rss)");
}

// Every statistic of the system at `now`: the whole run's (at_mark false), or a region mark's.
// Every statistic of the system at `now`: the whole run's (at_mark false; `host`: its host
// seconds), or a mark's, without the host-time ones so regions and snapshots are deterministic.
void report_all(StatSink& s, const System& system, const TracePlan& plan, Cycles now, double host,
                uint32_t frequency_mhz, bool at_mark) {
  uint64_t accesses = 0, records = 0;
  for (const auto& c : system.cores()) {
    accesses += c->accesses();
    records += c->records();
  }
  {
    StatSink::Scope sim(s, "sim");
    // In a region or after a warm-up: the cycles since its start.
    const uint64_t cycles = s.counter("cycles", now.value, "cycles", "Simulated time at the end of the run");
    s.value("seconds", static_cast<double>(cycles) / (frequency_mhz * 1e6), "s", "Simulated time");
    s.counter("records", records, "records", "Trace records executed");
    s.counter("accesses", accesses, "accesses", "Memory accesses simulated (range records expanded)");
    s.gauge("processes", plan.processes, "processes", "Processes in the trace");
    if (!at_mark) {
      s.value("host_seconds", host, "s", "Host wall-clock time of the run, trace validation included");
      // All accesses simulated, a warm-up's included: the simulator's speed.
      s.value("accesses_per_host_second", host > 0 ? accesses / host : 0.0, "accesses/s", "Simulation speed");
    }
  }
  {
    StatSink::Scope procs(s, "processes");
    for (const auto& p : system.kernel().processes()) report_process(s, *p, system.kernel(), now, at_mark);
  }
  system.report(s);
}

void check_warmup(const RunOptions& o, const TracePlan& plan, const std::string& label) {
  if (o.warmup_records && o.warmup_accesses)
    throw InputError("--warmup-records and --warmup-accesses: give one of them, not both");
  if (o.warmup_records && o.warmup_records >= plan.records)
    throw InputError(label + ": --warmup-records " + std::to_string(o.warmup_records) + " leaves nothing to measure: the trace has " +
                     std::to_string(plan.records) + " records");
  if (o.warmup_accesses && o.warmup_accesses >= plan.accesses)
    throw InputError(label + ": --warmup-accesses " + std::to_string(o.warmup_accesses) +
                     " leaves nothing to measure: the trace has " + std::to_string(plan.accesses) +
                     " memory accesses (ranges expanded)");
}

std::string deadlock_report(const Kernel& k, const trace::NameTable& names) {
  std::string out;
  for (const auto& p : k.processes()) {
    if (!p->alive()) continue;
    out += "\n  pid " + std::to_string(p->pid) + ": ";
    switch (p->blocked_on) {
      case BlockReason::kWaitChild: out += "waits for child " + std::to_string(p->block_arg); break;
      case BlockReason::kVforkChild: out += "vforked " + std::to_string(p->block_arg) + ", which never execs or exits"; break;
      case BlockReason::kAwait: out += "awaits '" + names[static_cast<uint32_t>(p->block_arg)] + "', which is never posted"; break;
      default: out += "runnable but never scheduled (internal error)"; break;
    }
  }
  return out;
}

// The simulation in slices of simulated time, sampling or drawing progress in between. The
// scheduler only pauses between time steps, so the run is the one sc_start() would give.
void run_in_slices(System& system, TimeSeries* series, const RunOptions& opts, const TracePlan& plan,
                   uint32_t frequency_mhz, std::chrono::steady_clock::time_point host_start) {
  using namespace sc_core;
  const uint64_t cycle_fs = system.cycle().value();
  const bool by_access = plan.accesses > 0;
  ProgressLine progress(opts.progress ? stderr : nullptr, by_access ? plan.accesses : plan.records,
                        by_access ? "accesses" : "records");
  // Without sampling, slices grow or shrink so the host checks the clock about 20 times a second.
  uint64_t slice = series ? opts.sample_interval.value : uint64_t{frequency_mhz} * 10;  // 10 us
  uint64_t next = slice;  // the next sample's cycle
  for (bool first = true;; first = false) {
    auto t0 = std::chrono::steady_clock::now();
    const uint64_t target = next * cycle_fs;
    // Nothing happens before the target: skip the slice (sc_start would warn W571).
    if (first || (sc_pending_activity() && sc_time_stamp().value() + sc_time_to_pending_activity().value() < target))
      sc_start(sc_time::from_value(target - sc_time_stamp().value()), SC_EXIT_ON_STARVATION);
    uint64_t now = sc_time_stamp().value() / cycle_fs;
    bool done = !sc_pending_activity() || sc_get_status() == SC_STOPPED;
    if (series) series->sample(Cycles{done ? now : next});
    if (opts.progress) {
      auto t1 = std::chrono::steady_clock::now();
      uint64_t records = 0;
      for (const auto& c : system.cores()) records += by_access ? c->accesses() : c->records();
      progress.update(std::chrono::duration<double>(t1 - host_start).count(), records,
                      static_cast<double>(now) / (frequency_mhz * 1e6));
      if (!series) {
        double took = std::chrono::duration<double>(t1 - t0).count();
        if (took < 0.025) slice *= 2;
        else if (took > 0.1 && slice > 1000) slice /= 2;
      }
    }
    if (done) break;
    next += slice;
  }
  progress.finish();
}

std::function<void(System&)>& system_observer() {
  static std::function<void(System&)> observer;
  return observer;
}

}  // namespace

void set_system_observer(std::function<void(System&)> observer) { system_observer() = std::move(observer); }

RunResult simulate(const SimConfig& cfg, const nlohmann::json& effective_config, const TraceSource& src,
                   trace::NameTable& names, bool strict, const std::string& vcd_path, const RunOptions& opts) {
  auto host_start = std::chrono::steady_clock::now();
  PlanLimits limits;
  limits.user_limit = user_address_limit(cfg.walker.levels);
  limits.frames = cfg.memory.size >> kPageShift;
  limits.max_accesses = cfg.limits.max_accesses;
  limits.max_processes = cfg.max_processes;
  limits.names = &names;
  TracePlan plan = plan_trace(src.open, cfg.cores, limits);
  if (plan.roots.empty()) throw InputError(src.label + ": the trace has no records");
  const uint64_t host_budget = cfg.limits.max_host_memory ? cfg.limits.max_host_memory : available_host_memory();
  const uint64_t host_need = estimate_host_memory(cfg, plan);
  if (host_need > host_budget)
    throw InputError(src.label + ": the run would need about " + std::to_string(host_need >> 20) +
                     " MiB of host memory (" + std::to_string(plan.touched_pages) + " pages touched), more than " +
                     (cfg.limits.max_host_memory ? "--max-host-memory " : "the host has available: ") +
                     std::to_string(host_budget >> 20) + " MiB; refused before simulating");
  HostMemoryWatch host_watch(host_budget);

  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  check_warmup(opts, plan, src.label);
  // An id no trace can spell ('#' is not a name character), for the warm-up's mark.
  const uint32_t warmup_name = opts.warmup_records || opts.warmup_accesses ? names.intern("#warmup") : trace::kNoName;
  StreamOpener open = src.open;
  if (warmup_name != trace::kNoName)
    open = [&src, &opts, warmup_name] {
      return warmup_stream(src.open(), opts.warmup_records, opts.warmup_accesses, warmup_name);
    };
  // One reader for all processes (a filter each re-read the trace per process: quadratic).
  auto demux = std::make_shared<trace::PidDemux>(open);
  System system("system", cfg, names, [demux](uint32_t pid) { return demux->stream(pid); }, strict);
  Marks marks(names, warmup_name, [&](StatSink& s, Cycles now) {
    report_all(s, system, plan, now, 0, cfg.core.frequency_mhz, true);
  });
  system.on_mark([&marks](const trace::Record& r, Cycles now, const std::string& where) { marks.mark(r, now, where); });
  system.kernel_module().set_snapshot_hook([&marks](const trace::Record& r, Cycles now) { marks.mark(r, now, ""); });
  for (uint32_t pid : plan.roots) system.kernel().start_process(pid, Cycles{0});
  if (system_observer()) system_observer()(system);
  if (opts.check)
    system.kernel_module().set_after_call([&system, before = system.kernel_module().after_call()](const char* what,
                                                                                                  uint32_t pid) {
      if (before) before(what, pid);
      uint64_t cycle = sc_core::sc_time_stamp().value() / system.cycle().value();
      check_invariants(system, std::string("after ") + what + " by pid " + std::to_string(pid) + " near cycle " +
                                   std::to_string(cycle));
    });
  std::optional<Waveform> wave;
  if (!vcd_path.empty()) wave.emplace(vcd_path, system);
  std::optional<TimeSeries> series;
  if (opts.sample_interval.value) series.emplace(system);
  if (!series && !opts.progress) {
    sc_core::sc_start();
  } else {
    run_in_slices(system, series ? &*series : nullptr, opts, plan, cfg.core.frequency_mhz, host_start);
  }
  reannounce_main_stack();
  system.rethrow_errors();
  if (system.kernel().any_alive())
    throw InputError(src.label + ": the trace deadlocks; blocked forever:" + deadlock_report(system.kernel(), names));
  if (wave) wave->commit();

  Cycles end{sc_core::sc_time_stamp().value() / system.cycle().value()};
  system.kernel().finish(end);
  check_invariants(system, "end of run");  // every run, --check or not: a few milliseconds
  double host = std::chrono::duration<double>(std::chrono::steady_clock::now() - host_start).count();

  RunResult r;
  r.config = effective_config;
  StatSink s;
  if (marks.warmed_up()) s.subtract(&marks.warmup());
  report_all(s, system, plan, end, host, cfg.core.frequency_mhz, false);
  r.stats = s.take_json();  // moved, not copied: the report is the largest memory of a many-process run
  r.stats_text = s.take_text();
  r.histograms = s.take_bins();
  marks.finish(r.stats, r.histograms);
  if (series) r.timeseries_csv = series->csv();
  r.snapshots = system.kernel_module().snapshots();
  r.kernel_errors = system.kernel().errors();
  if (src.report) src.report(r);
  return r;
}

std::string summarize(const RunResult& r, const std::string& label) {
  const auto& st = r.stats;
  std::ostringstream o;
  char line[512];
  const auto& sim = st["sim"];
  std::snprintf(line, sizeof line, "cowsim: %s: %llu records, %llu accesses, %llu cycles (%.3f ms simulated) in %.2f s of host time\n",
                label.c_str(), (unsigned long long)sim["records"].get<uint64_t>(),
                (unsigned long long)sim["accesses"].get<uint64_t>(), (unsigned long long)sim["cycles"].get<uint64_t>(),
                sim["seconds"].get<double>() * 1e3, sim["host_seconds"].get<double>());
  o << line;
  std::snprintf(line, sizeof line, "%8s %10s %12s %10s %10s %10s %12s %14s  %s\n", "pid", "minflt", "zero-fill",
                "cow-copy", "cow-reuse", "zero-page", "Rss kB", "Private_Dirty", "exit");
  o << line;
  for (const auto& [pid, p] : st["processes"].items()) {
    const auto& f = p["faults"];
    const auto& m = p["smaps_rollup"];
    std::snprintf(line, sizeof line, "%8s %10llu %12llu %10llu %10llu %10llu %12llu %14llu  %s\n", pid.c_str(),
                  (unsigned long long)p["minflt"].get<uint64_t>(), (unsigned long long)f["anon_zero_fill"].get<uint64_t>(),
                  (unsigned long long)f["cow_copy"].get<uint64_t>(), (unsigned long long)f["cow_reuse"].get<uint64_t>(),
                  (unsigned long long)f["zero_page_map"].get<uint64_t>(), (unsigned long long)m["Rss"].get<uint64_t>(),
                  (unsigned long long)m["Private_Dirty"].get<uint64_t>(), p["exit"].get<std::string>().c_str());
    o << line;
  }
  for (const auto& [n, c] : st["cores"].items()) {
    const auto& t = c["tlb"]["l1d"];
    std::snprintf(line, sizeof line, "core %s: %llu busy cycles, L1 DTLB %llu hits / %llu misses, %llu walks\n", n.c_str(),
                  (unsigned long long)c["cycles"].get<uint64_t>(), (unsigned long long)t["hits"].get<uint64_t>(),
                  (unsigned long long)t["misses"].get<uint64_t>(), (unsigned long long)c["walks"].get<uint64_t>());
    o << line;
  }
  for (const auto& line : r.headlines) o << line << "\n";
  if (!r.kernel_errors.empty())
    o << r.kernel_errors.size() << " system call(s) failed; first: " << r.kernel_errors.front() << "\n";
  return o.str();
}

}  // namespace cowsim
