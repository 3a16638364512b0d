#include "models/memory/caches.h"

#include "models/memory/served_by_extension.h"

namespace cowsim {

CachesModule::CachesModule(sc_core::sc_module_name name, const MemoryHierarchyParams& p, sc_core::sc_time cycle,
                           uint64_t seed, PhysicalMemory& contents, Cache* shared_llc)
    : sc_module(name), walk("walk"), mem("mem"), cpu("cpu"), pte("pte"),
      hierarchy_(p, seed, shared_llc, contents.frame_count() << kPageShift), direct_(contents, hierarchy_),
      cycle_(cycle) {
  walk.register_b_transport(this, &CachesModule::b_transport);
  cpu.bind(*this);
  pte.bind(*this);
}

void CachesModule::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  mem->b_transport(tx, delay);  // the contents; memory itself adds no time
  if (tx.is_response_error()) return;
  AccessResult a = hierarchy_.access(PhysAddr{tx.get_address()}, tx.is_write(), Source::kPageWalk);
  if (auto* served = tx.get_extension<ServedByExtension>()) served->where = a.where;
  delay += sc_core::sc_time::from_value(cycle_.value() * a.latency.value);
}

}  // namespace cowsim
