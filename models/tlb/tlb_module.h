// TLB sc_module: the data TLB of one core. Hits are served here; misses, and hits that cannot
// serve the access (a store through a clean or read-only entry, a fetch from NX), go to the
// walker, as x86 re-walks in those cases. A faulting walk drops the entry for the address.
#pragma once

#include <systemc>

#include "models/tlb/tlb.h"
#include "models/tlb/translate_if.h"

namespace cowsim {

class TlbModule : public sc_core::sc_module, public TranslateIf, public TlbControlIf {
 public:
  sc_core::sc_export<TranslateIf> cpu;      // from the core
  sc_core::sc_export<TlbControlIf> control;  // from the kernel (INVLPG, flushes)
  sc_core::sc_port<WalkIf> walker;           // to the page walker

  TlbModule(sc_core::sc_module_name name, const TlbParams& p, uint64_t seed);
  const char* kind() const override { return "cowsim::TlbModule"; }

  TranslateResult translate(Pfn root, VirtAddr va, AccessType type) override {
    Vpn vpn = va.vpn();
    TranslateResult r;
    r.latency = Cycles{tlb_.latency()};
    const TlbEntry* e = tlb_.lookup(vpn, 0);
    if (e && permits(*e, type)) return r;
    if (e) ++rewalks_;
    WalkResult w = walker_->walk(root, va, type);
    r.latency += w.latency;
    if (!w.ok()) {
      if (e) tlb_.invalidate_page(vpn, 0);
      r.fault = w.fault;
      return r;
    }
    tlb_.fill(vpn, 0, w.translation);
    return r;
  }
  void invalidate_page(Vpn vpn) override { tlb_.invalidate_page(vpn, 0); }
  void flush_all() override { tlb_.flush_all(); }

  const Tlb& tlb() const { return tlb_; }
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
  void end_of_elaboration() override { walker_ = walker.operator->(); }

  Tlb tlb_;
  WalkIf* walker_ = nullptr;  // cached: the port's operator-> costs a check per call
  uint64_t rewalks_ = 0;
};

}  // namespace cowsim
