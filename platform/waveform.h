// `cowsim run --vcd FILE`: a VCD waveform of every core's state, pid, fault and shootdown
// signals, viewable in GTKWave. The cores record their signal changes with the cycle each
// happens at (Core::record_waveform) without waiting in SystemC time, so a run with a waveform
// simulates exactly like one without; the file is written from those records when the run
// has succeeded, under a temporary name renamed at the end, so a failed run leaves none.
#pragma once

#include <string>

namespace cowsim {

class System;

class Waveform {
 public:
  Waveform(const std::string& path, System& system);  // before sc_start
  ~Waveform();                                        // a run that did not commit() leaves no file
  void commit();                                      // after a successful run: write and rename

 private:
  std::string path_, partial_;
  System& system_;
  bool committed_ = false;
};

}  // namespace cowsim
