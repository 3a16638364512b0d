// The cycles a kernel operation costs, kept per step, so every fault and fork can be
// reported with its breakdown (where the time goes is the question cowsim answers).
#pragma once

#include <array>
#include <cstdint>

#include "models/common/types.h"

namespace cowsim {

enum class Step : uint8_t {
  kEntry,       // exception or system-call entry
  kHandler,     // fixed handler work: VMA lookup, locking, accounting, fork/exec/exit bases
  kTableAlloc,  // page-table pages allocated
  kPageAlloc,   // data pages allocated
  kZero,        // zeroing pages
  kCopy,        // copying pages
  kPteUpdate,   // writing page-table entries (fork: copying them)
  kRmap,        // a write fault replacing a mapped page: notifiers, rmap and LRU of old and new page
  kSplit,       // splitting huge PMDs
  kFlush,       // local TLB invalidation
  kIpi,         // shootdown IPIs to other cores and their acknowledgements
  kZap,         // unmapping pages
  kSignal,      // signal delivery
  kReturn,      // exception return
  kDramWait,    // waiting for a memory channel other cores keep busy (memory.dram.contention)
  kLockWait,    // waiting for a kernel lock another core holds (kernel.locks)
  kCount
};
const char* step_name(Step s);

class Cost {
 public:
  void add(Step s, uint64_t cycles) {
    steps_[static_cast<size_t>(s)] += cycles;
    total_ += cycles;
  }
  Cycles total() const { return Cycles{total_}; }
  // The cycle the operation began (a fault's or fork's `now`), so a step knows when it runs:
  // at start + the cycles of the steps before it. 0 where no caller said (no time-dependent step).
  void set_start(uint64_t cycle) { start_ = cycle; }
  uint64_t now() const { return start_ + total_; }
  uint64_t step(Step s) const { return steps_[static_cast<size_t>(s)]; }
  Cost& operator+=(const Cost& o) {
    for (size_t i = 0; i < steps_.size(); ++i) steps_[i] += o.steps_[i];
    total_ += o.total_;
    return *this;
  }

 private:
  std::array<uint64_t, static_cast<size_t>(Step::kCount)> steps_{};
  uint64_t total_ = 0;
  uint64_t start_ = 0;
};

}  // namespace cowsim
