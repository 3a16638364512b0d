// The translation service a core uses for every access (SystemC-free, so the core's executor
// can be tested without a simulation). TlbModule implements it in the simulation.
#pragma once

#include "models/walker/walk_result.h"

namespace cowsim {

struct TranslateResult {
  Fault fault;  // kind != kNone: the access faulted
  Cycles latency{0};
  Pfn pfn;      // the 4 KiB frame holding the address, when it did not fault
  // Where the time went, as offsets from the lookup (for waveforms): the L1 miss was known
  // at `miss_at`, the walk started at `walk_at`; 0 when there was no miss or no walk.
  Cycles miss_at{0}, walk_at{0};
  bool ok() const { return fault.kind == FaultKind::kNone; }
};

class TlbHierarchy;

class Translator {
 public:
  virtual ~Translator() = default;
  // The TLB hierarchy behind this translator, when a caller may call it directly (the
  // executor does, so an L1 hit is inline); null if there is none.
  virtual TlbHierarchy* direct() { return nullptr; }
  // `now`: the cycle the lookup starts (misses still in flight from earlier accesses may
  // make this one wait). The result's latency counts from `now`.
  virtual TranslateResult translate(Pfn root, VirtAddr va, AccessType type, Cycles now) = 0;
};

}  // namespace cowsim
