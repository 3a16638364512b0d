#include "platform/simulation.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>

#include "models/common/error.h"
#include "platform/scenarios/scenario.h"
#include "platform/system.h"
#include "platform/waveform.h"
#include "traces/pid_filter.h"

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

void report_process(StatSink& s, const Process& p) {
  StatSink::Scope scope(s, std::to_string(p.pid));
  s.counter("parent", p.parent, "pid", "Parent pid (0: started by the trace)");
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
  }
  s.counter("fault_cycles", p.fault_cycles.value, "cycles", "Cycles spent handling this process's faults");
  s.counter("records", p.records, "records", "Trace records executed");
  s.counter("accesses", p.accesses, "accesses", "Memory accesses executed");
  s.counter("syscalls", p.syscalls, "calls", "Memory-management system calls made (mmap, munmap, ..., fork, exec)");
  s.counter("syscall_errors", p.syscall_errors, "calls", "System calls that failed with an errno");
  s.counter("start_cycle", p.start_time.value, "cycles", "When the process started");
  s.counter("end_cycle", p.end_time.value, "cycles", "When it exited (or the run ended)");
  s.text("exit", p.exit_reason, "How the process ended");
  StatSink::Scope r(s, "smaps_rollup");
  const SmapsRollup& m = p.rollup;
  auto kb = [&](const char* name, uint64_t bytes, const char* desc) { s.counter(name, bytes >> 10, "kB", desc); };
  kb("Rss", m.rss, "Resident set size as of exit");
  s.counter("Pss", m.pss_bytes_x4096 >> 12 >> 10, "kB", "Proportional set size as of exit");
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

}  // namespace

RunResult simulate(const SimConfig& cfg, const nlohmann::json& effective_config, const TraceSource& src,
                   trace::NameTable& names, bool strict, const std::string& vcd_path) {
  auto host_start = std::chrono::steady_clock::now();
  TracePlan plan = plan_trace(src.open, cfg.cores);
  if (plan.roots.empty()) throw InputError(src.label + ": the trace has no records");

  sc_core::sc_set_time_resolution(1, sc_core::SC_FS);
  const StreamOpener& open = src.open;
  System system("system", cfg, names, [&open](uint32_t pid) {
    return std::make_unique<trace::PidFilter>(open(), pid);
  }, strict);
  for (uint32_t pid : plan.roots) system.kernel().start_process(pid, Cycles{0});
  std::optional<Waveform> wave;
  if (!vcd_path.empty()) wave.emplace(vcd_path, system);
  sc_core::sc_start();
  system.rethrow_errors();
  if (system.kernel().any_alive())
    throw InputError(src.label + ": the trace deadlocks; blocked forever:" + deadlock_report(system.kernel(), names));
  if (wave) wave->commit();

  Cycles end{sc_core::sc_time_stamp().value() / system.cycle().value()};
  system.kernel().finish(end);
  double host = std::chrono::duration<double>(std::chrono::steady_clock::now() - host_start).count();

  RunResult r;
  r.config = effective_config;
  StatSink s;
  uint64_t accesses = 0, records = 0;
  for (const auto& c : system.cores()) {
    accesses += c->accesses();
    records += c->records();
  }
  {
    StatSink::Scope sim(s, "sim");
    s.counter("cycles", end.value, "cycles", "Simulated time at the end of the run");
    s.value("seconds", static_cast<double>(end.value) / (cfg.core.frequency_mhz * 1e6), "s", "Simulated time");
    s.counter("records", records, "records", "Trace records executed");
    s.counter("accesses", accesses, "accesses", "Memory accesses simulated (range records expanded)");
    s.counter("processes", plan.processes, "processes", "Processes in the trace");
    s.value("host_seconds", host, "s", "Host wall-clock time of the run, trace validation included");
    s.value("accesses_per_host_second", host > 0 ? accesses / host : 0.0, "accesses/s", "Simulation speed");
  }
  {
    StatSink::Scope procs(s, "processes");
    for (const auto& p : system.kernel().processes()) report_process(s, *p);
  }
  system.report(s);
  r.stats = s.json();
  r.stats_text = s.text();
  r.histograms = s.histograms();
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
