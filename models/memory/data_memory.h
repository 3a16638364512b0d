// What a core's data accesses go through after translation (SystemC-free, so the executor
// can be tested without a simulation). Returns the access's latency.
#pragma once

#include "models/common/types.h"

namespace cowsim {

class MemoryHierarchy;

class DataMemory {
 public:
  virtual ~DataMemory() = default;
  virtual Cycles data_access(PhysAddr pa, bool write) = 0;
  // The hierarchy behind this port, when a caller may use it directly instead of
  // data_access (the executor does, so an L1D hit is inline); null if there is none.
  virtual MemoryHierarchy* direct() { return nullptr; }
};

}  // namespace cowsim
