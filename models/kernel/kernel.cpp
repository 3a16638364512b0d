#include "models/kernel/kernel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "models/common/error.h"
#include "models/walker/walker.h"

namespace cowsim {

using trace::Advice;

const char* fault_outcome_name(FaultOutcome o) {
  static const char* names[] = {"anon_zero_fill", "zero_page_map", "zero_page_cow", "cow_copy", "cow_reuse",
                                "shared_map", "thp_zero_fill", "thp_zero_page_map", "thp_reuse", "thp_copy",
                                "hugetlb_fill", "hugetlb_reuse", "hugetlb_copy"};
  return names[static_cast<size_t>(o)];
}

const char* step_name(Step s) {
  static const char* names[] = {"entry", "handler", "table_alloc", "page_alloc", "zero", "copy", "pte_update",
                                "rmap", "split", "flush", "ipi", "zap", "signal", "return"};
  return names[static_cast<size_t>(s)];
}

const char* fault_outcome_description(FaultOutcome o) {
  static const char* text[] = {
      "Write to never-touched private anonymous memory: a page allocated and zeroed",
      "Read of never-touched private anonymous memory: the shared zero page mapped read-only",
      "Write over a zero-page mapping: a page allocated and zeroed, the old entry flushed",
      "Write to a page shared after fork (or a private file page): a page allocated and copied",
      "Write to a write-protected anonymous page nobody else holds: made writable, no copy, no flush",
      "Lazy fault of a shared or file page: the page-cache page mapped",
      "Write to an eligible 2 MiB range: a huge page allocated and zeroed",
      "Read of an eligible 2 MiB range: the huge zero page mapped",
      "Write to a write-protected huge page nobody else holds: made writable",
      "Write to a shared huge page under the copy policy: 2 MiB copied",
      "First touch of a 1 GiB hugetlb page: allocated from the pool and zeroed",
      "Write to a write-protected 1 GiB hugetlb page nobody else maps: made writable",
      "Write to a 1 GiB hugetlb page shared after fork: 1 GiB copied"};
  return text[static_cast<size_t>(o)];
}

namespace {
constexpr uint64_t kMmapMinAddr = 65536;  // Linux's default vm.mmap_min_addr
// Linux flushes ranges of more than this many pages with a full flush (tlb_single_page_flush_ceiling).
constexpr uint64_t kFlushCeiling = 33;
// Linux's fault_around_bytes default (64 KiB): pages a read fault on a file or shared mapping
// maps around the faulting one when they are already in the page cache.
constexpr uint64_t kFaultAroundPages = 16;

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
uint64_t page_up(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }
}  // namespace

Kernel::Kernel(const KernelParams& p, PhysicalMemory& mem, unsigned levels, unsigned cores, bool strict, bool pcid)
    : params_(p), cost_(params_.cost), mem_(mem), frames_(mem.frame_count()), tables_(mem_, frames_, levels),
      levels_(levels), strict_(strict), pcid_(pcid), cores_(cores) {}

// ---------------------------------------------------------------- processes and scheduling

Process& Kernel::new_process(uint32_t pid, uint32_t parent, Cycles now) {
  if (by_pid_.count(pid)) throw InputError("pid " + std::to_string(pid) + " is created twice");
  procs_.push_back(std::make_unique<Process>());
  Process& p = *procs_.back();
  p.pid = pid;
  p.parent = parent;
  p.state = TaskState::kBlocked;  // not runnable until enqueued
  p.start_time = now;
  by_pid_[pid] = &p;
  return p;
}

std::shared_ptr<AddressSpace> Kernel::new_mm() {
  auto root = tables_.create_root();
  if (!root) return nullptr;
  auto mm = std::make_shared<AddressSpace>();
  mm->root = *root;
  mm->id = next_mm_id_++;
  // PCIDs are recycled after 4095 address spaces: stale entries of the old owner must go.
  if (pcid_ && mm->id > 4095)
    for (auto& c : cores_)
      if (c.tlb) c.tlb->flush_pcid(pcid_of(*mm));
  return mm;
}

unsigned Kernel::least_loaded_core() const {
  std::vector<unsigned> load(cores_.size(), 0);
  for (const auto& p : procs_)
    if (p->state == TaskState::kRunnable || p->state == TaskState::kRunning) ++load[p->core];
  return static_cast<unsigned>(std::min_element(load.begin(), load.end()) - load.begin());
}

void Kernel::enqueue(Process& p) {
  p.state = TaskState::kRunnable;
  cores_[p.core].runqueue.push_back(&p);
  if (wakeup_) wakeup_(p.core, p.ready_at);
}

void Kernel::wake(Process& p) {
  p.blocked_on = BlockReason::kNone;
  enqueue(p);
}

Process& Kernel::start_process(uint32_t pid, Cycles now) {
  unsigned core = least_loaded_core();
  Process& p = new_process(pid, 0, now);
  p.mm = new_mm();
  if (!p.mm) throw InputError("out of simulated memory before pid " + std::to_string(pid) + " could start");
  p.core = core;
  enqueue(p);
  return p;
}

Process* Kernel::process(uint32_t pid) {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : it->second;
}

Process* Kernel::pick_next(unsigned core) {
  auto& q = cores_[core].runqueue;
  if (q.empty()) return nullptr;
  Process* p = q.front();
  q.erase(q.begin());
  p->state = TaskState::kRunning;
  return p;
}

void Kernel::yield(Process& p) { enqueue(p); }

Cycles Kernel::switch_to(unsigned core, Process& p) {
  CoreState& c = cores_[core];
  if (c.mm == p.mm->id) return Cycles{0};
  c.mm = p.mm->id;
  if (c.tlb) c.tlb->set_pcid(pcid_of(*p.mm));
  if (pcid_) return Cycles{cost_.context_switch};  // other contexts' entries stay, tagged
  if (c.tlb) c.tlb->flush_all();                   // no PCIDs: loading CR3 flushes the TLB
  return Cycles{cost_.context_switch + cost_.full_flush};
}

Cycles Kernel::migrate(Process& p, unsigned core) {
  p.core = core;
  return Cycles{cost_.syscall + cost_.context_switch};
}

bool Kernel::any_alive() const {
  for (const auto& p : procs_)
    if (p->alive()) return true;
  return false;
}

// ---------------------------------------------------------------- TLB maintenance

void Kernel::flush_range(const AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c) {
  uint64_t pages = (end - start) >> kPageShift;
  bool full = pages > kFlushCeiling;
  uint16_t pcid = pcid_of(mm);
  for (unsigned i = 0; i < cores_.size(); ++i) {
    if (!cores_[i].tlb) continue;
    bool running = cores_[i].mm == mm.id;
    // With PCIDs, a core that ran the mm earlier may still hold its tagged entries. Linux
    // flushes those when the core next switches to the mm (tlb_gen); here they go at once, at
    // no cost, since no IPI is sent for them.
    if (!running && !pcid_) continue;
    if (full) {
      if (pcid_) cores_[i].tlb->flush_pcid(pcid);
      else cores_[i].tlb->flush_all();
    } else {
      for (uint64_t a = start; a < end; a += kPageSize) cores_[i].tlb->invalidate_page(pcid, VirtAddr{a});
    }
    if (running && i != core) {
      c.add(Step::kIpi, cost_.ipi);
      cores_[i].interrupt_cycles += cost_.ipi_handler;  // the target core pays too
      ++ipis_;
    }
  }
  ++tlb_shootdowns_;
  c.add(Step::kFlush, full ? cost_.full_flush : cost_.invlpg * pages);
}

void Kernel::flush_mm(const AddressSpace& mm, unsigned core, Cost& c) {
  flush_range(mm, 0, user_address_limit(levels_), core, c);
}

uint64_t Kernel::take_interrupt_cycles(unsigned core) {
  uint64_t n = cores_[core].interrupt_cycles;
  cores_[core].interrupt_cycles = 0;
  return n;
}

// ---------------------------------------------------------------- page helpers

std::optional<Pfn> Kernel::alloc_page(Process& p) {
  auto pfn = frames_.alloc();
  if (!pfn) ++oom_kills_;
  return pfn;
}

uint64_t Kernel::cache_key(const Vma& v, uint64_t addr) const {
  uint64_t object = v.anonymous() ? (uint64_t{v.object} << 1 | 1) : (uint64_t{v.file} << 1);
  return object << 36 | (v.pgoff + ((addr - v.start) >> kPageShift));
}

Pfn Kernel::cache_page(uint64_t key, bool& allocated, bool& failed) {
  allocated = failed = false;
  auto it = page_cache_.find(key);
  if (it != page_cache_.end()) return it->second;
  auto pfn = frames_.alloc();
  if (!pfn) {
    failed = true;
    return Pfn{0};
  }
  frames_.info(*pfn).flags = frame_flags::kPageCache;  // the cache holds the first reference
  page_cache_.emplace(key, *pfn);
  allocated = true;
  return *pfn;
}

void Kernel::ref_page(Pfn pfn) {
  Pfn head = frames_.head_of(pfn);
  ++frames_.info(head).refcount;
  ++frames_.info(pfn).mapcount;
  frames_.info(head).flags &= ~frame_flags::kAnonExclusive;
}

void Kernel::unref_page(Pfn pfn, bool dirty) {
  FrameInfo& f = frames_.info(pfn);
  --f.mapcount;
  if (dirty) f.flags |= frame_flags::kDirty;
  frames_.put(frames_.head_of(pfn));
}

bool Kernel::exclusive_to(const AddressSpace& mm, Pfn pfn, uint64_t va) const {
  Pfn head = frames_.head_of(pfn);
  const FrameInfo& f = frames_.info(head);
  if (!(f.flags & frame_flags::kAnon)) return false;
  if (head == pfn && !(f.flags & frame_flags::kHead)) return f.refcount == 1;
  // A subpage of a 2 MiB folio (Linux >= 6.15): reusable if every reference to the folio is a
  // PTE of this address space.
  if (f.entire) return false;
  uint64_t mine = 0, haddr = va & ~(kHugePageSize - 1);
  const_cast<PageTables&>(tables_).for_each_leaf(mm.root, haddr, haddr + kHugePageSize, [&](uint64_t, uint64_t& e, unsigned) {
    if (frames_.head_of(Pte::from_raw(e).pfn()) == head) ++mine;
  });
  return f.refcount == mine;
}

uint64_t Kernel::zap(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c) {
  split_edges(mm, start, end, core, c);  // a huge page only partly in range is split first
  uint64_t pages = 0;
  tables_.for_each_leaf(mm.root, start, end, [&](uint64_t, uint64_t& e, unsigned level) {
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
    if (pfn == frames_.zero_page()) return;
    unref_page(pfn, pte.dirty);
  });
  tables_.free_empty_tables(mm.root, start, end);
  return pages;
}

uint64_t Kernel::teardown(AddressSpace& mm) {
  Cost none;  // the whole address space: nothing to split
  uint64_t pages = zap(mm, 0, user_address_limit(levels_), 0, none);
  release_deposits(mm);
  tables_.destroy(mm.root);
  std::vector<uint32_t> shmem;
  for (const Vma& v : mm.vmas.vmas())
    if (v.shared && v.anonymous()) shmem.push_back(v.object);
  mm.vmas.clear();
  release_shmem(std::move(shmem));
  return pages;
}

void Kernel::release_shmem(std::vector<uint32_t> objects) {
  std::sort(objects.begin(), objects.end());
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
  for (uint32_t object : objects) {
    bool mapped = false;
    for (const auto& p : procs_)
      if (p->mm)
        for (const Vma& v : p->mm->vmas.vmas()) mapped |= v.shared && v.anonymous() && v.object == object;
    if (mapped) continue;
    uint64_t tag = uint64_t{object} << 1 | 1;  // as cache_key() tags anonymous objects
    for (auto it = page_cache_.begin(); it != page_cache_.end();) {
      if ((it->first >> 36) != tag) {
        ++it;
        continue;
      }
      frames_.put(it->second);  // the cache's reference; no mapping is left
      it = page_cache_.erase(it);
    }
  }
}

int Kernel::syscall_error(Process& p, int err, const std::string& what) {
  ++p.syscall_errors;
  std::string name = err == kEINVAL ? "EINVAL" : err == kENOMEM ? "ENOMEM" : "EPERM";
  std::string msg = "pid " + std::to_string(p.pid) + ": " + what + ": " + name;
  if (strict_) throw InputError(msg + " (--strict makes failing system calls fatal)");
  if (errors_.size() < 100) errors_.push_back(msg);
  return err;
}

// ---------------------------------------------------------------- page faults

FaultResult Kernel::kill(Process& p, const std::string& reason, Cost cost, Cycles now) {
  FaultResult r;
  r.cycles = cost.total() + exit(p, reason, now + cost.total());  // the core tears the process down
  return r;
}

FaultResult Kernel::handle_fault(Process& p, const Fault& f, unsigned core, Cycles now) {
  Cost c;
  c.add(Step::kEntry, cost_.exception_entry);
  c.add(Step::kHandler, cost_.fault_base);
  AddressSpace& mm = *p.mm;
  uint64_t va = f.addr.value, page = va & ~(kPageSize - 1);
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
    auto outcome = giant_fault(p, *vma, va, write, core, c);
    if (!outcome) return kill(p, "SIGBUS at " + hex(va) + " (no free 1 GiB hugetlb page)", c, now);
    return finish(*outcome);
  }

  uint32_t created = 0;
  uint64_t* pmd = tables_.entry(mm.root, f.addr, 2, true, &created);
  c.add(Step::kTableAlloc, uint64_t{cost_.table_alloc} * created);
  created = 0;
  if (!pmd) return kill(p, "killed: out of memory (page table)", c, now);
  if ((*pmd & pte_bits::kHuge) || (*pmd == 0 && thp_eligible(*vma, va & ~(kHugePageSize - 1))))
    if (auto outcome = huge_fault(p, *vma, pmd, va, write, core, c)) return finish(*outcome);

  uint64_t* slot = tables_.leaf(mm.root, f.addr, true, &created);
  c.add(Step::kTableAlloc, uint64_t{cost_.table_alloc} * created);
  if (!slot) return kill(p, "killed: out of memory (page table)", c, now);
  uint64_t nx = (vma->prot & trace::kProtExec) ? 0 : pte_bits::kNoExecute;
  uint64_t user_rw = pte_bits::kPresent | pte_bits::kUser | nx;
  uint64_t writable = (vma->prot & trace::kProtWrite) ? pte_bits::kWritable : 0;
  FaultOutcome outcome;
  Pte old = Pte::from_raw(*slot);

  auto new_anon_page = [&](bool zero) -> std::optional<Pfn> {
    auto pfn = alloc_page(p);
    if (!pfn) return std::nullopt;
    FrameInfo& fi = frames_.info(*pfn);
    fi.flags = frame_flags::kAnon | frame_flags::kAnonExclusive;
    fi.mapcount = 1;
    c.add(Step::kPageAlloc, cost_.page_alloc);
    c.add(zero ? Step::kZero : Step::kCopy, zero ? cost_.page_zero : cost_.page_copy);
    c.add(Step::kPteUpdate, cost_.pte_update);
    vma->anon_vma = true;
    return pfn;
  };
  auto copied = [&] {
    ++p.pages_copied;
    p.bytes_copied += kPageSize;
  };

  if (!old.present && !(*slot & pte_bits::kProtNone)) {
    if (vma->anonymous() && !vma->shared) {
      if (!write && params_.zero_page) {
        *slot = frame_address(frames_.zero_page()).value | user_rw;
        c.add(Step::kPteUpdate, cost_.pte_update);
        outcome = FaultOutcome::kZeroPageMap;
      } else {
        auto pfn = new_anon_page(true);
        if (!pfn) return kill(p, "killed: out of memory", c, now);
        // do_anonymous_page maps a new page writable and dirty whatever the access was.
        *slot = frame_address(*pfn).value | user_rw | writable | pte_bits::kAccessed | pte_bits::kDirty;
        outcome = FaultOutcome::kAnonZeroFill;
      }
    } else {
      bool allocated, failed;
      Pfn cached = cache_page(cache_key(*vma, page), allocated, failed);
      if (failed) return kill(p, "killed: out of memory", c, now);
      if (allocated) {
        c.add(Step::kPageAlloc, cost_.page_alloc);
        c.add(Step::kZero, cost_.page_zero);
      }
      if (vma->shared || !write) {  // map the page-cache page itself; private ones read-only
        ref_page(cached);
        uint64_t w = vma->shared ? writable : 0;
        *slot = frame_address(cached).value | user_rw | w | (write ? pte_bits::kAccessed | pte_bits::kDirty : 0);
        // A write fault on a shared mapping dirties the page itself (fault_dirty_shared_page),
        // so every process mapping it counts it dirty in smaps, not only the writer's PTE.
        if (write) frames_.info(cached).flags |= frame_flags::kDirty;
        c.add(Step::kPteUpdate, cost_.pte_update);
        // Fault-around (do_read_fault -> do_fault_around): a read fault also maps the other pages
        // of the surrounding 64 KiB (fault_around_bytes) that are already in the page cache,
        // within the VMA and the page table; they cost this process no faults later.
        if (!write) {
          uint64_t idx = (va >> kPageShift) & 511, vma_off = (va - vma->start) >> kPageShift;
          uint64_t from = std::max(idx & ~(kFaultAroundPages - 1), idx - std::min(idx, vma_off));
          uint64_t to = std::min({from + kFaultAroundPages, uint64_t{512}, idx + (vma->size() >> kPageShift) - vma_off});
          uint64_t table_base = va & ~(kHugePageSize - 1);
          for (uint64_t i = from; i < to; ++i) {
            uint64_t a = table_base + (i << kPageShift);
            uint64_t* s = i == idx ? nullptr : tables_.leaf(mm.root, VirtAddr{a}, false);
            if (!s || *s) continue;  // only empty entries
            auto it = page_cache_.find(cache_key(*vma, a));
            if (it == page_cache_.end()) continue;  // fault-around never allocates
            ref_page(it->second);
            *s = frame_address(it->second).value | user_rw | w | pte_bits::kAccessed;  // x86 prefaults young
            c.add(Step::kPteUpdate, cost_.pte_update);
          }
        }
        outcome = FaultOutcome::kSharedMap;
      } else {  // first write to a private file page: copy it out of the page cache
        auto pfn = new_anon_page(false);
        if (!pfn) return kill(p, "killed: out of memory", c, now);
        *slot = frame_address(*pfn).value | user_rw | writable | pte_bits::kAccessed | pte_bits::kDirty;
        copied();
        outcome = FaultOutcome::kCowCopy;
      }
    }
  } else if (!old.present) {
    throw std::logic_error("fault on a PROT_NONE entry in an accessible VMA");
  } else if (write && !old.writable) {
    Pfn pfn = old.pfn();
    if (vma->shared) {  // write-enable a shared page (e.g. after mprotect added PROT_WRITE)
      *slot |= pte_bits::kWritable | pte_bits::kDirty | pte_bits::kAccessed;
      frames_.info(pfn).flags |= frame_flags::kDirty;  // wp_page_shared: fault_dirty_shared_page
      c.add(Step::kPteUpdate, cost_.pte_update);
      outcome = FaultOutcome::kSharedMap;
    } else if (pfn != frames_.zero_page() && exclusive_to(mm, pfn, va)) {
      // Nobody else holds the page: take it back writable. No copy, and no flush (an upgrade).
      frames_.info(frames_.head_of(pfn)).flags |= frame_flags::kAnonExclusive;
      *slot |= pte_bits::kWritable | pte_bits::kDirty | pte_bits::kAccessed;
      c.add(Step::kPteUpdate, cost_.pte_update);
      outcome = FaultOutcome::kCowReuse;
    } else {
      bool from_zero = pfn == frames_.zero_page();
      auto fresh = new_anon_page(from_zero);
      if (!fresh) return kill(p, "killed: out of memory", c, now);
      c.add(Step::kRmap, cost_.cow_replace);  // wp_page_copy's bookkeeping around the PTE swap
      if (!from_zero) unref_page(pfn, false);
      *slot = frame_address(*fresh).value | user_rw | pte_bits::kWritable | pte_bits::kAccessed | pte_bits::kDirty;
      flush_range(mm, page, page + kPageSize, core, c);  // the old translation is now wrong
      if (from_zero) {
        outcome = FaultOutcome::kZeroPageCow;
      } else {
        copied();
        outcome = FaultOutcome::kCowCopy;
      }
    }
  } else {
    throw std::logic_error("page fault at " + hex(va) + " that the page tables already allow");
  }
  return finish(outcome);
}

// ---------------------------------------------------------------- memory system calls

Cycles Kernel::mmap(Process& p, uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags, uint32_t file, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.vma_op);
  std::string what = "mmap(" + hex(addr) + ", " + std::to_string(len) + ")";
  uint64_t limit = user_address_limit(levels_);
  if (addr & (kPageSize - 1)) return syscall_error(p, kEINVAL, what + " address not page aligned"), c.total();
  if (len == 0) return syscall_error(p, kEINVAL, what + " length 0"), c.total();
  bool giant = flags & trace::kMapHuge1G;
  if (giant && (addr & (kGiantPageSize - 1))) return syscall_error(p, kEINVAL, what + " hugetlb address not 1 GiB aligned"), c.total();
  len = giant ? (len + kGiantPageSize - 1) & ~(kGiantPageSize - 1) : page_up(len);
  if (len == 0 || addr > limit || len > limit - addr) return syscall_error(p, kENOMEM, what + " beyond user address space"), c.total();
  if (addr < kMmapMinAddr) return syscall_error(p, kEPERM, what + " below vm.mmap_min_addr"), c.total();
  AddressSpace& mm = *p.mm;
  // MAP_FIXED semantics: whatever was mapped there goes first.
  unmap_range(mm, addr, addr + len, core, c);
  Vma v;
  v.start = addr;
  v.end = addr + len;
  v.prot = prot;
  v.shared = flags & trace::kMapShared;
  v.file = (flags & trace::kMapFile) ? file : UINT32_MAX;
  v.hugetlb = giant;
  if (v.shared && v.anonymous()) v.object = next_shmem_id_++;
  mm.vmas.insert(v);
  return c.total();
}

void Kernel::unmap_range(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c) {
  uint64_t zapped = zap(mm, start, end, core, c);
  if (zapped) {
    c.add(Step::kZap, cost_.zap_per_page * zapped);
    flush_range(mm, start, end, core, c);
  }
  std::vector<uint32_t> shmem;
  mm.vmas.remove(start, end, [&](const Vma& v) {
    if (v.shared && v.anonymous()) shmem.push_back(v.object);
  });
  release_shmem(std::move(shmem));
}

bool Kernel::splits_hugetlb(const AddressSpace& mm, uint64_t start, uint64_t end) const {
  for (uint64_t edge : {start, end}) {
    const Vma* v = mm.vmas.find(edge);
    if (v && v->hugetlb && (edge & (kGiantPageSize - 1))) return true;
  }
  return false;
}

Cycles Kernel::munmap(Process& p, uint64_t addr, uint64_t len, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.vma_op);
  std::string what = "munmap(" + hex(addr) + ", " + std::to_string(len) + ")";
  uint64_t limit = user_address_limit(levels_);
  if ((addr & (kPageSize - 1)) || len == 0) return syscall_error(p, kEINVAL, what), c.total();
  len = page_up(len);
  if (len == 0 || addr > limit || len > limit - addr) return syscall_error(p, kEINVAL, what + " beyond user address space"), c.total();
  AddressSpace& mm = *p.mm;
  if (splits_hugetlb(mm, addr, addr + len))
    return syscall_error(p, kEINVAL, what + " range splits a 1 GiB hugetlb page"), c.total();
  unmap_range(mm, addr, addr + len, core, c);
  return c.total();
}

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
  if (changed) flush_range(mm, addr, end, core, c);
  return c.total();
}

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
    uint64_t zapped = zap(mm, addr, end, core, c);
    if (zapped) {
    c.add(Step::kZap, cost_.zap_per_page * zapped);
    flush_range(mm, addr, end, core, c);
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
    parent.state = TaskState::kBlocked;
    parent.blocked_on = BlockReason::kVforkChild;
    parent.block_arg = child_pid;
  } else {
    child.mm = new_mm();
    if (!child.mm) {
      child.state = TaskState::kExited;
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
    bool oom = false;
    Cost& deposits = c;
    for (const Vma& v : pm.vmas.vmas()) {
      if (v.dontcopy) {  // MADV_DONTFORK: absent in the child
        ++rec.vmas_skipped;
        continue;
      }
      Vma cv = v;
      if (v.wipeonfork) cv.anon_vma = false;
      cm.vmas.vmas().push_back(cv);  // parent's list is sorted and merged already
      ++rec.vmas_copied;
      // Only VMAs with anonymous pages get their page tables copied; the rest fault lazily.
      if (v.wipeonfork || !v.anon_vma || oom) continue;
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
    }
    rec.pt_pages = tables + rec.pmds_copied;  // one deposited table per huge PMD
    c.add(Step::kHandler, cost_.fork_per_vma * rec.vmas_copied);
    c.add(Step::kPteUpdate, cost_.fork_per_pte * rec.ptes_copied +
                                uint64_t{cost_.fork_per_pmd} * (rec.pmds_copied + rec.puds_copied));
    c.add(Step::kTableAlloc, uint64_t{cost_.table_alloc} * tables);
    flush_mm(pm, core, c);  // write-protected PTEs: flush the parent everywhere it runs
    fork_ptes_ += rec.ptes_copied;
    fork_pmds_ += rec.pmds_copied;
    rec.shootdowns = ipis_ - ipis_before;
    if (oom) {
      teardown(cm);
      child.state = TaskState::kExited;
      child.exit_reason = "not created: fork failed with ENOMEM";
      syscall_error(parent, kENOMEM, "fork()");
      return c.total();
    }
    rec.cycles = c.total().value;
    rec.cost = c;
    fork_log_.push_back(rec);
  }
  fork_cycles_ += c.total().value;
  child.core = child_core;
  child.start_time = now + c.total();
  child.ready_at = child.start_time;  // the child returns from fork when the parent does
  enqueue(child);
  return c.total();
}

Cycles Kernel::exec(Process& p, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.exec_base);
  auto old = p.mm;
  p.mm = new_mm();
  if (!p.mm) {
    p.mm = old;
    exit(p, "killed: out of memory in exec", Cycles{0});
    return c.total();
  }
  if (old.use_count() == 1) {
    c.add(Step::kZap, cost_.zap_per_page * teardown(*old));
  } else if (p.parent) {  // a vfork child leaves the shared mm: its parent resumes
    Process* parent = process(p.parent);
    if (parent && parent->blocked_on == BlockReason::kVforkChild && parent->block_arg == p.pid) wake(*parent);
  }
  cores_[core].mm = p.mm->id;
  if (cores_[core].tlb) {
    cores_[core].tlb->set_pcid(pcid_of(*p.mm));
    if (!pcid_) cores_[core].tlb->flush_all();
  }
  c.add(Step::kFlush, cost_.full_flush);
  return c.total();
}

Cycles Kernel::exit(Process& p, const std::string& reason, Cycles now) {
  if (!p.alive()) return Cycles{0};
  Cost c;
  c.add(Step::kHandler, cost_.exit_base);
  p.rollup = rollup(p);
  p.rollup_final = true;
  p.exit_reason = reason;
  p.end_time = now;
  // Out of any run queue (a killed process may be queued).
  for (auto& core : cores_) core.runqueue.erase(std::remove(core.runqueue.begin(), core.runqueue.end(), &p), core.runqueue.end());
  p.state = TaskState::kExited;
  if (p.mm.use_count() == 1) c.add(Step::kZap, cost_.zap_per_page * teardown(*p.mm));
  p.mm.reset();
  if (Process* parent = p.parent ? process(p.parent) : nullptr) {
    bool waiting = parent->state == TaskState::kBlocked && parent->block_arg == p.pid &&
                   (parent->blocked_on == BlockReason::kWaitChild || parent->blocked_on == BlockReason::kVforkChild);
    if (waiting) wake(*parent);
  }
  return c.total();  // the core that ran `p` releases its user context

}

bool Kernel::wait(Process& p, uint32_t child) {
  Process* c = process(child);
  if (!c || c->parent != p.pid)
    throw InputError("pid " + std::to_string(p.pid) + " waits for " + std::to_string(child) + ", which is not its child");
  if (!c->alive()) return true;
  p.state = TaskState::kBlocked;
  p.blocked_on = BlockReason::kWaitChild;
  p.block_arg = child;
  return false;
}

bool Kernel::await(Process& p, uint32_t name) {
  if (name < posted_.size() && posted_[name]) return true;
  p.state = TaskState::kBlocked;
  p.blocked_on = BlockReason::kAwait;
  p.block_arg = name;
  return false;
}

void Kernel::post(uint32_t name) {
  if (name >= posted_.size()) posted_.resize(name + 1, false);
  posted_[name] = true;
  for (auto& p : procs_)
    if (p->state == TaskState::kBlocked && p->blocked_on == BlockReason::kAwait && p->block_arg == name) wake(*p);
}

}  // namespace cowsim
