// One set-associative TLB bank (SystemC-free logic): flat arrays of entries, no allocation
// after construction. A bank holds one or more page sizes; entries cache the translation and
// the permission/status bits the hardware caches (writable, user, no-execute, dirty, global),
// tagged with a PCID.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/stats.h"
#include "models/common/host_prefetch.h"
#include "models/tlb/page_sizes.h"
#include "models/common/replacement.h"
#include "models/tlb/tlb_params.h"
#include "models/walker/walk_result.h"

namespace cowsim {

struct TlbEntry {
  uint64_t tag = kInvalid;  // vpn at the entry's size | size << 46 | pcid << 48; kInvalid when empty
  Pfn pfn;                  // first 4 KiB frame of the page
  PageSize size = PageSize::k4K;
  bool writable = false, user = false, no_execute = false, dirty = false, global = false;
  static constexpr uint64_t kInvalid = UINT64_MAX;

  // The 4 KiB frame holding `va` inside this entry's page.
  Pfn frame_of(VirtAddr va) const {
    return Pfn{pfn.value + ((va.value & ((uint64_t{1} << page_shift(size)) - 1)) >> kPageShift)};
  }
};

class Tlb {
 public:
  Tlb(std::string name, const TlbBankParams& p, uint64_t seed);

  bool holds(PageSize s) const { return sizes_ & size_bit(s); }
  // Looks up the page holding `va` for `pcid`, in every size this bank holds; counts a hit
  // or a miss. Null on a miss.
  const TlbEntry* lookup(VirtAddr va, uint16_t pcid) {
    if (const TlbEntry* e = find(va, pcid)) return e;
    ++misses_;
    return nullptr;
  }
  const TlbEntry* lookup(Vpn vpn, uint16_t pcid) { return lookup(page_address(vpn), pcid); }
  // The same without counting a miss (a level counts misses once for all its banks).
  const TlbEntry* find(VirtAddr va, uint16_t pcid) {
    // Sizes with no valid entry cannot hit: skipping them changes nothing but the time.
    for (unsigned s = 0; s < 3; ++s) {
      if (!(sizes_ & (1u << s)) || !valid_[s]) continue;
      if (const TlbEntry* e = probe(va, static_cast<PageSize>(s), pcid)) {
        ++hits_;
        return e;
      }
    }
    return nullptr;
  }
  // The same for one page size this bank holds.
  const TlbEntry* find(VirtAddr va, PageSize s, uint16_t pcid) {
    if (!valid_[static_cast<unsigned>(s)]) return nullptr;
    const TlbEntry* e = probe(va, s, pcid);
    if (e) ++hits_;
    return e;
  }
  // A host hint: the host lines of the set a probe of `va` at size `s` reads (and a fill writes).
  void prefetch(VirtAddr va, PageSize s) const {
    if (!valid_[static_cast<unsigned>(s)]) return;
    const uint32_t set = static_cast<uint32_t>((va.value >> page_shift(s)) & set_mask_);
    const char* first = reinterpret_cast<const char*>(&entries_[size_t{set} * ways_]);
    const char* last = reinterpret_cast<const char*>(&entries_[size_t{set} * ways_ + ways_]) - 1;
    for (const char* a = first; a <= last; a += 64) host_prefetch(a);
    host_prefetch(last);
  }
  // TlbLevel::count_repeated_hit.
  void count_repeated_hit() { ++hits_; }
  // Installs a translation of the given size (which this bank must hold).
  void fill(VirtAddr va, PageSize size, uint16_t pcid, const Translation& t);
  void fill(Vpn vpn, uint16_t pcid, const Translation& t) { fill(page_address(vpn), PageSize::k4K, pcid, t); }
  // INVLPG: drops every entry of `pcid` whose page holds `va`, whatever its size.
  void invalidate_page(VirtAddr va, uint16_t pcid);
  void invalidate_page(Vpn vpn, uint16_t pcid) { invalidate_page(page_address(vpn), pcid); }
  void flush_pcid(uint16_t pcid);  // INVPCID single-context: every entry of one PCID
  void flush_all();                // CR3 write without PCID: every entry

  uint32_t latency() const { return latency_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  const std::string& name() const { return name_; }
  uint32_t valid_entries(PageSize s) const { return valid_[static_cast<unsigned>(s)]; }
  // Every valid entry, for the invariant checks (platform/invariants.h); not on any hot path.
  template <class F>
  void for_each_entry(F&& fn) const {
    for (const TlbEntry& e : entries_)
      if (e.tag != TlbEntry::kInvalid) fn(e);
  }
  // The first address of an entry's page, and its PCID, decoded from its tag.
  static VirtAddr address_of(const TlbEntry& e) {
    return VirtAddr{(e.tag & ((uint64_t{1} << 46) - 1)) << page_shift(e.size)};
  }
  static uint16_t pcid_of(const TlbEntry& e) { return static_cast<uint16_t>(e.tag >> 48); }
  void report(StatSink& s) const;

 private:
  static uint64_t tag_of(uint64_t vpn, PageSize s, uint16_t pcid) {
    return vpn | (uint64_t{static_cast<uint8_t>(s)} << 46) | (uint64_t{pcid} << 48);
  }
  const TlbEntry* probe(VirtAddr va, PageSize s, uint16_t pcid) {
    uint64_t vpn = va.value >> page_shift(s);
    uint32_t set = static_cast<uint32_t>(vpn & set_mask_);
    uint64_t tag = tag_of(vpn, s, pcid);
    TlbEntry* e = &entries_[size_t{set} * ways_];
    for (uint32_t w = 0; w < ways_; ++w)
      if (e[w].tag == tag) {
        policy_->touch(set, w);
        return &e[w];
      }
    return nullptr;
  }

  std::string name_;
  uint8_t sizes_;
  uint32_t sets_, ways_, latency_;
  uint64_t set_mask_;
  std::vector<TlbEntry> entries_;
  std::unique_ptr<ReplacementPolicy> policy_;
  // Valid entries per page size (0 for sizes the bank does not hold). Lookups and INVLPG skip
  // sizes with none: a 4 KiB-only workload never probes the 2M and 1G sets.
  uint32_t valid_[3] = {0, 0, 0};
  uint64_t hits_ = 0, misses_ = 0, fills_ = 0, evictions_ = 0, invalidations_ = 0, flushes_ = 0;
};

}  // namespace cowsim
