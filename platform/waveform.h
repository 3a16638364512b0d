// `cowsim run --vcd FILE`: a VCD waveform of every core's state, pid, fault and shootdown
// signals (SystemC sc_trace, viewable in GTKWave). SystemC writes the file while the
// simulation runs; it is written under a temporary name and renamed only when the run
// succeeds, so a failed run leaves no partial waveform.
#pragma once

#include <string>

#include <systemc>

namespace cowsim {

class System;

class Waveform {
 public:
  Waveform(const std::string& path, System& system);  // before sc_start
  ~Waveform();                                        // a run that did not commit() removes its file
  void commit();                                      // after a successful run: close and rename

 private:
  std::string path_, partial_;
  sc_core::sc_trace_file* file_ = nullptr;
};

}  // namespace cowsim
