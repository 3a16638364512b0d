#include "models/walker/walker_module.h"

#include <stdexcept>

namespace cowsim {

WalkerModule::WalkerModule(sc_core::sc_module_name name, const WalkerParams& p, sc_core::sc_time cycle, uint64_t seed)
    : sc_module(name), tlb("tlb"), mem("mem"), direct("direct"), walker_(p, *this, seed), cycle_fs_(cycle.value()) {
  tlb.bind(*this);
  tx_.set_data_length(8);
  tx_.set_streaming_width(8);
  tx_.set_byte_enable_ptr(nullptr);
  tx_.set_dmi_allowed(false);
  tx_.set_extension(&served_by_);
}

void WalkerModule::transport(PhysAddr pa, tlm::tlm_command cmd, uint64_t& data, Cycles& latency) {
  tx_.set_command(cmd);
  tx_.set_address(pa.value);
  tx_.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
  tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  mem->b_transport(tx_, delay);
  if (tx_.is_response_error())
    throw std::logic_error("page walk touched unbacked physical address " + std::to_string(pa.value));
  latency += Cycles{delay.value() / cycle_fs_};
}

uint64_t WalkerModule::read_pte(PhysAddr pa, Cycles& latency, Level& served_by) {
  uint64_t v = 0;
  transport(pa, tlm::TLM_READ_COMMAND, v, latency);
  served_by = served_by_.where;
  return v;
}

void WalkerModule::write_pte(PhysAddr pa, uint64_t value, Cycles& latency) {
  transport(pa, tlm::TLM_WRITE_COMMAND, value, latency);
}

}  // namespace cowsim
