#include "platform/scenarios/report.h"

#include <cstdarg>
#include <cstdio>

#include "models/common/error.h"

namespace cowsim::scenario {

static const nlohmann::json* find(const nlohmann::json& stats, const std::string& dotted) {
  const nlohmann::json* node = &stats;
  size_t start = 0;
  for (;;) {
    size_t dot = dotted.find('.', start);
    std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

uint64_t stat(const nlohmann::json& stats, const std::string& dotted) {
  const nlohmann::json* j = find(stats, dotted);
  return j && j->is_number() ? j->get<uint64_t>() : 0;
}

uint64_t peak_memory_bytes(const nlohmann::json& stats) { return stat(stats, "kernel.memory.frames_peak") * kPage; }

void declare_fork_heap(ParamRegistry& r, uint64_t& heap) {
  r.add("heap", heap, "bytes", "Private anonymous heap the parent populates before fork (a multiple of 4 KiB)",
        kPage, uint64_t{1} << 46);
}

void declare_thp(ParamRegistry& r, std::string& thp, const char* what) {
  std::string desc = std::string("Transparent huge pages for ") + what +
                     ": auto (no madvise: huge pages if kernel.thp.enabled=always), on (MADV_HUGEPAGE: huge pages "
                     "unless kernel.thp.enabled=never), off (MADV_NOHUGEPAGE: never)";
  r.add("thp", thp, desc.c_str(), {"auto", "on", "off"});
}

void advise_thp(RecordSink& p, const std::string& thp, uint32_t pid, uint64_t addr, uint64_t len) {
  if (thp == "on") p.madvise(pid, addr, len, trace::Advice::kHugepage);
  if (thp == "off") p.madvise(pid, addr, len, trace::Advice::kNohugepage);
}

void declare_fork_heap(ParamRegistry& r, uint64_t& heap, std::string& thp) {
  declare_fork_heap(r, heap);
  declare_thp(r, thp);
}

double stat_value(const nlohmann::json& stats, const std::string& dotted) {
  const nlohmann::json* j = find(stats, dotted);
  return j && j->is_number() ? j->get<double>() : 0.0;
}

const nlohmann::json* fork_of(const nlohmann::json& stats, uint32_t child) {
  const nlohmann::json* forks = find(stats, "kernel.forks");
  if (!forks) return nullptr;
  for (const auto& [i, f] : forks->items())
    if (f.contains("child") && f["child"].get<uint64_t>() == child) return &f;
  return nullptr;
}

std::vector<SmapsVma> snapshot_of(const ScenarioRun& run, const std::string& label, uint32_t pid) {
  for (const auto& s : run.snapshots)
    if (s.label == label && s.pid == pid) return parse_smaps(s.text);
  return {};
}

bool has_snapshot(const ScenarioRun& run, const std::string& label, uint32_t pid) {
  for (const auto& s : run.snapshots)
    if (s.label == label && s.pid == pid) return true;
  return false;
}

std::string bytes_text(uint64_t bytes) {
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return format("%.2f %s", v, units[u]);
}

std::string format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

void require_multiple(const char* scenario, const char* param, uint64_t bytes, uint64_t unit, const char* unit_name) {
  if (bytes == 0 || bytes % unit)
    throw InputError(std::string("scenario ") + scenario + ": " + param + " must be a positive multiple of " +
                     unit_name + ", got " + std::to_string(bytes));
}

nlohmann::json fork_results(const nlohmann::json& stats, const ScenarioContext& ctx, uint32_t child) {
  nlohmann::json into = nlohmann::json::object();
  const nlohmann::json* f = fork_of(stats, child);
  uint64_t cycles = f ? (*f)["cycles"].get<uint64_t>() : 0;
  into["fork_cycles"] = cycles;
  into["fork_usec"] = ctx.usec(cycles);
  into["ptes_copied"] = f ? (*f)["ptes_copied"].get<uint64_t>() : 0;
  into["pmds_copied"] = f ? (*f)["pmds_copied"].get<uint64_t>() : 0;
  into["vmas_copied"] = f ? (*f)["vmas_copied"].get<uint64_t>() : 0;
  into["vmas_skipped"] = f ? (*f)["vmas_skipped"].get<uint64_t>() : 0;
  return into;
}

}  // namespace cowsim::scenario
