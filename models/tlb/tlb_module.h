// TLB sc_module: a thin wrapper that puts one core's TlbHierarchy on the simulation's ports.
#pragma once

#include <systemc>

#include "models/tlb/tlb_hierarchy.h"
#include "models/tlb/translate_if.h"

namespace cowsim {

class TlbModule : public sc_core::sc_module, public TranslateIf, public TlbControlIf {
 public:
  sc_core::sc_export<TranslateIf> cpu;       // from the core
  sc_core::sc_export<TlbControlIf> control;  // from the kernel (INVLPG, flushes, CR3)
  sc_core::sc_port<WalkIf> walker;           // to the page walker

  TlbModule(sc_core::sc_module_name name, const TlbHierarchyParams& p, uint32_t walkers, uint64_t seed);
  const char* kind() const override { return "cowsim::TlbModule"; }

  TranslateResult translate(Pfn root, VirtAddr va, AccessType type, Cycles now) override {
    return tlbs_.translate(root, va, type, now);
  }
  TlbHierarchy* direct() override { return &tlbs_; }
  void invalidate_page(uint16_t pcid, VirtAddr va) override { tlbs_.invalidate_page(pcid, va); }
  void flush_pcid(uint16_t pcid) override { tlbs_.flush_pcid(pcid); }
  void flush_all() override { tlbs_.flush_all(); }
  void set_pcid(uint16_t pcid) override { tlbs_.set_pcid(pcid); }

  const TlbHierarchy& logic() const { return tlbs_; }
  void report(StatSink& s) const { tlbs_.report(s); }

 private:
  void end_of_elaboration() override { tlbs_.attach(*walker.operator->()); }

  TlbHierarchy tlbs_;
};

}  // namespace cowsim
