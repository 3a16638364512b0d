#pragma once

#include <cstdint>

#include "models/common/params.h"

namespace cowsim {

struct CoreParams {
  uint32_t frequency_mhz = 3000;
  double ipc = 1.0;

  void declare(ParamRegistry& r) {
    r.add("frequency_mhz", frequency_mhz, "MHz", "Core clock; every cycle count in the model is in this clock", 100,
          10000);
    r.add("ipc", ipc, "instructions/cycle", "Instructions per cycle of `compute` records", 0.01, 16.0);
  }
};

}  // namespace cowsim
