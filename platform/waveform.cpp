#include "platform/waveform.h"

#include <cstdio>

#include "models/common/error.h"
#include "platform/system.h"

namespace cowsim {

Waveform::Waveform(const std::string& path, System& system) : path_(path), partial_(path + ".partial") {
  // SystemC appends ".vcd" to the name it is given.
  FILE* probe = std::fopen((partial_ + ".vcd").c_str(), "w");
  if (!probe) throw InputError(path + ": cannot write the waveform file");
  std::fclose(probe);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);  // SystemC's notes on timescales
  file_ = sc_core::sc_create_vcd_trace_file(partial_.c_str());
  file_->set_time_unit(1, sc_core::SC_FS);  // the simulation's resolution
  for (const auto& core : system.cores()) core->trace(file_);
}

Waveform::~Waveform() {
  if (!file_) return;
  sc_core::sc_close_vcd_trace_file(file_);
  std::remove((partial_ + ".vcd").c_str());
}

void Waveform::commit() {
  sc_core::sc_close_vcd_trace_file(file_);
  file_ = nullptr;
  if (std::rename((partial_ + ".vcd").c_str(), path_.c_str()) != 0)
    throw InputError(path_ + ": cannot write the waveform file");
}

}  // namespace cowsim
