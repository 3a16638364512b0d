// How a page walker reaches memory (SystemC-free): PTE reads and A/D writes, each adding its
// latency and, for a read, saying which level of the hierarchy served it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "models/common/types.h"
#include "models/memory/level.h"
#include "models/memory/memory_hierarchy.h"
#include "models/memory/physical_memory.h"

namespace cowsim {

class PteMemory {
 public:
  virtual ~PteMemory() = default;
  virtual uint64_t read_pte(PhysAddr pa, Cycles& latency, Level& served_by) = 0;
  virtual void write_pte(PhysAddr pa, uint64_t value, Cycles& latency) = 0;
  // For host prefetch hints only (Walker::prefetch): the contents and caches behind this port
  // when it reads them directly, else null (the TLM path: no hints).
  virtual const PhysicalMemory* contents() const { return nullptr; }
  virtual const MemoryHierarchy* caches() const { return nullptr; }
};

// The direct path (DMI-style): contents straight from PhysicalMemory, latency from the core's
// MemoryHierarchy as a page-walk access. It does what the TLM chain walker -> CachesModule ->
// Memory does (the same checks, the same order: contents first, then the timed access), in
// plain calls: testbenches/memory/720_pte_path_equivalence_test.cpp runs both side by side.
class CachedPteMemory final : public PteMemory {
 public:
  CachedPteMemory(PhysicalMemory& contents, MemoryHierarchy& caches) : mem_(contents), caches_(caches) {}

  uint64_t read_pte(PhysAddr pa, Cycles& latency, Level& served_by) override {
    check(pa);
    caches_.prefetch(pa);  // the model's sets load while the host fetches the table line
    const uint64_t v = mem_.read64(pa);
    const AccessResult a = caches_.access(pa, false, Source::kPageWalk);
    latency += a.latency;
    served_by = a.where;
    return v;
  }
  const PhysicalMemory* contents() const override { return &mem_; }
  const MemoryHierarchy* caches() const override { return &caches_; }
  void write_pte(PhysAddr pa, uint64_t value, Cycles& latency) override {
    check(pa);
    if (!mem_.write64(pa, value)) unbacked(pa);
    latency += caches_.access(pa, true, Source::kPageWalk).latency;
  }

 private:
  // Only aligned 8-byte accesses inside physical memory exist (Memory answers others with an
  // address error, which the walker reports as this).
  void check(PhysAddr pa) const {
    if ((pa.value & 7) || pa.pfn().value >= mem_.frame_count()) unbacked(pa);
  }
  [[noreturn]] static void unbacked(PhysAddr pa) {
    throw std::logic_error("page walk touched unbacked physical address " + std::to_string(pa.value));
  }

  PhysicalMemory& mem_;
  MemoryHierarchy& caches_;
};

}  // namespace cowsim
