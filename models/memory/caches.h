// Per-core caches sc_module: the MemoryHierarchy logic (L1D, L2, LLC, DRAM timing) in front of
// the shared Memory. Page walks reach it either as TLM transactions on `walk` (the contents
// come from Memory over `mem`, the latency from where the line hits) or, the path the System
// uses, through the direct interface `pte`, which does the same in plain calls (contents
// straight from PhysicalMemory, DMI-style). Data accesses reach it through DataMemIf.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "models/memory/data_memory.h"
#include "models/memory/memory_hierarchy.h"
#include "models/memory/physical_memory.h"
#include "models/memory/pte_memory.h"

namespace cowsim {

class DataMemIf : public virtual sc_core::sc_interface, public DataMemory {};
class PteMemIf : public virtual sc_core::sc_interface, public PteMemory {};

class CachesModule : public sc_core::sc_module, public DataMemIf, public PteMemIf {
 public:
  tlm_utils::simple_target_socket<CachesModule> walk;    // PTE reads and A/D writes, from the walker (TLM)
  tlm_utils::simple_initiator_socket<CachesModule> mem;  // to memory, for the contents
  sc_core::sc_export<DataMemIf> cpu;                     // data accesses, from the core
  sc_core::sc_export<PteMemIf> pte;                      // PTE reads and A/D writes, from the walker (direct)

  // `contents`: the physical memory `mem` leads to (the direct path reads it). `shared_llc`:
  // the LLC all cores share (null: a private one, see MemoryHierarchy).
  CachesModule(sc_core::sc_module_name name, const MemoryHierarchyParams& p, sc_core::sc_time cycle, uint64_t seed,
               PhysicalMemory& contents, Cache* shared_llc = nullptr);
  const char* kind() const override { return "cowsim::CachesModule"; }

  Cycles data_access(PhysAddr pa, bool write) override { return hierarchy_.access(pa, write, Source::kData).latency; }
  MemoryHierarchy* direct() override { return &hierarchy_; }
  uint64_t read_pte(PhysAddr pa, Cycles& latency, Level& served_by) override {
    return direct_.read_pte(pa, latency, served_by);
  }
  void write_pte(PhysAddr pa, uint64_t value, Cycles& latency) override { direct_.write_pte(pa, value, latency); }
  const PhysicalMemory* contents() const override { return direct_.contents(); }
  const MemoryHierarchy* caches() const override { return direct_.caches(); }
  const MemoryHierarchy& hierarchy() const { return hierarchy_; }
  MemoryHierarchy& hierarchy() { return hierarchy_; }  // the kernel's copy engine cleans and fills lines

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

  MemoryHierarchy hierarchy_;
  CachedPteMemory direct_;
  sc_core::sc_time cycle_;
};

}  // namespace cowsim
