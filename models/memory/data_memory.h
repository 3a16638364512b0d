// What a core's data accesses go through after translation (SystemC-free, so the executor
// can be tested without a simulation). Returns the access's latency.
#pragma once

#include "models/common/types.h"

namespace cowsim {

class DataMemory {
 public:
  virtual ~DataMemory() = default;
  virtual Cycles data_access(PhysAddr pa, bool write) = 0;
};

}  // namespace cowsim
