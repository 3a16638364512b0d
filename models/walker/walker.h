// x86-64 page-table walker (SystemC-free logic). Walks 4- or 5-level tables that live in
// simulated physical memory, reading every entry through a PteMemory port (so each read is a
// costed memory access), checks permissions, sets Accessed/Dirty with memory writes, and
// returns a translation or a typed fault with the x86 error code.
#pragma once

#include <cstdint>

#include "models/common/host_prefetch.h"
#include "models/common/histogram.h"
#include "models/common/stats.h"
#include "models/memory/level.h"
#include "models/memory/pte_memory.h"
#include "models/walker/paging_structure_cache.h"
#include "models/walker/pte.h"
#include "models/walker/walk_result.h"
#include "models/walker/walker_params.h"

namespace cowsim {

// First address above user space for a given number of paging levels (2^47 or 2^56).
constexpr uint64_t user_address_limit(unsigned levels) { return uint64_t{1} << (kPageShift + 9 * levels - 1); }

class Walker {
 public:
  Walker(const WalkerParams& p, PteMemory& mem, uint64_t seed = 1);
  // Where PTE reads and A/D writes go from now on (PteMemory, models/memory/pte_memory.h).
  void attach(PteMemory& mem) {
    mem_ = &mem;
    hint_mem_ = mem.contents();
    hint_caches_ = mem.caches();
  }

  // Host hints, no simulated effect (no counter, cache, PSC or A/D bit changes), for a walk of
  // `va` that is coming, in two stages so that neither stalls the host on a cold line.
  // prefetch_path reads the upper entries untimed (host-hot: few of them), prefetches the
  // physical-memory index line of the leaf table and the L2/LLC model sets of the leaf PTE's
  // line, and returns the leaf PTE's address (0: no leaf table, nothing more to hint).
  // prefetch_leaf, issued later (the index line has arrived), prefetches the leaf PTE's host
  // line. Nothing when PTEs go through TLM (no direct contents).
  PhysAddr prefetch_path(Pfn root, VirtAddr va) const {
    if (!hint_mem_ || va.value >= user_address_limit(levels_)) return PhysAddr{0};
    PhysAddr table = frame_address(root);
    for (unsigned level = levels_; level > 1; --level) {
      const uint64_t* entry = hint_mem_->entry(table + 8 * table_index(va, level));
      if (!entry) return PhysAddr{0};
      const Pte e = Pte::from_raw(*entry);
      if (!e.present || e.huge) return PhysAddr{0};
      table = frame_address(e.pfn());
    }
    const PhysAddr leaf = table + 8 * table_index(va, 1);
    hint_mem_->prefetch_index(leaf.pfn());
    hint_caches_->prefetch(leaf);
    return leaf;
  }
  void prefetch_leaf(PhysAddr leaf) const {
    if (const uint64_t* entry = hint_mem_->entry(leaf)) host_prefetch(entry);
  }

  // A timed walk for a user-mode access. `root` is the top-level table frame (CR3), `pcid`
  // the context the paging-structure caches tag their entries with.
  WalkResult walk(Pfn root, VirtAddr va, AccessType type, uint16_t pcid = 0);
  // INVLPG and CR3 writes also drop paging-structure-cache entries (SDM 4.10.4.1).
  void flush_caches(uint16_t pcid) {
    for (auto& c : psc_) c.flush_pcid(pcid);
  }
  void flush_caches() {
    for (auto& c : psc_) c.flush_all();
  }
  // A page fault drops the cached entries that translate the faulting address (SDM 4.10.4.1).
  void invalidate_caches(VirtAddr va, uint16_t pcid) {
    for (auto& c : psc_) c.invalidate(va, pcid);
  }

  unsigned levels() const { return levels_; }
  // The paging-structure cache of level-`level` entries (2: PDE ... 5: PML5E).
  const PagingStructureCache& psc(unsigned level) const { return psc_[level - 2]; }
  uint64_t walks() const { return walks_; }
  uint64_t pte_reads() const { return pte_reads_; }
  uint64_t pte_reads(unsigned table_level, Level served_by) const {
    return reads_served_[table_level][static_cast<unsigned>(served_by)];
  }
  uint64_t faults_with_error_code(uint32_t code) const { return faults_by_code_[code & 31]; }
  void report(StatSink& s) const;

 private:
  unsigned levels_;
  Cycles setup_, psc_latency_;
  std::vector<PagingStructureCache> psc_;  // [L - 2] caches level-L entries (L = 2: PDE ... 5: PML5E)
  uint64_t reads_by_level_[6] = {};
  uint64_t reads_served_[6][kLevelCount] = {};  // [table level][hierarchy level that served it]
  PteMemory* mem_;
  const PhysicalMemory* hint_mem_ = nullptr;     // mem_->contents(): the prefetch hints only
  const MemoryHierarchy* hint_caches_ = nullptr;  // mem_->caches()
  uint64_t walks_ = 0, pte_reads_ = 0, ad_writes_ = 0, faults_ = 0;
  uint64_t fault_kinds_[8] = {};
  uint64_t faults_by_code_[32] = {};  // by x86 error code (P W U RSVD I = bits 0-4)
  LatencyHistogram latency_;
};

}  // namespace cowsim
