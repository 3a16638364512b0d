// A process as the kernel model sees it (task_struct + mm_struct + rusage), plus what is
// reported about it after it is gone.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/common/types.h"
#include "models/kernel/vma_list.h"

namespace cowsim {

class OverlayTable;  // models/kernel/overlay.h

// An address space: VMAs plus the page-table root. Shared by a vfork parent and child.
struct AddressSpace {
  VmaList vmas;
  Pfn root;
  std::vector<Pfn> deposited;  // page-table pages held for splitting huge PMDs (pgtable_trans_huge_deposit)
  uint32_t id = 0;  // for TLB tagging and "which cores run this mm"
  std::shared_ptr<OverlayTable> overlays;  // page overlays (kernel.cow.granularity=line); null otherwise
};

// Each fault is counted once under its outcome; minflt is their sum.
enum class FaultOutcome : uint8_t {
  kAnonZeroFill, kZeroPageMap, kZeroPageCow, kCowCopy, kCowReuse, kSharedMap,
  kThpZeroFill, kThpZeroPageMap, kThpReuse, kThpCopy,
  kHugetlbFill, kHugetlbReuse, kHugetlbCopy,
  kCount
};
const char* fault_outcome_name(FaultOutcome o);
const char* fault_outcome_description(FaultOutcome o);

struct SmapsRollup {
  uint64_t rss = 0, pss_bytes_x4096 = 0, shared_clean = 0, shared_dirty = 0, private_clean = 0, private_dirty = 0,
           referenced = 0, anonymous = 0, anon_huge = 0, shared_hugetlb = 0, private_hugetlb = 0,
           overlay = 0;  // bytes; Pss kept scaled by 4096 for exact division
};

enum class TaskState : uint8_t { kRunnable, kRunning, kBlocked, kExited };
enum class BlockReason : uint8_t { kNone, kWaitChild, kVforkChild, kAwait };

// Saved user-mode execution state of a process; the core model defines what is in it.
struct UserContext {
  virtual ~UserContext() = default;
};

struct Process {
  uint32_t pid = 0;
  uint32_t parent = 0;  // 0: started by the trace, not by fork
  std::shared_ptr<AddressSpace> mm;
  TaskState state = TaskState::kRunnable;
  BlockReason blocked_on = BlockReason::kNone;
  uint64_t block_arg = 0;  // child pid or name id
  unsigned core = 0;
  std::unique_ptr<UserContext> context;

  std::array<uint64_t, static_cast<size_t>(FaultOutcome::kCount)> faults{};
  uint64_t segv = 0, pages_copied = 0, bytes_copied = 0, oom_kills = 0, thp_splits = 0;
  uint64_t syscalls = 0, syscall_errors = 0;
  // odf, async: faults that first unshared a PTE table shared at fork (copied it, or made it
  // writable again if no one else maps it), and those of them with nothing else to do.
  uint64_t table_faults = 0, table_only_faults = 0;
  bool async_copy = false;  // async: a forked child that has not copied its PTE tables yet
  uint64_t records = 0, accesses = 0;
  Cycles fault_cycles{0}, cpu_cycles{0};
  Cycles start_time{0}, end_time{0};
  Cycles ready_at{0};  // may not run before this cycle (a forked child: when its fork returns)
  std::string exit_reason;  // "exit", "end of trace", "SIGSEGV at 0x...", "killed: out of memory"
  SmapsRollup rollup;       // as of exit (or end of run)
  bool rollup_final = false;

  uint64_t minflt() const {
    uint64_t n = 0;
    for (uint64_t f : faults) n += f;
    return n + table_only_faults;
  }
  bool alive() const { return state != TaskState::kExited; }
};

}  // namespace cowsim
