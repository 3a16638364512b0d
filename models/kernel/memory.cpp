// Page faults and unmapping (mm/memory.c): handle_mm_fault's dispatch to do_anonymous_page,
// do_fault (do_read_fault with fault-around, do_cow_fault, do_shared_fault) and do_wp_page
// (wp_page_shared, wp_page_reuse, wp_page_copy), and zap_page_range. Huge PMDs go to
// huge_memory.cpp, 1 GiB hugetlb pages to hugetlb.cpp.
#include "models/kernel/kernel.h"

#include <algorithm>
#include <stdexcept>

#include "models/kernel/mm_internal.h"
#include "models/kernel/overlay.h"

namespace cowsim {

using namespace mm_detail;

FaultResult Kernel::kill(Process& p, const std::string& reason, Cost cost, Cycles now) {
  FaultResult r;
  r.cycles = cost.total() + exit(p, reason, now + cost.total());  // the core tears the process down
  return r;
}

// The architecture's part (do_user_addr_fault: access_error, SIGSEGV) and handle_mm_fault:
// hugetlb, then the PMD level (huge pages), then the PTE level.
FaultResult Kernel::handle_fault(Process& p, const Fault& f, unsigned core, Cycles now) {
  Cost c;
  c.set_start(now.value);
  c.add(Step::kEntry, cost_.exception_entry);
  c.add(Step::kHandler, cost_.fault_base);
  AddressSpace& mm = *p.mm;
  uint64_t va = f.addr.value;
  auto segv = [&](const char* why) {
    ++p.segv;
    c.add(Step::kSignal, cost_.signal);
    return kill(p, std::string("SIGSEGV at ") + hex(va) + " (" + why + ")", c, now);
  };
  if (f.kind == FaultKind::kNonCanonical) return segv("outside user space");
  Vma* vma = mm.vmas.find(va);
  if (!vma) return segv("no mapping");
  bool write = f.access == AccessType::kWrite, fetch = f.access == AccessType::kFetch;
  if (write && !(vma->prot & trace::kProtWrite)) return segv("write to a mapping without write permission");
  if (fetch && !(vma->prot & trace::kProtExec)) return segv("instruction fetch from a mapping without exec permission");
  if (!write && !fetch && !(vma->prot & trace::kProtRead)) return segv("read from a mapping without read permission");

  auto finish = [&](FaultOutcome outcome) {
    c.add(Step::kReturn, cost_.exception_return);
    ++p.faults[static_cast<size_t>(outcome)];
    p.fault_cycles += c.total();
    fault_latency_[static_cast<size_t>(outcome)].add(c.total().value);
    fault_steps_[static_cast<size_t>(outcome)] += c;
    FaultResult r;
    r.resolved = true;
    r.outcome = outcome;
    r.cycles = c.total();
    return r;
  };

  if (vma->hugetlb) {
    auto outcome = hugetlb_fault(p, *vma, va, write, core, c);
    if (!outcome) return kill(p, "SIGBUS at " + hex(va) + " (no free 1 GiB hugetlb page)", c, now);
    return finish(*outcome);
  }

  // __handle_mm_fault: allocate down to the PMD; an empty PMD in an eligible range or a huge
  // one goes to create_huge_pmd / wp_huge_pmd.
  uint32_t created = 0;
  uint64_t* pmd = tables_.entry(mm.root, f.addr, 2, true, &created);
  c.add(Step::kTableAlloc, uint64_t{cost_.table_alloc} * created);
  created = 0;
  if (!pmd) return kill(p, "killed: out of memory (page table)", c, now);
  // odf, async: a PTE table mapped through a write-protected PMD is (or was) shared; this
  // process gets its own before the fault touches it (never under linux: table PMDs are writable).
  if ((*pmd & pte_bits::kPresent) && !(*pmd & (pte_bits::kHuge | pte_bits::kWritable))) {
    if (!table_fault(p, pmd, va & ~(kHugePageSize - 1), core, now, c))
      return kill(p, "killed: out of memory (page table)", c, now);
    const uint64_t* slot = tables_.leaf(mm.root, f.addr, false);
    Pte leaf = Pte::from_raw(slot ? *slot : 0);
    if (leaf.present && (!write || leaf.writable) && !(fetch && leaf.no_execute)) {  // nothing else to do
      c.add(Step::kReturn, cost_.exception_return);
      ++p.table_only_faults;
      p.fault_cycles += c.total();
      table_fault_latency_.add(c.total().value);
      FaultResult r;
      r.resolved = true;
      r.cycles = c.total();
      return r;
    }
  }
  if ((*pmd & pte_bits::kHuge) || (*pmd == 0 && thp_eligible(*vma, va & ~(kHugePageSize - 1))))
    if (auto outcome = huge_fault(p, *vma, pmd, va, write, core, c)) return finish(*outcome);

  uint64_t* slot = tables_.leaf(mm.root, f.addr, true, &created);
  c.add(Step::kTableAlloc, uint64_t{cost_.table_alloc} * created);
  if (!slot) return kill(p, "killed: out of memory (page table)", c, now);
  uint64_t nx = (vma->prot & trace::kProtExec) ? 0 : pte_bits::kNoExecute;
  VmFault vmf{p, mm, *vma, va, va & ~(kPageSize - 1), write, core, c, slot, pte_bits::kPresent | pte_bits::kUser | nx,
              (vma->prot & trace::kProtWrite) ? pte_bits::kWritable : 0};
  auto outcome = handle_pte_fault(vmf);
  if (!outcome) return kill(p, "killed: out of memory", c, now);
  return finish(*outcome);
}

std::optional<FaultOutcome> Kernel::handle_pte_fault(VmFault& vmf) {
  Pte old = Pte::from_raw(*vmf.pte);
  if (!old.present && !(*vmf.pte & pte_bits::kProtNone)) {
    if (vmf.vma.anonymous() && !vmf.vma.shared) return do_anonymous_page(vmf);
    return do_fault(vmf);
  }
  if (!old.present) throw std::logic_error("fault on a PROT_NONE entry in an accessible VMA");
  if (vmf.write && !old.writable) return do_wp_page(vmf, old.pfn());
  throw std::logic_error("page fault at " + hex(vmf.va) + " that the page tables already allow");
}

std::optional<Pfn> Kernel::alloc_copy_target(Process& p, Pfn src) {
  std::optional<Pfn> pfn;
  if (params_.copy.alloc_policy == AllocPolicy::kSameSubarray) {
    // A frame RowClone FPM can copy into: the source's subarray, same place in the row.
    // The never-used rows of the source's subarray first (in row order from the source's),
    // then recently freed frames and fresh blocks.
    const uint64_t rows = dram_map_.rows_per_subarray(), own = dram_map_.row_in_subarray(src);
    for (uint64_t i = 1; i < rows && !pfn; ++i) {
      const Pfn f = dram_map_.in_subarray_row(src, (own + i) % rows);
      if (f.value < frames_.total()) pfn = frames_.alloc_exact(f);
    }
    if (!pfn)
      pfn = frames_.alloc_where([&](Pfn f) { return dram_map_.fpm_pair(src, f); }, params_.copy.same_subarray_scan);
    ++(pfn ? same_subarray_hits_ : same_subarray_misses_);
  }
  return pfn ? pfn : alloc_page(p);
}

std::optional<Pfn> Kernel::alloc_anon_page(VmFault& vmf, std::optional<Pfn> copy_from) {
  std::optional<Pfn> pfn = copy_from ? alloc_copy_target(vmf.p, *copy_from) : alloc_page(vmf.p);
  if (!pfn) return std::nullopt;
  FrameInfo& fi = frames_.info(*pfn);
  fi.flags = frame_flags::kAnon | frame_flags::kAnonExclusive;
  fi.mapcount = 1;
  charge_page_alloc(vmf.core, vmf.c);
  if (copy_from) copy_engine_->copy(*copy_from, *pfn, kPageSize, vmf.core, vmf.c);
  else copy_engine_->zero(*pfn, kPageSize, vmf.core, vmf.c);
  vmf.c.add(Step::kPteUpdate, cost_.pte_update);
  vmf.vma.anon_vma = true;
  return pfn;
}

void Kernel::count_copy(Process& p) {
  ++p.pages_copied;
  p.bytes_copied += kPageSize;
}

// First touch of private anonymous memory: the zero page on a read, a zeroed page on a write.
std::optional<FaultOutcome> Kernel::do_anonymous_page(VmFault& vmf) {
  if (!vmf.write && params_.zero_page) {
    *vmf.pte = frame_address(frames_.zero_page()).value | vmf.user_rw;
    vmf.c.add(Step::kPteUpdate, cost_.pte_update);
    return FaultOutcome::kZeroPageMap;
  }
  auto pfn = alloc_anon_page(vmf, std::nullopt);
  if (!pfn) return std::nullopt;
  // do_anonymous_page maps a new page writable and dirty whatever the access was.
  *vmf.pte = frame_address(*pfn).value | vmf.user_rw | vmf.writable | pte_bits::kAccessed | pte_bits::kDirty;
  return FaultOutcome::kAnonZeroFill;
}

// First touch of a file or shared anonymous (shmem) page: __do_fault finds the page in the page
// cache or reads it in (modelled as a zeroed page), then the read, CoW or shared path maps it.
std::optional<FaultOutcome> Kernel::do_fault(VmFault& vmf) {
  bool allocated, failed;
  Pfn cached = cache_page(cache_key(vmf.vma, vmf.page), allocated, failed);
  if (failed) return std::nullopt;
  if (allocated) {
    charge_page_alloc(vmf.core, vmf.c);
    copy_engine_->zero(cached, kPageSize, vmf.core, vmf.c);
  }
  if (!vmf.write) return do_read_fault(vmf, cached);
  if (vmf.vma.shared) return do_shared_fault(vmf, cached);
  return do_cow_fault(vmf, cached);
}

// A read maps the page-cache page itself (private mappings read-only), plus fault-around.
FaultOutcome Kernel::do_read_fault(VmFault& vmf, Pfn cached) {
  ref_page(cached);
  uint64_t w = vmf.vma.shared ? vmf.writable : 0;
  *vmf.pte = frame_address(cached).value | vmf.user_rw | w;
  vmf.c.add(Step::kPteUpdate, cost_.pte_update);
  do_fault_around(vmf, w);
  return FaultOutcome::kSharedMap;
}

// do_fault_around: a read fault also maps the other pages of the surrounding 64 KiB
// (fault_around_bytes) that are already in the page cache, within the VMA and the page table;
// they cost this process no faults later.
void Kernel::do_fault_around(VmFault& vmf, uint64_t w) {
  const Vma& vma = vmf.vma;
  uint64_t va = vmf.va;
  uint64_t idx = (va >> kPageShift) & 511, vma_off = (va - vma.start) >> kPageShift;
  uint64_t from = std::max(idx & ~(kFaultAroundPages - 1), idx - std::min(idx, vma_off));
  uint64_t to = std::min({from + kFaultAroundPages, uint64_t{512}, idx + (vma.size() >> kPageShift) - vma_off});
  uint64_t table_base = va & ~(kHugePageSize - 1);
  for (uint64_t i = from; i < to; ++i) {
    uint64_t a = table_base + (i << kPageShift);
    uint64_t* s = i == idx ? nullptr : tables_.leaf(vmf.mm.root, VirtAddr{a}, false);
    if (!s || *s) continue;  // only empty entries
    auto it = page_cache_.find(cache_key(vma, a));
    if (it == page_cache_.end()) continue;  // fault-around never allocates
    ref_page(it->second);
    *s = frame_address(it->second).value | vmf.user_rw | w | pte_bits::kAccessed;  // x86 prefaults young
    vmf.c.add(Step::kPteUpdate, cost_.pte_update);
  }
}

// A write to a shared mapping maps the page-cache page writable and dirties the page itself
// (fault_dirty_shared_page), so every process mapping it counts it dirty in smaps.
FaultOutcome Kernel::do_shared_fault(VmFault& vmf, Pfn cached) {
  ref_page(cached);
  *vmf.pte = frame_address(cached).value | vmf.user_rw | vmf.writable | pte_bits::kAccessed | pte_bits::kDirty;
  frames_.info(cached).flags |= frame_flags::kDirty;
  vmf.c.add(Step::kPteUpdate, cost_.pte_update);
  return FaultOutcome::kSharedMap;
}

// The first write to a private file page copies it out of the page cache.
std::optional<FaultOutcome> Kernel::do_cow_fault(VmFault& vmf, Pfn cached) {
  auto pfn = alloc_anon_page(vmf, cached);
  if (!pfn) return std::nullopt;
  *vmf.pte = frame_address(*pfn).value | vmf.user_rw | vmf.writable | pte_bits::kAccessed | pte_bits::kDirty;
  count_copy(vmf.p);
  return FaultOutcome::kCowCopy;
}

// A write to a present, write-protected page.
std::optional<FaultOutcome> Kernel::do_wp_page(VmFault& vmf, Pfn pfn) {
  if (vmf.vma.shared) return wp_page_shared(vmf, pfn);
  if (pfn != frames_.zero_page() && exclusive_to(vmf.mm, pfn, vmf.va)) return wp_page_reuse(vmf, pfn);
  return wp_page_copy(vmf, pfn);
}

// Write-enable a shared page (e.g. after mprotect added PROT_WRITE); fault_dirty_shared_page.
FaultOutcome Kernel::wp_page_shared(VmFault& vmf, Pfn pfn) {
  *vmf.pte |= pte_bits::kWritable | pte_bits::kDirty | pte_bits::kAccessed;
  frames_.info(pfn).flags |= frame_flags::kDirty;
  vmf.c.add(Step::kPteUpdate, cost_.pte_update);
  return FaultOutcome::kSharedMap;
}

// Nobody else holds the page: take it back writable. No copy, and no flush (an upgrade).
FaultOutcome Kernel::wp_page_reuse(VmFault& vmf, Pfn pfn) {
  frames_.info(frames_.head_of(pfn)).flags |= frame_flags::kAnonExclusive;
  *vmf.pte |= pte_bits::kWritable | pte_bits::kDirty | pte_bits::kAccessed;
  vmf.c.add(Step::kPteUpdate, cost_.pte_update);
  return FaultOutcome::kCowReuse;
}

// The page is shared (after fork) or the zero page: a private copy replaces it.
std::optional<FaultOutcome> Kernel::wp_page_copy(VmFault& vmf, Pfn pfn) {
  bool from_zero = pfn == frames_.zero_page();
  if (overlays_ && !from_zero && vmf.vma.anonymous()) return overlays_->write_fault(vmf, pfn);  // granularity=line
  auto fresh = alloc_anon_page(vmf, from_zero ? std::nullopt : std::optional<Pfn>(pfn));
  if (!fresh) return std::nullopt;
  vmf.c.add(Step::kRmap, cost_.cow_replace);  // wp_page_copy's bookkeeping around the PTE swap
  if (!from_zero) unref_page(pfn, false);
  *vmf.pte = frame_address(*fresh).value | vmf.user_rw | pte_bits::kWritable | pte_bits::kAccessed | pte_bits::kDirty;
  flush_tlb_mm_range(vmf.mm, vmf.page, vmf.page + kPageSize, vmf.core, vmf.c);  // the old translation is now wrong
  if (from_zero) return FaultOutcome::kZeroPageCow;
  count_copy(vmf.p);
  return FaultOutcome::kCowCopy;
}

uint64_t Kernel::zap_page_range(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c) {
  split_edges(mm, start, end, core, c);  // a huge page only partly in range is split first
  // odf: shared tables wholly in range are dropped, others copied first. Out of memory copying
  // one leaves it shared and unzapped (documented in docs/kernel-model.md).
  unshare_range(mm, start, end, core, c, true);
  uint64_t pages = 0;
  bool shares = shares_tables();
  tables_.for_each_leaf(mm.root, start, end, [&](uint64_t va, uint64_t& e, unsigned level) {
    if (shares && level == 1 && table_sharers(mm, va) > 1) return;  // could not be copied: left alone
    Pte pte = Pte::from_raw(e);
    Pfn pfn = pte.pfn();
    e = 0;
    if (level == 3) {  // a whole 1 GiB hugetlb page
      ++pages;
      unref_page(pfn, pte.dirty);
      return;
    }
    if (level == 2) {  // a whole huge PMD
      ++pages;
      if (!mm.deposited.empty()) {
        tables_.free_table(mm.deposited.back());
        mm.deposited.pop_back();
      }
      if (pfn == frames_.huge_zero_page()) return;
      FrameInfo& folio = frames_.info(pfn);
      --folio.entire;
      if (pte.dirty) folio.flags |= frame_flags::kDirty;
      frames_.put(pfn);
      return;
    }
    ++pages;
    if (mm.overlays) overlays_->drop(mm, va);  // granularity=line: the page's overlay goes with it
    if (pfn == frames_.zero_page()) return;
    unref_page(pfn, pte.dirty);
  });
  tables_.free_empty_tables(mm.root, start, end);
  return pages;
}

}  // namespace cowsim
