// Cache keeps each set in one block of host cache lines (32-bit tags when memory allows,
// LRU as per-way ranks, the PLRU word inside the set, a count of valid ways) and fills after a
// miss without searching for the line (models/memory/cache.h). The reference here is the
// original implementation: 64-bit line numbers in one array, dirty bytes in another, and a
// ReplacementPolicy object (timestamp LRU, per-set PLRU word, random). Random mixes of
// lookups, fills (after a miss and of present lines), write-backs and probes over several
// geometries must give the same answers, victims and statistics.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "models/memory/cache.h"

namespace cowsim {
namespace {

class ReferenceCache {
 public:
  ReferenceCache(const CacheLevelParams& p, uint64_t seed) : ways_(p.ways) {
    const uint32_t sets = static_cast<uint32_t>(p.size / (uint64_t{p.ways} * p.line));
    set_mask_ = sets - 1;
    while ((uint64_t{1} << line_shift_) < p.line) ++line_shift_;
    tags_.assign(size_t{sets} * ways_, kInvalid);
    dirty_.assign(size_t{sets} * ways_, 0);
    policy_ = make_replacement(p.policy, sets, ways_, seed);
  }
  bool lookup(PhysAddr pa, bool write, Source src) {
    const uint64_t line = pa.value >> line_shift_;
    const uint32_t set = static_cast<uint32_t>(line & set_mask_);
    const size_t base = size_t{set} * ways_;
    for (uint32_t w = 0; w < ways_; ++w)
      if (tags_[base + w] == line) {
        ++hits[static_cast<size_t>(src)];
        policy_->touch(set, w);
        if (write) dirty_[base + w] = 1;
        return true;
      }
    ++misses[static_cast<size_t>(src)];
    return false;
  }
  Cache::Victim fill(PhysAddr pa, bool dirty) {
    const uint64_t line = pa.value >> line_shift_;
    const uint32_t set = static_cast<uint32_t>(line & set_mask_);
    const size_t base = size_t{set} * ways_;
    uint64_t* t = &tags_[base];
    Cache::Victim v;
    uint32_t way = kNoWay;
    for (uint32_t w = 0; w < ways_ && way == kNoWay; ++w)
      if (t[w] == line) way = w;
    if (way != kNoWay) {
      dirty_[base + way] |= dirty;
      policy_->touch(set, way);
      return v;
    }
    for (uint32_t w = 0; w < ways_ && way == kNoWay; ++w)
      if (t[w] == kInvalid) way = w;
    if (way == kNoWay) {
      way = policy_->victim(set);
      v = {true, dirty_[base + way] != 0, t[way]};
      ++evictions;
      if (v.dirty) ++dirty_evictions;
    }
    t[way] = line;
    dirty_[base + way] = dirty;
    policy_->touch(set, way);
    ++fills;
    return v;
  }
  bool absorb_writeback(uint64_t line) {
    const size_t base = size_t{static_cast<uint32_t>(line & set_mask_)} * ways_;
    for (uint32_t w = 0; w < ways_; ++w)
      if (tags_[base + w] == line) {
        dirty_[base + w] = 1;
        return true;
      }
    return false;
  }
  bool contains(PhysAddr pa) const {
    const uint64_t line = pa.value >> line_shift_;
    const size_t base = size_t{static_cast<uint32_t>(line & set_mask_)} * ways_;
    for (uint32_t w = 0; w < ways_; ++w)
      if (tags_[base + w] == line) return true;
    return false;
  }

  uint64_t hits[kSourceCount] = {}, misses[kSourceCount] = {};
  uint64_t fills = 0, evictions = 0, dirty_evictions = 0;

 private:
  static constexpr uint64_t kInvalid = UINT64_MAX;
  static constexpr uint32_t kNoWay = UINT32_MAX;
  uint32_t ways_;
  unsigned line_shift_ = 0;
  uint64_t set_mask_ = 0;
  std::vector<uint64_t> tags_;
  std::vector<uint8_t> dirty_;
  std::unique_ptr<ReplacementPolicy> policy_;
};

CacheLevelParams geom(uint64_t size, uint32_t ways, uint32_t line, ReplacementKind policy) {
  CacheLevelParams p;
  p.size = size;
  p.ways = ways;
  p.line = line;
  p.policy = policy;
  return p;
}

// `ops` random operations on lines drawn from a pool of about three times the capacity,
// spread over `memory_bytes` (so tags use their high bits too).
// `repeat`: in how many of 8 operations the address stays in the previous one's line (as a
// sequential stream does), so the repeated-hit path of Cache::lookup (recent_line_) runs
// after hits, fills, refreshes and write-backs of that line.
void run_mix(const CacheLevelParams& p, uint64_t memory_bytes, uint64_t seed, int ops = 60000, unsigned repeat = 0) {
  SCOPED_TRACE("size " + std::to_string(p.size) + " ways " + std::to_string(p.ways) + " line " +
               std::to_string(p.line) + " policy " + std::to_string(static_cast<int>(p.policy)) + " memory " +
               std::to_string(memory_bytes));
  Cache c("llc", p, seed, memory_bytes);
  ReferenceCache ref(p, seed);
  std::mt19937_64 rng(seed * 7919 + 1);
  const uint64_t lines = p.size / p.line;
  std::vector<uint64_t> pool;
  for (uint64_t i = 0; i < 3 * lines + 5; ++i) pool.push_back((rng() % memory_bytes) & ~uint64_t{p.line - 1});
  auto same_victim = [](const Cache::Victim& a, const Cache::Victim& b) {
    return a.valid == b.valid && a.dirty == b.dirty && (!a.valid || a.line == b.line);
  };
  uint64_t last = pool[0];
  for (int i = 0; i < ops; ++i) {
    if (rng() % 8 >= repeat) last = pool[rng() % pool.size()];
    const PhysAddr pa{last + (rng() % p.line)};
    const unsigned op = static_cast<unsigned>(rng() % 16);
    const bool write = rng() & 1;
    const Source src = static_cast<Source>(rng() % kSourceCount);
    if (op < 11) {  // a timed access, as MemoryHierarchy does it: look up, fill after a miss
      const bool hit = c.lookup(pa, write, src);
      ASSERT_EQ(hit, ref.lookup(pa, write, src)) << "op " << i;
      if (!hit) {
        ASSERT_TRUE(same_victim(c.fill_missing(pa, write), ref.fill(pa, write))) << "op " << i;
      }
    } else if (op < 13) {  // the general fill: refreshes a present line
      ASSERT_TRUE(same_victim(c.fill(pa, write), ref.fill(pa, write))) << "op " << i;
    } else if (op < 15) {
      const uint64_t line = pa.value >> c.line_shift();
      ASSERT_EQ(c.absorb_writeback(line), ref.absorb_writeback(line)) << "op " << i;
    } else {
      ASSERT_EQ(c.contains(pa), ref.contains(pa)) << "op " << i;
    }
  }
  for (size_t s = 0; s < kSourceCount; ++s) {
    EXPECT_EQ(c.hits(static_cast<Source>(s)), ref.hits[s]);
    EXPECT_EQ(c.misses(static_cast<Source>(s)), ref.misses[s]);
  }
  EXPECT_EQ(c.fills(), ref.fills);
  EXPECT_EQ(c.evictions(), ref.evictions);
  EXPECT_EQ(c.dirty_evictions(), ref.dirty_evictions);
  for (uint64_t a : pool) EXPECT_EQ(c.contains(PhysAddr{a}), ref.contains(PhysAddr{a}));
}

constexpr uint64_t k64G = uint64_t{64} << 30;

TEST(CacheEquivalence, SkylakeLevelsNarrowAndWideTags) {
  for (uint64_t memory : {k64G, Cache::kMaxMemoryBytes}) {
    run_mix(geom(32 * 1024, 8, 64, ReplacementKind::kTreePlru), memory, 1);    // L1D
    run_mix(geom(256 * 1024, 16, 64, ReplacementKind::kTreePlru), memory, 2);  // a smaller L2
    run_mix(geom(11 * 64 * 256, 11, 64, ReplacementKind::kLru), memory, 3);    // an LLC slice
  }
}

TEST(CacheEquivalence, EveryPolicyAndOddGeometries) {
  for (uint64_t memory : {uint64_t{16} << 20, k64G, Cache::kMaxMemoryBytes}) {
    for (auto policy : {ReplacementKind::kLru, ReplacementKind::kTreePlru, ReplacementKind::kRandom}) {
      run_mix(geom(64 * 64, 1, 64, policy), memory, 4);        // direct-mapped
      run_mix(geom(8 * 64, 8, 64, policy), memory, 5);         // one set, fully associative
      run_mix(geom(4 * 128 * 32, 4, 128, policy), memory, 6);  // 128-byte lines
      run_mix(geom(64 * 32 * 8, 64, 32, policy), memory, 7);   // 64 ways: the widest PLRU word
      run_mix(geom(128 * 64 * 2, 128, 64, policy), memory, 8, 20000);  // the widest ranks; PLRU by bytes
    }
    run_mix(geom(12 * 64 * 16, 12, 64, ReplacementKind::kLru), memory, 9);
    run_mix(geom(12 * 64 * 16, 12, 64, ReplacementKind::kRandom), memory, 10);
    run_mix(geom(127 * 64 * 2, 127, 64, ReplacementKind::kLru), memory, 11, 20000);  // ranks up to 126
    run_mix(geom(255 * 64 * 2, 255, 64, ReplacementKind::kLru), memory, 12, 20000);  // timestamps
    run_mix(geom(300 * 64 * 2, 300, 64, ReplacementKind::kLru), memory, 13, 20000);  // and a 4-byte count
  }
}

TEST(CacheEquivalence, RepeatedLinesAsInSequentialStreams) {
  for (auto policy : {ReplacementKind::kLru, ReplacementKind::kTreePlru, ReplacementKind::kRandom}) {
    for (unsigned repeat : {4u, 7u}) {
      run_mix(geom(32 * 1024, 8, 64, policy), k64G, 11 + repeat, 60000, repeat);  // L1D geometry
      run_mix(geom(16 * 1024, 4, 64, policy), uint64_t{16} << 20, 13 + repeat, 60000, repeat);
      if (policy != ReplacementKind::kTreePlru)
        run_mix(geom(300 * 64 * 4, 300, 64, policy), k64G, 17 + repeat, 20000, repeat);  // wide: ReplacementPolicy
    }
  }
}

TEST(CacheEquivalence, LayoutOfTheDefaultLevels) {
  // 64 GiB of memory = 2^30 lines of 64 bytes: 16384 LLC sets leave 16 tag bits, 64 L1D sets
  // 24 — both fit 32 bits. An 11-way LRU set: 2 bytes of dirty bits, a count byte, one byte
  // of padding, 44 of tags and 16 of ranks (11, padded to a multiple of 8): one host cache
  // line. The 8-way PLRU L1D: 1 + 1 + 2 + 32 + 4 (padding) + 8 (tree word) = 48 bytes.
  Cache llc("llc", geom(11 * 1024 * 1024, 11, 64, ReplacementKind::kLru), 1, k64G);
  EXPECT_TRUE(llc.narrow_tags());
  EXPECT_EQ(llc.set_bytes(), 64u);
  Cache l1("l1d", geom(32 * 1024, 8, 64, ReplacementKind::kTreePlru), 1, k64G);
  EXPECT_TRUE(l1.narrow_tags());
  EXPECT_EQ(l1.set_bytes(), 64u);
  // 2^52 bytes: 46 bits of line number, 40 above 64 sets: 64-bit tags.
  EXPECT_FALSE(Cache("l1d", geom(32 * 1024, 8, 64, ReplacementKind::kTreePlru), 1).narrow_tags());
}

TEST(CacheEquivalence, AddressBeyondMemoryIsAnErrorNotAnAlias) {
  // 4 KiB of memory in 64 one-line sets: tags of 0 bits would fit, but a line 2^38 sets up
  // would alias to 32-bit tag 0 if it were truncated.
  Cache c("l1d", geom(64 * 64, 1, 64, ReplacementKind::kLru), 1, 4096);
  const PhysAddr far{uint64_t{1} << 50};
  EXPECT_THROW(c.lookup(far, false, Source::kData), std::logic_error);
  EXPECT_THROW(c.fill(far, false), std::logic_error);
}

}  // namespace
}  // namespace cowsim
