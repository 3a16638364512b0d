// The kernel locks that processes on different cores share on the fault path (SystemC-free):
// the zone lock of the page allocator and the LRU lock. docs/memory-contention.md says which
// Linux locks these paths take, which are modelled and why.
//
// Linux takes neither lock per page: a 4 KiB allocation comes from the core's per-cpu free list
// (pcp), which is refilled `zone_batch` pages at a time under zone->lock (rmqueue_bulk), and a
// new page joins the LRU through a per-cpu batch, moved to the LRU list `lru_batch` pages at a
// time under the lruvec's lru_lock (folio_batch_move_lru). So every zone_batch-th allocation
// of a core holds zone->lock for zone_hold cycles, and every lru_batch-th holds lru_lock for
// lru_hold. The holder's own time is already in kernel.cost.page_alloc (an average over the
// batch); what the model adds is the wait of a core that finds the lock held by another core,
// reported as the fault step lock_wait. Like the memory channels (models/memory/dram_channels.h),
// a lock remembers when it is free again, and a request older than the newest one it has seen
// (temporal decoupling) is treated as arriving with it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "models/common/params.h"
#include "models/common/stats.h"
#include "models/kernel/cost.h"

namespace cowsim {

struct LockParams {
  bool enabled = true;
  uint32_t zone_batch = 63;
  uint32_t zone_hold = 3780;
  uint32_t lru_batch = 31;
  uint32_t lru_hold = 1860;

  // Called in scope "kernel.locks".
  void declare(ParamRegistry& r) {
    r.add("enabled", enabled,
          "With two or more cores, a 4 KiB page allocation may wait for the zone lock (per-cpu list refill) and the "
          "LRU lock (per-cpu LRU batch drain) that another core holds; the wait is the fault step lock_wait. false: "
          "no lock is ever contended (the fixed costs alone)");
    r.add("zone_batch", zone_batch, "pages",
          "Pages a core's per-cpu free list gets per refill under zone->lock (Linux pcp->batch: 63 on zones above "
          "about 256 MiB, mm/page_alloc.c zone_batchsize)",
          1, 1u << 20);
    r.add("zone_hold", zone_hold, "cycles",
          "Cycles zone->lock is held per refill (rmqueue_bulk of zone_batch pages). 3780 = 63 pages x 20 ns at "
          "3 GHz: an assumption of this model, not a measurement",
          0, 1u << 30);
    r.add("lru_batch", lru_batch, "pages",
          "New pages per per-cpu LRU batch, moved to the LRU list under lru_lock when full (PAGEVEC_SIZE: 31 in "
          "recent Linux, 15 up to 6.9; include/linux/pagevec.h)",
          1, 1u << 20);
    r.add("lru_hold", lru_hold, "cycles",
          "Cycles lru_lock is held per batch drain (folio_batch_move_lru of lru_batch pages). 1860 = 31 pages x 20 ns "
          "at 3 GHz: an assumption of this model, not a measurement",
          0, 1u << 30);
  }
};

// One lock several cores take, first come first served.
class SharedLock {
 public:
  // Taken by `core` at cycle `at` for `hold` cycles: the cycles it waits first.
  uint64_t acquire(uint64_t at, unsigned core, uint64_t hold) {
    const uint64_t ref = std::max(at, latest_);  // out of time order: as if it came with the newest
    latest_ = ref;
    const uint64_t wait = holder_ != core && free_at_ > ref ? free_at_ - ref : 0;
    free_at_ = std::max(free_at_, ref + wait) + hold;
    holder_ = core;
    ++acquisitions_;
    if (wait) {
      ++contended_;
      wait_cycles_ += wait;
      max_wait_ = std::max(max_wait_, wait);
    }
    return wait;
  }
  void report(StatSink& s) const {
    s.counter("acquisitions", acquisitions_, "acquisitions", "Times a core took the lock");
    s.counter("contended", contended_, "acquisitions", "Of those, times another core held it");
    s.counter("wait_cycles", wait_cycles_, "cycles", "Cycles cores waited for it");
    s.gauge("max_wait", max_wait_, "cycles", "Longest wait");
  }
  uint64_t wait_cycles() const { return wait_cycles_; }

 private:
  uint64_t free_at_ = 0, latest_ = 0;
  unsigned holder_ = ~0u;
  uint64_t acquisitions_ = 0, contended_ = 0, wait_cycles_ = 0, max_wait_ = 0;
};

class KernelLocks {
 public:
  KernelLocks(const LockParams& p, unsigned cores) : p_(p), allocs_(cores, 0) {}
  // A 4 KiB page allocated on `core` at c.now() (before its page_alloc step is added): the
  // first allocation of each batch refills the per-cpu list, the last of each LRU batch drains
  // it; a wait is added to `c` as lock_wait.
  void page_allocated(unsigned core, Cost& c) {
    const uint64_t n = allocs_.at(core)++;
    uint64_t wait = 0;
    if (n % p_.zone_batch == 0) wait += zone_.acquire(c.now(), core, p_.zone_hold);
    if (n % p_.lru_batch == p_.lru_batch - 1) wait += lru_.acquire(c.now() + wait, core, p_.lru_hold);
    c.add(Step::kLockWait, wait);
  }
  const SharedLock& zone() const { return zone_; }
  const SharedLock& lru() const { return lru_; }
  void report(StatSink& s) const {
    {
      StatSink::Scope z(s, "zone");
      zone_.report(s);
    }
    StatSink::Scope l(s, "lru");
    lru_.report(s);
  }

 private:
  LockParams p_;
  std::vector<uint64_t> allocs_;  // 4 KiB allocations per core
  SharedLock zone_, lru_;
};

}  // namespace cowsim
