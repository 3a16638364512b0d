// Timing of L1 TLB misses while a core has several accesses in flight (core.window > 1):
// at most `mshrs` misses are outstanding, an access to a page whose translation is still on
// its way waits for that fill instead of walking again (merging), and at most `walkers` page
// walks run at once. Times are absolute cycles. With one access in flight at a time (the
// default, blocking core) every miss has resolved before the next access, so nothing here
// ever waits and results equal a model without it.
#pragma once

#include <cstdint>
#include <vector>

#include "models/common/stats.h"
#include "models/common/types.h"

namespace cowsim {

class MissTracker {
 public:
  MissTracker(uint32_t mshrs, uint32_t walkers);

  // Cheap test for the L1-hit path: might a fill still be in flight at `now`?
  bool in_flight(uint64_t now) const { return now < last_ready_; }
  // When the in-flight fill covering `va` in context `pcid` arrives, if later than `now`;
  // else 0. Counts a merge when there is one.
  uint64_t merge(VirtAddr va, uint16_t pcid, uint64_t now);
  // Takes an MSHR for a miss detected at `now`; returns when it got one (>= now) and the slot.
  uint64_t take_mshr(uint64_t now, uint32_t& slot);
  // Takes the walker that is free first for a walk wanted at `now`; returns when it starts.
  uint64_t take_walker(uint64_t now, uint32_t& walker);
  void walker_done(uint32_t walker, uint64_t at) { walker_free_[walker] = at; }
  // The miss in `slot` resolves at `ready`: a translation of a 2^shift-byte page, or a fault
  // (shift 0: nothing to merge with).
  void resolve(uint32_t slot, VirtAddr va, unsigned shift, uint16_t pcid, uint64_t ready);
  // TLB maintenance: in-flight fills may no longer be merged with (their MSHRs stay busy).
  void forget_fills();

  void report(StatSink& s) const;

 private:
  struct Mshr {
    uint64_t base = 0, mask = 0;  // mask 0: nothing to merge with
    uint64_t ready = 0;
    uint16_t pcid = 0;
  };
  std::vector<Mshr> mshrs_;
  std::vector<uint64_t> walker_free_;
  uint64_t last_ready_ = 0;
  uint64_t merged_ = 0, merge_cycles_ = 0;
  uint64_t mshr_stalls_ = 0, mshr_stall_cycles_ = 0, walker_stalls_ = 0, walker_stall_cycles_ = 0;
};

}  // namespace cowsim
