#include "models/walker/paging_structure_cache.h"

#include "models/common/error.h"

namespace cowsim {

PagingStructureCache::PagingStructureCache(uint32_t entries, uint32_t ways, unsigned shift, uint64_t seed)
    : shift_(shift) {
  if (entries == 0) return;  // no cache at this level
  if (ways == 0 || entries % ways)
    throw InputError("walker paging-structure cache: entries (" + std::to_string(entries) +
                     ") must be a multiple of ways (" + std::to_string(ways) + ")");
  uint32_t sets = entries / ways;
  if (sets & (sets - 1)) throw InputError("walker paging-structure cache: entries / ways must be a power of two");
  ways_ = ways;
  set_mask_ = sets - 1;
  entries_.resize(entries);
  policy_ = make_replacement(ReplacementKind::kLru, sets, ways, seed);
}

void PagingStructureCache::fill(VirtAddr va, uint16_t pcid, const PscEntry& value) {
  if (entries_.empty()) return;
  uint64_t key = va.value >> shift_;
  uint32_t set = static_cast<uint32_t>(key & set_mask_);
  uint64_t tag = key | (uint64_t{pcid} << 48);
  PscEntry* e = &entries_[size_t{set} * ways_];
  uint32_t way = ways_;
  for (uint32_t w = 0; w < ways_ && way == ways_; ++w)
    if (e[w].tag == tag || e[w].tag == PscEntry::kInvalid) way = w;
  if (way == ways_) way = policy_->victim(set);
  e[way] = value;
  e[way].tag = tag;
  policy_->touch(set, way);
}

void PagingStructureCache::invalidate(VirtAddr va, uint16_t pcid) {
  if (entries_.empty()) return;
  uint64_t key = va.value >> shift_;
  PscEntry* e = &entries_[size_t(key & set_mask_) * ways_];
  uint64_t tag = key | (uint64_t{pcid} << 48);
  for (uint32_t w = 0; w < ways_; ++w)
    if (e[w].tag == tag) e[w].tag = PscEntry::kInvalid;
}

void PagingStructureCache::flush_pcid(uint16_t pcid) {
  for (auto& e : entries_)
    if (e.tag != PscEntry::kInvalid && (e.tag >> 48) == pcid) e.tag = PscEntry::kInvalid;
}

void PagingStructureCache::flush_all() {
  for (auto& e : entries_) e.tag = PscEntry::kInvalid;
}

}  // namespace cowsim
