#include "platform/trace_plan.h"

#include <algorithm>
#include <unordered_map>

#include "models/common/error.h"

namespace cowsim {

using trace::Op;

TracePlan plan_trace(const StreamOpener& open, unsigned cores) {
  struct Pid {
    uint64_t first_seen;
    uint32_t parent = 0;  // nonzero: created by fork/vfork of this pid
    bool exited = false;
  };
  std::unordered_map<uint32_t, Pid> pids;
  TracePlan plan;
  auto stream = open();
  trace::Record r;
  auto fail = [&](const std::string& what) { throw InputError(stream->where() + ": " + what); };
  auto pid_of = [&](uint32_t pid) -> Pid& {
    auto it = pids.find(pid);
    if (it == pids.end()) it = pids.emplace(pid, Pid{plan.records}).first;
    return it->second;
  };
  while (stream->next(r)) {
    Pid& self = pid_of(r.pid);
    if (self.exited) fail("pid " + std::to_string(r.pid) + " has a record after its exit");
    ++plan.records;
    plan.accesses += r.accesses();
    switch (r.op) {
      case Op::kFork:
      case Op::kVfork: {
        uint32_t child = static_cast<uint32_t>(r.addr);
        Pid& c = pid_of(child);
        if (c.parent) fail("pid " + std::to_string(child) + " is created twice (already a child of " + std::to_string(c.parent) + ")");
        c.parent = r.pid;
        break;
      }
      case Op::kWait: {
        auto it = pids.find(static_cast<uint32_t>(r.addr));
        if (it == pids.end() || it->second.parent != r.pid)
          fail("pid " + std::to_string(r.pid) + " waits for " + std::to_string(r.addr) +
               ", which it has not forked before this record");
        break;
      }
      case Op::kCpu:
        if (r.addr >= cores)
          fail("cpu " + std::to_string(r.addr) + ": the configured system has " + std::to_string(cores) +
               " core(s), numbered from 0 (set cores=N to add more)");
        break;
      case Op::kExit: self.exited = true; break;
      default: break;
    }
  }
  // Roots in order of first appearance; a pid some record forks is never a root, wherever its
  // own records sit in the file.
  std::vector<std::pair<uint64_t, uint32_t>> order;
  for (const auto& [pid, info] : pids)
    if (!info.parent) order.emplace_back(info.first_seen, pid);
  std::sort(order.begin(), order.end());
  for (const auto& [seen, pid] : order) plan.roots.push_back(pid);
  plan.processes = pids.size();
  for (const auto& [pid, info] : pids)
    if (info.parent == pid) throw InputError("pid " + std::to_string(pid) + " forks itself");
  return plan;
}

}  // namespace cowsim
