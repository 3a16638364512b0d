// Page-walker sc_module: the Walker logic with a TLM-2.0 initiator socket to memory. Every
// PTE read and A/D write is a b_transport to its physical address; the returned delay is the
// access's latency.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/memory/served_by_extension.h"
#include "models/tlb/translate_if.h"
#include "models/walker/walker.h"

namespace cowsim {

class WalkerModule : public sc_core::sc_module, public WalkIf, private PteMemory {
 public:
  sc_core::sc_export<WalkIf> tlb;                          // from the TLB
  tlm_utils::simple_initiator_socket<WalkerModule> mem;    // to memory

  WalkerModule(sc_core::sc_module_name name, const WalkerParams& p, sc_core::sc_time cycle, uint64_t seed);
  ~WalkerModule() override { tx_.clear_extension(&served_by_); }  // a member: the payload must not delete it
  const char* kind() const override { return "cowsim::WalkerModule"; }

  WalkResult walk(Pfn root, VirtAddr va, AccessType type, uint16_t pcid) override {
    return walker_.walk(root, va, type, pcid);
  }
  void flush_caches(uint16_t pcid) override { walker_.flush_caches(pcid); }
  void flush_caches() override { walker_.flush_caches(); }
  void invalidate_caches(VirtAddr va, uint16_t pcid) override { walker_.invalidate_caches(va, pcid); }
  const Walker& logic() const { return walker_; }

 private:
  uint64_t read_pte(PhysAddr pa, Cycles& latency, Level& served_by) override;
  void write_pte(PhysAddr pa, uint64_t value, Cycles& latency) override;
  void transport(PhysAddr pa, tlm::tlm_command cmd, uint64_t& data, Cycles& latency);

  Walker walker_;
  uint64_t cycle_fs_;
  tlm::tlm_generic_payload tx_;  // reused: no allocation per PTE access
  ServedByExtension served_by_;  // on tx_ for its whole life
};

}  // namespace cowsim
