// Per-core caches sc_module: the MemoryHierarchy logic (L1D, L2, LLC, DRAM timing) in front of
// the shared Memory. Page walks reach it as TLM transactions (the contents come from Memory,
// the latency from where the line hits); data accesses reach it through DataMemIf.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "models/memory/data_memory.h"
#include "models/memory/memory_hierarchy.h"

namespace cowsim {

class DataMemIf : public virtual sc_core::sc_interface, public DataMemory {};

class CachesModule : public sc_core::sc_module, public DataMemIf {
 public:
  tlm_utils::simple_target_socket<CachesModule> walk;    // PTE reads and A/D writes, from the walker
  tlm_utils::simple_initiator_socket<CachesModule> mem;  // to memory, for the contents
  sc_core::sc_export<DataMemIf> cpu;                     // data accesses, from the core

  // `shared_llc`: the LLC all cores share (null: a private one, see MemoryHierarchy).
  CachesModule(sc_core::sc_module_name name, const MemoryHierarchyParams& p, sc_core::sc_time cycle, uint64_t seed,
               Cache* shared_llc = nullptr);
  const char* kind() const override { return "cowsim::CachesModule"; }

  Cycles data_access(PhysAddr pa, bool write) override { return hierarchy_.access(pa, write, Source::kData).latency; }
  const MemoryHierarchy& hierarchy() const { return hierarchy_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

  MemoryHierarchy hierarchy_;
  sc_core::sc_time cycle_;
};

}  // namespace cowsim
