// The translation service a core uses for every access (SystemC-free, so the core's executor
// can be tested without a simulation). TlbModule implements it in the simulation.
#pragma once

#include "models/walker/walk_result.h"

namespace cowsim {

struct TranslateResult {
  Fault fault;  // kind != kNone: the access faulted
  Cycles latency{0};
  Pfn pfn;      // the 4 KiB frame holding the address, when it did not fault
  bool ok() const { return fault.kind == FaultKind::kNone; }
};

class Translator {
 public:
  virtual ~Translator() = default;
  virtual TranslateResult translate(Pfn root, VirtAddr va, AccessType type) = 0;
};

}  // namespace cowsim
