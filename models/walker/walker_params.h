#pragma once

#include <cstdint>

#include "models/common/params.h"

namespace cowsim {

struct PscParams {
  uint32_t entries = 0, ways = 1;
  void declare(ParamRegistry& r) {
    r.add("entries", entries, "entries", "Entries (0: no cache at this level)", 0, 1u << 16);
    r.add("ways", ways, "ways", "Associativity", 1, 1u << 16);
  }
};

// Page-walker parameters. Paging-structure-cache sizes are not published per processor; the
// defaults follow the structure Barr, Cox and Rixner describe for Intel cores ("Translation
// caching: skip, don't walk (the page table)", ISCA 2010): a 32-entry PDE cache, a 4-entry
// PDPTE cache and a 2-entry PML4E cache (docs/presets.md).
struct WalkerParams {
  uint32_t levels = 4;
  uint32_t setup_latency = 2;
  uint32_t psc_latency = 1;
  uint32_t count = 2;
  PscParams pml5e{2, 2}, pml4e{2, 2}, pdpte{4, 4}, pde{32, 4};

  void declare(ParamRegistry& r) {
    r.add("levels", levels, "levels", "Paging levels: 4 (48-bit virtual addresses) or 5 (LA57, 57-bit)", 4, 5);
    r.add("setup_latency", setup_latency, "cycles", "Fixed cost of starting a walk, before the first PTE read",
          0, 10000);
    r.add("psc_latency", psc_latency, "cycles", "Paging-structure-cache lookup, paid when it hits", 0, 1000);
    r.add("count", count, "walkers",
          "Page walks a core can run at once; a miss finding every walker busy waits. Two since Broadwell (Intel "
          "optimization manual); matters only when core.window > 1",
          1, 64);
    ParamRegistry::Scope s(r, "psc");
    for (auto [name, psc] : {std::pair{"pml5e", &pml5e}, {"pml4e", &pml4e}, {"pdpte", &pdpte}, {"pde", &pde}}) {
      ParamRegistry::Scope l(r, name);
      psc->declare(r);
    }
  }
};

}  // namespace cowsim
