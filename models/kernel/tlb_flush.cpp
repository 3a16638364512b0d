// TLB flushing (arch/x86/mm/tlb.c): flush_tlb_mm_range and flush_tlb_mm, with shootdown IPIs
// to the other cores that run the address space.
#include "models/kernel/kernel.h"

#include "models/kernel/mm_internal.h"
#include "models/walker/walker.h"

namespace cowsim {

using namespace mm_detail;

void Kernel::flush_tlb_mm_range(const AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c) {
  uint64_t pages = (end - start) >> kPageShift;
  bool full = pages > kFlushCeiling;
  uint16_t pcid = pcid_of(mm);
  for (unsigned i = 0; i < cores_.size(); ++i) {
    if (!cores_[i].tlb) continue;
    bool running = cores_[i].mm == mm.id;
    // With PCIDs, a core that ran the mm earlier may still hold its tagged entries. Linux
    // flushes those when the core next switches to the mm (tlb_gen); here they go at once, at
    // no cost, since no IPI is sent for them.
    if (!running && !pcid_) continue;
    if (full) {
      if (pcid_) cores_[i].tlb->flush_pcid(pcid);
      else cores_[i].tlb->flush_all();
    } else {
      for (uint64_t a = start; a < end; a += kPageSize) cores_[i].tlb->invalidate_page(pcid, VirtAddr{a});
    }
    if (running && i != core) {
      c.add(Step::kIpi, cost_.ipi);
      cores_[i].interrupt_cycles += cost_.ipi_handler;  // the target core pays too
      ++ipis_;
    }
  }
  ++tlb_shootdowns_;
  c.add(Step::kFlush, full ? cost_.full_flush : cost_.invlpg * pages);
}

void Kernel::flush_tlb_mm(const AddressSpace& mm, unsigned core, Cost& c) {
  flush_tlb_mm_range(mm, 0, user_address_limit(levels_), core, c);
}

uint64_t Kernel::take_interrupt_cycles(unsigned core) {
  uint64_t n = cores_[core].interrupt_cycles;
  cores_[core].interrupt_cycles = 0;
  return n;
}

}  // namespace cowsim
