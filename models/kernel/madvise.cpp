// madvise (mm/madvise.c).
#include "models/kernel/kernel.h"

#include "models/kernel/mm_internal.h"
#include "models/walker/walker.h"

namespace cowsim {

using namespace mm_detail;

using trace::Advice;

Cycles Kernel::madvise(Process& p, uint64_t addr, uint64_t len, Advice advice, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.vma_op);
  std::string what = std::string("madvise(") + hex(addr) + ", " + std::to_string(len) + ", " +
                     trace::advice_name(advice) + ")";
  if (addr & (kPageSize - 1)) return syscall_error(p, kEINVAL, what + " start not page aligned"), c.total();
  uint64_t end = page_up(addr + len);
  if (end < addr) return syscall_error(p, kEINVAL, what + " length overflows"), c.total();
  if (len == 0) return c.total();
  if (end > user_address_limit(levels_)) return syscall_error(p, kENOMEM, what + " beyond user address space"), c.total();
  AddressSpace& mm = *p.mm;
  if (splits_hugetlb(mm, addr, end))
    return syscall_error(p, kEINVAL, what + " range splits a 1 GiB hugetlb page"), c.total();
  if (advice == Advice::kWipeonfork)
    for (const Vma& v : mm.vmas.vmas())
      if (v.end > addr && v.start < end && (!v.anonymous() || v.shared))
        return syscall_error(p, kEINVAL, what + " wipe-on-fork needs private anonymous memory"), c.total();
  bool complete = true;
  if (advice == Advice::kDontneed) {
    complete = mm.vmas.fully_mapped(addr, end);
    uint64_t zapped = zap_page_range(mm, addr, end, core, c);
    if (zapped) {
    c.add(Step::kZap, cost_.zap_per_page * zapped);
    flush_tlb_mm_range(mm, addr, end, core, c);
  }
  } else {
    complete = mm.vmas.update(addr, end, [advice](Vma& v) {
      switch (advice) {
        case Advice::kDontfork: v.dontcopy = true; break;
        case Advice::kDofork: v.dontcopy = false; break;
        case Advice::kWipeonfork: v.wipeonfork = true; break;
        case Advice::kKeeponfork: v.wipeonfork = false; break;
        case Advice::kHugepage: v.hugepage = true; v.nohugepage = false; break;
        case Advice::kNohugepage: v.nohugepage = true; v.hugepage = false; break;
        default: break;
      }
    });
  }
  if (!complete) syscall_error(p, kENOMEM, what + " range has unmapped holes");
  return c.total();
}

}  // namespace cowsim
