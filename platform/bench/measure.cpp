#include "platform/bench/measure.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "models/common/error.h"
#include "models/kernel/kernel.h"
#include "platform/bench/bare_machine.h"
#include "platform/scenarios/scenario.h"
#include "platform/sim_config.h"
#include "platform/simulation.h"

namespace cowsim::bench {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* n = &j;
  for (const char* k : path) {
    if (!n->contains(k)) return 0;
    n = &(*n)[k];
  }
  return n->is_number_unsigned() ? n->get<uint64_t>() : 0;
}

TraceSource source_of(const Workload& w, const SimConfig& cfg, trace::NameTable& names) {
  if (w.kind == Workload::Kind::kScenario) return scenario_source(w.scenario, w.params, names, cfg);
  return TraceSource{"bench " + w.name, w.open};
}

}  // namespace

bool scenario_available(const std::string& name) {
  for (const auto& s : all_scenarios())
    if (name == s->name()) return true;
  return false;
}

nlohmann::json measure_simulation(const Workload& w) {
  ConfigSources sources;
  sources.overrides = w.overrides;
  nlohmann::json effective;
  SimConfig cfg = load_config(sources, &effective);
  trace::NameTable names;
  const double fork_before = Kernel::host_fork_seconds();
  auto start = Clock::now();
  TraceSource src = source_of(w, cfg, names);
  RunResult r = simulate(cfg, effective, src, names, false);
  const double host = since(start);
  nlohmann::json out{{"host_seconds", host},
                     {"work", at(r.stats, {"sim", "accesses"})},
                     {"records", at(r.stats, {"sim", "records"})},
                     {"simulated_cycles", at(r.stats, {"sim", "cycles"})}};
  if (r.stats.contains("kernel") && r.stats["kernel"].contains("forks")) {
    out["fork_host_seconds"] = Kernel::host_fork_seconds() - fork_before;
    out["ptes_forked"] = at(r.stats, {"kernel", "forks", "0", "ptes_copied"});
  }
  return out;
}

nlohmann::json measure_bare(const Workload& w) {
  SimConfig cfg = load_config(ConfigSources{"", "", w.overrides});
  trace::NameTable names;
  TraceSource src = source_of(w, cfg, names);
  auto start = Clock::now();
  BareMachine m;
  auto stream = src.open();
  m.run(*stream);
  return {{"host_seconds", since(start)}, {"work", m.accesses()}, {"faults", m.faults()}, {"copies", m.copies()}};
}

nlohmann::json measure_trace_read(const std::string& path, uint64_t passes) {
  auto start = Clock::now();
  uint64_t records = 0, check = 0;
  for (uint64_t pass = 0; pass < passes; ++pass) {
    trace::NameTable names;
    auto stream = trace::open_trace(path, names);
    trace::Record r;
    while (stream->next(r)) {
      ++records;
      check += r.addr;  // use the record, so the loop cannot be optimised away
    }
  }
  return {{"host_seconds", since(start)}, {"work", records}, {"checksum", check}};
}

nlohmann::json measure_bare_read(const std::string& path, uint64_t passes) {
  auto start = Clock::now();
  uint64_t slots = 0, check = 0;
  std::vector<char> buf(size_t{1} << 20);
  for (uint64_t pass = 0; pass < passes; ++pass) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path + ": cannot open");
    ssize_t n;
    size_t carry = 0;
    while ((n = ::read(fd, buf.data() + carry, buf.size() - carry)) > 0) {
      const size_t have = carry + static_cast<size_t>(n), whole = have / 16 * 16;
      for (size_t i = 0; i < whole; i += 16) {
        uint64_t x;
        std::memcpy(&x, buf.data() + i + 8, 8);
        check += x;
        ++slots;
      }
      carry = have - whole;
      std::memmove(buf.data(), buf.data() + whole, carry);
    }
    ::close(fd);
  }
  return {{"host_seconds", since(start)}, {"work", slots}, {"checksum", check}};
}

}  // namespace cowsim::bench
