#include "models/tlb/tlb.h"

#include "models/common/error.h"

namespace cowsim {

Tlb::Tlb(std::string name, const TlbBankParams& p, uint64_t seed)
    : name_(std::move(name)), sizes_(size_set_mask(p.sizes)), ways_(p.ways), latency_(p.latency) {
  if (p.ways == 0 || p.entries % p.ways != 0)
    throw InputError("tlb." + name_ + ": entries (" + std::to_string(p.entries) + ") must be a multiple of ways (" +
                     std::to_string(p.ways) + ")");
  sets_ = p.entries / p.ways;
  if (sets_ & (sets_ - 1))
    throw InputError("tlb." + name_ + ": entries / ways = " + std::to_string(sets_) + " sets; must be a power of two");
  set_mask_ = sets_ - 1;
  entries_.resize(p.entries);
  policy_ = make_replacement(p.policy, sets_, ways_, seed);
}

void Tlb::fill(VirtAddr va, PageSize size, uint16_t pcid, const Translation& t) {
  uint64_t vpn = va.value >> page_shift(size);
  uint32_t set = static_cast<uint32_t>(vpn & set_mask_);
  uint64_t tag = tag_of(vpn, size, pcid);
  TlbEntry* e = &entries_[size_t{set} * ways_];
  // One pass: the way already holding the tag (refresh in place, e.g. after a D-bit re-walk),
  // else the first invalid way, else the policy's victim.
  uint32_t way = ways_, free_way = ways_;
  if (valid_[0] + valid_[1] + valid_[2] == entries_.size()) {  // the bank is full (the steady state):
    for (uint32_t w = 0; w < ways_; ++w)                       // no invalid way to look for
      if (e[w].tag == tag) {
        way = w;
        break;
      }
  } else {
    for (uint32_t w = 0; w < ways_; ++w) {
      if (e[w].tag == tag) {
        way = w;
        break;
      }
      if (e[w].tag == TlbEntry::kInvalid && free_way == ways_) free_way = w;
    }
  }
  if (way == ways_) way = free_way;
  if (way == ways_) {
    way = policy_->victim(set);
    ++evictions_;
    --valid_[static_cast<unsigned>(e[way].size)];
    ++valid_[static_cast<unsigned>(size)];
  } else if (e[way].tag == TlbEntry::kInvalid) {
    ++valid_[static_cast<unsigned>(size)];
  }
  // The entry keeps the page's first frame, so any address in the page can be translated.
  Pfn first{t.pfn.value - ((va.value & ((uint64_t{1} << page_shift(size)) - 1)) >> kPageShift)};
  e[way] = {tag, first, size, t.writable, t.user, t.no_execute, t.dirty, t.global};
  policy_->touch(set, way);
  ++fills_;
}

void Tlb::invalidate_page(VirtAddr va, uint16_t pcid) {
  for (unsigned s = 0; s < 3; ++s) {
    if (!(sizes_ & (1u << s)) || !valid_[s]) continue;  // nothing of this size to drop
    PageSize size = static_cast<PageSize>(s);
    uint64_t vpn = va.value >> page_shift(size);
    TlbEntry* e = &entries_[size_t(vpn & set_mask_) * ways_];
    uint64_t tag = tag_of(vpn, size, pcid);
    for (uint32_t w = 0; w < ways_; ++w)
      if (e[w].tag == tag) {
        e[w].tag = TlbEntry::kInvalid;
        --valid_[s];
        ++invalidations_;
      }
  }
}

void Tlb::flush_pcid(uint16_t pcid) {
  for (auto& e : entries_)
    if (e.tag != TlbEntry::kInvalid && (e.tag >> 48) == pcid) {
      e.tag = TlbEntry::kInvalid;
      --valid_[static_cast<unsigned>(e.size)];
    }
  ++flushes_;
}

void Tlb::flush_all() {
  for (auto& e : entries_) e.tag = TlbEntry::kInvalid;
  valid_[0] = valid_[1] = valid_[2] = 0;
  ++flushes_;
}

void Tlb::report(StatSink& s) const {
  s.counter("hits", hits_, "lookups", "Lookups that hit in this bank");
  s.counter("misses", misses_, "lookups", "Lookups that missed in this bank");
  s.counter("fills", fills_, "entries", "Entries written after a walk or a lower-level hit");
  s.counter("evictions", evictions_, "entries", "Valid entries replaced by a fill");
  s.counter("invalidations", invalidations_, "entries", "Entries removed by single-page invalidation");
  s.counter("flushes", flushes_, "flushes", "Full or per-PCID flushes");
}

}  // namespace cowsim
