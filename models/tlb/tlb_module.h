// TLB sc_module: one core's TLB hierarchy. An access looks up its L1 (ITLB for fetches,
// DTLB otherwise), then the STLB, then asks the walker. Hits that cannot serve the access (a
// store through a clean or read-only entry, a fetch through NX) walk anyway, as x86 does; a
// faulting walk drops the entries for the address.
#pragma once

#include <systemc>

#include "models/common/histogram.h"
#include "models/tlb/tlb_level.h"
#include "models/tlb/translate_if.h"

namespace cowsim {

class TlbModule : public sc_core::sc_module, public TranslateIf, public TlbControlIf {
 public:
  sc_core::sc_export<TranslateIf> cpu;       // from the core
  sc_core::sc_export<TlbControlIf> control;  // from the kernel (INVLPG, flushes, CR3)
  sc_core::sc_port<WalkIf> walker;           // to the page walker

  TlbModule(sc_core::sc_module_name name, const TlbHierarchyParams& p, uint64_t seed);
  const char* kind() const override { return "cowsim::TlbModule"; }

  TranslateResult translate(Pfn root, VirtAddr va, AccessType type) override {
    TlbLevel& l1 = type == AccessType::kFetch ? l1i_ : l1d_;
    TranslateResult r;
    r.latency = Cycles{l1.latency()};
    const TlbEntry* e = l1.lookup(va, pcid_);
    if (e && permits(*e, type)) {  // the common case: an L1 hit
      r.pfn = e->frame_of(va);
      return r;
    }
    return translate_slow(root, va, type, l1, e, r);
  }
  void invalidate_page(uint16_t pcid, VirtAddr va) override {
    l1i_.invalidate_page(va, pcid);
    l1d_.invalidate_page(va, pcid);
    stlb_.invalidate_page(va, pcid);
    walker_->flush_caches(pcid);
  }
  void flush_pcid(uint16_t pcid) override {
    l1i_.flush_pcid(pcid);
    l1d_.flush_pcid(pcid);
    stlb_.flush_pcid(pcid);
    walker_->flush_caches(pcid);
  }
  void flush_all() override {
    l1i_.flush_all();
    l1d_.flush_all();
    stlb_.flush_all();
    walker_->flush_caches();
  }
  void set_pcid(uint16_t pcid) override { pcid_ = pcid; }

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
  TranslateResult translate_slow(Pfn root, VirtAddr va, AccessType type, TlbLevel& l1, const TlbEntry* e,
                                 TranslateResult r);
  void end_of_elaboration() override { walker_ = walker.operator->(); }

  TlbLevel l1i_, l1d_, stlb_;
  uint16_t pcid_ = 0;
  WalkIf* walker_ = nullptr;  // cached: the port's operator-> costs a check per call
  uint64_t rewalks_ = 0;
  LatencyHistogram miss_latency_;  // L1 miss to translation (STLB hit or walk)
};

}  // namespace cowsim
