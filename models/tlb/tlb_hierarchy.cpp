#include "models/tlb/tlb_hierarchy.h"

namespace cowsim {

TlbHierarchy::TlbHierarchy(const TlbHierarchyParams& p, uint32_t walkers, uint64_t seed)
    : l1i_("l1i", p.l1i, seed), l1d_("l1d", p.l1d, seed + 16), stlb_("stlb", p.stlb, seed + 32),
      misses_(p.mshrs, walkers) {}

TranslateResult TlbHierarchy::finish(TranslateResult r, Cycles now, uint64_t done) {
  r.latency = Cycles{done - now.value};
  slow_latency_.add(r.latency.value);
  return r;
}

TranslateResult TlbHierarchy::translate_slow(Pfn root, VirtAddr va, AccessType type, Cycles now, TlbLevel& l1,
                                             const TlbEntry* e) {
  TranslateResult r;
  uint64_t t = now.value + l1.latency();
  if (e) ++slow_l1_hits_[&l1 == &l1i_];
  if (e && permits(*e, type)) {  // an L1 hit while misses are in flight: is its fill one of them?
    r.pfn = e->frame_of(va);
    if (uint64_t ready = misses_.merge(va, pcid_, t)) t = ready;
    return finish(r, now, t);
  }
  r.miss_at = Cycles{l1.latency()};
  const uint64_t missed = t;
  uint32_t mshr = 0;
  t = misses_.take_mshr(t, mshr);
  if (!e) {
    t += stlb_.latency();
    e = stlb_.lookup(va, pcid_);
    if (e && permits(*e, type)) {
      walked_ = false;
      r.pfn = e->frame_of(va);
      Translation tr = translation_of(*e, va);
      l1.fill(va, pcid_, tr);
      misses_.resolve(mshr, va, tr.page_shift, pcid_, t);
      miss_latency_.add(t - missed);
      return finish(r, now, t);
    }
  }
  if (e) ++rewalks_;  // present but unable to serve this access: walk to set D or to fault
  uint32_t walker = 0;
  t = misses_.take_walker(t, walker);
  r.walk_at = Cycles{t - now.value};
  walked_ = true;
  WalkResult w = walker_->walk(root, va, type, pcid_);
  t += w.latency.value;
  misses_.walker_done(walker, t);
  miss_latency_.add(t - missed);
  if (!w.ok()) {
    // A #PF drops the TLB and paging-structure-cache entries for the faulting address. This L1
    // and the STLB hold one only if a lookup above found it (`e`): without, nothing to search.
    (&l1 == &l1i_ ? l1d_ : l1i_).invalidate_page(va, pcid_);
    if (e) {
      l1.invalidate_page(va, pcid_);
      stlb_.invalidate_page(va, pcid_);
    }
    walker_->invalidate_caches(va, pcid_);
    misses_.resolve(mshr, va, 0, pcid_, t);
    r.fault = w.fault;
    return finish(r, now, t);
  }
  r.pfn = w.translation.pfn;
  stlb_.fill(va, pcid_, w.translation);
  l1.fill(va, pcid_, w.translation);
  misses_.resolve(mshr, va, w.translation.page_shift, pcid_, t);
  return finish(r, now, t);
}

void TlbHierarchy::invalidate_page(uint16_t pcid, VirtAddr va) {
  forget_recent();
  l1i_.invalidate_page(va, pcid);
  l1d_.invalidate_page(va, pcid);
  stlb_.invalidate_page(va, pcid);
  walker_->flush_caches(pcid);
  misses_.forget_fills();
}

void TlbHierarchy::flush_pcid(uint16_t pcid) {
  forget_recent();
  l1i_.flush_pcid(pcid);
  l1d_.flush_pcid(pcid);
  stlb_.flush_pcid(pcid);
  walker_->flush_caches(pcid);
  misses_.forget_fills();
}

void TlbHierarchy::flush_all() {
  forget_recent();
  l1i_.flush_all();
  l1d_.flush_all();
  stlb_.flush_all();
  walker_->flush_caches();
  misses_.forget_fills();
}

void TlbHierarchy::report(StatSink& s) const {
  for (auto [name, level] : {std::pair{"l1i", &l1i_}, {"l1d", &l1d_}, {"stlb", &stlb_}}) {
    StatSink::Scope l(s, name);
    level->report(s);
  }
  s.counter("rewalks", rewalks_, "lookups",
            "Hits that walked anyway: store through a clean or read-only entry, or fetch through NX");
  s.histogram("miss_latency", miss_latency_, "cycles",
              "Latency from an L1 TLB miss to the translation (STLB hit or walk, waits for miss registers and walkers "
              "included)");
  LatencyHistogram all = slow_latency_;
  all.add(l1d_.latency(), l1d_.hits() - slow_l1_hits_[0]);
  all.add(l1i_.latency(), l1i_.hits() - slow_l1_hits_[1]);
  s.histogram("latency", all, "cycles",
              "End-to-end translation latency of every access: from the L1 TLB lookup to the physical address");
  StatSink::Scope m(s, "miss_handling");
  misses_.report(s);
}

}  // namespace cowsim
