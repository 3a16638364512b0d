// The kernel's view of one address space's x86-64 page tables: table pages are frames from
// the FrameAllocator whose contents live in PhysicalMemory, so the walker reads exactly what
// the kernel wrote. Functional only: callers charge the cycles (see KernelCosts).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "models/common/types.h"
#include "models/kernel/frame_allocator.h"
#include "models/memory/physical_memory.h"
#include "models/walker/pte.h"

namespace cowsim {

class PageTables {
 public:
  PageTables(PhysicalMemory& mem, FrameAllocator& frames, unsigned levels) : mem_(mem), frames_(frames), levels_(levels) {}

  // Allocates an empty top-level table; nothing if memory is exhausted.
  std::optional<Pfn> create_root();
  // The entry for `va` at `level` (1: PTE, 2: PMD), creating missing tables above it when
  // `create` is set. Null if a table is missing (and not created), allocation failed, or a
  // huge leaf above `level` maps the address. `created` counts new table pages.
  uint64_t* entry(Pfn root, VirtAddr va, unsigned level, bool create, uint32_t* created = nullptr);
  uint64_t* leaf(Pfn root, VirtAddr va, bool create, uint32_t* created = nullptr) {
    return entry(root, va, 1, create, created);
  }
  // Visits every mapped leaf entry (present or PROT_NONE) in [start, end), huge leaves
  // included: fn(va, entry&, level). A huge leaf is visited if it overlaps the range.
  using LeafFn = std::function<void(uint64_t, uint64_t&, unsigned)>;
  void for_each_leaf(Pfn root, uint64_t start, uint64_t end, const LeafFn& fn);
  // Visits every present PMD that points to a PTE table in [start, end): fn(va, pmd&, 2).
  void for_each_table(Pfn root, uint64_t start, uint64_t end, const LeafFn& fn);
  // Frees table pages under `root` that map nothing in [start, end) any more (after an
  // unmap), keeping the root. Returns the number of table pages freed.
  uint64_t free_empty_tables(Pfn root, uint64_t start, uint64_t end);
  // Frees every table page including the root; leaves must already be cleared.
  uint64_t destroy(Pfn root);
  unsigned levels() const { return levels_; }
  // Returns a page-table page (one made by create_root) to the allocator.
  void free_table(Pfn pfn);

 private:
  void visit(Pfn table, unsigned level, unsigned stop, uint64_t base, uint64_t start, uint64_t end, const LeafFn& fn);
  bool prune(Pfn table, unsigned level, uint64_t base, uint64_t start, uint64_t end, uint64_t& freed);

  PhysicalMemory& mem_;
  FrameAllocator& frames_;
  unsigned levels_;
};

}  // namespace cowsim
