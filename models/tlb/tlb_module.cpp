#include "models/tlb/tlb_module.h"

namespace cowsim {

TlbModule::TlbModule(sc_core::sc_module_name name, const TlbParams& p, uint64_t seed)
    : sc_module(name), cpu("cpu"), control("control"), walker("walker"), tlb_("l1d", p, seed) {
  cpu.bind(*this);
  control.bind(*this);
}

void TlbModule::report(StatSink& s) const {
  StatSink::Scope l(s, "l1d");
  tlb_.report(s);
  s.counter("rewalks", rewalks_, "lookups",
            "Hits that walked anyway: store through a clean or read-only entry, or fetch through NX");
}

}  // namespace cowsim
