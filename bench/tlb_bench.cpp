// TLB lookups with the default (Skylake-style) geometry: an L1 DTLB hit, and an STLB hit (an
// L1 miss, the STLB hit, the L1 refill), as the translation path does them.
#include <benchmark/benchmark.h>

#include "models/tlb/tlb_level.h"
#include "models/tlb/tlb_params.h"

namespace cowsim {
namespace {

constexpr uint64_t kBase = 0x7f0000000000;

Translation page(uint64_t i) {
  Translation t;
  t.pfn = Pfn{1000 + i};
  t.writable = t.user = t.dirty = true;
  return t;
}

// 32 resident pages, looked up round-robin: every lookup hits the 64-entry L1 DTLB.
void L1TlbHit(benchmark::State& state) {
  TlbHierarchyParams p;
  TlbLevel l1("l1d", p.l1d, 1);
  for (uint64_t i = 0; i < 32; ++i) l1.fill(VirtAddr{kBase + i * kPageSize}, 0, page(i));
  uint64_t i = 0;
  for (auto _ : state) {
    const TlbEntry* e = l1.lookup(VirtAddr{kBase + (i++ & 31) * kPageSize + 8}, 0);
    benchmark::DoNotOptimize(e);
  }
  if (l1.misses()) state.SkipWithError("an L1 lookup missed");
}
BENCHMARK(L1TlbHit);

// 1024 pages round-robin: too many for the L1 DTLB (64), few enough for the STLB (1536).
void StlbHit(benchmark::State& state) {
  TlbHierarchyParams p;
  TlbLevel l1("l1d", p.l1d, 1), stlb("stlb", p.stlb, 2);
  for (uint64_t i = 0; i < 1024; ++i) stlb.fill(VirtAddr{kBase + i * kPageSize}, 0, page(i));
  uint64_t i = 0;
  for (auto _ : state) {
    VirtAddr va{kBase + (i++ & 1023) * kPageSize};
    const TlbEntry* e = l1.lookup(va, 0);
    if (!e) {
      e = stlb.lookup(va, 0);
      l1.fill(va, 0, translation_of(*e, va));
    }
    benchmark::DoNotOptimize(e);
  }
  if (stlb.misses()) state.SkipWithError("an STLB lookup missed");
}
BENCHMARK(StlbHit);

}  // namespace
}  // namespace cowsim
