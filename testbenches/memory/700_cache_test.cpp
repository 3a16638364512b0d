// Cache: one set-associative level on its own. Geometry, hits and misses, replacement order
// under LRU / tree-PLRU / random, dirty evictions, per-source counters. Expected values are
// worked by hand in the comments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/common/stats.h"
#include "models/memory/cache.h"

namespace cowsim {
namespace {

CacheLevelParams geom(uint64_t size, uint32_t ways, uint32_t line = 64, ReplacementKind policy = ReplacementKind::kLru,
                      uint32_t latency = 4) {
  CacheLevelParams p;
  p.size = size;
  p.ways = ways;
  p.line = line;
  p.latency = latency;
  p.policy = policy;
  return p;
}

// A timed access as the hierarchy does it: look up, fill on a miss. Returns hit or miss.
bool touch(Cache& c, uint64_t addr, bool write = false, Source src = Source::kData) {
  if (c.lookup(PhysAddr{addr}, write, src)) return true;
  c.fill(PhysAddr{addr}, write);
  return false;
}

// Runs `f`, expects an InputError whose message contains every one of `parts`.
template <class F>
void expect_input_error(F f, std::vector<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(CacheGeometry, DefaultLevelsOfTheSkylakeSpPreset) {
  MemoryHierarchyParams p;
  Cache l1("l1d", p.l1d, 1), l2("l2", p.l2, 1), llc("llc", p.llc, 1);
  EXPECT_EQ(l1.sets(), 64u);      // 32768 / (8 x 64)
  EXPECT_EQ(l1.ways(), 8u);
  EXPECT_EQ(l1.line_shift(), 6u);  // 64-byte lines
  EXPECT_EQ(l1.latency(), 4u);
  EXPECT_EQ(l2.sets(), 1024u);    // 1 MiB / (16 x 64)
  EXPECT_EQ(l2.latency(), 14u);
  EXPECT_EQ(llc.sets(), 16384u);  // 11 MiB / (11 x 64)
  EXPECT_EQ(llc.ways(), 11u);
  EXPECT_EQ(llc.latency(), 77u);
}

TEST(CacheGeometry, ErrorsAreInputErrorsNamingTheLevel) {
  // 1000 bytes is not a multiple of 8 x 64 = 512.
  expect_input_error([] { Cache c("l1d", geom(1000, 8), 1); }, {"memory.l1d", "multiple of ways x line", "512"});
  // 1536 / (8 x 64) = 3 sets.
  expect_input_error([] { Cache c("l2", geom(1536, 8), 1); }, {"memory.l2", "3 sets", "power of two"});
  // 48-byte lines.
  expect_input_error([] { Cache c("llc", geom(48 * 8 * 4, 8, 48), 1); }, {"memory.llc", "line (48 bytes)"});
  expect_input_error([] { Cache c("l1d", geom(4096, 0), 1); }, {"memory.l1d", "ways"});
  // Tree-PLRU needs power-of-two ways: 11 ways x 64 B x 4 sets is a valid geometry otherwise.
  expect_input_error([] { Cache c("llc", geom(11 * 64 * 4, 11, 64, ReplacementKind::kTreePlru), 1); },
                     {"memory.llc", "tree-PLRU"});
  // The same geometry with LRU is fine.
  EXPECT_NO_THROW(Cache("llc", geom(11 * 64 * 4, 11), 1));
}

TEST(Cache, SweepThatFitsHitsOnTheSecondPassUnderEveryPolicy) {
  // 4 KiB, 4-way, 64 B lines: 16 sets. A 4 KiB sweep puts exactly 4 lines in each set, which
  // fill the invalid ways, so no policy ever picks a victim.
  for (ReplacementKind k : {ReplacementKind::kLru, ReplacementKind::kTreePlru, ReplacementKind::kRandom}) {
    Cache c("l1d", geom(4096, 4, 64, k), 3);
    for (uint64_t a = 0; a < 4096; a += 64) EXPECT_FALSE(touch(c, 0x10000 + a));
    for (uint64_t a = 0; a < 4096; a += 64) EXPECT_TRUE(touch(c, 0x10000 + a));
    EXPECT_EQ(c.misses(), 64u);
    EXPECT_EQ(c.hits(), 64u);
    EXPECT_EQ(c.fills(), 64u);
    EXPECT_EQ(c.evictions(), 0u);
  }
}

TEST(Cache, AnyByteOfALineHitsAndLineSizeSetsTheGranule) {
  Cache c64("l1d", geom(4096, 4, 64), 1);
  EXPECT_FALSE(touch(c64, 0x1000));
  EXPECT_TRUE(touch(c64, 0x103f));   // same 64-byte line
  EXPECT_FALSE(touch(c64, 0x1040));  // next line
  Cache c128("l1d", geom(8192, 4, 128), 1);
  EXPECT_FALSE(touch(c128, 0x1000));
  EXPECT_TRUE(touch(c128, 0x1040));  // same 128-byte line
  EXPECT_FALSE(touch(c128, 0x1080));
}

TEST(Cache, LruConflictEvictsInHandComputedOrder) {
  // 1 KiB, 4-way, 64 B: 4 sets; set = (addr >> 6) & 3. Lines 64 + k * 256 all map to set 1.
  Cache c("l1d", geom(1024, 4), 1);
  auto L = [](int k) { return uint64_t{64} + 256u * k; };
  const uint64_t A = L(0), B = L(1), C = L(2), D = L(3), E = L(4), F = L(5);
  for (uint64_t x : {A, B, C, D}) EXPECT_FALSE(touch(c, x));  // fill the 4 ways
  EXPECT_EQ(c.evictions(), 0u);
  EXPECT_FALSE(touch(c, E));  // LRU order A B C D: evicts A
  EXPECT_FALSE(c.contains(PhysAddr{A}));
  for (uint64_t x : {B, C, D, E}) EXPECT_TRUE(c.contains(PhysAddr{x}));
  EXPECT_TRUE(touch(c, B));   // order C D E B
  EXPECT_FALSE(touch(c, F));  // evicts C
  EXPECT_FALSE(c.contains(PhysAddr{C}));
  EXPECT_FALSE(touch(c, A));  // order D E B F: evicts D
  EXPECT_FALSE(c.contains(PhysAddr{D}));
  for (uint64_t x : {E, B, F, A}) EXPECT_TRUE(c.contains(PhysAddr{x}));
  EXPECT_EQ(c.evictions(), 3u);
  EXPECT_EQ(c.hits(), 1u);
  EXPECT_EQ(c.misses(), 7u);
  // The other sets were never touched: set 0 line 0 is still a miss.
  EXPECT_FALSE(c.contains(PhysAddr{0}));
}

TEST(Cache, TreePlruVictimOrderDiffersFromLru) {
  // One set of 4 ways (256 bytes): every line conflicts. Tree bits b1 (root), b2 (ways 0/1),
  // b3 (ways 2/3); a touch points each bit on the way's path away from it.
  Cache plru("l1d", geom(256, 4, 64, ReplacementKind::kTreePlru), 1);
  Cache lru("l1d", geom(256, 4, 64, ReplacementKind::kLru), 1);
  auto L = [](int k) { return uint64_t{0x4000} + 64u * k; };
  const uint64_t A = L(0), B = L(1), C = L(2), D = L(3), E = L(4), F = L(5), G = L(6);
  for (Cache* c : {&plru, &lru}) {
    for (uint64_t x : {A, B, C, D}) touch(*c, x);  // ways 0 1 2 3 (invalid ways first)
    EXPECT_TRUE(touch(*c, A));                      // hit way 0
    touch(*c, E);
  }
  // PLRU after touches 0 1 2 3 0: b1=1 b2=1 b3=0 -> right, way 2: C. LRU order B C D A: B.
  EXPECT_FALSE(plru.contains(PhysAddr{C}));
  EXPECT_TRUE(plru.contains(PhysAddr{B}));
  EXPECT_FALSE(lru.contains(PhysAddr{B}));
  EXPECT_TRUE(lru.contains(PhysAddr{C}));
  // E went to way 2: b1=0 b3=1 -> left, b2=1 -> way 1: B.
  touch(plru, F);
  EXPECT_FALSE(plru.contains(PhysAddr{B}));
  // F went to way 1: b1=1 b2=0 -> right, b3=1 -> way 3: D.
  touch(plru, G);
  EXPECT_FALSE(plru.contains(PhysAddr{D}));
  for (uint64_t x : {A, E, F, G}) EXPECT_TRUE(plru.contains(PhysAddr{x}));
  EXPECT_EQ(plru.evictions(), 3u);
}

TEST(Cache, DirtyEvictionsCountOnlyWrittenLines) {
  // One set, 2 ways, LRU.
  Cache c("l1d", geom(128, 2), 1);
  const uint64_t A = 0x0, B = 0x40, C = 0x80, D = 0xc0, E = 0x100, F = 0x140;
  touch(c, A, /*write=*/true);  // write miss: allocated dirty
  touch(c, B);
  Cache::Victim v = c.fill(PhysAddr{C}, false);  // evicts A (LRU), dirty
  EXPECT_TRUE(v.valid);
  EXPECT_TRUE(v.dirty);
  EXPECT_EQ(v.line, A >> 6);
  v = c.fill(PhysAddr{D}, false);  // evicts B, clean
  EXPECT_TRUE(v.valid);
  EXPECT_FALSE(v.dirty);
  EXPECT_EQ(v.line, B >> 6);
  EXPECT_TRUE(touch(c, C, /*write=*/true));  // write hit makes C dirty; order D C
  v = c.fill(PhysAddr{E}, false);            // evicts D, clean
  EXPECT_FALSE(v.dirty);
  v = c.fill(PhysAddr{F}, false);  // evicts C, dirty through the write hit
  EXPECT_TRUE(v.dirty);
  EXPECT_EQ(v.line, C >> 6);
  EXPECT_EQ(c.evictions(), 4u);
  EXPECT_EQ(c.dirty_evictions(), 2u);
}

TEST(Cache, FillOfAPresentLineRefreshesInPlace) {
  Cache c("l1d", geom(128, 2), 1);
  c.fill(PhysAddr{0}, false);
  Cache::Victim v = c.fill(PhysAddr{0}, true);  // present: no second copy, no victim
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(c.fills(), 1u);
  c.fill(PhysAddr{0x40}, false);
  v = c.fill(PhysAddr{0x80}, false);  // evicts line 0, which the refresh made dirty
  EXPECT_EQ(v.line, 0u);
  EXPECT_TRUE(v.dirty);
}

TEST(Cache, WritebackMarksAPresentLineDirtyWithoutTouchingIt) {
  Cache c("l2", geom(128, 2), 1);
  c.fill(PhysAddr{0}, false);
  c.fill(PhysAddr{0x40}, false);
  EXPECT_TRUE(c.absorb_writeback(0));     // line 0 is present
  EXPECT_FALSE(c.absorb_writeback(7));    // line 7 is not: nothing allocated
  EXPECT_FALSE(c.contains(PhysAddr{7 * 64}));
  Cache::Victim v = c.fill(PhysAddr{0x80}, false);
  EXPECT_EQ(v.line, 0u);  // still LRU: a write-back is not a use
  EXPECT_TRUE(v.dirty);
}

TEST(Cache, ContainsHasNoSideEffects) {
  Cache c("l1d", geom(128, 2), 1);
  touch(c, 0x0);
  touch(c, 0x40);
  const uint64_t hits = c.hits(), misses = c.misses();
  EXPECT_TRUE(c.contains(PhysAddr{0x0}));  // would make 0x0 most recent if it were a use
  EXPECT_FALSE(c.contains(PhysAddr{0x80}));
  EXPECT_EQ(c.hits(), hits);
  EXPECT_EQ(c.misses(), misses);
  touch(c, 0x80);  // LRU still evicts 0x0
  EXPECT_FALSE(c.contains(PhysAddr{0x0}));
  EXPECT_TRUE(c.contains(PhysAddr{0x40}));
}

TEST(Cache, CountsHitsAndMissesPerSource) {
  Cache c("l1d", geom(4096, 4), 1);
  touch(c, 0x0, false, Source::kData);       // data miss
  touch(c, 0x0, false, Source::kData);       // data hit
  touch(c, 0x0, false, Source::kPageWalk);   // page-walk hit
  touch(c, 0x40, false, Source::kPageWalk);  // page-walk miss
  touch(c, 0x40, true, Source::kKernel);     // kernel hit
  touch(c, 0x40, false, Source::kKernel);    // kernel hit
  touch(c, 0x80, false, Source::kKernel);    // kernel miss
  EXPECT_EQ(c.hits(Source::kData), 1u);
  EXPECT_EQ(c.misses(Source::kData), 1u);
  EXPECT_EQ(c.hits(Source::kPageWalk), 1u);
  EXPECT_EQ(c.misses(Source::kPageWalk), 1u);
  EXPECT_EQ(c.hits(Source::kKernel), 2u);
  EXPECT_EQ(c.misses(Source::kKernel), 1u);
  EXPECT_EQ(c.hits(), 4u);
  EXPECT_EQ(c.misses(), 3u);

  StatSink s;
  {
    StatSink::Scope sc(s, "l1d");
    c.report(s);
  }
  const auto& j = s.json()["l1d"];
  EXPECT_EQ(j["hits"], 4);
  EXPECT_EQ(j["misses"], 3);
  EXPECT_EQ(j["fills"], 3);
  EXPECT_EQ(j["evictions"], 0);
  EXPECT_EQ(j["dirty_evictions"], 0);
  EXPECT_EQ(j["data"]["hits"], 1);
  EXPECT_EQ(j["page_walk"]["misses"], 1);
  EXPECT_EQ(j["kernel"]["hits"], 2);
  EXPECT_NE(s.text().find("l1d.kernel.misses 1 # "), std::string::npos) << s.text();
}

// The sequence of victims a random-policy cache picks for a fixed stream of conflicting lines.
std::vector<uint64_t> random_victims(uint64_t seed) {
  Cache c("llc", geom(256, 4, 64, ReplacementKind::kRandom), seed);  // one set of 4 ways
  std::vector<uint64_t> victims;
  for (uint64_t i = 0; i < 200; ++i) {
    uint64_t addr = ((i * 7) % 13) * 64;  // 13 distinct lines cycling through 4 ways
    if (c.lookup(PhysAddr{addr}, false, Source::kData)) continue;
    Cache::Victim v = c.fill(PhysAddr{addr}, false);
    if (v.valid) victims.push_back(v.line);
  }
  return victims;
}

TEST(Cache, RandomPolicyIsDeterministicPerSeed) {
  std::vector<uint64_t> a = random_victims(42), b = random_victims(42), c = random_victims(43);
  ASSERT_GT(a.size(), 100u);  // 13 lines in 4 ways: most accesses miss and evict
  EXPECT_EQ(a, b);            // same seed, same victims
  EXPECT_NE(a, c);            // another seed, another sequence
}

}  // namespace
}  // namespace cowsim
