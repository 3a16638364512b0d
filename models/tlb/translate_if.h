// SystemC interfaces of the translation path: core -> TLB -> walker, and kernel -> TLB.
#pragma once

#include <systemc>

#include "models/kernel/kernel.h"
#include "models/walker/walk_result.h"

namespace cowsim {

struct TranslateResult {
  Fault fault;  // kind != kNone: the access faulted
  Cycles latency{0};
  bool ok() const { return fault.kind == FaultKind::kNone; }
};

// What the core asks of its MMU for every access (SystemC-free, so the core's executor can
// be tested without a simulation).
class Translator {
 public:
  virtual ~Translator() = default;
  virtual TranslateResult translate(Pfn root, VirtAddr va, AccessType type) = 0;
};
class TranslateIf : public virtual sc_core::sc_interface, public Translator {};

// What the TLB asks of the page walker on a miss.
class WalkIf : public virtual sc_core::sc_interface {
 public:
  virtual WalkResult walk(Pfn root, VirtAddr va, AccessType type) = 0;
};

// TLB maintenance the kernel performs on a core's TLB.
class TlbControlIf : public virtual sc_core::sc_interface, public TlbControl {};

}  // namespace cowsim
