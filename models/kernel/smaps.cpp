// /proc/PID/smaps and smaps_rollup accounting, following fs/proc/task_mmu.c: Rss counts every
// mapped page fully, Pss divides by the map count, a page is private when its reference count
// is 1 or its map count is below 2, dirty means PTE dirty or page dirty. The zero page counts
// nowhere.
#include <cstdio>

#include "models/kernel/kernel.h"
#include "models/kernel/overlay.h"

namespace cowsim {

struct Kernel::VmaStats {
  uint64_t rss = 0, pss = 0, pss_dirty = 0, shared_clean = 0, shared_dirty = 0, private_clean = 0,
           private_dirty = 0, referenced = 0, anonymous = 0, anon_huge = 0;  // pss scaled by 2^12
  uint64_t shared_hugetlb = 0, private_hugetlb = 0;
  uint64_t overlay = 0;  // granularity=line: segment bytes of the VMA's overlays (also in Rss, Pss, Private_Dirty)
};

namespace {
constexpr unsigned kPssShift = 12;
}

Kernel::VmaStats Kernel::account(const AddressSpace& mm, const Vma& v) const {
  VmaStats s;
  // One 4 KiB page: its map count is its own PTE mappings plus whole-folio PMD mappings.
  // odf, async: a page in a shared PTE table is mapped once per address space sharing the table
  // though its counts hold one mapping and reference for the table; `shared` adds the others.
  auto page = [&](Pfn pfn, const FrameInfo& head, bool dirty, bool young) {
    const FrameInfo& f = frames_.info(pfn);
    uint32_t mapcount = f.mapcount + head.entire + f.shared;
    bool is_private = head.refcount + f.shared == 1 || mapcount < 2;
    dirty |= (f.flags & frame_flags::kDirty) || (head.flags & frame_flags::kDirty);
    uint64_t pss = (kPageSize << kPssShift) / (mapcount ? mapcount : 1);
    s.rss += kPageSize;
    s.pss += pss;
    if (dirty) s.pss_dirty += pss;
    if (young) s.referenced += kPageSize;
    if (head.flags & frame_flags::kAnon) s.anonymous += kPageSize;
    uint64_t& bucket = is_private ? (dirty ? s.private_dirty : s.private_clean) : (dirty ? s.shared_dirty : s.shared_clean);
    bucket += kPageSize;
  };
  bool shares = shares_tables();
  const_cast<PageTables&>(tables_).for_each_leaf(mm.root, v.start, v.end, [&](uint64_t va, uint64_t& e, unsigned level) {
    Pte pte = Pte::from_raw(e);
    Pfn pfn = pte.pfn();
    if (pfn == frames_.zero_page() || pfn == frames_.huge_zero_page()) return;
    if (level == 3) {  // hugetlb pages count apart from Rss, as smaps_hugetlb_range does
      (frames_.info(pfn).mapcount >= 2 ? s.shared_hugetlb : s.private_hugetlb) += kGiantPageSize;
      return;
    }
    if (level == 2) {
      const FrameInfo& head = frames_.info(pfn);
      for (uint64_t i = 0; i < 512; ++i) page(Pfn{pfn.value + i}, head, pte.dirty, pte.accessed);
      if (head.flags & frame_flags::kAnon) s.anon_huge += kHugePageSize;
      return;
    }
    // A shared table's Accessed bits are its owner's (the parent at fork); the others' start old.
    bool young = pte.accessed && (!shares || table_sharers(mm, va) == 1 || table_owned_by(mm, va));
    page(pfn, frames_.info(frames_.head_of(pfn)), pte.dirty, young);
  });
  if (mm.overlays) {  // overlay storage is this process's own written memory
    s.overlay = overlays_->bytes(mm, v.start, v.end);
    s.rss += s.overlay;
    s.pss += s.overlay << kPssShift;
    s.pss_dirty += s.overlay << kPssShift;
    s.private_dirty += s.overlay;
    s.anonymous += s.overlay;
  }
  return s;
}

SmapsRollup Kernel::rollup(const Process& p) const {
  if (!p.alive() || !p.mm) return p.rollup;
  SmapsRollup r;
  for (const Vma& v : p.mm->vmas.vmas()) {
    VmaStats s = account(*p.mm, v);
    r.rss += s.rss;
    r.pss_bytes_x4096 += s.pss;
    r.shared_clean += s.shared_clean;
    r.shared_dirty += s.shared_dirty;
    r.private_clean += s.private_clean;
    r.private_dirty += s.private_dirty;
    r.referenced += s.referenced;
    r.anonymous += s.anonymous;
    r.anon_huge += s.anon_huge;
    r.shared_hugetlb += s.shared_hugetlb;
    r.private_hugetlb += s.private_hugetlb;
    r.overlay += s.overlay;
  }
  return r;
}

std::string Kernel::smaps(const Process& p, const trace::NameTable& names) const {
  std::string out;
  if (!p.mm) return out;
  char line[256];
  for (const Vma& v : p.mm->vmas.vmas()) {
    VmaStats s = account(*p.mm, v);
    std::string name = v.anonymous() ? (v.shared ? "/dev/zero (deleted)" : "") : names[v.file];
    unsigned long inode = v.anonymous() ? (v.shared ? v.object : 0) : v.file + 1;
    int n = std::snprintf(line, sizeof line, "%08llx-%08llx %c%c%c%c %08llx %s %lu ", (unsigned long long)v.start,
                          (unsigned long long)v.end, (v.prot & trace::kProtRead) ? 'r' : '-',
                          (v.prot & trace::kProtWrite) ? 'w' : '-', (v.prot & trace::kProtExec) ? 'x' : '-',
                          v.shared ? 's' : 'p',
                          // show_map_vma() prints the offset of file-backed VMAs only: private
                          // anonymous memory shows 0 even after a split moved its vm_pgoff.
                          (unsigned long long)(v.anonymous() && !v.shared && !v.hugetlb ? 0 : v.pgoff << kPageShift),
                          v.anonymous() && !v.shared ? "00:00" : "00:01", inode);
    std::string header(line, n);
    if (!name.empty()) {  // seq_pad(): pad to column 72, then one more space, then the name
      if (header.size() < 72) header.append(72 - header.size(), ' ');
      header += ' ' + name;
    }
    out += header;
    out += '\n';
    auto field = [&](const char* label, uint64_t bytes) {
      n = std::snprintf(line, sizeof line, "%-16s%8llu kB\n", label, (unsigned long long)(bytes >> 10));
      out.append(line, n);
    };
    field("Size:", v.size());
    field("KernelPageSize:", v.hugetlb ? kGiantPageSize : kPageSize);
    field("MMUPageSize:", v.hugetlb ? kGiantPageSize : kPageSize);
    field("Rss:", s.rss);
    field("Pss:", s.pss >> kPssShift);
    field("Pss_Dirty:", s.pss_dirty >> kPssShift);
    field("Shared_Clean:", s.shared_clean);
    field("Shared_Dirty:", s.shared_dirty);
    field("Private_Clean:", s.private_clean);
    field("Private_Dirty:", s.private_dirty);
    field("Referenced:", s.referenced);
    field("Anonymous:", s.anonymous);
    field("KSM:", 0);
    field("LazyFree:", 0);
    field("AnonHugePages:", s.anon_huge);
    field("ShmemPmdMapped:", 0);
    field("FilePmdMapped:", 0);
    field("Shared_Hugetlb:", s.shared_hugetlb);
    field("Private_Hugetlb:", s.private_hugetlb);
    field("Swap:", 0);
    field("SwapPss:", 0);
    field("Locked:", 0);
    if (overlays_) field("Overlay:", s.overlay);  // cowsim's own field, only with kernel.cow.granularity=line
    bool eligible = thp_eligible(v, (v.start + kHugePageSize - 1) & ~(kHugePageSize - 1));
    n = std::snprintf(line, sizeof line, "%-16s%8d\n", "THPeligible:", eligible ? 1 : 0);
    out.append(line, n);
    std::string flags = "VmFlags:";
    auto flag = [&](bool on, const char* f) { if (on) flags += std::string(" ") + f; };
    flag(v.prot & trace::kProtRead, "rd");
    flag(v.prot & trace::kProtWrite, "wr");
    flag(v.prot & trace::kProtExec, "ex");
    flag(v.shared, "sh");
    flag(true, "mr");
    flag(true, "mw");
    flag(true, "me");
    flag(v.shared, "ms");
    // In VM_* bit order, as show_smap_vma_flags() prints them: dc(17) ac(20) ht(22) wf(25)
    // hg(29) nh(30).
    flag(v.dontcopy, "dc");
    flag(!v.shared && (v.prot & trace::kProtWrite), "ac");
    flag(v.hugetlb, "ht");
    flag(v.wipeonfork, "wf");
    flag(v.hugepage, "hg");
    flag(v.nohugepage, "nh");
    out += flags + " \n";
  }
  return out;
}

void Kernel::finish(Cycles now) {
  for (auto& p : procs_)
    if (p->alive()) {
      p->rollup = rollup(*p);
      p->end_time = now;
      p->exit_reason = "still running at end of run";
    }
}

void Kernel::report(StatSink& s) const {
  s.counter("fork_calls", forks_, "calls", "fork and vfork calls (each one is listed in kernel.forks.<i>)");
  s.counter("fork_ptes_copied", fork_ptes_, "PTEs", "Page-table entries copied by fork");
  s.counter("fork_pmds_copied", fork_pmds_, "PMDs", "Huge PMDs copied by fork");
  s.counter("thp_splits", thp_splits_, "PMDs", "Huge PMDs split into 512 PTEs");
  s.counter("thp_fallbacks", thp_fallbacks_, "faults",
            "Huge-page faults that fell back to 4 KiB pages because no free 2 MiB block was left");
  s.counter("fork_cycles", fork_cycles_, "cycles", "Cycles spent in fork (sum over forks)");
  s.counter("tlb_shootdowns", tlb_shootdowns_, "operations", "TLB invalidation operations issued");
  s.counter("ipis", ipis_, "IPIs", "Shootdown IPIs sent to other cores");
  s.counter("oom_kills", oom_kills_, "processes", "Processes killed because memory ran out");
  {
    StatSink::Scope m(s, "memory");
    s.gauge("frames_total", frames_.total(), "frames", "4 KiB frames of simulated physical memory");
    s.gauge("frames_in_use", frames_.in_use(), "frames", "Frames allocated at the end of the run");
    s.gauge("frames_peak", frames_.peak(), "frames", "Most frames allocated at any time");
    s.gauge("table_pages", mem_.tables_in_use(), "frames", "Page-table pages allocated at the end of the run");
    s.gauge("page_cache_pages", page_cache_.size(), "frames", "Pages held by the page cache (files, shared memory)");
  }
  if (params_.copy.engine != CopyEngineKind::kCpuNt || params_.copy.zero_engine != ZeroEngineKind::kCopy) {
    StatSink::Scope e(s, "copy_engine");
    copy_engine_->report(s);
  }
  if (params_.copy.alloc_policy == AllocPolicy::kSameSubarray) {
    StatSink::Scope a(s, "alloc");
    s.counter("same_subarray_hits", same_subarray_hits_, "frames",
              "Copy-on-write frames placed in the source's subarray (kernel.alloc.policy=same_subarray)");
    s.counter("same_subarray_misses", same_subarray_misses_, "frames",
              "Copy-on-write frames for which no free frame in the source's subarray was found");
  }
  for (size_t i = 0; i < fork_log_.size(); ++i) {
    const ForkRecord& r = fork_log_[i];
    if (!s.keep_record("forks." + std::to_string(i))) continue;  // a region lists its own forks
    StatSink::Scope e(s, "forks." + std::to_string(i));
    s.gauge("parent", r.parent, "pid", "Process that forked");
    s.gauge("child", r.child, "pid", "Process created");
    s.gauge("start_cycle", r.start_cycle, "cycles", "When the parent entered fork");
    s.gauge("cycles", r.cycles, "cycles", "Latency of the fork system call");
    s.gauge("ptes_copied", r.ptes_copied, "PTEs", "4 KiB page-table entries copied");
    s.gauge("pmds_copied", r.pmds_copied, "PMDs", "Huge PMDs copied");
    s.gauge("puds_copied", r.puds_copied, "PUDs", "1 GiB hugetlb entries copied");
    s.gauge("pt_pages", r.pt_pages, "pages", "Page-table pages allocated for the child (deposits included)");
    s.gauge("vmas_copied", r.vmas_copied, "VMAs", "VMAs duplicated into the child");
    s.gauge("vmas_skipped", r.vmas_skipped, "VMAs", "VMAs left out (MADV_DONTFORK)");
    s.gauge("shootdowns", r.shootdowns, "IPIs", "IPIs sent to flush the parent's TLB on other cores");
    if (shares_tables()) {
      s.gauge("tables_shared", r.tables_shared, "tables", "PTE tables shared with the child instead of copied");
      if (params_.fork_strategy == ForkStrategyKind::kAsync) {
        s.gauge("child_copy_start", r.child_copy_start, "cycles", "When the child began copying the tables it shares");
        s.gauge("child_copy_cycles", r.child_copy_cycles, "cycles",
                  "Cycles the child spent copying them before its first record");
        s.gauge("child_tables_copied", r.child_tables_copied, "tables", "PTE tables the child copied");
        s.gauge("proactive_syncs", r.proactive_syncs, "tables",
                  "Tables the parent copied for the child before the child got to them");
      }
    }
    StatSink::Scope st(s, "steps");
    for (size_t k = 0; k < static_cast<size_t>(Step::kCount); ++k)
      if (reported(static_cast<Step>(k)))
        s.gauge(step_name(static_cast<Step>(k)), r.cost.step(static_cast<Step>(k)), "cycles",
                "Cycles of the fork spent in this step");
  }
  if (overlays_) overlays_->report(s);
  if (shares_tables()) report_shared_tables(s);
  if (locks_) {
    StatSink::Scope l(s, "locks");
    locks_->report(s);
  }
  StatSink::Scope f(s, "faults");
  for (size_t i = 0; i < fault_latency_.size(); ++i) {
    const LatencyHistogram& h = fault_latency_[i];
    if (!h.count()) continue;
    StatSink::Scope o(s, fault_outcome_name(static_cast<FaultOutcome>(i)));
    s.histogram("latency", h, "cycles", "Fault latency of this outcome, exception entry to return");
    StatSink::Scope st(s, "steps");
    for (size_t k = 0; k < static_cast<size_t>(Step::kCount); ++k)
      if (reported(static_cast<Step>(k)))
        s.ratio(step_name(static_cast<Step>(k)), fault_steps_[i].step(static_cast<Step>(k)), h.count(), "cycles",
                "Mean cycles per fault of this outcome spent in this step");
  }
}

}  // namespace cowsim
