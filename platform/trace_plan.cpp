#include "platform/trace_plan.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "models/common/error.h"
#include "models/common/types.h"

namespace cowsim {

using trace::Op;

namespace {

// Distinct 4 KiB pages an access record touches (a range with a stride below a page touches
// every page it spans; a larger stride one page per access).
uint64_t pages_touched(const trace::Record& r) {
  if (!r.is_range()) return 1;
  if (r.stride >= kPageSize) return r.accesses();
  const uint64_t first = r.addr >> kPageShift, last = (r.addr + r.len - 1) >> kPageShift;
  return last - first + 1;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string size_text(uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (u < 5 && bytes >= 1024 && bytes % 1024 == 0) bytes /= 1024, ++u;
  return std::to_string(bytes) + " " + units[u];
}

}  // namespace

TracePlan plan_trace(const StreamOpener& open, unsigned cores, const PlanLimits& limits) {
  struct Pid {
    uint64_t first_seen;
    uint32_t parent = 0;  // nonzero: created by fork/vfork of this pid
    bool exited = false;
  };
  std::unordered_map<uint32_t, Pid> pids;
  struct Region {
    std::string begun_at;  // where its `roi begin` is
    bool open;
    uint64_t record;  // its `roi begin`'s number, to report the first region left open
    std::string name;
  };
  std::unordered_map<uint32_t, Region> regions;  // by name id; few
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
    if (plan.accesses > limits.max_accesses)
      fail("the trace has more than --max-accesses " + std::to_string(limits.max_accesses) +
           " memory accesses (range records expanded); refused before simulating");
    if (r.is_access()) {
      const uint64_t pages = pages_touched(r);
      plan.touched_pages += pages;
      if (r.op == Op::kWrite && pages > limits.frames)
        fail("this write range touches " + std::to_string(pages) + " pages, more than the " +
             std::to_string(limits.frames) + " frames of memory.size = " + size_text(limits.frames << kPageShift) +
             ": it cannot complete without running out of memory");
    }
    switch (r.op) {
      case Op::kMmap:
        if (r.len > limits.user_limit || r.addr > limits.user_limit - r.len)
          fail("mmap range [" + hex(r.addr) + ", +" + size_text(r.len) + ") ends beyond the " + size_text(limits.user_limit) +
               " user address space of the configured paging (walker.levels = 5 gives 64 PiB)");
        break;
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
      case Op::kRoiBegin:
      case Op::kRoiEnd: {
        const std::string name = limits.names && r.name < limits.names->size() ? (*limits.names)[r.name] : "#" + std::to_string(r.name);
        const char* mark = r.op == Op::kRoiBegin ? "roi begin " : "roi end ";
        if (name.size() > trace::kMaxRegionNameLength)
          fail(std::string(mark) + "'" + name.substr(0, 32) + "...': a region name may be at most " +
               std::to_string(trace::kMaxRegionNameLength) + " bytes, this one has " + std::to_string(name.size()));
        auto it = regions.find(r.name);
        if (r.op == Op::kRoiBegin) {
          if (it != regions.end())
            fail(mark + name + ": region '" + name + "' was already begun at " + it->second.begun_at +
                 (it->second.open ? " and is still open (a region cannot nest in itself)"
                                  : " (each region is measured once; use another name)"));
          regions.emplace(r.name, Region{stream->where(), true, plan.records, name});
        } else {
          if (it == regions.end() || !it->second.open)
            fail(mark + name + ": region '" + name + "' has no roi begin before this record" +
                 (it == regions.end() ? "" : " (it already ended)"));
          it->second.open = false;
        }
        break;
      }
      case Op::kExit: self.exited = true; break;
      default: break;
    }
    if (pids.size() > limits.max_processes)
      fail("the trace creates more than kernel.max_processes = " + std::to_string(limits.max_processes) +
           " processes (a fork bomb?); raise the limit with --set kernel.max_processes=N");
  }
  const Region* unended = nullptr;
  for (const auto& [name, region] : regions)
    if (region.open && (!unended || region.record < unended->record)) unended = &region;
  if (unended)
    throw InputError(unended->begun_at + ": roi begin " + unended->name + ": the region is never ended (no roi end " + unended->name + " follows)");
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
