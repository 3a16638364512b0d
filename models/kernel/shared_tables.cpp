// PTE tables shared at fork: kernel.fork.strategy = odf (On-demand-fork, Zhao, Gong, Fonseca,
// EuroSys 2021) and async (Async-fork, Pang et al., PVLDB 16(5) 2023).
//
// Both share each last-level page table (PTE table, 2 MiB of address space) wholly inside a
// VMA instead of copying it: the child's PMD points at the parent's table and both PMDs lose
// Writable, so the walker reads through the table but any write faults. The table's frame
// counts the PMDs pointing at it (its reference count, as the ODF patch uses the page-table
// page's count). The first fault in a shared table's range, or any change to the range
// (munmap, mprotect, madvise, exit), gives the process concerned its own copy: the pages'
// reference and map counts are raised then, not at fork, and private writable entries are
// write-protected in both tables, exactly as copy_page_range would have done at fork.
//
// odf copies tables only on demand. async has the child copy every table it shares before its
// first record, on its own core; a parent fault before the child got to that table copies it
// first (a proactive synchronisation) and pays for it. docs/kernel-model.md has every rule.
#include <algorithm>

#include "models/kernel/kernel.h"
#include "models/common/error.h"
#include "models/walker/walker.h"

namespace cowsim {

namespace {
// Copying a 512-entry table with `entries` present: a table page and the entry copies.
void charge_table_copy(const KernelCosts& cost, uint64_t entries, Cost& c) {
  c.add(Step::kTableAlloc, cost.table_alloc);
  c.add(Step::kPteUpdate, uint64_t{cost.fork_per_pte} * entries);
}
bool table_pmd(uint64_t pmd) { return (pmd & pte_bits::kPresent) && !(pmd & pte_bits::kHuge); }
bool write_protected_table(uint64_t pmd) { return table_pmd(pmd) && !(pmd & pte_bits::kWritable); }
}  // namespace

void Kernel::count_table_sharer(Pfn table, int delta) {
  for (uint64_t e : *mem_.table(table)) {
    if (!(e & pte_bits::kMapped)) continue;
    Pfn pfn = Pte::from_raw(e).pfn();
    if (pfn == frames_.zero_page()) continue;
    uint16_t& shared = frames_.info(pfn).shared;
    if (delta > 0 && shared == UINT16_MAX)
      throw InputError("more than 65,536 address spaces share one page table (kernel.fork.strategy=odf or async)");
    shared = static_cast<uint16_t>(shared + delta);
  }
}

bool Kernel::share_tables(AddressSpace& cm, AddressSpace& pm, const Vma& v, ForkRecord& rec, uint32_t& tables,
                          Cost& c) {
  for (uint64_t a = v.start; a < v.end;) {
    uint64_t h = a & ~(kHugePageSize - 1), next = std::min(h + kHugePageSize, v.end);
    // Only a table wholly inside this VMA is shared: one partly covering other VMAs (perhaps
    // MADV_DONTFORK or file-backed ones) is copied entry by entry as Linux does.
    bool whole = h >= v.start && h + kHugePageSize <= v.end;
    uint64_t* spmd = whole ? tables_.entry(pm.root, VirtAddr{h}, 2, false) : nullptr;
    if (spmd && table_pmd(*spmd)) {
      uint64_t* dpmd = tables_.entry(cm.root, VirtAddr{h}, 2, true, &tables);
      if (!dpmd) return false;
      *spmd &= ~pte_bits::kWritable;
      *dpmd = *spmd & ~pte_bits::kAccessed;
      Pfn table = Pte::from_raw(*spmd).pfn();
      if (++frames_.info(table).refcount == 2) table_owner_[table.value] = pm.id;
      count_table_sharer(table, +1);
      ++rec.tables_shared;
      ++tables_shared_;
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

bool Kernel::unshare_table(AddressSpace& mm, uint64_t* pmd, uint64_t haddr, unsigned core, Cost& c, TableCopy why,
                           bool flush) {
  Pfn old = Pte::from_raw(*pmd).pfn();
  FrameInfo& shared = frames_.info(old);
  if (shared.refcount == 1) {  // the others copied theirs or went away: the table is ours alone
    *pmd |= pte_bits::kWritable;
    ++table_reuses_;
    c.add(Step::kPteUpdate, cost_.odf_share_table);
  } else {
    auto fresh = tables_.create_root();
    if (!fresh) return false;
    auto& src = *mem_.table(old);
    auto& dst = *mem_.table(*fresh);
    // The owner takes the Accessed bits with it; the sharers it leaves behind start old.
    auto owner = table_owner_.find(old.value);
    bool owner_leaves = owner != table_owner_.end() && owner->second == mm.id;
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
      dst[i] = owner_leaves ? e : e & ~pte_bits::kAccessed;
      if (owner_leaves) src[i] &= ~pte_bits::kAccessed;
    }
    *pmd = frame_address(*fresh).value | pte_bits::kPresent | pte_bits::kWritable | pte_bits::kUser;
    count_table_sharer(old, -1);
    if (--shared.refcount == 1 || owner_leaves) table_owner_.erase(old.value);
    ++table_copies_[static_cast<size_t>(why)];
    charge_table_copy(cost_, entries, c);
  }
  if (flush) flush_tlb_mm_range(mm, haddr, haddr + kHugePageSize, core, c);
  return true;
}

AsyncCopy* Kernel::async_pending(const AddressSpace& mm, uint64_t haddr, bool shared, Cycles now) {
  for (AsyncCopy& a : async_) {
    if (a.parent_mm != mm.id) continue;
    if (!a.started) {
      if (shared) return &a;  // the child has not begun: every table it still shares is pending
      continue;
    }
    auto it = std::lower_bound(a.done.begin(), a.done.end(), std::make_pair(haddr, uint64_t{0}));
    if (it != a.done.end() && it->first == haddr && it->second > now.value) return &a;
  }
  return nullptr;
}

bool Kernel::table_fault(Process& p, uint64_t* pmd, uint64_t haddr, unsigned core, Cycles now, Cost& c) {
  AddressSpace& mm = *p.mm;
  ++p.table_faults;
  bool shared = frames_.info(Pte::from_raw(*pmd).pfn()).refcount > 1;
  AsyncCopy* sync = params_.fork_strategy == ForkStrategyKind::kAsync ? async_pending(mm, haddr, shared, now) : nullptr;
  if (sync && !shared) {
    // The child's copy (begin_task) already gave it its own table in the model's state, but at
    // `now` it had not reached this one: the parent copies it for the child and pays for that.
    uint64_t entries = 0;
    for (uint64_t e : *mem_.table(Pte::from_raw(*pmd).pfn())) entries += (e & pte_bits::kMapped) != 0;
    charge_table_copy(cost_, entries, c);
  }
  if (sync) {
    ++proactive_syncs_;
    ++fork_log_[sync->fork].proactive_syncs;
  }
  return unshare_table(mm, pmd, haddr, core, c, TableCopy::kFault);
}

bool Kernel::unshare_range(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c, bool detach) {
  if (!shares_tables()) return true;
  bool ok = true;
  tables_.for_each_table(mm.root, start, end, [&](uint64_t h, uint64_t& pmd, unsigned) {
    if (!write_protected_table(pmd)) return;
    FrameInfo& table = frames_.info(Pte::from_raw(pmd).pfn());
    if (table.refcount == 1) return;  // ours alone: the change may write it
    if (detach && h >= start && h + kHugePageSize <= end) {  // the whole table goes: drop our reference
      count_table_sharer(Pte::from_raw(pmd).pfn(), -1);
      if (--table.refcount == 1) table_owner_.erase(Pte::from_raw(pmd).pfn().value);
      pmd = 0;
      ++table_detaches_;
      flush_tlb_mm_range(mm, h, h + kHugePageSize, core, c);
      return;
    }
    // async: a child that has not begun its copy shares this table; the parent copies first.
    if (params_.fork_strategy == ForkStrategyKind::kAsync)
      if (AsyncCopy* sync = async_pending(mm, h, true, Cycles{~uint64_t{0}})) {
        ++proactive_syncs_;
        ++fork_log_[sync->fork].proactive_syncs;
      }
    ok = unshare_table(mm, &pmd, h, core, c, TableCopy::kChange) && ok;
  });
  return ok;
}

uint32_t Kernel::table_sharers(const AddressSpace& mm, uint64_t va) const {
  const uint64_t* pmd = const_cast<PageTables&>(tables_).entry(mm.root, VirtAddr{va}, 2, false);
  if (!pmd || !write_protected_table(*pmd)) return 1;
  return frames_.info(Pte::from_raw(*pmd).pfn()).refcount;
}

bool Kernel::table_owned_by(const AddressSpace& mm, uint64_t va) const {
  const uint64_t* pmd = const_cast<PageTables&>(tables_).entry(mm.root, VirtAddr{va}, 2, false);
  if (!pmd || !table_pmd(*pmd)) return false;
  auto it = table_owner_.find(Pte::from_raw(*pmd).pfn().value);
  return it != table_owner_.end() && it->second == mm.id;
}

Cycles Kernel::begin_task(Process& p, unsigned core, Cycles now) {
  if (!p.async_copy) return Cycles{0};
  p.async_copy = false;
  auto a = std::find_if(async_.begin(), async_.end(), [&](const AsyncCopy& x) { return x.child == p.pid; });
  ForkRecord& rec = fork_log_[a->fork];
  a->started = true;
  // The child walks its address space in order and copies each table it still shares; a table
  // its parent already copied for it is its own: the PMD is made writable, nothing to copy.
  // Its TLB holds nothing yet, so nothing is flushed.
  Cost c;
  tables_.for_each_table(p.mm->root, 0, user_address_limit(levels_), [&](uint64_t h, uint64_t& pmd, unsigned) {
    if (!write_protected_table(pmd)) return;
    if (frames_.info(Pte::from_raw(pmd).pfn()).refcount == 1) {
      pmd |= pte_bits::kWritable;
      return;
    }
    // Out of memory: the table stays shared and the child's first fault in it copies it.
    if (!unshare_table(*p.mm, &pmd, h, core, c, TableCopy::kChild, false)) return;
    ++rec.child_tables_copied;
    a->done.emplace_back(h, now.value + c.total().value);
  });
  rec.child_copy_start = now.value;
  rec.child_copy_cycles = c.total().value;
  return c.total();
}

class SharedTableForkStrategy final : public ForkStrategy {
 public:
  bool copy_page_range(Kernel& k, AddressSpace& dst, AddressSpace& src, const Vma& v, ForkRecord& rec,
                       uint32_t& tables, Cost& c) override {
    return k.share_tables(dst, src, v, rec, tables, c);
  }
};

std::unique_ptr<ForkStrategy> make_shared_table_strategy() { return std::make_unique<SharedTableForkStrategy>(); }

void Kernel::report_shared_tables(StatSink& s) const {
  StatSink::Scope t(s, "tables");
  s.counter("shared_at_fork", tables_shared_, "tables", "PTE tables shared with a child at fork instead of copied");
  {
    StatSink::Scope cp(s, "copied");
    s.counter("fault", table_copies_[0], "tables", "Shared PTE tables copied by a fault in their range (odf, async)");
    s.counter("change", table_copies_[1], "tables",
              "Shared PTE tables copied before munmap, mprotect or madvise changed part of their range");
    s.counter("child", table_copies_[2], "tables", "Shared PTE tables copied by an async child before its first record");
  }
  s.counter("reused", table_reuses_, "tables",
            "Write-protected PTE tables no one else mapped any more, made writable again by a fault");
  s.counter("detached", table_detaches_, "tables",
            "Shared PTE tables dropped by a process whose munmap, madvise(DONTNEED) or exit covered them whole");
  s.counter("proactive_syncs", proactive_syncs_, "tables",
            "async: tables the parent copied for a child that had not copied them yet (its fault or change came first)");
  if (table_fault_latency_.count())
    s.histogram("table_fault_latency", table_fault_latency_, "cycles",
                "Faults that only unshared a PTE table (the access was allowed afterwards)");
}

}  // namespace cowsim
