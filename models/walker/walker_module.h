// Page-walker sc_module: the Walker logic with two ways to memory. If `direct` is bound (the
// System binds it to the core's CachesModule), PTE reads and A/D writes are plain calls on that
// interface, obtained once at the end of elaboration (DMI-style: no payload, no sc_time per
// PTE). Otherwise each is a TLM-2.0 b_transport on `mem` to its physical address, the returned
// delay being the access's latency. Both give the same results (720_pte_path_equivalence_test).
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/memory/caches.h"
#include "models/memory/served_by_extension.h"
#include "models/tlb/translate_if.h"
#include "models/walker/walker.h"

namespace cowsim {

class WalkerModule : public sc_core::sc_module, public WalkIf, private PteMemory {
 public:
  sc_core::sc_export<WalkIf> tlb;                          // from the TLB
  tlm_utils::simple_initiator_socket<WalkerModule> mem;    // to memory (TLM)
  sc_core::sc_port<PteMemIf, 1, sc_core::SC_ZERO_OR_MORE_BOUND> direct;  // to memory (direct), optional

  WalkerModule(sc_core::sc_module_name name, const WalkerParams& p, sc_core::sc_time cycle, uint64_t seed);
  ~WalkerModule() override { tx_.clear_extension(&served_by_); }  // a member: the payload must not delete it
  const char* kind() const override { return "cowsim::WalkerModule"; }

  WalkResult walk(Pfn root, VirtAddr va, AccessType type, uint16_t pcid) override {
    return walker_.walk(root, va, type, pcid);
  }
  void flush_caches(uint16_t pcid) override { walker_.flush_caches(pcid); }
  void flush_caches() override { walker_.flush_caches(); }
  void invalidate_caches(VirtAddr va, uint16_t pcid) override { walker_.invalidate_caches(va, pcid); }
  PhysAddr prefetch_path(Pfn root, VirtAddr va) override { return walker_.prefetch_path(root, va); }
  void prefetch_leaf(PhysAddr leaf) override { walker_.prefetch_leaf(leaf); }
  const Walker& logic() const { return walker_; }

 private:
  void end_of_elaboration() override {
    if (direct.size()) walker_.attach(*direct[0]);
  }
  uint64_t read_pte(PhysAddr pa, Cycles& latency, Level& served_by) override;
  void write_pte(PhysAddr pa, uint64_t value, Cycles& latency) override;
  void transport(PhysAddr pa, tlm::tlm_command cmd, uint64_t& data, Cycles& latency);

  Walker walker_;
  uint64_t cycle_fs_;
  tlm::tlm_generic_payload tx_;  // reused: no allocation per PTE access
  ServedByExtension served_by_;  // on tx_ for its whole life
};

}  // namespace cowsim
