// TLB maintenance the kernel asks of a core's MMU: the instructions Linux's flush_tlb_*
// helpers (arch/x86/mm/tlb.c) end in. The TLB implements it; the kernel only calls it.
#pragma once

#include <cstdint>

#include "models/common/types.h"

namespace cowsim {

class TlbControl {
 public:
  virtual ~TlbControl() = default;
  virtual void invalidate_page(uint16_t pcid, VirtAddr va) = 0;  // INVLPG / INVPCID address
  virtual void flush_pcid(uint16_t pcid) = 0;                     // INVPCID single context
  virtual void flush_all() = 0;                                   // CR3 write without PCID
  virtual void set_pcid(uint16_t pcid) = 0;                       // CR3 write: the running context
};

}  // namespace cowsim
