#include "models/tlb/tlb_module.h"

namespace cowsim {

TlbModule::TlbModule(sc_core::sc_module_name name, const TlbHierarchyParams& p, uint64_t seed)
    : sc_module(name), cpu("cpu"), control("control"), walker("walker"), l1i_("l1i", p.l1i, seed),
      l1d_("l1d", p.l1d, seed + 16), stlb_("stlb", p.stlb, seed + 32) {
  cpu.bind(*this);
  control.bind(*this);
}

TranslateResult TlbModule::translate_slow(Pfn root, VirtAddr va, AccessType type, TlbLevel& l1, const TlbEntry* e,
                                          TranslateResult r) {
  uint64_t before = r.latency.value;
  if (!e) {
    r.latency += Cycles{stlb_.latency()};
    e = stlb_.lookup(va, pcid_);
    if (e && permits(*e, type)) {
      r.pfn = e->frame_of(va);
      l1.fill(va, pcid_, translation_of(*e, va));
      miss_latency_.add(r.latency.value - before);
      return r;
    }
  }
  if (e) ++rewalks_;  // present but unable to serve this access: walk to set D or to fault
  WalkResult w = walker_->walk(root, va, type, pcid_);
  r.latency += w.latency;
  miss_latency_.add(r.latency.value - before);
  if (!w.ok()) {
    // A #PF drops the TLB and paging-structure-cache entries for the faulting address.
    l1i_.invalidate_page(va, pcid_);
    l1d_.invalidate_page(va, pcid_);
    stlb_.invalidate_page(va, pcid_);
    walker_->invalidate_caches(va, pcid_);
    r.fault = w.fault;
    return r;
  }
  r.pfn = w.translation.pfn;
  stlb_.fill(va, pcid_, w.translation);
  l1.fill(va, pcid_, w.translation);
  return r;
}

void TlbModule::report(StatSink& s) const {
  for (auto [name, level] : {std::pair{"l1i", &l1i_}, {"l1d", &l1d_}, {"stlb", &stlb_}}) {
    StatSink::Scope l(s, name);
    level->report(s);
  }
  s.counter("rewalks", rewalks_, "lookups",
            "Hits that walked anyway: store through a clean or read-only entry, or fetch through NX");
  s.histogram("miss_latency", miss_latency_, "cycles", "Latency from an L1 TLB miss to the translation (STLB or walk)");
}

}  // namespace cowsim
