// fork (kernel/fork.c): copy_process's mm part, dup_mmap, and Linux's copy_page_range
// (mm/memory.c) behind the fork-strategy seam (fork_strategy.h).
#include "models/kernel/kernel.h"

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "models/kernel/fork_strategy.h"
#include "models/kernel/overlay.h"

namespace cowsim {

// ---------------------------------------------------------------- fork, exec, exit, wait

namespace {
std::atomic<uint64_t> host_fork_ns{0};

// Adds the host time of one fork() call to host_fork_ns, whichever way it returns.
struct HostForkTimer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  ~HostForkTimer() {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
    host_fork_ns += static_cast<uint64_t>(ns);
  }
};
}  // namespace

double Kernel::host_fork_seconds() { return static_cast<double>(host_fork_ns.load()) * 1e-9; }

Cycles Kernel::fork(Process& parent, uint32_t child_pid, bool vfork, unsigned core, Cycles now) {
  HostForkTimer timer;
  ++parent.syscalls;
  ++forks_;
  Cost c;
  c.set_start(now.value);
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.fork_base);
  unsigned child_core = least_loaded_core();  // before the child exists, so it does not count itself
  Process& child = new_process(child_pid, parent.pid, now);
  if (vfork) {  // CLONE_VM: share the address space, no page-table work; parent waits
    ForkRecord rec;
    rec.parent = parent.pid;
    rec.child = child_pid;
    rec.start_cycle = now.value;
    rec.cycles = c.total().value;
    fork_log_.push_back(rec);
    child.mm = parent.mm;
    set_state(parent, TaskState::kBlocked);
    parent.blocked_on = BlockReason::kVforkChild;
    parent.block_arg = child_pid;
  } else {
    child.mm = new_mm();
    if (!child.mm) {
      set_state(child, TaskState::kExited);
      child.exit_reason = "not created: fork failed with ENOMEM";
      syscall_error(parent, kENOMEM, "fork()");
      return c.total();
    }
    AddressSpace& pm = *parent.mm;
    AddressSpace& cm = *child.mm;
    ForkRecord rec;
    rec.parent = parent.pid;
    rec.child = child_pid;
    rec.start_cycle = now.value;
    uint32_t tables = 0;
    uint64_t ipis_before = ipis_;
    bool oom = overlays_ && !overlays_->merge_all(parent, core, c);  // granularity=line: overlays become pages
    // dup_mmap: every VMA but MADV_DONTFORK ones, then the strategy duplicates its page tables.
    for (const Vma& v : pm.vmas.vmas()) {
      if (v.dontcopy) {  // MADV_DONTFORK: absent in the child
        ++rec.vmas_skipped;
        continue;
      }
      Vma cv = v;
      if (v.wipeonfork) cv.anon_vma = false;
      cm.vmas.vmas().push_back(cv);  // parent's list is sorted and merged already
      ++rec.vmas_copied;
      // Only VMAs with anonymous pages get their page tables copied; the rest fault lazily
      // (vma_needs_copy).
      if (v.wipeonfork || !v.anon_vma || oom) continue;
      oom = !fork_strategy_->copy_page_range(*this, cm, pm, v, rec, tables, c);
    }
    rec.pt_pages = tables + rec.pmds_copied;  // one deposited table per huge PMD
    c.add(Step::kHandler, cost_.fork_per_vma * rec.vmas_copied);
    c.add(Step::kPteUpdate, cost_.fork_per_pte * rec.ptes_copied +
                                uint64_t{cost_.fork_per_pmd} * (rec.pmds_copied + rec.puds_copied));
    c.add(Step::kTableAlloc, uint64_t{cost_.table_alloc} * tables);
    if (rec.tables_shared) c.add(Step::kPteUpdate, uint64_t{cost_.odf_share_table} * rec.tables_shared);
    flush_tlb_mm(pm, core, c);  // write-protected PTEs: flush the parent everywhere it runs
    fork_ptes_ += rec.ptes_copied;
    fork_pmds_ += rec.pmds_copied;
    rec.shootdowns = ipis_ - ipis_before;
    if (oom) {
      exit_mmap(cm);
      set_state(child, TaskState::kExited);
      child.exit_reason = "not created: fork failed with ENOMEM";
      syscall_error(parent, kENOMEM, "fork()");
      return c.total();
    }
    rec.cycles = c.total().value;
    rec.cost = c;
    fork_log_.push_back(rec);
    if (params_.fork_strategy == ForkStrategyKind::kAsync && rec.tables_shared) {
      async_.push_back(AsyncCopy{child_pid, pm.id, fork_log_.size() - 1, false, {}});
      child.async_copy = true;
    }
  }
  fork_cycles_ += c.total().value;
  child.core = child_core;
  child.start_time = now + c.total();
  child.ready_at = child.start_time;  // the child returns from fork when the parent does
  enqueue(child);
  return c.total();
}

// copy_page_range as Linux does it: every present entry copied, the pages' reference and map
// counts raised, private writable pages write-protected in parent and child. A huge PMD gets a
// deposited table in the child; the zero pages are shared without references.
bool Kernel::copy_page_range(AddressSpace& cm, AddressSpace& pm, const Vma& v, ForkRecord& rec, uint32_t& tables,
                             Cost& deposits) {
  bool oom = false;
  tables_.for_each_leaf(pm.root, v.start, v.end, [&](uint64_t va, uint64_t& e, unsigned level) {
    if (oom) return;
    uint64_t* dst = tables_.entry(cm.root, VirtAddr{va}, level, true, &tables);
    if (!dst || (level == 2 && !deposit_table(cm, deposits))) {
      oom = true;
      return;
    }
    Pfn pfn = Pte::from_raw(e).pfn();
    bool zero = pfn == frames_.zero_page() || pfn == frames_.huge_zero_page();
    if (!zero) {
      if (level == 3) {  // a hugetlb page: one more mapping of the whole page
        ref_page(pfn);
      } else if (level == 2) {  // the folio gains one whole-PMD mapping
        FrameInfo& folio = frames_.info(pfn);
        ++folio.refcount;
        ++folio.entire;
        folio.flags &= ~frame_flags::kAnonExclusive;
      } else {
        ref_page(pfn);
      }
      if (cow_mapping(v)) e &= ~pte_bits::kWritable;  // write-protect the parent in place
    }
    *dst = e & ~pte_bits::kAccessed;  // the child's copy starts old; Dirty is kept
    ++(level == 3 ? rec.puds_copied : level == 2 ? rec.pmds_copied : rec.ptes_copied);
  });
  return !oom;
}

bool LinuxForkStrategy::copy_page_range(Kernel& k, AddressSpace& dst, AddressSpace& src, const Vma& v, ForkRecord& rec,
                                        uint32_t& tables, Cost& c) {
  return k.copy_page_range(dst, src, v, rec, tables, c);
}

std::unique_ptr<ForkStrategy> make_fork_strategy(ForkStrategyKind kind) {
  switch (kind) {
    case ForkStrategyKind::kLinux: return std::make_unique<LinuxForkStrategy>();
    case ForkStrategyKind::kOdf:
    case ForkStrategyKind::kAsync: return make_shared_table_strategy();
  }
  throw std::logic_error("unknown fork strategy");
}

}  // namespace cowsim
