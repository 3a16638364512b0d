// Transparent huge pages: first touch of an eligible 2 MiB range, the huge zero page, CoW of
// shared huge PMDs under the split (Linux >= 5.8) or copy policy, and PMD splitting.
#include "models/common/error.h"
#include "models/kernel/kernel.h"

namespace cowsim {

bool Kernel::thp_eligible(const Vma& v, uint64_t haddr) const {
  const ThpParams& t = params_.thp;
  if (!v.anonymous() || v.shared || v.nohugepage) return false;  // shmem/file THP: not modelled
  if (t.enabled == ThpEnabled::kNever || (t.enabled == ThpEnabled::kMadvise && !v.hugepage)) return false;
  return haddr >= v.start && haddr + kHugePageSize <= v.end;
}

uint64_t Kernel::huge_pte_bits(const Vma& v) const {
  return pte_bits::kPresent | pte_bits::kUser | pte_bits::kHuge | ((v.prot & trace::kProtExec) ? 0 : pte_bits::kNoExecute);
}

// Linux deposits a page-table page with every huge PMD it installs, so that a later split
// can never fail for want of memory.
bool Kernel::deposit_table(AddressSpace& mm, Cost& c) {
  auto t = tables_.create_root();
  if (!t) return false;
  mm.deposited.push_back(*t);
  c.add(Step::kTableAlloc, cost_.table_alloc);
  return true;
}

void Kernel::release_deposits(AddressSpace& mm) {
  for (Pfn t : mm.deposited) tables_.free_table(t);
  mm.deposited.clear();
}

std::optional<FaultOutcome> Kernel::huge_fault(Process& p, Vma& v, uint64_t* pmd, uint64_t va, bool write, unsigned core,
                                               Cost& c) {
  AddressSpace& mm = *p.mm;
  uint64_t haddr = va & ~(kHugePageSize - 1);
  uint64_t w = (v.prot & trace::kProtWrite) ? pte_bits::kWritable : 0;
  auto new_folio = [&]() -> std::optional<Pfn> {
    auto head = frames_.alloc_huge();
    if (!head) {
      ++thp_fallbacks_;
      return std::nullopt;
    }
    FrameInfo& fi = frames_.info(*head);
    fi.flags |= frame_flags::kAnon | frame_flags::kAnonExclusive;
    fi.entire = 1;
    v.anon_vma = true;
    c.add(Step::kPageAlloc, cost_.page_alloc);
    c.add(Step::kPteUpdate, cost_.pte_update);
    return head;
  };
  auto map_new = [&](Pfn head) {
    *pmd = frame_address(head).value | huge_pte_bits(v) | w | pte_bits::kAccessed | pte_bits::kDirty;
  };

  if (!(*pmd & pte_bits::kHuge)) {  // an empty PMD in an eligible range: first touch
    if (!write && params_.thp.use_zero_page && params_.zero_page) {
      if (!deposit_table(mm, c)) return std::nullopt;
      *pmd = frame_address(frames_.huge_zero_page()).value | huge_pte_bits(v);
      c.add(Step::kPteUpdate, cost_.pte_update);
      return FaultOutcome::kThpZeroPageMap;
    }
    // No huge zero page: do_huge_pmd_anonymous_page allocates a huge page for a read too.
    auto head = new_folio();
    if (!head) return std::nullopt;
    if (!deposit_table(mm, c)) {
      frames_.put(*head);
      return std::nullopt;
    }
    copy_engine_->zero(*head, kHugePageSize, core, c);
    map_new(*head);
    return FaultOutcome::kThpZeroFill;
  }

  // A present huge PMD: after the VMA checks, only a write to a write-protected one faults.
  Pfn head = Pte::from_raw(*pmd).pfn();
  FrameInfo& folio = frames_.info(head);
  if (head == frames_.huge_zero_page()) {
    // Linux >= 6.13: writing over the huge zero page allocates a fresh huge page.
    if (auto fresh = new_folio()) {
      copy_engine_->zero(*fresh, kHugePageSize, core, c);
      map_new(*fresh);
      flush_tlb_mm_range(mm, haddr, haddr + kHugePageSize, core, c);
      return FaultOutcome::kThpZeroFill;
    }
    split_huge_pmd(&p, mm, pmd, haddr, core, c);
    return std::nullopt;  // the 4 KiB path replaces the zero page under the address
  }
  if (folio.refcount == 1) {  // nobody else maps it: take the whole PMD back, no copy, no flush
    folio.flags |= frame_flags::kAnonExclusive;
    *pmd |= pte_bits::kWritable | pte_bits::kDirty | pte_bits::kAccessed;
    c.add(Step::kPteUpdate, cost_.pte_update);
    return FaultOutcome::kThpReuse;
  }
  if (params_.thp.cow_policy == ThpCowPolicy::kCopy) {
    if (auto fresh = new_folio()) {
      copy_engine_->copy(head, *fresh, kHugePageSize, core, c);
      --folio.entire;
      frames_.put(head);
      map_new(*fresh);
      flush_tlb_mm_range(mm, haddr, haddr + kHugePageSize, core, c);
      p.pages_copied += 512;
      p.bytes_copied += kHugePageSize;
      return FaultOutcome::kThpCopy;
    }
  }
  // Split policy (or no huge page free for a copy): this process's PMD becomes 512
  // read-only PTEs; the 4 KiB path then copies the one subpage written.
  split_huge_pmd(&p, mm, pmd, haddr, core, c);
  return std::nullopt;
}

bool Kernel::split_huge_pmd(Process* p, AddressSpace& mm, uint64_t* pmd, uint64_t haddr, unsigned core, Cost& c) {
  Pfn table;
  if (!mm.deposited.empty()) {
    table = mm.deposited.back();
    mm.deposited.pop_back();
  } else {
    auto t = tables_.create_root();
    if (!t) return false;
    table = *t;
    c.add(Step::kTableAlloc, cost_.table_alloc);
  }
  uint64_t e = *pmd;
  Pfn head = Pte::from_raw(e).pfn();
  bool zero = head == frames_.huge_zero_page();
  uint64_t keep = e & (pte_bits::kPresent | pte_bits::kWritable | pte_bits::kUser | pte_bits::kAccessed |
                       pte_bits::kDirty | pte_bits::kNoExecute | pte_bits::kProtNone);
  auto& ptes = *mem_.table(table);
  for (uint64_t i = 0; i < 512; ++i) {
    Pfn sub = zero ? frames_.zero_page() : Pfn{head.value + i};
    ptes[i] = frame_address(sub).value | keep;
    if (!zero) ++frames_.info(sub).mapcount;
  }
  if (!zero) {
    FrameInfo& folio = frames_.info(head);
    --folio.entire;
    folio.refcount += 511;  // one PMD reference becomes 512 PTE references
  }
  *pmd = frame_address(table).value | pte_bits::kPresent | pte_bits::kWritable | pte_bits::kUser | pte_bits::kAccessed;
  c.add(Step::kSplit, cost_.pmd_split + uint64_t{cost_.pte_update} * 512);
  flush_tlb_mm_range(mm, haddr, haddr + kHugePageSize, core, c);
  ++thp_splits_;
  if (p) ++p->thp_splits;
  return true;
}

bool Kernel::split_edges(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c) {
  for (uint64_t edge : {start, end}) {
    if (!(edge & (kHugePageSize - 1))) continue;
    uint64_t* pmd = tables_.entry(mm.root, VirtAddr{edge}, 2, false);
    if (pmd && (*pmd & pte_bits::kHuge) && !split_huge_pmd(nullptr, mm, pmd, edge & ~(kHugePageSize - 1), core, c))
      return false;
  }
  return true;
}

}  // namespace cowsim
