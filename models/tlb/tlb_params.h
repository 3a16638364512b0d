// TLB configuration: levels (L1 ITLB, L1 DTLB, STLB), each made of up to three banks, each
// bank holding one or more page sizes (Skylake's L1 DTLB: 4K, 2M and 1G banks; Zen's: one
// bank for all sizes).
#pragma once

#include <cstdint>

#include "models/common/params.h"
#include "models/tlb/page_sizes.h"
#include "models/common/replacement.h"

namespace cowsim {

struct TlbBankParams {
  uint32_t entries = 64;
  uint32_t ways = 4;
  uint32_t latency = 1;  // used when the bank is used on its own (tests); levels use the level's
  ReplacementKind policy = ReplacementKind::kLru;
  SizeSet sizes = SizeSet::k4K;

  void declare(ParamRegistry& r) {
    r.add_enum("sizes", sizes, "Page sizes this bank holds (none: the bank does not exist)", size_set_names());
    r.add("entries", entries, "entries", "Number of entries", 1, 1u << 20);
    r.add("ways", ways, "ways", "Associativity; ways == entries is fully associative", 1, 1u << 20);
    r.add_enum("policy", policy, "Replacement policy", replacement_names());
  }
};
using TlbParams = TlbBankParams;

struct TlbLevelParams {
  uint32_t latency = 1;
  TlbBankParams a, b, c;

  TlbLevelParams() { b.sizes = c.sizes = SizeSet::kNone; }
  void declare(ParamRegistry& r) {
    r.add("latency", latency, "cycles", "Lookup latency, paid by every access that reaches this level", 0, 1000);
    for (auto [name, bank] : {std::pair{"a", &a}, {"b", &b}, {"c", &c}}) {
      ParamRegistry::Scope s(r, name);
      bank->declare(r);
    }
  }
};

// Defaults in the style of Intel Skylake (Intel 64 and IA-32 Architectures Optimization
// Reference Manual, table 2-8; docs/presets.md).
struct TlbHierarchyParams {
  TlbLevelParams l1i, l1d, stlb;
  bool pcid = false;
  uint32_t mshrs = 4;

  TlbHierarchyParams() {
    l1i.a = bank(SizeSet::k4K, 128, 8);
    l1i.b = bank(SizeSet::k2M, 8, 8);
    l1d.a = bank(SizeSet::k4K, 64, 4);
    l1d.b = bank(SizeSet::k2M, 32, 4);
    l1d.c = bank(SizeSet::k1G, 4, 4);
    stlb.latency = 9;
    stlb.a = bank(SizeSet::k4K2M, 1536, 12);
    stlb.b = bank(SizeSet::k1G, 16, 4);
  }
  static TlbBankParams bank(SizeSet sizes, uint32_t entries, uint32_t ways) {
    TlbBankParams b;
    b.sizes = sizes;
    b.entries = entries;
    b.ways = ways;
    return b;
  }

  void declare(ParamRegistry& r) {
    for (auto [name, level] : {std::pair{"l1i", &l1i}, {"l1d", &l1d}, {"stlb", &stlb}}) {
      ParamRegistry::Scope s(r, name);
      level->declare(r);
    }
    r.add("pcid", pcid,
          "Tag entries with a process-context ID: a context switch keeps other processes' entries instead of flushing");
    r.add("mshrs", mshrs, "misses",
          "L1 TLB misses a core can have outstanding (miss registers); a miss to a page already being fetched merges "
          "with it. Matters only when core.window > 1. Not published by Intel or AMD: an assumption",
          1, 64);
  }
};

}  // namespace cowsim
