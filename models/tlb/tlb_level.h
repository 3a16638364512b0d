// One TLB level (L1 ITLB, L1 DTLB or STLB): up to three banks, each holding some page sizes,
// looked up in parallel at the level's latency.
#pragma once

#include <string>
#include <vector>

#include "models/common/stats.h"
#include "models/tlb/tlb.h"

namespace cowsim {

class TlbLevel {
 public:
  TlbLevel(std::string name, const TlbLevelParams& p, uint64_t seed);

  const TlbEntry* lookup(VirtAddr va, uint16_t pcid) {
    unsigned bank;
    return lookup(va, pcid, bank);
  }
  // The same, and which bank hit.
  const TlbEntry* lookup(VirtAddr va, uint16_t pcid, unsigned& bank) {
    // Every (bank, page size) pair in bank order, then size order; pairs with no valid entry
    // cannot hit and are skipped (a 4 KiB workload probes one set).
    for (unsigned i = 0; i < probe_count_; ++i)
      if (const TlbEntry* e = banks_[probes_[i].bank].find(va, probes_[i].size, pcid)) {
        bank = probes_[i].bank;
        return e;
      }
    ++misses_;
    return nullptr;
  }
  // A host hint, no simulated effect: the sets a lookup of `va` would probe into the host's caches.
  void prefetch(VirtAddr va) const {
    for (unsigned i = 0; i < probe_count_; ++i) banks_[probes_[i].bank].prefetch(va, probes_[i].size);
  }
  // Counts a hit in `bank` without looking up: the caller knows the lookup would return the
  // entry the previous lookup of this level returned (same page and context, no fill,
  // invalidation or other lookup since), whose replacement touch would change no victim.
  void count_repeated_hit(unsigned bank) { banks_[bank].count_repeated_hit(); }
  // Installs a translation in the bank that holds its size; a level without such a bank
  // stores it as the largest smaller page it holds (splintering, as hardware does).
  void fill(VirtAddr va, uint16_t pcid, const Translation& t);
  void invalidate_page(VirtAddr va, uint16_t pcid) {
    for (auto& b : banks_) b.invalidate_page(va, pcid);
  }
  void flush_pcid(uint16_t pcid) {
    for (auto& b : banks_) b.flush_pcid(pcid);
  }
  void flush_all() {
    for (auto& b : banks_) b.flush_all();
  }
  uint32_t latency() const { return latency_; }
  const std::vector<Tlb>& banks() const { return banks_; }
  // A level hits when one of its banks does: the sum, not a second counter per hit.
  uint64_t hits() const {
    uint64_t n = 0;
    for (const Tlb& b : banks_) n += b.hits();
    return n;
  }
  uint64_t misses() const { return misses_; }
  void report(StatSink& s) const;

 private:
  std::string name_;
  uint32_t latency_;
  std::vector<Tlb> banks_;
  std::vector<std::string> bank_names_;
  struct Probe {
    uint8_t bank;
    PageSize size;
  };
  Probe probes_[3] = {};  // banks hold disjoint sizes: at most one pair per size
  unsigned probe_count_ = 0;
  uint64_t misses_ = 0, splintered_ = 0;
};

// The translation an entry gives for `va`.
inline Translation translation_of(const TlbEntry& e, VirtAddr va) {
  return Translation{e.frame_of(va), page_shift(e.size), e.writable, e.user, e.no_execute, e.dirty, e.global};
}

}  // namespace cowsim
