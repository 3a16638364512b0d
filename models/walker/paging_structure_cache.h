// A paging-structure cache (Intel SDM 4.10.3): remembers, for a virtual-address prefix, the
// physical table one level down and the permissions accumulated above it, so a walk that hits
// skips the upper levels. One instance per level (PML5E, PML4E, PDPTE, PDE).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "models/common/types.h"
#include "models/common/replacement.h"

namespace cowsim {

struct PscEntry {
  uint64_t tag = kInvalid;  // address prefix | pcid << 48
  Pfn table;                // the table the cached entry points to
  bool writable = false, user = false, no_execute = false;
  static constexpr uint64_t kInvalid = UINT64_MAX;
};

class PagingStructureCache {
 public:
  // `shift`: the address bits below the prefix this cache is indexed by (21 for PDEs).
  PagingStructureCache(uint32_t entries, uint32_t ways, unsigned shift, uint64_t seed);

  bool enabled() const { return !entries_.empty(); }
  const PscEntry* lookup(VirtAddr va, uint16_t pcid) {
    if (entries_.empty()) return nullptr;
    uint64_t key = va.value >> shift_;
    uint32_t set = static_cast<uint32_t>(key & set_mask_);
    uint64_t tag = key | (uint64_t{pcid} << 48);
    PscEntry* e = &entries_[size_t{set} * ways_];
    for (uint32_t w = 0; w < ways_; ++w)
      if (e[w].tag == tag) {
        ++hits_;
        policy_->touch(set, w);
        return &e[w];
      }
    ++misses_;
    return nullptr;
  }
  void fill(VirtAddr va, uint16_t pcid, const PscEntry& value);
  void invalidate(VirtAddr va, uint16_t pcid);  // the entry that would translate `va`
  void flush_pcid(uint16_t pcid);
  void flush_all();
  // Every valid entry as (first address of the prefix, pcid, entry), for the invariant checks.
  template <class F>
  void for_each_entry(F&& fn) const {
    for (const PscEntry& e : entries_)
      if (e.tag != PscEntry::kInvalid)
        fn(VirtAddr{(e.tag & ((uint64_t{1} << 48) - 1)) << shift_}, static_cast<uint16_t>(e.tag >> 48), e);
  }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  unsigned shift_;
  uint32_t ways_ = 1;
  uint64_t set_mask_ = 0;
  std::vector<PscEntry> entries_;
  std::unique_ptr<ReplacementPolicy> policy_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace cowsim
