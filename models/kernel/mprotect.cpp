// mprotect (mm/mprotect.c).
#include "models/kernel/kernel.h"

#include "models/kernel/mm_internal.h"
#include "models/walker/walker.h"

namespace cowsim {

using namespace mm_detail;

Cycles Kernel::mprotect(Process& p, uint64_t addr, uint64_t len, uint8_t prot, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.vma_op);
  std::string what = "mprotect(" + hex(addr) + ", " + std::to_string(len) + ")";
  if (addr & (kPageSize - 1)) return syscall_error(p, kEINVAL, what + " address not page aligned"), c.total();
  if (len == 0) return c.total();
  uint64_t end = page_up(addr + len);
  if (end < addr || end > user_address_limit(levels_)) return syscall_error(p, kENOMEM, what + " beyond user address space"), c.total();
  AddressSpace& mm = *p.mm;
  if (splits_hugetlb(mm, addr, end))
    return syscall_error(p, kEINVAL, what + " range splits a 1 GiB hugetlb page"), c.total();
  if (!mm.vmas.fully_mapped(addr, end)) return syscall_error(p, kENOMEM, what + " range has unmapped holes"), c.total();
  uint64_t changed = 0;
  if (!split_edges(mm, addr, end, core, c)) return syscall_error(p, kENOMEM, what + " out of memory splitting a huge page"), c.total();
  if (!unshare_range(mm, addr, end, core, c, false)) return syscall_error(p, kENOMEM, what + " out of memory copying a shared page table"), c.total();
  mm.vmas.update(addr, end, [&](Vma& v) {
    v.prot = prot;
    tables_.for_each_leaf(mm.root, v.start, v.end, [&](uint64_t, uint64_t& e, unsigned) {
      Pte pte = Pte::from_raw(e);
      bool is_zero = pte.pfn() == frames_.zero_page() || pte.pfn() == frames_.huge_zero_page();
      const FrameInfo& fi = frames_.info(frames_.head_of(pte.pfn()));
      uint64_t ne = e & ~(pte_bits::kWritable | pte_bits::kNoExecute | pte_bits::kPresent | pte_bits::kProtNone);
      if (prot == trace::kProtNone) {
        ne |= pte_bits::kProtNone;
      } else {
        ne |= pte_bits::kPresent;
        if (!(prot & trace::kProtExec)) ne |= pte_bits::kNoExecute;
        // Upgrades keep CoW intact: only pages this process owns alone become writable
        // (Linux's can_change_pte_writable); shared mappings only if already dirty.
        bool owned = !is_zero && (fi.flags & frame_flags::kAnon) && (fi.flags & frame_flags::kAnonExclusive);
        if ((prot & trace::kProtWrite) && (v.shared ? bool(pte.dirty) : owned)) ne |= pte_bits::kWritable;
      }
      if (ne != e) ++changed;
      e = ne;
    });
  });
  c.add(Step::kPteUpdate, cost_.pte_update * changed);
  if (changed) flush_tlb_mm_range(mm, addr, end, core, c);
  return c.total();
}

}  // namespace cowsim
