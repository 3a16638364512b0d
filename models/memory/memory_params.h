#pragma once

#include <cstdint>

#include "models/common/params.h"

namespace cowsim {

struct MemoryParams {
  uint64_t size = uint64_t{64} << 30;
  uint32_t latency = 20;

  void declare(ParamRegistry& r) {
    r.add("size", size, "bytes", "Simulated physical memory (frames the kernel model can allocate)",
          uint64_t{16} << 20, uint64_t{1} << 46);
    r.add("latency", latency, "cycles",
          "Latency of one memory access seen by a page-table walk (flat until the cache hierarchy lands)", 0,
          100000);
  }
};

}  // namespace cowsim
