// The kernel model's cycle cost model and scheduler parameters. Defaults are calibrated to
// the measurements in shared/reference/numbers.md at 3 GHz; docs/configuration.md lists the
// source of each.
#pragma once

#include <cstdint>

#include "models/common/params.h"
#include "models/common/types.h"
#include "models/kernel/copy_engine_params.h"
#include "models/kernel/kernel_locks.h"
#include "models/kernel/overlay_params.h"
#include "models/memory/hierarchy_params.h"

namespace cowsim {

struct KernelCosts {
  uint32_t exception_entry = 150;
  uint32_t exception_return = 150;
  uint32_t fault_base = 3000;
  uint32_t page_alloc = 1200;
  uint32_t cow_replace = 3000;
  // Zeroing and copying a 4 KiB, 2 MiB or 1 GiB page: not parameters, derived from the DRAM
  // latency and bandwidth (derive_from), so every page size costs what the bandwidth says.
  // The values here apply when a Kernel is built without a memory model (unit tests).
  uint32_t page_zero = 2000;
  uint32_t page_copy = 2400;
  uint64_t huge_zero = 512 * 2000ull, huge_copy = 512 * 2400ull;
  uint64_t giant_zero = 262144 * 2000ull, giant_copy = 262144 * 2400ull;

  void derive_from(const DramParams& d) {
    page_zero = static_cast<uint32_t>(dram_stream_cycles(d, kPageSize).value);
    page_copy = static_cast<uint32_t>(dram_stream_cycles(d, 2 * kPageSize).value);
    huge_zero = dram_stream_cycles(d, kHugePageSize).value;
    huge_copy = dram_stream_cycles(d, 2 * kHugePageSize).value;
    giant_zero = dram_stream_cycles(d, kGiantPageSize).value;
    giant_copy = dram_stream_cycles(d, 2 * kGiantPageSize).value;
  }
  uint32_t pte_update = 30;
  uint32_t table_alloc = 1500;
  uint32_t invlpg = 300;
  uint32_t full_flush = 600;
  uint32_t ipi = 3000;
  uint32_t ipi_handler = 1500;
  uint32_t signal = 6000;
  uint32_t syscall = 450;
  uint32_t vma_op = 2000;
  uint32_t zap_per_page = 60;
  uint32_t fork_base = 120000;
  uint32_t fork_per_vma = 1000;
  uint32_t fork_per_pte = 150;
  uint32_t exec_base = 60000;
  uint32_t exit_base = 30000;
  uint32_t context_switch = 4000;
  uint32_t pmd_split = 6000;
  uint32_t fork_per_pmd = 400;
  uint32_t odf_share_table = 400;

  void declare(ParamRegistry& r) {
    auto c = [&r](const char* name, uint32_t& v, const char* desc) { r.add(name, v, "cycles", desc, 0, 1u << 30); };
    c("exception_entry", exception_entry, "Page-fault exception entry: pipeline drain and switch to the kernel");
    c("exception_return", exception_return, "Return from the fault handler (iret) and restart of the access");
    c("fault_base", fault_base, "Fixed handler work per fault: VMA lookup, locking, accounting");
    c("page_alloc", page_alloc, "Allocating one 4 KiB frame (buddy allocator, memcg charge)");
    c("cow_replace", cow_replace,
      "A write fault replacing a mapped 4 KiB page with a copy (wp_page_copy): MMU-notifier range, clearing the old "
      "PTE, dropping the old page's rmap and reference, adding the new page to the rmap and LRU");
    c("pte_update", pte_update, "Writing one page-table entry");
    c("table_alloc", table_alloc, "Allocating and zeroing one page-table page");
    c("invlpg", invlpg, "Invalidating one page in the local TLB (INVLPG)");
    c("full_flush", full_flush, "Flushing the local TLB (CR3 write)");
    c("ipi", ipi, "Shootdown IPI to one other core, paid by the sender: sending and waiting for the acknowledgement");
    c("ipi_handler", ipi_handler, "Shootdown IPI, paid by the receiving core: interrupt entry, flush, acknowledgement");
    c("signal", signal, "Delivering SIGSEGV (the process is then killed)");
    c("syscall", syscall, "System call entry and return");
    c("vma_op", vma_op, "mmap/munmap/mprotect/madvise work per call (VMA split, merge, bookkeeping)");
    c("zap_per_page", zap_per_page, "Unmapping one present page (munmap, exit, exec, MADV_DONTNEED)");
    c("fork_base", fork_base, "fork() fixed cost: task and mm creation");
    c("fork_per_vma", fork_per_vma, "fork() per VMA duplicated");
    c("fork_per_pte", fork_per_pte, "fork() per present PTE copied (refcount, write-protect both sides)");
    c("exec_base", exec_base, "exec() fixed cost, besides tearing down the old address space");
    c("exit_base", exit_base, "exit() fixed cost, besides tearing down the address space");
    c("context_switch", context_switch, "Switching a core to another process");
    c("pmd_split", pmd_split, "Splitting a huge PMD into 512 PTEs, besides the PTE writes and the flush");
    c("odf_share_table", odf_share_table,
      "fork() under kernel.fork.strategy=odf or async, per PTE table shared: write-protect the PMD in parent and child, "
      "raise the table's reference count (priced like one huge PMD copy, fork_per_pmd); also a fault making a table no "
      "one else maps writable again");
    c("fork_per_pmd", fork_per_pmd, "fork() per huge PMD copied (plus one page-table page deposited)");
  }
};

enum class ThpEnabled { kAlways, kMadvise, kNever };
enum class ThpCowPolicy { kSplit, kCopy };

// Transparent huge pages, as /sys/kernel/mm/transparent_hugepage/.
struct ThpParams {
  ThpEnabled enabled = ThpEnabled::kMadvise;
  ThpCowPolicy cow_policy = ThpCowPolicy::kSplit;
  bool use_zero_page = true;

  void declare(ParamRegistry& r) {
    r.add_enum("enabled", enabled,
               "Which anonymous mappings get huge pages: always, only MADV_HUGEPAGE ranges (madvise), or none",
               {"always", "madvise", "never"});
    r.add_enum("cow_policy", cow_policy,
               "Write to a huge page shared after fork: split the PMD and copy 4 KiB (Linux >= 5.8) or copy 2 MiB (before)",
               {"split", "copy"});
    r.add("use_zero_page", use_zero_page,
          "Map the huge zero page on a read of an untouched eligible range (false: the read allocates a huge page)");
  }
};

// How fork duplicates page tables (models/kernel/fork_strategy.h).
enum class ForkStrategyKind { kLinux, kOdf, kAsync };

struct KernelParams {
  KernelCosts cost;
  ThpParams thp;
  ForkStrategyKind fork_strategy = ForkStrategyKind::kLinux;
  CopyEngineParams copy;  // kernel.copy, kernel.zero, kernel.alloc
  DramParams dram;        // memory.dram, copied in by kernel_params() (platform/system.cpp); not declared here
  CowGranularity cow_granularity = CowGranularity::kPage;
  OverlayParams overlay;
  LockParams locks;  // kernel.locks
  bool zero_page = true;
  uint64_t timeslice = 12'000'000;

  void declare(ParamRegistry& r) {
    {
      ParamRegistry::Scope s(r, "cost");
      cost.declare(r);
    }
    {
      ParamRegistry::Scope s(r, "thp");
      thp.declare(r);
    }
    {
      ParamRegistry::Scope s(r, "fork");
      r.add_enum("strategy", fork_strategy,
                 "How fork duplicates page tables and reconciles parent and child afterwards: linux "
                 "(copy_page_range copies every entry at fork), odf (On-demand-fork: PTE tables shared at fork, copied by the "
                 "first fault or change in their range) or async (Async-fork: the child copies the PTE tables on its own core "
                 "before it runs; a parent fault in a range the child has not copied yet copies that table first); "
                 "docs/kernel-model.md",
                 {"linux", "odf", "async"});
    }
    copy.declare(r);
    {
      ParamRegistry::Scope s(r, "cow");
      r.add_enum("granularity", cow_granularity,
                 "Copy-on-write unit for private anonymous 4 KiB pages shared after fork: page (Linux: the first "
                 "write copies 4 KiB) or line (page overlays, ISCA 2015: the writer gets an overlay holding only the "
                 "64-byte lines it wrote; kernel.cow.overlay.*)",
                 {"page", "line"});
      ParamRegistry::Scope o(r, "overlay");
      overlay.declare(r);
    }
    {
      ParamRegistry::Scope s(r, "locks");
      locks.declare(r);
    }
    r.add("zero_page", zero_page,
          "Map the shared zero page (and the huge zero page) on a read of untouched private anonymous memory; false "
          "allocates a zeroed page instead, as Linux does where mm_forbids_zeropage() holds (e.g. a guest booted with "
          "pvm_no_zero_page=1)");
    r.add("timeslice", timeslice, "cycles",
          "Scheduler time slice: a process runs this long before another runnable one on its core gets a turn",
          1000, uint64_t{1} << 40);
  }
};

}  // namespace cowsim
