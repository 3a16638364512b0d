// 1 GiB hugetlb pages (MAP_HUGETLB | MAP_HUGE_1GB): mapped by PUD leaves, allocated whole on
// first touch (there is no hugetlb zero page), shared after fork and copied whole on a write.
#include "models/kernel/kernel.h"

namespace cowsim {

std::optional<FaultOutcome> Kernel::hugetlb_fault(Process& p, Vma& v, uint64_t va, bool write, unsigned core, Cost& c) {
  AddressSpace& mm = *p.mm;
  uint64_t gaddr = va & ~(kGiantPageSize - 1);
  constexpr uint64_t kSmallPages = kGiantPageSize / kPageSize;
  uint32_t created = 0;
  uint64_t* pud = tables_.entry(mm.root, VirtAddr{va}, 3, true, &created);
  c.add(Step::kTableAlloc, uint64_t{cost_.table_alloc} * created);
  if (!pud) return std::nullopt;
  uint64_t bits = huge_pte_bits(v) | ((v.prot & trace::kProtWrite) ? pte_bits::kWritable : 0) | pte_bits::kAccessed;
  auto fresh = [&]() -> std::optional<Pfn> {
    auto head = frames_.alloc_giant();
    if (!head) return std::nullopt;
    c.add(Step::kPageAlloc, cost_.page_alloc);
    c.add(Step::kPteUpdate, cost_.pte_update);
    frames_.info(*head).mapcount = 1;
    return head;
  };

  if (!(*pud & pte_bits::kPresent)) {
    if (v.shared) {  // a hugetlbfs page: shared by every mapping of the object
      bool allocated = false;
      uint64_t key = cache_key(v, gaddr);
      auto it = page_cache_.find(key);
      Pfn page;
      if (it != page_cache_.end()) {
        page = it->second;
        ref_page(page);
      } else {
        auto head = fresh();
        if (!head) return std::nullopt;
        copy_engine_->zero(*head, kGiantPageSize, core, c);
        frames_.info(*head).flags |= frame_flags::kPageCache;
        ++frames_.info(*head).refcount;  // the cache's own reference
        page_cache_.emplace(key, *head);
        page = *head;
        allocated = true;
      }
      *pud = frame_address(page).value | bits | (write ? pte_bits::kDirty : 0);
      return allocated ? FaultOutcome::kHugetlbFill : FaultOutcome::kSharedMap;
    }
    auto head = fresh();
    if (!head) return std::nullopt;
    copy_engine_->zero(*head, kGiantPageSize, core, c);
    frames_.info(*head).flags |= frame_flags::kAnon | frame_flags::kAnonExclusive;
    v.anon_vma = true;
    *pud = frame_address(*head).value | bits | (write ? pte_bits::kDirty : 0);
    return FaultOutcome::kHugetlbFill;
  }

  // Present: a write to a private page write-protected by fork.
  Pfn head = Pte::from_raw(*pud).pfn();
  FrameInfo& page = frames_.info(head);
  if (page.refcount == 1) {
    page.flags |= frame_flags::kAnonExclusive;
    *pud |= pte_bits::kWritable | pte_bits::kDirty;
    c.add(Step::kPteUpdate, cost_.pte_update);
    return FaultOutcome::kHugetlbReuse;
  }
  auto copy = fresh();
  if (!copy) return std::nullopt;
  copy_engine_->copy(head, *copy, kGiantPageSize, core, c);
  frames_.info(*copy).flags |= frame_flags::kAnon | frame_flags::kAnonExclusive;
  unref_page(head, false);
  *pud = frame_address(*copy).value | bits | pte_bits::kDirty;
  flush_tlb_mm_range(mm, gaddr, gaddr + kGiantPageSize, core, c);
  p.pages_copied += kSmallPages;
  p.bytes_copied += kGiantPageSize;
  return FaultOutcome::kHugetlbCopy;
}

}  // namespace cowsim
