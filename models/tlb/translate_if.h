// SystemC interfaces of the translation path: core -> TLB -> walker, and kernel -> TLB.
#pragma once

#include <systemc>

#include "models/kernel/kernel.h"
#include "models/tlb/translator.h"
#include "models/walker/walk_result.h"

namespace cowsim {

// What the core asks of its MMU for every access.
class TranslateIf : public virtual sc_core::sc_interface, public Translator {};

// What the TLB asks of the page walker on a miss.
class WalkIf : public virtual sc_core::sc_interface {
 public:
  virtual WalkResult walk(Pfn root, VirtAddr va, AccessType type, uint16_t pcid) = 0;
  virtual void flush_caches(uint16_t pcid) = 0;  // paging-structure caches of one context
  virtual void flush_caches() = 0;               // all of them
  virtual void invalidate_caches(VirtAddr va, uint16_t pcid) = 0;  // entries for one address
};

// TLB maintenance the kernel performs on a core's TLB.
class TlbControlIf : public virtual sc_core::sc_interface, public TlbControl {};

}  // namespace cowsim
