// The kernel model's shared pieces: outcome and step names, construction, the page helpers
// every path uses (page allocation, reference and map counts as in mm/rmap.c) and failed
// system calls. Each Linux path has its own file: docs/kernel-model.md has the map.
#include "models/kernel/kernel.h"
#include "models/kernel/overlay.h"

#include <string>

#include "models/common/error.h"

namespace cowsim {

const char* fault_outcome_name(FaultOutcome o) {
  static const char* names[] = {"anon_zero_fill", "zero_page_map", "zero_page_cow", "cow_copy", "cow_reuse",
                                "shared_map", "thp_zero_fill", "thp_zero_page_map", "thp_reuse", "thp_copy",
                                "hugetlb_fill", "hugetlb_reuse", "hugetlb_copy"};
  return names[static_cast<size_t>(o)];
}

const char* step_name(Step s) {
  static const char* names[] = {"entry", "handler", "table_alloc", "page_alloc", "zero", "copy", "pte_update",
                                "rmap", "split", "flush", "ipi", "zap", "signal", "return", "dram_wait", "lock_wait"};
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

Kernel::Kernel(const KernelParams& p, PhysicalMemory& mem, unsigned levels, unsigned cores, bool strict, bool pcid)
    : params_(p), cost_(params_.cost), mem_(mem), frames_(mem.frame_count()), tables_(mem_, frames_, levels),
      levels_(levels), strict_(strict), pcid_(pcid), cores_(cores),
      copy_engine_(make_copy_engine(params_.copy, params_.dram, params_.cost)),
      fork_strategy_(make_fork_strategy(params_.fork_strategy)),
      dram_map_(params_.dram.map) {
  // The DRAM address map matters only to RowClone and subarray-aware allocation.
  if (params_.copy.engine == CopyEngineKind::kRowClone || params_.copy.zero_engine == ZeroEngineKind::kRowClone ||
      params_.copy.alloc_policy == AllocPolicy::kSameSubarray)
    dram_map_.check(mem.frame_count() << kPageShift);
  if (params_.cow_granularity == CowGranularity::kLine) overlays_ = std::make_shared<Overlays>(*this, params_.overlay);
  // One core cannot contend with itself: the locks exist only with two or more.
  if (params_.locks.enabled && cores > 1) locks_ = std::make_unique<KernelLocks>(params_.locks, cores);
}

// ---------------------------------------------------------------- page helpers

std::optional<Pfn> Kernel::alloc_page(Process& p) {
  auto pfn = frames_.alloc();
  if (!pfn) ++oom_kills_;
  return pfn;
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

int Kernel::syscall_error(Process& p, int err, const std::string& what) {
  ++p.syscall_errors;
  std::string name = err == kEINVAL ? "EINVAL" : err == kENOMEM ? "ENOMEM" : "EPERM";
  std::string msg = "pid " + std::to_string(p.pid) + ": " + what + ": " + name;
  if (strict_) throw InputError(msg + " (--strict makes failing system calls fatal)");
  if (errors_.size() < 100) errors_.push_back(msg);
  return err;
}

}  // namespace cowsim
