// The Linux kernel model (SystemC-free logic): processes and their address spaces, the page
// fault handler (zero fill, zero page, copy-on-write, page cache), the memory syscalls, fork,
// exec and exit, a per-core scheduler, TLB shootdowns and smaps accounting. Every operation
// returns the cycles it costs the calling core; docs/kernel-model.md has the rules and the map
// of which file holds which Linux function.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/common/histogram.h"
#include "models/common/stats.h"
#include "models/kernel/copy_engine.h"
#include "models/kernel/cost.h"
#include "models/kernel/fork_strategy.h"
#include "models/kernel/frame_allocator.h"
#include "models/kernel/kernel_params.h"
#include "models/kernel/page_tables.h"
#include "models/kernel/process.h"
#include "models/memory/physical_memory.h"
#include "models/tlb/tlb_control.h"
#include "models/walker/walk_result.h"
#include "traces/record.h"

namespace cowsim {

class Overlays;  // models/kernel/overlay.h

struct FaultResult {
  bool resolved = false;  // false: the process was killed (SIGSEGV or out of memory)
  FaultOutcome outcome = FaultOutcome::kCount;
  Cycles cycles{0};
};

constexpr int kEINVAL = 22, kENOMEM = 12, kEPERM = 1;

// What one fork did and cost (kernel.forks[i] in the statistics).
struct ForkRecord {
  uint32_t parent = 0, child = 0;
  uint64_t start_cycle = 0;  // when the parent entered fork
  uint64_t cycles = 0, ptes_copied = 0, pmds_copied = 0, puds_copied = 0, pt_pages = 0, vmas_copied = 0, vmas_skipped = 0,
           shootdowns = 0;
  uint64_t tables_shared = 0;  // odf, async: PTE tables shared with the child instead of copied
  // async: when the child began copying the tables it shares, for how long, how many it copied,
  // and the tables its parent copied for it first (proactive synchronisations).
  uint64_t child_copy_start = 0, child_copy_cycles = 0, child_tables_copied = 0, proactive_syncs = 0;
  Cost cost;
};

// Why a PTE table shared at fork (odf, async) was copied (kernel.tables.copied.*).
enum class TableCopy : uint8_t { kFault, kChange, kChild, kCount };

// async: the copy a forked child makes of the PTE tables it shares with its parent.
struct AsyncCopy {
  uint32_t child = 0, parent_mm = 0;
  size_t fork = 0;  // index in the fork log
  bool started = false;
  std::vector<std::pair<uint64_t, uint64_t>> done;  // (2 MiB range, cycle the child has copied its table), ascending
};

class Kernel {
 public:
  Kernel(const KernelParams& p, PhysicalMemory& mem, unsigned levels, unsigned cores, bool strict, bool pcid = false);

  void attach_core(unsigned core, TlbControl* tlb) { cores_.at(core).tlb = tlb; }
  // The core's data caches, which the copy engine copies through or keeps coherent.
  void attach_caches(unsigned core, MemoryHierarchy* h) { copy_engine_->attach_caches(core, h); }
  // The memory channels all cores share (memory.dram.contention): page copies and zeroing queue
  // on them, and faults report the wait as the step dram_wait.
  void attach_channels(DramChannels* ch) {
    copy_engine_->attach_channels(ch);
    channels_ = ch != nullptr;
  }
  // Called when a process becomes runnable on `core` (the SystemC wrapper wakes the core).
  // Called when a process becomes runnable on `core`; it may run from `ready_at` on.
  void set_wakeup(std::function<void(unsigned core, Cycles ready_at)> fn) { wakeup_ = std::move(fn); }

  // --- processes and scheduling ---
  Process& start_process(uint32_t pid, Cycles now);
  Process* process(uint32_t pid);
  const std::vector<std::unique_ptr<Process>>& processes() const { return procs_; }
  Process* pick_next(unsigned core);
  void yield(Process& p);                    // running -> back of its core's run queue
  bool others_runnable(unsigned core) const { return cores_[core].queued != 0; }
  uint32_t mm_on_core(unsigned core) const { return cores_[core].mm; }
  Cycles switch_to(unsigned core, Process& p);  // context switch cost, TLB flush if the mm changes
  // Work a process does in the kernel before its first record, at `now` on `core` (async: a
  // forked child copies the PTE tables it shares with its parent). Returns its cost.
  Cycles begin_task(Process& p, unsigned core, Cycles now);
  // kernel.fork.strategy odf or async: PTE tables may be shared between address spaces.
  bool shares_tables() const { return params_.fork_strategy != ForkStrategyKind::kLinux; }
  Cycles migrate(Process& p, unsigned core);
  bool any_alive() const;
  // Cycles the core owes for interrupts other cores sent it (TLB shootdown IPIs); the core
  // pays them when it next synchronises.
  uint64_t take_interrupt_cycles(unsigned core);

  // --- faults and system calls; each returns the cycles charged to the calling core ---
  // `now`: when the fault is taken (a process it kills exits at now + the handler's cycles).
  FaultResult handle_fault(Process& p, const Fault& f, unsigned core, Cycles now = Cycles{0});
  Cycles mmap(Process& p, uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags, uint32_t file, unsigned core);
  Cycles munmap(Process& p, uint64_t addr, uint64_t len, unsigned core);
  Cycles mprotect(Process& p, uint64_t addr, uint64_t len, uint8_t prot, unsigned core);
  Cycles madvise(Process& p, uint64_t addr, uint64_t len, trace::Advice advice, unsigned core);
  Cycles fork(Process& parent, uint32_t child_pid, bool vfork, unsigned core, Cycles now);
  Cycles exec(Process& p, unsigned core);
  Cycles exit(Process& p, const std::string& reason, Cycles now);
  // wait/await: true if the process may go on; false if it is now blocked.
  bool wait(Process& p, uint32_t child);
  bool await(Process& p, uint32_t name);
  void post(uint32_t name);

  // --- accounting ---
  SmapsRollup rollup(const Process& p) const;
  std::string smaps(const Process& p, const trace::NameTable& names) const;
  void finish(Cycles now);  // end of run: final rollups of live processes
  void report(StatSink& s) const;
  const std::vector<std::string>& errors() const { return errors_; }
  uint64_t frames_in_use() const { return frames_.in_use(); }
  const FrameAllocator& frames() const { return frames_; }
  // Host wall-clock seconds spent in fork() by every Kernel of this process so far. For
  // `cowsim bench` (fork latency targets); deliberately not a statistic: host time is not
  // deterministic.
  static double host_fork_seconds();
  // Page overlays (kernel.cow.granularity=line), null otherwise; the cores call it on accesses
  // to address spaces that have overlays.
  Overlays* overlays() const { return overlays_.get(); }

 private:
  struct CoreState {
    TlbControl* tlb = nullptr;
    // FIFO. exit leaves an exited process in place (pick_next drops it), so a queue is never
    // searched; `queued` counts the live entries.
    std::deque<Process*> runqueue;
    uint32_t queued = 0;
    uint32_t load = 0;               // processes runnable or running with this core as theirs
    uint32_t mm = 0;                 // mm id loaded on the core (0: none)
    uint64_t interrupt_cycles = 0;   // shootdown IPIs received, not yet charged to the core
  };
  struct VmaStats;
  // One fault at the PTE level (Linux's struct vm_fault).
  struct VmFault {
    Process& p;
    AddressSpace& mm;
    Vma& vma;
    uint64_t va, page;
    bool write;
    unsigned core;
    Cost& c;
    uint64_t* pte;     // the entry being filled or changed
    uint64_t user_rw;  // Present | User | NX as the VMA says
    uint64_t writable; // Writable if the VMA is
  };
  friend class LinuxForkStrategy;
  friend class InvariantChecker;  // platform/invariants.h reads the state it checks
  friend class Overlays;
  friend class SharedTableForkStrategy;

  // PTE tables shared at fork (odf, async; shared_tables.cpp). A shared table is mapped by
  // several address spaces through write-protected PMDs, its frame's reference count says by
  // how many; the first fault or change in its range copies it for that space.
  bool share_tables(AddressSpace& dst, AddressSpace& src, const Vma& v, ForkRecord& rec, uint32_t& tables, Cost& c);

  // Gives `mm` its own copy of the table `pmd` points to (or, if no one else maps it any
  // more, makes the PMD writable again); false if memory ran out.
  bool unshare_table(AddressSpace& mm, uint64_t* pmd, uint64_t haddr, unsigned core, Cost& c, TableCopy why,
                     bool flush = true);
  // A fault of `p` in a range whose PMD is write-protected: the table is unshared first.
  bool table_fault(Process& p, uint64_t* pmd, uint64_t haddr, unsigned core, Cycles now, Cost& c);
  // Unshares every shared table in [start, end) of `mm`; a table wholly inside the range is
  // dropped instead when `detach` is set (munmap, exit). False if memory ran out.
  bool unshare_range(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c, bool detach);
  // Address spaces mapping the PTE table that maps `va` in `mm` (1 unless shared).
  uint32_t table_sharers(const AddressSpace& mm, uint64_t va) const;
  void count_table_sharer(Pfn table, int delta);  // FrameInfo::shared of the table's pages += delta
  bool table_owned_by(const AddressSpace& mm, uint64_t va) const;  // a shared table's owner is `mm`
  // async: the pending child copy that had not copied the table of [haddr, +2 MiB) of `mm`
  // by `now`, if any.
  AsyncCopy* async_pending(const AddressSpace& mm, uint64_t haddr, bool shared, Cycles now);
  void report_shared_tables(StatSink& s) const;

  Process& new_process(uint32_t pid, uint32_t parent, Cycles now);
  void enqueue(Process& p);
  // Every state change of a created process goes through here: it keeps the per-core loads
  // and the count of live processes, so scheduling never scans all processes.
  void set_state(Process& p, TaskState s);
  void wake(Process& p);
  unsigned least_loaded_core() const;
  std::shared_ptr<AddressSpace> new_mm();
  int syscall_error(Process& p, int err, const std::string& what);
  // Kills `p` from inside a fault: SIGSEGV or OOM.
  FaultResult kill(Process& p, const std::string& reason, Cost cost, Cycles now);
  std::optional<Pfn> alloc_page(Process& p);
  // A frame to copy `src` into: with kernel.alloc.policy=same_subarray one RowClone FPM can
  // copy into if there is one, else (and by default) alloc_page.
  std::optional<Pfn> alloc_copy_target(Process& p, Pfn src);

  // Page faults (memory.cpp). nullopt: out of memory, the process is killed.
  std::optional<FaultOutcome> handle_pte_fault(VmFault& vmf);
  std::optional<FaultOutcome> do_anonymous_page(VmFault& vmf);
  std::optional<FaultOutcome> do_fault(VmFault& vmf);
  FaultOutcome do_read_fault(VmFault& vmf, Pfn cached);
  void do_fault_around(VmFault& vmf, uint64_t writable);
  FaultOutcome do_shared_fault(VmFault& vmf, Pfn cached);
  std::optional<FaultOutcome> do_cow_fault(VmFault& vmf, Pfn cached);
  std::optional<FaultOutcome> do_wp_page(VmFault& vmf, Pfn pfn);
  FaultOutcome wp_page_shared(VmFault& vmf, Pfn pfn);
  FaultOutcome wp_page_reuse(VmFault& vmf, Pfn pfn);
  std::optional<FaultOutcome> wp_page_copy(VmFault& vmf, Pfn pfn);
  // A new private anonymous 4 KiB page, zeroed or copied from `copy_from` by the copy engine.
  std::optional<Pfn> alloc_anon_page(VmFault& vmf, std::optional<Pfn> copy_from);
  static void count_copy(Process& p);
  // Linux's copy_page_range for one VMA at fork (fork.cpp); the linux fork strategy.
  bool copy_page_range(AddressSpace& dst, AddressSpace& src, const Vma& v, ForkRecord& rec, uint32_t& tables,
                       Cost& deposits);
  Pfn cache_page(uint64_t key, bool& allocated, bool& failed);
  uint64_t cache_key(const Vma& v, uint64_t addr) const;
  // Frees the page-cache pages of shared anonymous objects (shmem) that no VMA maps any more:
  // Linux frees such an object with its last mapping. (File pages stay cached.)
  void release_shmem(std::vector<uint32_t> objects);
  // Unmaps present pages in [start, end) and frees emptied tables; returns pages unmapped.
  // munmap's work (also mmap's MAP_FIXED replacement): zap, flush, drop the VMAs, and free
  // shared-memory objects nobody maps any more.
  void do_munmap(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c);
  // Huge pages cut by the range are split first, at `core`'s expense in `c`.
  uint64_t zap_page_range(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c);
  uint64_t exit_mmap(AddressSpace& mm);  // returns pages unmapped
  // Removes stale translations of [start, end) of `mm` from every core that runs it.
  void flush_tlb_mm_range(const AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c);
  void flush_tlb_mm(const AddressSpace& mm, unsigned core, Cost& c);
  VmaStats account(const AddressSpace& mm, const Vma& v) const;

  // Folio-aware reference counting: a 4 KiB frame of a 2 MiB folio takes its references on the
  // folio's head, its map count on itself.
  void ref_page(Pfn pfn);
  void unref_page(Pfn pfn, bool dirty);
  // True if no other address space (and no page cache) holds the page, so a write may reuse it.
  bool exclusive_to(const AddressSpace& mm, Pfn pfn, uint64_t va) const;

  // Transparent huge pages (thp.cpp).
  bool thp_eligible(const Vma& v, uint64_t haddr) const;
  std::optional<FaultOutcome> huge_fault(Process& p, Vma& v, uint64_t* pmd, uint64_t va, bool write, unsigned core, Cost& c);
  bool deposit_table(AddressSpace& mm, Cost& c);
  void release_deposits(AddressSpace& mm);
  // Splits the huge PMD at `haddr` into 512 PTEs (flushing the 2 MiB range); false if no
  // page-table page could be had.
  bool split_huge_pmd(Process* p, AddressSpace& mm, uint64_t* pmd, uint64_t haddr, unsigned core, Cost& c);
  // Splits huge PMDs that straddle `start` or `end`, before an operation on part of them.
  bool split_edges(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c);
  uint64_t huge_pte_bits(const Vma& v) const;
  // 1 GiB hugetlb pages (hugetlb.cpp). Nothing if the pool has no free page (SIGBUS).
  std::optional<FaultOutcome> hugetlb_fault(Process& p, Vma& v, uint64_t va, bool write, unsigned core, Cost& c);
  // True if [start, end) cuts through a 1 GiB hugetlb page (such calls fail with EINVAL).
  bool splits_hugetlb(const AddressSpace& mm, uint64_t start, uint64_t end) const;
  bool cow_mapping(const Vma& v) const { return !v.shared && (v.prot & trace::kProtWrite); }

  KernelParams params_;
  const KernelCosts& cost_;
  PhysicalMemory& mem_;
  FrameAllocator frames_;
  PageTables tables_;
  unsigned levels_;
  bool strict_;
  bool pcid_;  // TLB entries are tagged with a PCID per address space; switches do not flush
  uint16_t pcid_of(const AddressSpace& mm) const { return pcid_ ? uint16_t(1 + (mm.id - 1) % 4095) : 0; }
  std::vector<CoreState> cores_;
  std::unique_ptr<CopyEngine> copy_engine_;      // kernel.copy.engine
  bool channels_ = false;                        // attach_channels: report the dram_wait step
  std::unique_ptr<KernelLocks> locks_;           // kernel.locks.enabled with two or more cores
  // Steps in the statistics: dram_wait and lock_wait only when their model is on (single-core
  // results keep their keys).
  bool reported(Step s) const {
    return (s != Step::kDramWait || channels_) && (s != Step::kLockWait || locks_);
  }
  // A 4 KiB frame allocated for a fault on `core`: the lock waits (kernel.locks), then page_alloc.
  void charge_page_alloc(unsigned core, Cost& c) {
    if (locks_) locks_->page_allocated(core, c);
    c.add(Step::kPageAlloc, cost_.page_alloc);
  }
  std::unique_ptr<ForkStrategy> fork_strategy_;  // kernel.fork.strategy
  DramMap dram_map_;                             // memory.dram.map, for kernel.alloc.policy
  uint64_t same_subarray_hits_ = 0, same_subarray_misses_ = 0;
  std::shared_ptr<Overlays> overlays_;           // kernel.cow.granularity=line; null for page
  std::function<void(unsigned, Cycles)> wakeup_;
  std::vector<std::unique_ptr<Process>> procs_;
  std::unordered_map<uint32_t, Process*> by_pid_;  // per syscall, not per access
  uint64_t alive_ = 0;                              // processes created and not exited
  std::unordered_map<uint64_t, Pfn> page_cache_;   // (object, page) -> frame; per fault
  std::vector<bool> posted_;
  uint32_t next_mm_id_ = 1, next_shmem_id_ = 1;
  std::vector<std::string> errors_;
  std::vector<ForkRecord> fork_log_;

  // Statistics
  std::array<LatencyHistogram, static_cast<size_t>(FaultOutcome::kCount)> fault_latency_;
  std::array<Cost, static_cast<size_t>(FaultOutcome::kCount)> fault_steps_;  // summed per outcome
  uint64_t thp_splits_ = 0, thp_fallbacks_ = 0;
  // odf, async (shared_tables.cpp)
  std::array<uint64_t, static_cast<size_t>(TableCopy::kCount)> table_copies_{};
  uint64_t tables_shared_ = 0, table_reuses_ = 0, table_detaches_ = 0, proactive_syncs_ = 0;
  LatencyHistogram table_fault_latency_;  // faults that only unshared a table
  std::vector<AsyncCopy> async_;          // children whose copy is not known to be over
  // Shared table -> the address space it belonged to at fork: Accessed bits are the owner's, a
  // copy made for anyone else starts old as a forked child's entries do.
  std::unordered_map<uint64_t, uint32_t> table_owner_;
  uint64_t forks_ = 0, fork_ptes_ = 0, fork_pmds_ = 0, fork_cycles_ = 0, tlb_shootdowns_ = 0, ipis_ = 0, oom_kills_ = 0;
  uint64_t table_pages_ = 0, peak_table_pages_ = 0;
};

}  // namespace cowsim
