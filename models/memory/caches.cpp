#include "models/memory/caches.h"

namespace cowsim {

CachesModule::CachesModule(sc_core::sc_module_name name, const MemoryHierarchyParams& p, sc_core::sc_time cycle,
                           uint64_t seed)
    : sc_module(name), walk("walk"), mem("mem"), cpu("cpu"), hierarchy_(p, seed), cycle_(cycle) {
  walk.register_b_transport(this, &CachesModule::b_transport);
  cpu.bind(*this);
}

void CachesModule::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  mem->b_transport(tx, delay);  // the contents; memory itself adds no time
  if (tx.is_response_error()) return;
  Cycles latency = hierarchy_.access(PhysAddr{tx.get_address()}, tx.is_write(), Source::kPageWalk).latency;
  delay += sc_core::sc_time::from_value(cycle_.value() * latency.value);
}

}  // namespace cowsim
