#pragma once

#include <cstdint>

#include "models/common/params.h"
#include "models/tlb/replacement.h"

namespace cowsim {

struct TlbParams {
  uint32_t entries = 64;
  uint32_t ways = 4;
  uint32_t latency = 1;
  ReplacementKind policy = ReplacementKind::kLru;

  void declare(ParamRegistry& r) {
    r.add("entries", entries, "entries", "Number of entries (4 KiB pages)", 1, 1u << 20);
    r.add("ways", ways, "ways", "Associativity; ways == entries is fully associative", 1, 1u << 20);
    r.add("latency", latency, "cycles", "Lookup latency, paid by every access that reaches this level", 0, 1000);
    r.add_enum("policy", policy, "Replacement policy", replacement_names());
  }
};

}  // namespace cowsim
