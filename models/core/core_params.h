#pragma once

#include <cstdint>

#include "models/common/params.h"

namespace cowsim {

struct CoreParams {
  uint32_t frequency_mhz = 3000;
  double ipc = 1.0;
  uint32_t window = 1;

  void declare(ParamRegistry& r) {
    r.add("frequency_mhz", frequency_mhz, "MHz", "Core clock; every cycle count in the model is in this clock", 100,
          10000);
    r.add("ipc", ipc, "instructions/cycle", "Instructions per cycle of `compute` records", 0.01, 16.0);
    r.add("window", window, "accesses",
          "Independent memory accesses in flight at once: an access issues when one of `window` slots is free and "
          "the core waits for all of them before a fault, a system call or a context switch. 1 = a blocking core "
          "(each access waits for the previous one)",
          1, 256);
  }
};

}  // namespace cowsim
