// Invariants of the memory model (docs/reliability.md, "Invariants"), checked at the end of
// every run and, with `cowsim run --check`, after every fork, exit and system call. A
// violation is a bug in the model, not in the input: it throws std::logic_error naming the
// frame, process and address with the expected and found values, which the CLI reports as an
// internal error (exit 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/kernel/kernel.h"
#include "models/memory/physical_memory.h"
#include "models/tlb/tlb_hierarchy.h"
#include "models/walker/walker.h"

namespace cowsim {

// Reads the kernel's private state (a friend of Kernel and FrameAllocator); changes nothing.
class InvariantChecker {
 public:
  // `tlbs` and `walkers`: one per core, in core order (empty for a kernel-only check);
  // `when` prefixes every message ("end of run", "after mmap by pid 3").
  InvariantChecker(const Kernel& kernel, const PhysicalMemory& mem, std::vector<const TlbHierarchy*> tlbs = {},
                   std::vector<const Walker*> walkers = {}, std::string when = "end of run");

  // Every check below, in this order.
  void check_all();
  // 1. The allocator's accounting: no frame on a free list holds a reference, and the frames it
  //    counts in use are the frames with a reference (a 2 MiB folio counts 512, a 1 GiB page
  //    262144); reserved + in use + free = the frames of physical memory.
  void check_frame_accounting();
  // 2, 3 and 6. Walks the page tables of every live address space, each table page once (by
  //    identity: a table two address spaces share counts its entries once), and checks: every
  //    mapped leaf points to an allocated frame of the right kind; each frame's reference count,
  //    map count and whole-folio map count equal the PTEs, PMDs, PUDs, page-cache entries and
  //    table references that hold it; and every page-table page is reachable or deposited.
  void check_mappings();
  // 4. smaps: Rss summed over the live address spaces = 4 KiB x the page mappings the tables
  //    hold; Pss summed = the frames mapped, each 4 KiB page shared m ways contributing
  //    m x floor(2^24 / m) in smaps' 2^-12-byte fixed point (so at most m - 1 units short).
  void check_smaps();
  // 5. Every valid TLB entry (L1I, L1D, STLB) and paging-structure-cache entry of every core
  //    that belongs to a live address space translates as that space's page tables do now: the
  //    same frame (or table), with no permission the tables took away.
  void check_tlbs();
  // 7. The scheduler's counts: each core's load = its runnable and running processes, its
  //    queued count = the runnable processes its run queue holds (each runnable process in
  //    exactly its own core's queue, once; exited entries are dropped lazily), and the live
  //    count = the processes not exited.
  void check_scheduler();

 private:
  struct Expect {
    uint32_t ref = 0, map = 0, entire = 0;  // what the metadata should say
    uint32_t shared = 0;  // more address spaces mapping it through a shared PTE table (odf, async): smaps only
    uint32_t leaf = 0, cache = 0, table = 0, overlay = 0;  // where the references come from, for messages
  };
  struct Space {
    const AddressSpace* mm;
    uint32_t pid;  // the first live process using it
  };
  // One resolved address in an address space's tables.
  struct Leaf {
    bool mapped = false, present = false;
    unsigned level = 0;  // 1: PTE, 2: huge PMD, 3: huge PUD
    Pfn frame;           // the 4 KiB frame holding the address
    bool writable = true, user = true, no_execute = false;
  };

  [[noreturn]] void fail(const std::string& what) const;
  std::vector<Space> spaces() const;
  Expect& expect(uint64_t pfn);
  const Expect* find_expect(uint64_t pfn) const;
  void walk(const Space& s, Pfn table, unsigned level, uint64_t base);
  void leaf(const Space& s, uint64_t va, uint64_t e, unsigned level);
  void compare(uint64_t pfn, const FrameInfo& f, const Expect* x) const;
  std::string first_mapping(uint64_t pfn) const;
  Leaf resolve(const AddressSpace& mm, uint64_t va) const;
  // The level-`level` entry for `va` (0 if a table above it is missing or a huge leaf maps it).
  uint64_t entry_at(const AddressSpace& mm, uint64_t va, unsigned level) const;
  const Space* owner(unsigned core, uint16_t pcid, const std::vector<Space>& live) const;

  const Kernel& k_;
  const PhysicalMemory& mem_;
  std::vector<const TlbHierarchy*> tlbs_;
  std::vector<const Walker*> walkers_;
  std::string when_;
  // Expected counts per frame, in chunks made on first use (a 1 GiB page's inside never is).
  static constexpr unsigned kChunkShift = 12;
  std::vector<std::vector<Expect>> chunks_;
  std::vector<bool> visited_;  // table pages reached, per frame
  void count_sharer(Pfn pte_table);  // one more address space maps this PTE table's pages
  uint64_t tables_reached_ = 0;
  bool mappings_done_ = false;  // chunks_ holds check_mappings()'s counts
  uint64_t overlay_bytes_ = 0;  // segment bytes of the live address spaces' overlays (line granularity)
};

// Every check, for a whole machine: platform/system.h's cores, TLBs and walkers.
class System;
void check_invariants(const System& system, const std::string& when);

// Once every process has exited, no page-table page may remain (check 6 in its simplest form;
// check_mappings() generalises it to any moment).
void check_tables_freed(const Kernel& kernel, const PhysicalMemory& mem);

}  // namespace cowsim
