// Memory sc_module: a TLM-2.0 target in front of PhysicalMemory, holding the contents. Page
// walks read and update PTEs through it (via their core's caches, which account the time).
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "models/memory/physical_memory.h"

namespace cowsim {

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Memory> bus;  // one binding per walker

  Memory(sc_core::sc_module_name name, PhysicalMemory& mem);
  const char* kind() const override { return "cowsim::Memory"; }

 private:
  void b_transport(int from, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int from, tlm::tlm_generic_payload& tx);
  bool access(tlm::tlm_generic_payload& tx);

  PhysicalMemory& mem_;
};

}  // namespace cowsim
