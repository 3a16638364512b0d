// A first pass over a whole trace before anything is simulated: every record is parsed and
// validated, and the relations between processes are checked (a pid created twice, a record
// after exit, a wait for someone else's child, a core that does not exist). A bad trace is
// rejected here, so a run never stops half way with partial results.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "traces/trace_io.h"
#include "traces/validate.h"

namespace cowsim {

using StreamOpener = std::function<std::unique_ptr<trace::RecordStream>()>;

struct TracePlan {
  std::vector<uint32_t> roots;  // pids not created by fork/vfork, in order of first appearance
  uint64_t records = 0, accesses = 0, processes = 0;
  uint64_t touched_pages = 0;  // 4 KiB pages the access records touch, summed per record
};

// What a trace may ask for (docs/reliability.md, "Limits"); a trace asking for more is
// refused with an InputError naming the record, before anything is simulated.
struct PlanLimits {
  uint64_t user_limit = trace::kUserAddressLimit;  // mmap ranges must end at or below (walker.levels)
  uint64_t frames = UINT64_MAX;         // a write range may not need more pages than memory has
  uint64_t max_accesses = UINT64_MAX;   // --max-accesses: accesses with ranges expanded
  uint64_t max_processes = UINT64_MAX;  // kernel.max_processes: pids a trace creates in all
  const trace::NameTable* names = nullptr;  // the run's names, for region names in messages
};

TracePlan plan_trace(const StreamOpener& open, unsigned cores, const PlanLimits& limits = {});

}  // namespace cowsim
