// The set-associative TLB: hits and misses on hand-worked sweeps, invalidation, geometry.
#include <gtest/gtest.h>

#include "models/common/error.h"
#include "models/tlb/tlb.h"

namespace cowsim {
namespace {

TlbParams geometry(uint32_t entries, uint32_t ways, ReplacementKind policy = ReplacementKind::kLru) {
  TlbParams p;
  p.entries = entries;
  p.ways = ways;
  p.policy = policy;
  return p;
}

Translation to(uint64_t pfn, bool writable = true) {
  Translation t;
  t.pfn = Pfn{pfn};
  t.writable = writable;
  t.user = true;
  return t;
}

// The way a core uses the TLB: look up, and on a miss fill (as after a walk). True on a hit.
bool access(Tlb& tlb, uint64_t vpn, uint16_t pcid = 0) {
  if (tlb.lookup(Vpn{vpn}, pcid)) return true;
  tlb.fill(Vpn{vpn}, pcid, to(vpn + 1000));
  return false;
}

uint64_t stat(const Tlb& tlb, const char* name) {
  StatSink s;
  tlb.report(s);
  return s.json()[name].get<uint64_t>();
}

TEST(Tlb, CyclicSweepOneLargerThanTheTlbAlwaysMisses) {
  // 8 entries, fully associative, LRU; 9 pages in a cycle: each access evicts exactly the
  // page that comes back soonest (the least recently used one is the next in the cycle).
  Tlb tlb("l1d", geometry(8, 8), 1);
  for (int round = 0; round < 5; ++round)
    for (uint64_t v = 0; v < 9; ++v) ASSERT_FALSE(access(tlb, v)) << "round " << round << " vpn " << v;
  EXPECT_EQ(tlb.misses(), 45u);  // 5 rounds x 9 pages
  EXPECT_EQ(tlb.hits(), 0u);
  EXPECT_EQ(stat(tlb, "evictions"), 45u - 8u);  // every fill after the first 8
}

TEST(Tlb, CyclicSweepThatFitsMissesOnlyOnce) {
  Tlb tlb("l1d", geometry(8, 8), 1);
  for (int round = 0; round < 5; ++round)
    for (uint64_t v = 0; v < 8; ++v) access(tlb, v);
  EXPECT_EQ(tlb.misses(), 8u);       // the first round only
  EXPECT_EQ(tlb.hits(), 4u * 8u);    // the other 4 rounds
  EXPECT_EQ(stat(tlb, "evictions"), 0u);
  EXPECT_EQ(stat(tlb, "fills"), 8u);
}

TEST(Tlb, SetIndexIsTheLowVpnBits) {
  // 8 entries, 2 ways: 4 sets, set = vpn mod 4. Pages 0, 4, 8 fight over set 0's two ways;
  // pages 1, 2, 3 each have a set of their own.
  Tlb tlb("l1d", geometry(8, 2), 1);
  for (int round = 0; round < 3; ++round) {
    for (uint64_t v : {0, 4, 8}) EXPECT_FALSE(access(tlb, v));  // 3 pages in 2 ways, LRU: always miss
    for (uint64_t v : {1, 2, 3}) access(tlb, v);
  }
  EXPECT_EQ(tlb.misses(), 9u + 3u);  // 3 x 3 conflict misses + 3 cold misses
  EXPECT_EQ(tlb.hits(), 6u);          // pages 1, 2, 3 in rounds 2 and 3
}

TEST(Tlb, LruKeepsTheRecentlyHitEntry) {
  Tlb tlb("l1d", geometry(4, 4), 1);
  for (uint64_t v : {10, 11, 12, 13}) access(tlb, v);
  EXPECT_TRUE(access(tlb, 10));   // 10 becomes the most recent; 11 is now the oldest
  EXPECT_FALSE(access(tlb, 14));  // evicts 11
  EXPECT_TRUE(access(tlb, 10));
  EXPECT_TRUE(access(tlb, 12));
  EXPECT_TRUE(access(tlb, 13));
  EXPECT_TRUE(access(tlb, 14));
  EXPECT_FALSE(access(tlb, 11));
}

TEST(Tlb, EntriesCarryTheTranslation) {
  Tlb tlb("l1d", geometry(4, 4), 1);
  Translation t = to(777, false);
  t.no_execute = true;
  t.dirty = true;
  t.global = true;
  tlb.fill(Vpn{5}, 0, t);
  const TlbEntry* e = tlb.lookup(Vpn{5}, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pfn, Pfn{777});
  EXPECT_FALSE(e->writable);
  EXPECT_TRUE(e->user);
  EXPECT_TRUE(e->no_execute);
  EXPECT_TRUE(e->dirty);
  EXPECT_TRUE(e->global);
  // A refill of the same page (e.g. after the walk that set D) updates in place.
  tlb.fill(Vpn{5}, 0, to(778, true));
  e = tlb.lookup(Vpn{5}, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pfn, Pfn{778});
  EXPECT_TRUE(e->writable);
  for (uint64_t v : {6, 7, 8}) access(tlb, v);  // 3 more pages fill the other 3 ways exactly
  EXPECT_EQ(stat(tlb, "evictions"), 0u);
}

TEST(Tlb, PcidTagsSeparateAddressSpaces) {
  Tlb tlb("l1d", geometry(4, 4), 1);
  tlb.fill(Vpn{5}, 1, to(100));
  EXPECT_EQ(tlb.lookup(Vpn{5}, 2), nullptr);
  tlb.fill(Vpn{5}, 2, to(200));
  EXPECT_EQ(tlb.lookup(Vpn{5}, 1)->pfn, Pfn{100});
  EXPECT_EQ(tlb.lookup(Vpn{5}, 2)->pfn, Pfn{200});
}

TEST(Tlb, InvalidatePageRemovesOnlyThatPage) {
  Tlb tlb("l1d", geometry(8, 2), 1);
  for (uint64_t v = 0; v < 8; ++v) access(tlb, v);  // two per set: all fit
  tlb.invalidate_page(Vpn{5}, 0);
  tlb.invalidate_page(Vpn{99}, 0);  // not cached: nothing happens
  for (uint64_t v = 0; v < 8; ++v) EXPECT_EQ(tlb.lookup(Vpn{v}, 0) != nullptr, v != 5) << v;
  EXPECT_EQ(stat(tlb, "invalidations"), 1u);
  // The freed way is reused before anything is evicted.
  access(tlb, 9);  // set 1, where page 5 was
  EXPECT_EQ(stat(tlb, "evictions"), 0u);
  EXPECT_NE(tlb.lookup(Vpn{1}, 0), nullptr);
}

TEST(Tlb, FlushAllEmptiesEverything) {
  Tlb tlb("l1d", geometry(8, 2), 1);
  for (uint64_t v = 0; v < 8; ++v) access(tlb, v);
  tlb.flush_all();
  for (uint64_t v = 0; v < 8; ++v) EXPECT_EQ(tlb.lookup(Vpn{v}, 0), nullptr);
  EXPECT_EQ(stat(tlb, "flushes"), 1u);
  for (uint64_t v = 0; v < 8; ++v) access(tlb, v);
  EXPECT_EQ(stat(tlb, "evictions"), 0u);  // an empty TLB refills without evicting
}

TEST(Tlb, GeometryErrors) {
  EXPECT_THROW(Tlb("a", geometry(6, 4), 1), InputError);   // 6 entries are not whole 4-way sets
  EXPECT_THROW(Tlb("b", geometry(12, 4), 1), InputError);  // 3 sets: not a power of two
  EXPECT_THROW(Tlb("c", geometry(4, 0), 1), InputError);
  EXPECT_THROW(Tlb("d", geometry(6, 6, ReplacementKind::kTreePlru), 1), InputError);  // PLRU needs 2^k ways
  EXPECT_NO_THROW(Tlb("e", geometry(6, 6), 1));   // fully associative, 1 set, LRU: fine
  EXPECT_NO_THROW(Tlb("f", geometry(1536, 12), 1));  // 128 sets of 12 ways (like a real STLB)
  try {
    Tlb("l2", geometry(12, 4), 1);
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "tlb.l2: entries / ways = 3 sets; must be a power of two");
  }
}

TEST(Tlb, PlruAndRandomTlbsWork) {
  // Whatever the policy, a working set that fits never misses after the first round.
  for (auto kind : {ReplacementKind::kTreePlru, ReplacementKind::kRandom}) {
    Tlb tlb("l1d", geometry(16, 4, kind), 3);
    for (int round = 0; round < 3; ++round)
      for (uint64_t v = 0; v < 16; ++v) access(tlb, v);
    EXPECT_EQ(tlb.misses(), 16u);
    EXPECT_EQ(tlb.hits(), 32u);
  }
}

}  // namespace
}  // namespace cowsim
