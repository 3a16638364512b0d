// On-demand-fork (Zhao, Gong, Fonseca, EuroSys 2021), kernel.fork.strategy=odf: fork shares
// each last-level page table (PTE table) wholly inside a VMA instead of copying it. The table
// is mapped by parent and child through PMDs with Writable clear, so the walker reads through
// it but any write faults; shared_tables_ counts the address spaces mapping it. The first
// fault in a shared table's range, or any change to that range (munmap, mprotect, madvise,
// exit, another fork's edges), copies the table for the process concerned: the pages'
// reference and map counts are raised then (not at fork) and private writable entries are
// write-protected in both tables, exactly as copy_page_range would have done at fork.
#include <algorithm>

#include "models/kernel/kernel.h"

namespace cowsim {

bool Kernel::odf_share_range(AddressSpace& cm, AddressSpace& pm, const Vma& v, ForkRecord& rec, uint32_t& tables,
                             Cost& c) {
  for (uint64_t a = v.start; a < v.end;) {
    uint64_t h = a & ~(kHugePageSize - 1), next = std::min(h + kHugePageSize, v.end);
    // Only a table wholly inside this VMA is shared: one partly covering other VMAs (perhaps
    // MADV_DONTFORK or file-backed ones) is copied entry by entry as Linux does.
    bool whole = h >= v.start && h + kHugePageSize <= v.end;
    uint64_t* spmd = whole ? tables_.entry(pm.root, VirtAddr{h}, 2, false) : nullptr;
    if (spmd && (*spmd & pte_bits::kPresent) && !(*spmd & pte_bits::kHuge)) {
      uint64_t* dpmd = tables_.entry(cm.root, VirtAddr{h}, 2, true, &tables);
      if (!dpmd) return false;
      *spmd &= ~pte_bits::kWritable;
      *dpmd = *spmd;
      uint32_t& n = shared_tables_[Pte::from_raw(*spmd).pfn().value];
      n = n ? n + 1 : 2;
      ++rec.tables_shared;
    } else {
      Vma part = v;
      part.start = a;
      part.end = next;
      if (!copy_page_range(cm, pm, part, rec, tables, c)) return false;
    }
    a = next;
  }
  return true;
}

bool Kernel::unshare_table(AddressSpace& mm, uint64_t* pmd, uint64_t haddr, unsigned core, Cost& c) {
  Pfn old = Pte::from_raw(*pmd).pfn();
  auto it = shared_tables_.find(old.value);
  if (it == shared_tables_.end()) {  // the others copied theirs already: the table is ours alone
    *pmd |= pte_bits::kWritable;
    ++odf_table_reuses_;
    c.add(Step::kPteUpdate, cost_.odf_share_table);
    flush_tlb_mm_range(mm, haddr, haddr + kHugePageSize, core, c);
    return true;
  }
  auto fresh = tables_.create_root();
  if (!fresh) return false;
  c.add(Step::kTableAlloc, cost_.table_alloc);
  auto& src = *mem_.table(old);
  auto& dst = *mem_.table(*fresh);
  uint64_t entries = 0;
  for (unsigned i = 0; i < 512; ++i) {
    uint64_t e = src[i];
    if (!(e & pte_bits::kMapped)) continue;
    ++entries;
    Pfn pfn = Pte::from_raw(e).pfn();
    if (pfn != frames_.zero_page()) {
      ref_page(pfn);
      const Vma* v = mm.vmas.find(haddr + i * kPageSize);
      if (v && cow_mapping(*v)) {
        e &= ~pte_bits::kWritable;
        src[i] = e;  // the other sharers keep the table; their PMD is write-protected anyway
      }
    }
    dst[i] = e;
  }
  *pmd = frame_address(*fresh).value | pte_bits::kPresent | pte_bits::kWritable | pte_bits::kUser;
  if (--it->second == 1) shared_tables_.erase(it);
  ++odf_table_copies_;
  c.add(Step::kPteUpdate, uint64_t{cost_.fork_per_pte} * entries);
  flush_tlb_mm_range(mm, haddr, haddr + kHugePageSize, core, c);
  return true;
}

bool Kernel::unshare_range(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c, bool detach) {
  if (shared_tables_.empty()) return true;
  // Visit the present PMDs of the range through the tables (a whole address space at exit).
  bool ok = true;
  std::vector<uint64_t> shared;
  tables_.for_each_table(mm.root, start, end, [&](uint64_t h, uint64_t& pmd, unsigned) {
    if (shared_tables_.count(Pte::from_raw(pmd).pfn().value)) shared.push_back(h);
  });
  for (uint64_t h : shared) {
    uint64_t* pmd = tables_.entry(mm.root, VirtAddr{h}, 2, false);
    if (detach && h >= start && h + kHugePageSize <= end) {  // the whole table goes: drop our reference
      auto it = shared_tables_.find(Pte::from_raw(*pmd).pfn().value);
      *pmd = 0;
      if (--it->second == 1) shared_tables_.erase(it);
      ++odf_table_detaches_;
      flush_tlb_mm_range(mm, h, h + kHugePageSize, core, c);
      continue;
    }
    ok = ok && unshare_table(mm, pmd, h, core, c);
  }
  return ok;
}

uint32_t Kernel::table_sharers(const AddressSpace& mm, uint64_t va) const {
  if (shared_tables_.empty()) return 1;
  const uint64_t* pmd = const_cast<PageTables&>(tables_).entry(mm.root, VirtAddr{va}, 2, false);
  if (!pmd || !(*pmd & pte_bits::kPresent) || (*pmd & pte_bits::kHuge)) return 1;
  auto it = shared_tables_.find(Pte::from_raw(*pmd).pfn().value);
  return it == shared_tables_.end() ? 1 : it->second;
}

bool OdfForkStrategy::copy_page_range(Kernel& k, AddressSpace& dst, AddressSpace& src, const Vma& v, ForkRecord& rec,
                                      uint32_t& tables, Cost& c) {
  return k.odf_share_range(dst, src, v, rec, tables, c);
}

}  // namespace cowsim
