// The replacement policies dispatch without virtual calls and keep tree-PLRU bits in one
// word per set (models/common/replacement.h). The references here are the implementations they
// replaced: a byte per tree node, and a timestamp per entry. Random sequences of touches and
// victim queries must give the same victims, through the base class and the concrete class.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "models/common/replacement.h"

namespace cowsim {
namespace {

// The original tree-PLRU: one byte per node, node i of set s at [s * ways + i].
struct ReferencePlru {
  ReferencePlru(uint32_t sets, uint32_t ways) : ways(ways), bits(size_t{sets} * ways, 0) {}
  void touch(uint32_t set, uint32_t way) {
    uint8_t* b = &bits[size_t{set} * ways];
    for (uint32_t node = way + ways; node > 1; node >>= 1) b[node >> 1] = !(node & 1);
  }
  uint32_t victim(uint32_t set) const {
    const uint8_t* b = &bits[size_t{set} * ways];
    uint32_t node = 1;
    while (node < ways) node = 2 * node + b[node];
    return node - ways;
  }
  uint32_t ways;
  std::vector<uint8_t> bits;
};

// The original LRU: a timestamp per entry, the oldest is the victim.
struct ReferenceLru {
  ReferenceLru(uint32_t sets, uint32_t ways) : ways(ways), stamp(size_t{sets} * ways, 0) {}
  void touch(uint32_t set, uint32_t way) { stamp[size_t{set} * ways + way] = ++clock; }
  uint32_t victim(uint32_t set) const {
    const uint64_t* s = &stamp[size_t{set} * ways];
    uint32_t best = 0;
    for (uint32_t w = 1; w < ways; ++w)
      if (s[w] < s[best]) best = w;
    return best;
  }
  uint32_t ways;
  uint64_t clock = 0;
  std::vector<uint64_t> stamp;
};

template <class Ref>
void compare(ReplacementKind kind, uint32_t sets, uint32_t ways, uint64_t seed) {
  auto policy = make_replacement(kind, sets, ways, 0);
  Ref ref(sets, ways);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    uint32_t set = static_cast<uint32_t>(rng() % sets);
    if (rng() % 3 == 0) {
      ASSERT_EQ(policy->victim(set), ref.victim(set)) << "ways " << ways << " step " << i;
    } else {
      uint32_t way = static_cast<uint32_t>(rng() % ways);
      policy->touch(set, way);
      ref.touch(set, way);
    }
  }
}

TEST(ReplacementEquivalence, TreePlruMatchesTheBytePerNodeReference) {
  // 1 to 64 ways use one word per set; 128 and 256 the byte-per-node layout.
  for (uint32_t ways = 1; ways <= 256; ways *= 2) compare<ReferencePlru>(ReplacementKind::kTreePlru, 4, ways, ways);
}

TEST(ReplacementEquivalence, LruMatchesTheTimestampReference) {
  for (uint32_t ways : {1u, 2u, 3u, 4u, 11u, 12u, 16u, 1536u}) compare<ReferenceLru>(ReplacementKind::kLru, 2, ways, ways);
}

TEST(ReplacementEquivalence, ConcreteAndBaseCallsAgree) {
  TreePlruPolicy direct(1, 16);
  auto base = make_replacement(ReplacementKind::kTreePlru, 1, 16, 0);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) {
    uint32_t way = static_cast<uint32_t>(rng() % 16);
    direct.touch(0, way);
    base->touch(0, way);
    ASSERT_EQ(direct.victim(0), base->victim(0));
  }
  RandomPolicy a(8, 42);
  auto b = make_replacement(ReplacementKind::kRandom, 1, 8, 42);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.victim(0), b->victim(0));
}

}  // namespace
}  // namespace cowsim
