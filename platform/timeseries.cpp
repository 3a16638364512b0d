#include "platform/timeseries.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "models/common/error.h"

#include "platform/system.h"

namespace cowsim {

namespace {
constexpr size_t kOutcomes = static_cast<size_t>(FaultOutcome::kCount);
}

Cycles parse_duration(const std::string& text, uint32_t frequency_mhz, const std::string& what) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  double ns_per_unit = 0;  // 0: cycles
  if (unit == "ns") ns_per_unit = 1;
  else if (unit == "us") ns_per_unit = 1e3;
  else if (unit == "ms") ns_per_unit = 1e6;
  else if (unit == "s") ns_per_unit = 1e9;
  else if (!unit.empty() && unit != "cycles")
    throw InputError(what + " '" + text + "': unknown unit '" + unit + "' (use cycles, ns, us, ms or s)");
  if (end == text.c_str() || !std::isfinite(v) || v <= 0)
    throw InputError(what + " '" + text + "': expected a positive duration such as 10us, 1ms or 50000 (cycles)");
  double cycles = ns_per_unit ? v * ns_per_unit * frequency_mhz / 1e3 : v;
  if (cycles < 1 || cycles > 1e18)
    throw InputError(what + " '" + text + "': " + std::to_string(cycles) + " cycles is out of range (1 cycle to 1e18)");
  return Cycles{static_cast<uint64_t>(std::llround(cycles))};
}

const char* TimeSeries::header() {
  static const std::string h = [] {
    std::string s = "cycle,pid,parent,Rss_kB,Private_Dirty_kB";
    for (size_t i = 0; i < kOutcomes; ++i) s += std::string(",faults.") + fault_outcome_name(static_cast<FaultOutcome>(i));
    return s + ",pages_copied,dtlb_misses,stlb_misses,walks\n";
  }();
  return h.c_str();
}

void TimeSeries::sample(Cycles now) {
  const Kernel& k = system_.kernel();
  std::vector<uint64_t> total(kOutcomes, 0);
  uint64_t total_rss = 0, total_pd = 0, total_copied = 0;
  char buf[64];
  auto row = [&](uint32_t pid, uint32_t parent, uint64_t rss, uint64_t pd, const std::vector<uint64_t>& faults,
                 uint64_t copied, const std::string& tail) {
    std::snprintf(buf, sizeof buf, "%llu,%u,%u,%llu,%llu", (unsigned long long)now.value, pid, parent,
                  (unsigned long long)(rss >> 10), (unsigned long long)(pd >> 10));
    csv_ += buf;
    for (uint64_t f : faults) csv_ += "," + std::to_string(f);
    csv_ += "," + std::to_string(copied) + tail + "\n";
  };
  // Memory changes only when some process runs a record, faults or makes a system call:
  // if none did since the last sample (an idle interval), the last walk still holds.
  uint64_t generation = k.processes().size();
  for (const auto& up : k.processes()) generation += up->records + up->minflt() + up->syscalls;
  const bool walk = generation != generation_;
  generation_ = generation;
  for (const auto& up : k.processes()) {
    const Process& p = *up;
    if (p.start_time.value > now.value) continue;  // not yet forked
    auto it = prev_.find(p.pid);
    bool seen = it != prev_.end();
    if (!p.alive() && seen && it->second.faults.empty()) continue;  // ended before the last sample
    Prev& pv = prev_[p.pid];
    if (pv.faults.empty() && !seen) pv.faults.assign(kOutcomes, 0);
    std::vector<uint64_t> d(kOutcomes);
    for (size_t i = 0; i < kOutcomes; ++i) {
      d[i] = p.faults[i] - pv.faults[i];
      total[i] += d[i];
    }
    uint64_t copied = p.pages_copied - pv.pages_copied;
    // An exited process reports its memory as of exit; a live one is walked now (smaps.cpp),
    // which costs one page-table walk per process per sample, only when sampling is on.
    if (walk || !seen) pv.memory = p.alive() ? k.rollup(p) : SmapsRollup{};
    const SmapsRollup& m = pv.memory;
    total_rss += m.rss;
    total_pd += m.private_dirty;
    total_copied += copied;
    row(p.pid, p.parent, m.rss, m.private_dirty, d, copied, ",,,");
    pv.faults.assign(p.faults.begin(), p.faults.end());
    pv.pages_copied = p.pages_copied;
    if (!p.alive()) pv.faults.clear();  // marks "final row written"
  }
  uint64_t dtlb = 0, stlb = 0, walks = 0;
  for (const auto& t : system_.tlbs()) {
    dtlb += t->logic().l1d().misses();
    stlb += t->logic().stlb().misses();
  }
  for (const auto& w : system_.walkers()) walks += w->logic().walks();
  row(0, 0, total_rss, total_pd, total, total_copied,
      "," + std::to_string(dtlb - prev_dtlb_) + "," + std::to_string(stlb - prev_stlb_) + "," +
          std::to_string(walks - prev_walks_));
  prev_dtlb_ = dtlb;
  prev_stlb_ = stlb;
  prev_walks_ = walks;
}

}  // namespace cowsim
