#pragma once

#include <cstdint>

#include "models/common/params.h"

namespace cowsim {

struct WalkerParams {
  uint32_t levels = 4;
  uint32_t setup_latency = 2;

  void declare(ParamRegistry& r) {
    r.add("levels", levels, "levels", "Paging levels: 4 (48-bit virtual addresses) or 5 (LA57, 57-bit)", 4, 5);
    r.add("setup_latency", setup_latency, "cycles", "Fixed cost of starting a walk, before the first PTE read",
          0, 10000);
  }
};

}  // namespace cowsim
