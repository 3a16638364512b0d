#include "models/tlb/miss_tracker.h"

#include <algorithm>

namespace cowsim {

MissTracker::MissTracker(uint32_t mshrs, uint32_t walkers) : mshrs_(mshrs), walker_free_(walkers, 0) {}

uint64_t MissTracker::merge(VirtAddr va, uint16_t pcid, uint64_t now) {
  for (const Mshr& m : mshrs_) {
    if (m.ready > now && m.mask && m.pcid == pcid && (va.value & m.mask) == m.base) {
      ++merged_;
      merge_cycles_ += m.ready - now;
      return m.ready;
    }
  }
  return 0;
}

uint64_t MissTracker::take_mshr(uint64_t now, uint32_t& slot) {
  // The MSHR that frees first (ties: the lowest index, for determinism).
  auto it = std::min_element(mshrs_.begin(), mshrs_.end(), [](const Mshr& a, const Mshr& b) { return a.ready < b.ready; });
  slot = static_cast<uint32_t>(it - mshrs_.begin());
  if (it->ready <= now) return now;
  ++mshr_stalls_;
  mshr_stall_cycles_ += it->ready - now;
  return it->ready;
}

uint64_t MissTracker::take_walker(uint64_t now, uint32_t& walker) {
  auto it = std::min_element(walker_free_.begin(), walker_free_.end());
  walker = static_cast<uint32_t>(it - walker_free_.begin());
  if (*it <= now) return now;
  ++walker_stalls_;
  walker_stall_cycles_ += *it - now;
  return *it;
}

void MissTracker::resolve(uint32_t slot, VirtAddr va, unsigned shift, uint16_t pcid, uint64_t ready) {
  Mshr& m = mshrs_[slot];
  m.mask = shift ? ~((uint64_t{1} << shift) - 1) : 0;
  m.base = va.value & m.mask;
  m.pcid = pcid;
  m.ready = ready;
  last_ready_ = std::max(last_ready_, ready);
}

void MissTracker::forget_fills() {
  for (Mshr& m : mshrs_) m.mask = 0;
}

void MissTracker::report(StatSink& s) const {
  s.counter("merged", merged_, "accesses",
            "Accesses that found their translation still being fetched by an earlier miss and waited for it");
  s.counter("merge_wait_cycles", merge_cycles_, "cycles", "Cycles merged accesses waited for the earlier miss");
  s.counter("mshr_full_stalls", mshr_stalls_, "misses", "L1 TLB misses that waited for a free miss register");
  s.counter("mshr_full_cycles", mshr_stall_cycles_, "cycles", "Cycles misses waited for a free miss register");
  s.counter("walker_busy_stalls", walker_stalls_, "walks", "Walks that waited for a free page walker");
  s.counter("walker_busy_cycles", walker_stall_cycles_, "cycles", "Cycles walks waited for a free page walker");
}

}  // namespace cowsim
