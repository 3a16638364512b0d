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

namespace cowsim {

using StreamOpener = std::function<std::unique_ptr<trace::RecordStream>()>;

struct TracePlan {
  std::vector<uint32_t> roots;  // pids not created by fork/vfork, in order of first appearance
  uint64_t records = 0, accesses = 0, processes = 0;
};

TracePlan plan_trace(const StreamOpener& open, unsigned cores);

}  // namespace cowsim
