// The walker's two ways to memory give the same walks (models/walker/walker_module.h): the TLM
// chain walker ==mem==> CachesModule ==mem==> Memory (b_transport, an sc_time per PTE) and the
// direct interface walker --direct--> CachesModule (plain calls, contents straight from
// PhysicalMemory), which the System uses. Two identical machines are elaborated side by side,
// one wired each way, over identical random page tables; the same random walks (reads, writes,
// fetches, over mapped and unmapped addresses, with paging-structure-cache invalidations)
// must give the same results, the same A/D bits in memory and the same statistics. A third
// machine, direct too, gets host prefetch hints (Walker::prefetch_path and prefetch_leaf) for other
// random addresses, the coming one and non-canonical ones before every walk: hints have no
// simulated effect, so it must match the other two exactly (no PSC, cache, counter or A/D
// change, and no crash on tables beyond memory).
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <systemc>

#include "models/common/stats.h"
#include "models/memory/caches.h"
#include "models/memory/memory.h"
#include "models/memory/physical_memory.h"
#include "models/walker/walker_module.h"

namespace cowsim {
namespace {

using namespace pte_bits;

constexpr uint64_t kMemory = uint64_t{256} << 20;  // 65536 frames
constexpr uint64_t kBase = 0x7f0000000000;
constexpr uint64_t kSpan = uint64_t{4} << 30;  // walks stay in 4 GiB: paging-structure caches hit and miss

MemoryParams memory_params() {
  MemoryParams p;
  p.size = kMemory;
  // Small caches, so PTE lines are evicted and served from every level.
  p.caches.l1d = {4 * 1024, 4, 64, 4, ReplacementKind::kTreePlru};
  p.caches.l2 = {16 * 1024, 8, 64, 14, ReplacementKind::kLru};
  p.caches.llc = {11 * 64 * 64, 11, 64, 77, ReplacementKind::kRandom};
  return p;
}

// Random 4-level tables over kSpan: 4 KiB leaves, some 2 MiB and 1 GiB leaves, holes, and
// random permission and A/D bits at every level. One table in 64 points a PDE at a frame
// beyond memory (walks through it must fail the same way on both paths).
class RandomTables {
 public:
  RandomTables(PhysicalMemory& mem, uint64_t seed) : mem_(mem), rng_(seed) {}
  Pfn build() {
    Pfn root = table();
    for (uint64_t gib = 0; gib < kSpan >> 30; ++gib) {
      const uint64_t va = kBase + (gib << 30);
      PhysAddr pml4e = entry(root, va, 4);
      // One PML4E covers the whole span: it allows everything, or nothing would translate.
      if (!(mem_.read64(pml4e) & kPresent)) mem_.write64(pml4e, frame_address(table()).value | kPresent | kWritable | kUser);
      Pfn pdpt = Pte::from_raw(mem_.read64(pml4e)).pfn();
      if (rng_() % 4 == 0) {  // a 1 GiB leaf (its frame number is what matters, not its contents)
        mem_.write64(entry(pdpt, va, 3), (uint64_t{1} << 30) | kHuge | bits(false));
        continue;
      }
      Pfn pd = table();
      mem_.write64(entry(pdpt, va, 3), frame_address(pd).value | bits(true));
      for (unsigned i = 0; i < 512; i += 1 + rng_() % 8) {
        const uint64_t pde_va = va + (uint64_t{i} << 21);
        const unsigned kind = rng_() % 64;
        if (kind == 0) {
          mem_.write64(entry(pd, pde_va, 2), (kMemory + (uint64_t{5} << 12)) | kPresent | kWritable | kUser);
        } else if (kind < 6) {
          mem_.write64(entry(pd, pde_va, 2), (uint64_t{1} << 21) * (1 + rng_() % 64) | kHuge | bits(false));
        } else {
          Pfn pt = table();
          mem_.write64(entry(pd, pde_va, 2), frame_address(pt).value | bits(true));
          for (unsigned j = 0; j < 512; j += 1 + rng_() % 3)
            mem_.write64(entry(pt, pde_va + (uint64_t{j} << 12), 1), ((rng_() % 60000) << 12) | bits(false));
        }
      }
    }
    return root;
  }

 private:
  Pfn table() {
    Pfn pfn{next_++};
    mem_.attach_table(pfn);
    return pfn;
  }
  static PhysAddr entry(Pfn table, uint64_t va, unsigned level) {
    return frame_address(table) + 8 * table_index(VirtAddr{va}, level);
  }
  // Mostly present, user and writable; sometimes not, and random A, D, NX.
  uint64_t bits(bool upper) {
    const uint64_t r = rng_();
    uint64_t b = 0;
    if (r % 16) b |= kPresent;
    if ((r >> 4) % 8) b |= kWritable;
    if ((r >> 7) % 16) b |= kUser;
    if ((r >> 11) & 1) b |= kAccessed;
    if (!upper && ((r >> 12) & 1)) b |= kDirty;
    if ((r >> 13) % 8 == 0) b |= kNoExecute;
    return b;
  }

  PhysicalMemory& mem_;
  std::mt19937_64 rng_;
  uint64_t next_ = 60000;  // table frames above the leaves' data frames
};

// One machine: physical memory with the random tables, Memory, a core's caches, a walker.
struct Machine {
  Machine(const std::string& name, bool direct_path)
      : params(memory_params()), phys(params),
        memory((name + "_memory").c_str(), phys),
        caches((name + "_caches").c_str(), params.caches, sc_core::sc_time(1, sc_core::SC_NS), 7, phys),
        walker((name + "_walker").c_str(), WalkerParams{}, sc_core::sc_time(1, sc_core::SC_NS), 11) {
    root = RandomTables(phys, 2024).build();
    walker.mem.bind(caches.walk);
    caches.mem.bind(memory.bus);
    if (direct_path) walker.direct.bind(caches.pte);
  }
  nlohmann::json stats() const {
    StatSink s;
    walker.logic().report(s);
    caches.hierarchy().report(s);
    return s.json();
  }

  MemoryParams params;
  PhysicalMemory phys;
  Memory memory;
  CachesModule caches;
  WalkerModule walker;
  Pfn root;
};

// What a walk did, or the error it stopped with.
std::string outcome(Machine& m, VirtAddr va, AccessType type, uint16_t pcid) {
  try {
    WalkResult r = m.walker.walk(m.root, va, type, pcid);
    const Translation& t = r.translation;
    return std::to_string(static_cast<int>(r.fault.kind)) + " " + std::to_string(r.fault.error_code) + " " +
           std::to_string(r.latency.value) + " " + std::to_string(r.pte_reads) + " " + std::to_string(r.ad_writes) +
           " " + std::to_string(t.pfn.value) + " " + std::to_string(t.page_shift) + " " + std::to_string(t.writable) +
           std::to_string(t.user) + std::to_string(t.no_execute) + std::to_string(t.dirty) + std::to_string(t.global);
  } catch (const std::logic_error& e) {
    return std::string("error: ") + e.what();
  }
}

TEST(PtePathEquivalence, DirectPathWalksLikeTheTlmChain) {
  Machine tlm("tlm", false), direct("direct", true), hinted("hinted", true);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // ends elaboration: the direct walker attaches its port
  std::mt19937_64 rng(99);
  uint64_t errors = 0, faults = 0, hinted_leaves = 0;
  for (int i = 0; i < 200000; ++i) {
    // Clustered addresses: neighbours share tables, so PTE lines hit in the caches too.
    const uint64_t cluster = (rng() % 64) << 25;
    const VirtAddr va{kBase + (cluster + (rng() % (uint64_t{1} << 25))) % kSpan};
    const AccessType type = static_cast<AccessType>(rng() % 3);
    const uint16_t pcid = static_cast<uint16_t>(rng() % 2);
    const VirtAddr other{rng() % 8 == 0 ? rng() : kBase + rng() % kSpan};
    const PhysAddr other_leaf = hinted.walker.prefetch_path(hinted.root, other);
    const PhysAddr leaf = hinted.walker.prefetch_path(hinted.root, va);
    if (other_leaf.value) hinted.walker.prefetch_leaf(other_leaf);
    if (leaf.value) hinted.walker.prefetch_leaf(leaf);
    hinted_leaves += leaf.value != 0;
    const std::string a = outcome(tlm, va, type, pcid), b = outcome(direct, va, type, pcid);
    ASSERT_EQ(a, b) << "walk " << i << " of " << va.value;
    ASSERT_EQ(outcome(hinted, va, type, pcid), b) << "walk " << i << " of " << va.value;
    errors += a.rfind("error", 0) == 0;
    faults += a[0] != '0';
    if (rng() % 50 == 0) {
      tlm.walker.invalidate_caches(va, pcid);
      direct.walker.invalidate_caches(va, pcid);
      hinted.walker.invalidate_caches(va, pcid);
    }
    if (rng() % 5000 == 0) {
      tlm.walker.flush_caches();
      direct.walker.flush_caches();
      hinted.walker.flush_caches();
    }
  }
  // The mix exercised every outcome: translations, faults, unbacked tables.
  EXPECT_GT(errors, 0u);
  EXPECT_GT(faults, errors);
  EXPECT_LT(faults, 150000u);
  for (unsigned where = 0; where < kLevelCount; ++where) {  // PTE lines came from every level
    uint64_t n = 0;
    for (unsigned level = 1; level <= 4; ++level) n += direct.walker.logic().pte_reads(level, static_cast<Level>(where));
    EXPECT_GT(n, 1000u) << level_name(static_cast<Level>(where));
  }
  EXPECT_EQ(tlm.stats(), direct.stats());
  EXPECT_EQ(hinted.stats(), direct.stats());
  // The hints reached a leaf table for a fair share of the walks: a PDPTE that is a present
  // table (3/4 x 15/16), a PDE written (1 in 4.5) that is a present table (58/64 x 15/16):
  // ~13% of uniform addresses, ~26,000 of 200,000 (the clusters make it 17,729 with this seed).
  EXPECT_GT(hinted_leaves, 10000u);
  // The same Accessed/Dirty bits were written: every table page is identical.
  for (uint64_t pfn = 0; pfn < kMemory >> kPageShift; ++pfn) {
    const PhysicalMemory::TablePage* a = tlm.phys.table(Pfn{pfn});
    const PhysicalMemory::TablePage* b = direct.phys.table(Pfn{pfn});
    const PhysicalMemory::TablePage* c = hinted.phys.table(Pfn{pfn});
    ASSERT_EQ(a == nullptr, b == nullptr);
    ASSERT_EQ(a == nullptr, c == nullptr);
    if (a) {
      ASSERT_EQ(*a, *b) << "table frame " << pfn;
      ASSERT_EQ(*a, *c) << "table frame " << pfn;
    }
  }
}

}  // namespace
}  // namespace cowsim
