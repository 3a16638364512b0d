// A set-associative TLB (SystemC-free logic): flat arrays of entries, no allocation after
// construction. Entries cache the translation and the permission/status bits the hardware
// caches (writable, user, no-execute, dirty, global), tagged with a PCID.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/stats.h"
#include "models/tlb/replacement.h"
#include "models/tlb/tlb_params.h"
#include "models/walker/walk_result.h"

namespace cowsim {

struct TlbEntry {
  uint64_t tag = kInvalid;  // vpn | pcid << 45; kInvalid when empty
  Pfn pfn;
  bool writable = false, user = false, no_execute = false, dirty = false, global = false;
  static constexpr uint64_t kInvalid = UINT64_MAX;
};

class Tlb {
 public:
  Tlb(std::string name, const TlbParams& p, uint64_t seed);

  // Looks up `vpn` for `pcid`; counts a hit or a miss. Null on a miss.
  const TlbEntry* lookup(Vpn vpn, uint16_t pcid) {
    uint32_t set = set_of(vpn);
    uint64_t tag = tag_of(vpn, pcid);
    TlbEntry* e = &entries_[size_t{set} * ways_];
    for (uint32_t w = 0; w < ways_; ++w) {
      if (e[w].tag == tag) {
        ++hits_;
        policy_->touch(set, w);
        return &e[w];
      }
    }
    ++misses_;
    return nullptr;
  }
  void fill(Vpn vpn, uint16_t pcid, const Translation& t);
  // INVLPG: drops the entry for `vpn` (any PCID, as INVLPG does for the current one and globals).
  void invalidate_page(Vpn vpn, uint16_t pcid);
  // Full flush (CR3 write without PCID): every entry.
  void flush_all();

  uint32_t latency() const { return latency_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  const std::string& name() const { return name_; }
  void report(StatSink& s) const;

 private:
  uint32_t set_of(Vpn vpn) const { return static_cast<uint32_t>(vpn.value & set_mask_); }
  static uint64_t tag_of(Vpn vpn, uint16_t pcid) { return vpn.value | (uint64_t{pcid} << 45); }

  std::string name_;
  uint32_t sets_, ways_, latency_;
  uint64_t set_mask_;
  std::vector<TlbEntry> entries_;
  std::unique_ptr<ReplacementPolicy> policy_;
  uint64_t hits_ = 0, misses_ = 0, fills_ = 0, evictions_ = 0, invalidations_ = 0, flushes_ = 0;
};

}  // namespace cowsim
