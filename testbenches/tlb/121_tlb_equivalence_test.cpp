// Tlb skips page sizes that hold no valid entry, in lookups and in INVLPG (models/tlb/tlb.h).
// The reference here is the implementation that probed every size the bank holds. Random
// mixes of lookups, fills of every size, INVLPGs and flushes over a few PCIDs must give the
// same entries and the same statistics.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "models/tlb/tlb.h"

namespace cowsim {
namespace {

// The original bank: every held size probed on every lookup and invalidation.
class ReferenceTlb {
 public:
  ReferenceTlb(const TlbBankParams& p, uint64_t seed)
      : sizes_(size_set_mask(p.sizes)), ways_(p.ways), set_mask_(p.entries / p.ways - 1), entries_(p.entries),
        policy_(make_replacement(p.policy, p.entries / p.ways, p.ways, seed)) {}
  const TlbEntry* lookup(VirtAddr va, uint16_t pcid) {
    for (unsigned s = 0; s < 3; ++s) {
      if (!(sizes_ & (1u << s))) continue;
      uint64_t vpn = va.value >> page_shift(static_cast<PageSize>(s));
      uint32_t set = static_cast<uint32_t>(vpn & set_mask_);
      uint64_t tag = tag_of(vpn, static_cast<PageSize>(s), pcid);
      TlbEntry* e = &entries_[size_t{set} * ways_];
      for (uint32_t w = 0; w < ways_; ++w)
        if (e[w].tag == tag) {
          policy_->touch(set, w);
          ++hits;
          return &e[w];
        }
    }
    ++misses;
    return nullptr;
  }
  void fill(VirtAddr va, PageSize size, uint16_t pcid, const Translation& t) {
    uint64_t vpn = va.value >> page_shift(size);
    uint32_t set = static_cast<uint32_t>(vpn & set_mask_);
    uint64_t tag = tag_of(vpn, size, pcid);
    TlbEntry* e = &entries_[size_t{set} * ways_];
    uint32_t way = ways_;
    for (uint32_t w = 0; w < ways_ && way == ways_; ++w)
      if (e[w].tag == tag) way = w;
    for (uint32_t w = 0; w < ways_ && way == ways_; ++w)
      if (e[w].tag == TlbEntry::kInvalid) way = w;
    if (way == ways_) {
      way = policy_->victim(set);
      ++evictions;
    }
    Pfn first{t.pfn.value - ((va.value & ((uint64_t{1} << page_shift(size)) - 1)) >> kPageShift)};
    e[way] = {tag, first, size, t.writable, t.user, t.no_execute, t.dirty, t.global};
    policy_->touch(set, way);
  }
  void invalidate_page(VirtAddr va, uint16_t pcid) {
    for (unsigned s = 0; s < 3; ++s) {
      if (!(sizes_ & (1u << s))) continue;
      uint64_t vpn = va.value >> page_shift(static_cast<PageSize>(s));
      TlbEntry* e = &entries_[size_t(vpn & set_mask_) * ways_];
      uint64_t tag = tag_of(vpn, static_cast<PageSize>(s), pcid);
      for (uint32_t w = 0; w < ways_; ++w)
        if (e[w].tag == tag) {
          e[w].tag = TlbEntry::kInvalid;
          ++invalidations;
        }
    }
  }
  void flush_pcid(uint16_t pcid) {
    for (auto& e : entries_)
      if (e.tag != TlbEntry::kInvalid && (e.tag >> 48) == pcid) e.tag = TlbEntry::kInvalid;
  }
  void flush_all() {
    for (auto& e : entries_) e.tag = TlbEntry::kInvalid;
  }
  uint64_t hits = 0, misses = 0, evictions = 0, invalidations = 0;

 private:
  static uint64_t tag_of(uint64_t vpn, PageSize s, uint16_t pcid) {
    return vpn | (uint64_t{static_cast<uint8_t>(s)} << 46) | (uint64_t{pcid} << 48);
  }
  uint8_t sizes_;
  uint32_t ways_;
  uint64_t set_mask_;
  std::vector<TlbEntry> entries_;
  std::unique_ptr<ReplacementPolicy> policy_;
};

uint64_t stat(const Tlb& tlb, const char* name) {
  StatSink s;
  tlb.report(s);
  return s.json()[name].get<uint64_t>();
}

void compare(SizeSet sizes, uint32_t entries, uint32_t ways, ReplacementKind policy, uint64_t seed) {
  TlbBankParams p;
  p.sizes = sizes;
  p.entries = entries;
  p.ways = ways;
  p.policy = policy;
  Tlb tlb("t", p, 5);
  ReferenceTlb ref(p, 5);
  std::vector<PageSize> held;
  for (unsigned s = 0; s < 3; ++s)
    if (size_set_mask(sizes) & (1u << s)) held.push_back(static_cast<PageSize>(s));
  std::mt19937_64 rng(seed);
  // 512 4K pages in 32 2M pages in 4 1G pages: sizes overlap, sets collide, lookups hit.
  auto address = [&] {
    return VirtAddr{0x7f0000000000 + (rng() % 4) * kGiantPageSize + (rng() % 8) * kHugePageSize +
                    (rng() % 16) * kPageSize + rng() % kPageSize};
  };
  for (int i = 0; i < 50000; ++i) {
    VirtAddr va = address();
    uint16_t pcid = static_cast<uint16_t>(rng() % 3);
    unsigned op = rng() % 100;
    if (op < 60) {
      const TlbEntry* a = tlb.lookup(va, pcid);
      const TlbEntry* b = ref.lookup(va, pcid);
      ASSERT_EQ(a == nullptr, b == nullptr) << "step " << i;
      if (a) {
        ASSERT_EQ(a->tag, b->tag);
        ASSERT_EQ(a->frame_of(va), b->frame_of(va));
      }
    } else if (op < 90) {
      PageSize size = held[rng() % held.size()];
      Translation t;
      t.pfn = Pfn{rng() % 1000000};
      t.page_shift = page_shift(size);
      t.writable = rng() & 1;
      t.user = true;
      tlb.fill(va, size, pcid, t);
      ref.fill(va, size, pcid, t);
    } else if (op < 99) {
      tlb.invalidate_page(va, pcid);
      ref.invalidate_page(va, pcid);
    } else if (rng() & 1) {
      tlb.flush_pcid(pcid);
      ref.flush_pcid(pcid);
    } else {
      tlb.flush_all();
      ref.flush_all();
    }
  }
  EXPECT_EQ(stat(tlb, "hits"), ref.hits);
  EXPECT_EQ(stat(tlb, "misses"), ref.misses);
  EXPECT_EQ(stat(tlb, "evictions"), ref.evictions);
  EXPECT_EQ(stat(tlb, "invalidations"), ref.invalidations);
  EXPECT_GT(ref.hits, 300u);            // the mix exercises hits,
  EXPECT_GT(ref.invalidations, 30u);    // invalidations
  EXPECT_GT(ref.evictions, 300u);       // and replacement
}

TEST(TlbEquivalence, SkippingEmptySizesChangesNothing) {
  compare(SizeSet::k4K, 64, 4, ReplacementKind::kLru, 1);
  compare(SizeSet::k4K2M, 64, 8, ReplacementKind::kLru, 2);
  compare(SizeSet::k4K2M1G, 32, 4, ReplacementKind::kTreePlru, 3);
  compare(SizeSet::k2M1G, 16, 16, ReplacementKind::kRandom, 4);
}

}  // namespace
}  // namespace cowsim
