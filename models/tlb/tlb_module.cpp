#include "models/tlb/tlb_module.h"

namespace cowsim {

TlbModule::TlbModule(sc_core::sc_module_name name, const TlbHierarchyParams& p, uint32_t walkers, uint64_t seed)
    : sc_module(name), cpu("cpu"), control("control"), walker("walker"), tlbs_(p, walkers, seed) {
  cpu.bind(*this);
  control.bind(*this);
}

}  // namespace cowsim
