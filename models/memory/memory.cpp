#include "models/memory/memory.h"

#include <cstring>

namespace cowsim {

Memory::Memory(sc_core::sc_module_name name, PhysicalMemory& mem) : sc_module(name), bus("bus"), mem_(mem) {
  bus.register_b_transport(this, &Memory::b_transport);
  bus.register_transport_dbg(this, &Memory::transport_dbg);
}

// Only aligned 8-byte accesses exist: the walker reads and updates whole PTEs.
bool Memory::access(tlm::tlm_generic_payload& tx) {
  PhysAddr pa{tx.get_address()};
  if (tx.get_data_length() != 8 || (pa.value & 7) || pa.pfn().value >= mem_.frame_count()) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (tx.is_read()) {
    uint64_t v = mem_.read64(pa);
    std::memcpy(tx.get_data_ptr(), &v, 8);
  } else if (tx.is_write()) {
    uint64_t v;
    std::memcpy(&v, tx.get_data_ptr(), 8);
    if (!mem_.write64(pa, v)) {
      tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return false;
    }
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void Memory::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time&) { access(tx); }

unsigned int Memory::transport_dbg(int, tlm::tlm_generic_payload& tx) { return access(tx) ? 8 : 0; }

}  // namespace cowsim
