// One core's TLB hierarchy (SystemC-free logic): an access looks up its L1 (ITLB for fetches,
// DTLB otherwise), then the STLB, then asks the page walker. Hits that cannot serve the
// access (a store through a clean or read-only entry, a fetch through NX) walk anyway, as x86
// does; a faulting walk drops the entries for the address. With several accesses in flight,
// MissTracker times miss registers, merging and walker occupancy. TlbModule wraps it.
#pragma once

#include <cstdint>

#include "models/common/histogram.h"
#include "models/tlb/miss_tracker.h"
#include "models/tlb/tlb_control.h"
#include "models/tlb/tlb_level.h"
#include "models/tlb/translator.h"
#include "models/walker/walk_result.h"

namespace cowsim {

// What the TLB asks of the page walker.
class PageWalker {
 public:
  virtual ~PageWalker() = default;
  virtual WalkResult walk(Pfn root, VirtAddr va, AccessType type, uint16_t pcid) = 0;
  virtual void flush_caches(uint16_t pcid) = 0;                    // paging-structure caches of one context
  virtual void flush_caches() = 0;                                 // all of them
  virtual void invalidate_caches(VirtAddr va, uint16_t pcid) = 0;  // entries for one address
  // Host hints with no simulated effect: a walk of `va` is likely soon (Walker::prefetch_path;
  // 0: nothing to hint, then no prefetch_leaf).
  virtual PhysAddr prefetch_path(Pfn root, VirtAddr va) { return PhysAddr{0}; }
  virtual void prefetch_leaf(PhysAddr leaf) {}
};

class TlbHierarchy final : public Translator, public TlbControl {
 public:
  TlbHierarchy(const TlbHierarchyParams& p, uint32_t walkers, uint64_t seed);
  void attach(PageWalker& w) { walker_ = &w; }
  TlbHierarchy* direct() override { return this; }

  TranslateResult translate(Pfn root, VirtAddr va, AccessType type, Cycles now) override {
    const TlbEntry* e;
    TranslateResult r;
    uint32_t latency;
    if (translate_l1(va, type, now, e, r.pfn, latency)) {
      r.latency = Cycles{latency};
      return r;
    }
    return translate_after_l1(root, va, type, now, e);
  }
  // translate() in two steps, for a caller that inlines the first (the executor). The L1
  // lookup: true for the common case, an L1 hit that serves the access with no miss in
  // flight (`pfn`, and the L1's `latency`); otherwise `e` is what the L1 held and
  // translate_after_l1() must finish the translation.
  bool translate_l1(VirtAddr va, AccessType type, Cycles now, const TlbEntry*& e, Pfn& pfn, uint32_t& latency) {
    const bool fetch = type == AccessType::kFetch;
    TlbLevel& l1 = fetch ? l1i_ : l1d_;
    Recent& m = recent_[fetch];
    const uint64_t page = va.value >> kPageShift;
    if (page == m.page) {  // the entry the last lookup of this L1 found: no probe, no touch
      e = m.entry;
      l1.count_repeated_hit(m.bank);
      if ((m.permits >> static_cast<unsigned>(type) & 1) && !misses_.in_flight(now.value)) {
        pfn = m.frame;
        latency = l1.latency();
        return true;
      }
      return false;
    }
    unsigned bank;
    e = l1.lookup(va, pcid_, bank);
    if (e) {
      const unsigned ok = permits(*e, AccessType::kRead) | permits(*e, AccessType::kWrite) << 1 |
                          permits(*e, AccessType::kFetch) << 2;
      m = {page, e, e->frame_of(va), bank, ok};
    }
    if (e && permits(*e, type) && !misses_.in_flight(now.value)) {  // counted as the L1's hits
      pfn = e->frame_of(va);
      latency = l1.latency();
      return true;
    }
    return false;
  }
  // Whether the last translation off the L1 path walked (rather than hit the STLB): the
  // executor then hints the next access's walk to the host (prefetch).
  bool walking() const { return walked_; }
  // Host hints, no simulated effect, for a translation of `va` likely to miss soon, in two
  // stages (Walker::prefetch_path): the STLB set and the page-table path, then, issued later,
  // the leaf PTE (its address from the first stage; 0: none).
  PhysAddr prefetch_path(Pfn root, VirtAddr va) {
    stlb_.prefetch(va);
    return walker_->prefetch_path(root, va);
  }
  void prefetch_leaf(PhysAddr leaf) { walker_->prefetch_leaf(leaf); }
  TranslateResult translate_after_l1(Pfn root, VirtAddr va, AccessType type, Cycles now, const TlbEntry* e) {
    forget_recent();  // the miss path may fill or invalidate the L1s
    return translate_slow(root, va, type, now, type == AccessType::kFetch ? l1i_ : l1d_, e);
  }

  void invalidate_page(uint16_t pcid, VirtAddr va) override;
  void flush_pcid(uint16_t pcid) override;
  void flush_all() override;
  void set_pcid(uint16_t pcid) override {
    pcid_ = pcid;
    forget_recent();
  }

  const TlbLevel& l1i() const { return l1i_; }
  const TlbLevel& l1d() const { return l1d_; }
  const TlbLevel& stlb() const { return stlb_; }
  // Scopes l1i, l1d, stlb (TlbLevel::report), rewalks, miss_latency, latency (every
  // translation, L1 hits included) and miss handling (MissTracker::report).
  void report(StatSink& s) const;

 private:
  static bool permits(const TlbEntry& e, AccessType t) {
    switch (t) {
      case AccessType::kRead: return e.user;
      case AccessType::kWrite: return e.user && e.writable && e.dirty;
      case AccessType::kFetch: return e.user && !e.no_execute;
    }
    return false;
  }
  // The page and entry of the last L1 lookup that hit, per L1 [DTLB, ITLB]. While no fill,
  // invalidation, flush or context switch touches the L1s, a lookup of the same 4 KiB page
  // finds the same entry, and its replacement touch changes no order (the entry is already
  // the bank's most recent: LRU keeps it newest, tree-PLRU sets the same bits, random does
  // nothing), so it is counted without probing. Exact: the statistics do not change.
  struct Recent {
    uint64_t page = UINT64_MAX;  // no virtual 4 KiB page number reaches it
    const TlbEntry* entry = nullptr;
    Pfn frame;             // entry->frame_of(the page)
    unsigned bank = 0;
    unsigned permits = 0;  // bit AccessType: permits(*entry, type)
  };
  void forget_recent() { recent_[0].page = recent_[1].page = UINT64_MAX; }
  TranslateResult translate_slow(Pfn root, VirtAddr va, AccessType type, Cycles now, TlbLevel& l1, const TlbEntry* e);
  TranslateResult finish(TranslateResult r, Cycles now, uint64_t done);

  TlbLevel l1i_, l1d_, stlb_;
  MissTracker misses_;
  uint16_t pcid_ = 0;
  Recent recent_[2];
  PageWalker* walker_ = nullptr;
  uint64_t rewalks_ = 0;
  bool walked_ = false;  // walking()
  // L1 hits that went on to translate_slow [DTLB, ITLB]; the L1's other hits are the fast
  // path's, whose latency is the L1's (counted here, on the rare path, not per fast hit).
  uint64_t slow_l1_hits_[2] = {};
  LatencyHistogram miss_latency_;  // L1 miss to translation (STLB hit or walk)
  LatencyHistogram slow_latency_;  // whole translations off the fast path
};

}  // namespace cowsim
