#pragma once

#include <cstdint>

#include "models/common/params.h"
#include "models/memory/hierarchy_params.h"

namespace cowsim {

struct MemoryParams {
  uint64_t size = uint64_t{64} << 30;
  MemoryHierarchyParams caches;  // one private hierarchy per core (memory.l1d, .l2, .llc, .dram)

  void declare(ParamRegistry& r) {
    r.add("size", size, "bytes", "Simulated physical memory (frames the kernel model can allocate)",
          uint64_t{16} << 20, uint64_t{1} << 46);
    caches.declare(r);
  }
};

}  // namespace cowsim
