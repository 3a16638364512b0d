// Replacement policies: LRU, tree pseudo-LRU and random, on hand-worked sequences.
#include <gtest/gtest.h>

#include <set>

#include "models/common/error.h"
#include "models/common/replacement.h"

namespace cowsim {
namespace {

TEST(Lru, VictimIsTheLeastRecentlyTouched) {
  LruPolicy p(1, 4);
  for (uint32_t w : {0, 1, 2, 3}) p.touch(0, w);
  EXPECT_EQ(p.victim(0), 0u);  // order 0 1 2 3: oldest is 0
  p.touch(0, 0);
  EXPECT_EQ(p.victim(0), 1u);  // order 1 2 3 0
  p.touch(0, 1);
  EXPECT_EQ(p.victim(0), 2u);  // order 2 3 0 1
  p.touch(0, 3);
  EXPECT_EQ(p.victim(0), 2u);  // order 2 0 1 3
  p.touch(0, 2);
  EXPECT_EQ(p.victim(0), 0u);  // order 0 1 3 2
  // Asking for a victim is not a use: it does not change the order.
  EXPECT_EQ(p.victim(0), 0u);
}

TEST(Lru, SetsAreIndependent) {
  LruPolicy p(2, 2);
  p.touch(0, 0);
  p.touch(0, 1);
  p.touch(1, 1);
  p.touch(1, 0);
  EXPECT_EQ(p.victim(0), 0u);
  EXPECT_EQ(p.victim(1), 1u);
  p.touch(1, 1);  // touching set 1 does not age set 0
  EXPECT_EQ(p.victim(0), 0u);
  EXPECT_EQ(p.victim(1), 0u);
}

// Tree-PLRU with 4 ways: bit b1 at the root (0 = go left to ways 0/1, 1 = go right to ways
// 2/3), b2 over ways 0/1 (0 = way 0), b3 over ways 2/3 (0 = way 2). A touch points every bit
// on the way's path away from it.
TEST(TreePlru, FourWaysDiffersFromLru) {
  TreePlruPolicy p(1, 4);
  LruPolicy lru(1, 4);
  auto touch = [&](uint32_t w) {
    p.touch(0, w);
    lru.touch(0, w);
  };
  for (uint32_t w : {0, 1, 2, 3}) touch(w);
  // touch 0: b1=1 b2=1; touch 1: b1=1 b2=0; touch 2: b1=0 b3=1; touch 3: b1=0 b3=0.
  // Victim: b1=0 -> left, b2=0 -> way 0 (same as LRU).
  EXPECT_EQ(p.victim(0), 0u);
  EXPECT_EQ(lru.victim(0), 0u);
  touch(0);
  // b1=1 b2=1 b3=0: root points right, b3 points at way 2. LRU's oldest is way 1.
  EXPECT_EQ(p.victim(0), 2u);
  EXPECT_EQ(lru.victim(0), 1u);
  touch(2);
  // b1=0 b2=1 b3=1: left, then way 1. LRU order is 1 3 0 2: also 1.
  EXPECT_EQ(p.victim(0), 1u);
  EXPECT_EQ(lru.victim(0), 1u);
  touch(1);
  // b1=1 b2=0 b3=1: right, then way 3. LRU order 3 0 2 1: also 3.
  EXPECT_EQ(p.victim(0), 3u);
  touch(0);
  // b1=1 b2=1 b3=1: right, then way 3, though LRU now evicts 3 as well; touch 3 next.
  EXPECT_EQ(p.victim(0), 3u);
  touch(3);
  // b1=0 b2=1 b3=0: left, way 1. LRU order 2 1 0 3 evicts 2: PLRU has forgotten that 2 is older.
  EXPECT_EQ(p.victim(0), 1u);
  EXPECT_EQ(lru.victim(0), 2u);
}

TEST(TreePlru, EightWaysFillOrder) {
  // From the reset state (all bits 0), filling the victim each time and touching it visits
  // the ways in bit-reversed order: 0 4 2 6 1 5 3 7, then starts again at 0.
  TreePlruPolicy p(1, 8);
  std::vector<uint32_t> order;
  for (int i = 0; i < 9; ++i) {
    uint32_t v = p.victim(0);
    order.push_back(v);
    p.touch(0, v);
  }
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 4, 2, 6, 1, 5, 3, 7, 0}));
}

TEST(TreePlru, SetsAreIndependent) {
  TreePlruPolicy p(2, 2);
  p.touch(1, 0);
  EXPECT_EQ(p.victim(0), 0u);  // set 0 untouched
  EXPECT_EQ(p.victim(1), 1u);
}

TEST(Random, DeterministicPerSeed) {
  RandomPolicy a(8, 42), b(8, 42), c(8, 43);
  std::vector<uint32_t> va, vb, vc;
  std::set<uint32_t> seen;
  for (int i = 0; i < 200; ++i) {
    va.push_back(a.victim(0));
    vb.push_back(b.victim(0));
    vc.push_back(c.victim(0));
    ASSERT_LT(va.back(), 8u);
    seen.insert(va.back());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_EQ(seen.size(), 8u);  // 200 draws of 8 values reach every way
}

TEST(MakeReplacement, KindsAndErrors) {
  auto lru = make_replacement(ReplacementKind::kLru, 1, 3, 0);
  ASSERT_NE(dynamic_cast<LruPolicy*>(lru.get()), nullptr);
  auto plru = make_replacement(ReplacementKind::kTreePlru, 4, 8, 0);
  ASSERT_NE(dynamic_cast<TreePlruPolicy*>(plru.get()), nullptr);
  auto rnd = make_replacement(ReplacementKind::kRandom, 1, 4, 7);
  ASSERT_NE(dynamic_cast<RandomPolicy*>(rnd.get()), nullptr);
  EXPECT_THROW(make_replacement(ReplacementKind::kTreePlru, 1, 6, 0), InputError);
  EXPECT_THROW(make_replacement(ReplacementKind::kTreePlru, 1, 3, 0), InputError);
  EXPECT_NO_THROW(make_replacement(ReplacementKind::kTreePlru, 1, 1, 0));
  EXPECT_EQ(replacement_names(), (std::vector<std::string>{"lru", "plru", "random"}));
}

}  // namespace
}  // namespace cowsim
