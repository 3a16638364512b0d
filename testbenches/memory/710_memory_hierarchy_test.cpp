// MemoryHierarchy: L1D -> L2 -> LLC -> DRAM. Sweeps, conflicts, latencies per level,
// non-inclusion and write-backs, streaming zero/copy costs, per-source statistics, parameters
// and determinism. Expected values are worked by hand in the comments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/common/params.h"
#include "models/common/stats.h"
#include "models/memory/memory_hierarchy.h"

namespace cowsim {
namespace {

constexpr ReplacementKind kLru = ReplacementKind::kLru;

CacheLevelParams level(uint64_t size, uint32_t ways, uint32_t latency, ReplacementKind policy = kLru,
                       uint32_t line = 64) {
  CacheLevelParams p;
  p.size = size;
  p.ways = ways;
  p.line = line;
  p.latency = latency;
  p.policy = policy;
  return p;
}

// Tiny, fully associative levels, so every eviction is easy to follow by hand:
// L1D 2 lines (1 set x 2 ways), L2 4 lines, LLC 8 lines, all LRU; distinct latencies.
MemoryHierarchyParams tiny() {
  MemoryHierarchyParams p;
  p.l1d = level(128, 2, 3);
  p.l2 = level(256, 4, 17);
  p.llc = level(512, 8, 61);
  p.dram.latency = 333;
  p.dram.bandwidth = 4.0;
  return p;
}

PhysAddr line(uint64_t n) { return PhysAddr{0x100000 + 64 * n}; }

// ---- parameters ----------------------------------------------------------------------------

TEST(HierarchyParams, DeclaredUnderTheCallersScopeWithUnitsAndDefaults) {
  MemoryHierarchyParams p;
  ParamRegistry r;
  {
    ParamRegistry::Scope s(r, "memory");
    p.declare(r);
  }
  // 5 per cache level x 3 + llc.shared + DRAM latency and bandwidth + contention and
  // channel_bandwidth (the shared channels) + the DRAM address map (7) and row timing (4) that
  // the copy engines use.
  EXPECT_EQ(r.params().size(), 31u);
  auto expect = [&](const std::string& path, const nlohmann::json& def, const std::string& unit) {
    const ParamInfo* i = r.find(path);
    ASSERT_NE(i, nullptr) << path;
    EXPECT_EQ(i->default_value, def) << path;
    EXPECT_EQ(i->unit, unit) << path;
    EXPECT_FALSE(i->description.empty()) << path;
    EXPECT_FALSE(i->range.empty()) << path;
  };
  expect("memory.l1d.size", 32768, "bytes");
  expect("memory.l1d.ways", 8, "ways");
  expect("memory.l1d.line", 64, "bytes");
  expect("memory.l1d.latency", 4, "cycles");
  expect("memory.l1d.policy", "plru", "");
  expect("memory.l2.size", 1048576, "bytes");
  expect("memory.l2.ways", 16, "ways");
  expect("memory.l2.latency", 14, "cycles");
  expect("memory.llc.size", 11534336, "bytes");  // 11 MiB
  expect("memory.llc.ways", 11, "ways");
  expect("memory.llc.latency", 77, "cycles");
  expect("memory.llc.policy", "lru", "");
  expect("memory.llc.shared", true, "");
  expect("memory.dram.latency", 240, "cycles");
  expect("memory.dram.bandwidth", 4.0, "bytes/cycle");
  expect("memory.dram.map.row_bits", 17, "bits");
  expect("memory.dram.timing.tras", 96, "cycles");
  EXPECT_EQ(r.find("memory.l1d.policy")->range, "lru|plru|random");

  r.apply_override("memory.l2.latency=20");
  r.apply_override("memory.llc.size=16M");
  r.apply_override("memory.l1d.policy=random");
  r.apply_override("memory.dram.bandwidth=2.5");
  EXPECT_EQ(p.l2.latency, 20u);
  EXPECT_EQ(p.llc.size, uint64_t{16} << 20);
  EXPECT_EQ(p.l1d.policy, ReplacementKind::kRandom);
  EXPECT_DOUBLE_EQ(p.dram.bandwidth, 2.5);
  EXPECT_THROW(r.apply_override("memory.dram.bandwidth=0"), InputError);  // below 0.01
  EXPECT_THROW(r.apply_override("memory.l1d.line=4"), InputError);        // below 8
}

TEST(HierarchyParams, DefaultsBuildAValidHierarchy) {
  MemoryHierarchy h(MemoryHierarchyParams{}, 1);
  EXPECT_EQ(h.l1d().sets(), 64u);
  EXPECT_EQ(h.l2().sets(), 1024u);
  EXPECT_EQ(h.llc().sets(), 16384u);
  EXPECT_EQ(h.dram_latency(), 240u);
}

TEST(HierarchyParams, GeometryErrorsAreInputErrorsNamingTheLevel) {
  auto message = [](const MemoryHierarchyParams& p) -> std::string {
    try {
      MemoryHierarchy h(p, 1);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  MemoryHierarchyParams p;
  p.l2.size = 1000000;  // not a multiple of 16 x 64 = 1024
  EXPECT_NE(message(p).find("memory.l2: size (1000000 bytes)"), std::string::npos) << message(p);
  p = MemoryHierarchyParams{};
  p.llc.size = 12 * 11 * 64 * 1024;  // 12288 sets
  EXPECT_NE(message(p).find("memory.llc: "), std::string::npos) << message(p);
  EXPECT_NE(message(p).find("12288 sets"), std::string::npos) << message(p);
  p = MemoryHierarchyParams{};
  p.llc.policy = ReplacementKind::kTreePlru;  // 11 ways
  EXPECT_NE(message(p).find("memory.llc: tree-PLRU"), std::string::npos) << message(p);
  p = MemoryHierarchyParams{};
  p.l1d.line = 96;
  EXPECT_NE(message(p).find("memory.l1d: line (96 bytes)"), std::string::npos) << message(p);
}

// ---- sweeps --------------------------------------------------------------------------------

TEST(MemoryHierarchy, SweepThatFitsL1HitsOnTheSecondPass) {
  // Default L1D: 32 KiB = 512 lines, 8 per set: the sweep fills the invalid ways, no victim.
  MemoryHierarchy h(MemoryHierarchyParams{}, 1);
  for (uint64_t a = 0; a < 32768; a += 64) {
    AccessResult r = h.access(PhysAddr{0x200000 + a}, false, Source::kData);
    EXPECT_EQ(r.where, Level::kDram);
    EXPECT_EQ(r.latency, Cycles{240});
  }
  for (uint64_t a = 0; a < 32768; a += 64) {
    AccessResult r = h.access(PhysAddr{0x200000 + a}, false, Source::kData);
    EXPECT_EQ(r.where, Level::kL1);
    EXPECT_EQ(r.latency, Cycles{4});
  }
  EXPECT_EQ(h.l1d().hits(), 512u);
  EXPECT_EQ(h.l1d().misses(), 512u);
  EXPECT_EQ(h.l2().hits() + h.l2().misses(), 512u);  // L2 sees only L1D misses
  EXPECT_EQ(h.llc().misses(), 512u);
  EXPECT_EQ(h.dram_accesses(), 512u);
}

TEST(MemoryHierarchy, SweepOfL1PlusOneLineThrashesOneSetUnderLru) {
  // 32 KiB + 64 B = 513 lines: sets 1..63 hold 8 lines each and hit; set 0 holds lines
  // 0, 64, ..., 512 = 9 lines in 8 ways, which a cyclic sweep under LRU misses every time
  // (each miss evicts the line needed next). L2 (1024 sets x 16 ways) holds all 513.
  MemoryHierarchyParams p;
  p.l1d.policy = kLru;
  MemoryHierarchy h(p, 1);
  for (uint64_t i = 0; i < 513; ++i) h.access(PhysAddr{64 * i}, false, Source::kData);
  for (int pass = 0; pass < 2; ++pass) {
    uint64_t cycles = 0, l2_hits = 0;
    for (uint64_t i = 0; i < 513; ++i) {
      AccessResult r = h.access(PhysAddr{64 * i}, false, Source::kData);
      EXPECT_EQ(r.where, i % 64 == 0 ? Level::kL2 : Level::kL1) << "line " << i;
      cycles += r.latency.value;
      l2_hits += r.where == Level::kL2;
    }
    EXPECT_EQ(l2_hits, 9u);
    EXPECT_EQ(cycles, 504u * 4 + 9u * 14);  // 2142
  }
}

TEST(MemoryHierarchy, SweepOfL1PlusOneWayMissesL1EveryTimeButHitsL2) {
  // 36 KiB = 576 lines, 9 per L1D set: under LRU every L1D access misses after the first pass,
  // and every one hits L2 (576 lines fit L2 without conflict).
  MemoryHierarchyParams p;
  p.l1d.policy = kLru;
  MemoryHierarchy h(p, 1);
  for (uint64_t i = 0; i < 576; ++i) EXPECT_EQ(h.access(PhysAddr{64 * i}, false, Source::kData).where, Level::kDram);
  for (int pass = 0; pass < 3; ++pass)
    for (uint64_t i = 0; i < 576; ++i) {
      AccessResult r = h.access(PhysAddr{64 * i}, false, Source::kData);
      EXPECT_EQ(r.where, Level::kL2);
      EXPECT_EQ(r.latency, Cycles{14});
    }
  EXPECT_EQ(h.l1d().hits(), 0u);
  EXPECT_EQ(h.l1d().misses(), 4u * 576);
  EXPECT_EQ(h.l2().hits(), 3u * 576);
  EXPECT_EQ(h.dram_accesses(), 576u);
}

// ---- conflicts and latency -----------------------------------------------------------------

TEST(MemoryHierarchy, AssociativityConflictEvictsFromL1InLruOrder) {
  // Default geometry, LRU L1D: addresses 4096 apart share L1D set 0 (64 sets x 64 B) and fall
  // in distinct L2 sets. Nine of them (ways + 1) overflow the 8 ways.
  MemoryHierarchyParams p;
  p.l1d.policy = kLru;
  MemoryHierarchy h(p, 1);
  auto A = [](int k) { return PhysAddr{0x40000000 + 4096u * k}; };
  for (int k = 0; k <= 8; ++k) h.access(A(k), false, Source::kData);  // A8 evicts A0
  EXPECT_EQ(h.probe(A(0)), Level::kL2);
  EXPECT_EQ(h.l1d().evictions(), 1u);
  EXPECT_EQ(h.access(A(3), false, Source::kData).where, Level::kL1);  // LRU: A1 A2 A4 .. A8 A3
  EXPECT_EQ(h.access(A(0), false, Source::kData).where, Level::kL2);  // evicts A1
  EXPECT_EQ(h.probe(A(1)), Level::kL2);
  EXPECT_EQ(h.access(A(1), false, Source::kData).where, Level::kL2);  // evicts A2
  EXPECT_EQ(h.access(A(2), false, Source::kData).where, Level::kL2);  // evicts A4, not A3
  EXPECT_EQ(h.probe(A(3)), Level::kL1);
  EXPECT_EQ(h.probe(A(4)), Level::kL2);
  EXPECT_EQ(h.l1d().evictions(), 4u);
}

TEST(MemoryHierarchy, LatencyIsThatOfTheLevelThatHit) {
  // tiny(): L1D 3, L2 17, LLC 61, DRAM 333 cycles; fully associative LRU levels of 2/4/8 lines.
  {
    MemoryHierarchy h(tiny(), 1);
    AccessResult r = h.access(line(0), false, Source::kData);
    EXPECT_EQ(r.where, Level::kDram);
    EXPECT_EQ(r.latency, Cycles{333});
    r = h.access(line(0), false, Source::kData);
    EXPECT_EQ(r.where, Level::kL1);
    EXPECT_EQ(r.latency, Cycles{3});
  }
  {
    // A B C: L1D keeps B C, L2 keeps A B C.
    MemoryHierarchy h(tiny(), 1);
    for (int k = 0; k < 3; ++k) h.access(line(k), false, Source::kData);
    AccessResult r = h.access(line(0), false, Source::kData);
    EXPECT_EQ(r.where, Level::kL2);
    EXPECT_EQ(r.latency, Cycles{17});  // not 3 + 17
    EXPECT_EQ(h.probe(line(0)), Level::kL1);  // filled on the way back
  }
  {
    // A..E: L1D keeps D E, L2 keeps B C D E, LLC keeps A..E.
    MemoryHierarchy h(tiny(), 1);
    for (int k = 0; k < 5; ++k) h.access(line(k), false, Source::kData);
    EXPECT_EQ(h.probe(line(0)), Level::kLlc);
    AccessResult r = h.access(line(0), false, Source::kData);
    EXPECT_EQ(r.where, Level::kLlc);
    EXPECT_EQ(r.latency, Cycles{61});
    EXPECT_TRUE(h.l2().contains(line(0)));  // filled L2 and L1D
    EXPECT_EQ(h.probe(line(0)), Level::kL1);
  }
}

TEST(MemoryHierarchy, LevelsMayHaveDifferentLineSizes) {
  // L2 with 128-byte lines: a miss at 0x...000 brings 0x...040 into L2 too.
  MemoryHierarchyParams p = tiny();
  p.l2 = level(512, 4, 17, kLru, 128);
  MemoryHierarchy h(p, 1);
  EXPECT_EQ(h.access(PhysAddr{0x8000}, false, Source::kData).where, Level::kDram);
  EXPECT_EQ(h.access(PhysAddr{0x8040}, false, Source::kData).where, Level::kL2);
  EXPECT_EQ(h.access(PhysAddr{0x8080}, false, Source::kData).where, Level::kDram);
}

// ---- inclusion and write-backs -------------------------------------------------------------

TEST(MemoryHierarchy, NonInclusiveAnL2EvictionLeavesL1Alone) {
  // L1D: 2 sets x 1 way; L2: 1 set x 2 ways. X = line 0 (L1D set 0), Y = line 1 and
  // Z = line 3 (both L1D set 1). After X Y Z, L2 holds Y Z (X evicted) while L1D still has X.
  MemoryHierarchyParams p = tiny();
  p.l1d = level(128, 1, 3);
  p.l2 = level(128, 2, 17);
  MemoryHierarchy h(p, 1);
  for (uint64_t n : {0, 1, 3}) h.access(line(n), false, Source::kData);
  EXPECT_FALSE(h.l2().contains(line(0)));
  EXPECT_TRUE(h.llc().contains(line(0)));
  EXPECT_EQ(h.probe(line(0)), Level::kL1);  // no back-invalidation
  EXPECT_EQ(h.access(line(0), false, Source::kData).where, Level::kL1);
}

TEST(MemoryHierarchy, DirtyVictimsAreWrittenBackToTheNextLevelHoldingThem) {
  MemoryHierarchy h(tiny(), 1);
  h.access(line(0), /*write=*/true, Source::kData);  // A dirty in L1D only
  h.access(line(1), false, Source::kData);
  h.access(line(2), false, Source::kData);  // L1D evicts A (dirty): L2 holds A, absorbs it
  EXPECT_EQ(h.l1d().dirty_evictions(), 1u);
  EXPECT_EQ(h.dram_writebacks(), 0u);
  h.access(line(3), false, Source::kData);
  h.access(line(4), false, Source::kData);  // L2 (A B C D) evicts A, now dirty: LLC absorbs
  EXPECT_EQ(h.l2().dirty_evictions(), 1u);
  EXPECT_EQ(h.dram_writebacks(), 0u);
  for (int k = 5; k < 8; ++k) h.access(line(k), false, Source::kData);
  EXPECT_EQ(h.dram_writebacks(), 0u);  // LLC holds A..H, 8 ways: nothing evicted yet
  h.access(line(8), false, Source::kData);  // LLC evicts A, dirty: written back to DRAM
  EXPECT_EQ(h.llc().dirty_evictions(), 1u);
  EXPECT_EQ(h.dram_writebacks(), 1u);
  // Every other eviction was clean.
  EXPECT_EQ(h.l1d().evictions(), 7u);  // 9 lines through 2 ways
  EXPECT_EQ(h.l1d().dirty_evictions(), 1u);
  EXPECT_EQ(h.l2().dirty_evictions(), 1u);
}

TEST(MemoryHierarchy, DirtyVictimSkipsALevelThatNoLongerHoldsIt) {
  // The non-inclusive geometry above: X written, then evicted from L2 while L1D keeps it.
  MemoryHierarchyParams p = tiny();
  p.l1d = level(128, 1, 3);
  p.l2 = level(128, 2, 17);
  MemoryHierarchy h(p, 1);
  h.access(line(0), true, Source::kData);  // X dirty in L1D
  h.access(line(1), false, Source::kData);
  h.access(line(3), false, Source::kData);  // L2 drops X (clean there)
  h.access(line(2), false, Source::kData);  // L1D set 0 evicts X, dirty: L2 lacks it, LLC absorbs
  EXPECT_EQ(h.l1d().dirty_evictions(), 1u);
  EXPECT_EQ(h.l2().dirty_evictions(), 0u);
  EXPECT_EQ(h.dram_writebacks(), 0u);
  // LLC (8 ways) holds lines 0 1 3 2 in that LRU order; lines 4..7 fill it, line 8 evicts X.
  for (int k = 4; k < 8; ++k) h.access(line(k), false, Source::kData);
  EXPECT_EQ(h.dram_writebacks(), 0u);
  h.access(line(8), false, Source::kData);
  EXPECT_EQ(h.dram_writebacks(), 1u);
  EXPECT_EQ(h.llc().dirty_evictions(), 1u);
}

// ---- zero and copy -------------------------------------------------------------------------

TEST(MemoryHierarchy, ZeroAndCopyFollowTheBandwidth) {
  // Defaults: DRAM latency 240, bandwidth 4 bytes/cycle. Zeroing moves the bytes once,
  // copying twice (read + write).
  MemoryHierarchy h(MemoryHierarchyParams{}, 1);
  EXPECT_EQ(h.zero_cycles(4096), Cycles{240 + 4096 / 4});              // 1264
  EXPECT_EQ(h.copy_cycles(4096), Cycles{240 + 8192 / 4});              // 2288
  EXPECT_EQ(h.zero_cycles(2 << 20), Cycles{240 + (2 << 20) / 4});      // 524528
  EXPECT_EQ(h.copy_cycles(2 << 20), Cycles{240 + 2 * (2 << 20) / 4});  // 1048816
  EXPECT_EQ(h.zero_cycles(0), Cycles{0});
  EXPECT_EQ(h.copy_cycles(0), Cycles{0});
  // 2 MiB is 512 pages: the transfer part scales exactly, the latency is paid once.
  EXPECT_EQ(h.copy_cycles(2 << 20).value - 240, 512 * (h.copy_cycles(4096).value - 240));
  // Shape check against sources.md (memcpy 4 KiB from DRAM 0.7-0.9 us = 2100-2700 cycles
  // at 3 GHz): 2288 cycles = 0.76 us.
  EXPECT_GE(h.copy_cycles(4096).value, 2100u);
  EXPECT_LE(h.copy_cycles(4096).value, 2700u);

  // A bandwidth that does not divide: transfer cycles round up.
  MemoryHierarchyParams p;
  p.dram.latency = 100;
  p.dram.bandwidth = 3.0;
  MemoryHierarchy g(p, 1);
  EXPECT_EQ(g.zero_cycles(4096), Cycles{100 + 1366});     // 4096 / 3 = 1365.33
  EXPECT_EQ(g.copy_cycles(4096), Cycles{100 + 2731});     // 8192 / 3 = 2730.67
  EXPECT_EQ(g.copy_cycles(2 << 20), Cycles{100 + 1398102});  // 4194304 / 3 = 1398101.33
  EXPECT_EQ(g.zero_cycles(3), Cycles{100 + 1});
}

TEST(MemoryHierarchy, ZeroAndCopyAreStreamingAndCounted) {
  MemoryHierarchy h(MemoryHierarchyParams{}, 1);
  const PhysAddr a{0x10000}, b{0x20000}, c{0x30000};
  h.access(a, false, Source::kData);  // A now in every level
  const uint64_t l1_hits = h.l1d().hits(), l1_misses = h.l1d().misses(), dram = h.dram_accesses();
  EXPECT_EQ(h.copy_page(b, a, 4096), Cycles{2288});
  EXPECT_EQ(h.zero_page(c, 4096), Cycles{1264});
  EXPECT_EQ(h.zero_page(c, 2 << 20), Cycles{524528});
  // Nothing installed, nothing invalidated, no access counted.
  EXPECT_EQ(h.probe(a), Level::kL1);
  EXPECT_EQ(h.probe(b), Level::kDram);
  EXPECT_EQ(h.probe(c), Level::kDram);
  EXPECT_EQ(h.l1d().hits(), l1_hits);
  EXPECT_EQ(h.l1d().misses(), l1_misses);
  EXPECT_EQ(h.dram_accesses(), dram);
  EXPECT_EQ(h.bytes_copied(), 4096u);
  EXPECT_EQ(h.bytes_zeroed(), 4096u + (2 << 20));

  StatSink s;
  h.report(s);
  const auto& d = s.json()["dram"];
  EXPECT_EQ(d["copy_ops"], 1);
  EXPECT_EQ(d["zero_ops"], 2);
  EXPECT_EQ(d["bytes_copied"], 4096);
  EXPECT_EQ(d["bytes_zeroed"], 4096 + (2 << 20));
  EXPECT_EQ(d["bytes_streamed"], 2 * 4096 + 4096 + (2 << 20));
  EXPECT_EQ(d["stream_cycles"], 2288 + 1264 + 524528);
  EXPECT_EQ(d["accesses"], 1);
}

// ---- statistics by source ------------------------------------------------------------------

TEST(MemoryHierarchy, SourcesAreCountedSeparately) {
  // tiny(): L1D 2 lines, L2 4, LLC 8, all LRU.
  MemoryHierarchy h(tiny(), 1);
  const PhysAddr A = line(0), P = line(1), K = line(2);
  EXPECT_EQ(h.access(A, false, Source::kData).where, Level::kDram);      // L1D {A}
  EXPECT_EQ(h.access(P, false, Source::kPageWalk).where, Level::kDram);  // L1D {A P}
  EXPECT_EQ(h.access(K, true, Source::kKernel).where, Level::kDram);     // L1D {P K}
  EXPECT_EQ(h.access(K, false, Source::kKernel).where, Level::kL1);      // L1D order P K
  EXPECT_EQ(h.access(A, false, Source::kData).where, Level::kL2);        // evicts P: {K A}
  EXPECT_EQ(h.access(P, false, Source::kPageWalk).where, Level::kL2);    // evicts K (dirty): {A P}

  StatSink s;
  {
    StatSink::Scope sc(s, "memory");
    h.report(s);
  }
  const auto& m = s.json()["memory"];
  // L1D: data 0 hits / 2 misses, page walk 0 / 2, kernel 1 / 1.
  EXPECT_EQ(m["l1d"]["data"]["hits"], 0);
  EXPECT_EQ(m["l1d"]["data"]["misses"], 2);
  EXPECT_EQ(m["l1d"]["page_walk"]["hits"], 0);
  EXPECT_EQ(m["l1d"]["page_walk"]["misses"], 2);
  EXPECT_EQ(m["l1d"]["kernel"]["hits"], 1);
  EXPECT_EQ(m["l1d"]["kernel"]["misses"], 1);
  EXPECT_EQ(m["l1d"]["hits"], 1);
  EXPECT_EQ(m["l1d"]["misses"], 5);
  EXPECT_EQ(m["l1d"]["evictions"], 3);        // A, P, K
  EXPECT_EQ(m["l1d"]["dirty_evictions"], 1);  // K was written
  // L2: data 1 / 1, page walk 1 / 1, kernel 0 / 1.
  EXPECT_EQ(m["l2"]["data"]["hits"], 1);
  EXPECT_EQ(m["l2"]["data"]["misses"], 1);
  EXPECT_EQ(m["l2"]["page_walk"]["hits"], 1);
  EXPECT_EQ(m["l2"]["page_walk"]["misses"], 1);
  EXPECT_EQ(m["l2"]["kernel"]["hits"], 0);
  EXPECT_EQ(m["l2"]["kernel"]["misses"], 1);
  // LLC: one miss per source; DRAM: one access per source.
  EXPECT_EQ(m["llc"]["data"]["misses"], 1);
  EXPECT_EQ(m["llc"]["page_walk"]["misses"], 1);
  EXPECT_EQ(m["llc"]["kernel"]["misses"], 1);
  EXPECT_EQ(m["llc"]["hits"], 0);
  EXPECT_EQ(m["dram"]["accesses"], 3);
  EXPECT_EQ(m["dram"]["data"]["accesses"], 1);
  EXPECT_EQ(m["dram"]["page_walk"]["accesses"], 1);
  EXPECT_EQ(m["dram"]["kernel"]["accesses"], 1);
  EXPECT_EQ(m["dram"]["writebacks"], 0);  // K's write-back was absorbed by L2
  EXPECT_NE(s.text().find("memory.l2.page_walk.hits 1 # "), std::string::npos) << s.text();
}

// ---- determinism ---------------------------------------------------------------------------

struct RandomRun {
  std::vector<uint64_t> latencies;
  nlohmann::json stats;
};

// All three levels random; a fixed pseudo-random stream over 64 KiB, larger than every level.
RandomRun run_random(uint64_t seed) {
  MemoryHierarchyParams p;
  p.l1d = level(1024, 4, 4, ReplacementKind::kRandom);
  p.l2 = level(4096, 4, 14, ReplacementKind::kRandom);
  p.llc = level(16384, 8, 77, ReplacementKind::kRandom);
  MemoryHierarchy h(p, seed);
  RandomRun r;
  uint64_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;  // fixed stream, independent of seed
    PhysAddr pa{(x >> 33) % 65536};
    r.latencies.push_back(h.access(pa, (x >> 20) & 1, Source::kData).latency.value);
  }
  StatSink s;
  h.report(s);
  r.stats = s.json();
  return r;
}

TEST(MemoryHierarchy, SharedLlcServesOneCoresLinesToAnother) {
  MemoryHierarchyParams p = tiny();
  Cache llc("llc", p.llc, 7);
  MemoryHierarchy a(p, 1, &llc), b(p, 2, &llc);
  PhysAddr x{0x100000};
  EXPECT_EQ(a.access(x, false, Source::kData).where, Level::kDram);  // fills a's L1, L2 and the LLC
  AccessResult r = b.access(x, false, Source::kData);
  EXPECT_EQ(r.where, Level::kLlc);  // b's private levels miss, the shared LLC hits
  EXPECT_EQ(r.latency, Cycles{61});
  EXPECT_EQ(llc.hits(), 1u);
  EXPECT_EQ(llc.misses(), 1u);
  EXPECT_TRUE(a.llc_shared());
  // The per-core report leaves the shared level out: its owner reports it once.
  StatSink s;
  a.report(s);
  EXPECT_FALSE(s.json().contains("llc"));
  EXPECT_TRUE(s.json().contains("l2"));
}

TEST(MemoryHierarchy, PrivateLlcsDoNotSeeEachOthersLines) {
  MemoryHierarchyParams p = tiny();
  MemoryHierarchy a(p, 1), b(p, 2);
  PhysAddr x{0x100000};
  a.access(x, false, Source::kData);
  EXPECT_EQ(b.access(x, false, Source::kData).where, Level::kDram);
  EXPECT_FALSE(a.llc_shared());
  StatSink s;
  a.report(s);
  EXPECT_EQ(s.json()["llc"]["misses"], 1);
}

TEST(MemoryHierarchy, RandomPolicyIsDeterministicPerSeed) {
  RandomRun a = run_random(7), b = run_random(7), c = run_random(8);
  EXPECT_EQ(a.latencies, b.latencies);
  EXPECT_EQ(a.stats, b.stats);
  EXPECT_NE(a.latencies, c.latencies);  // another seed picks other victims
  EXPECT_NE(a.stats, c.stats);
}

}  // namespace
}  // namespace cowsim
