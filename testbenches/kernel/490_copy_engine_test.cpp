// The copy engines (models/kernel/copy_engine.h), the DRAM address map they use and
// subarray-aware allocation. Every expected cycle count is worked out by hand in the comment
// above it from the defaults: memory.dram.latency 240, bandwidth 4 B/cycle; DDR4-2666 timing
// tRCD 43, tRAS 96, tRP 43, tburst 9; address map column 13 bits (pfn bit 0), channel 1 bit
// (pfn bit 1), bank 4 bits (pfn bits 2-5), rank 1 bit (pfn bit 6), row above (pfn bits 7+).
#include <gtest/gtest.h>

#include "models/common/error.h"
#include "models/kernel/copy_engine.h"
#include "models/memory/memory_hierarchy.h"
#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim::test {
namespace {

PhysAddr line_of(Pfn f, uint64_t i) { return PhysAddr{frame_address(f).value + 64 * i}; }

TEST(DramMapTest, DecodesTheDefaultRowInterleavedMap) {
  DramMap m{DramMapParams{}};
  // pfn 0x1234d = 0b1_0010_0011_0100_1101: column bit 1 (addr 0x1000), channel 0, bank
  // 0b0011 = 3, rank 1, row 0x1234d >> 7 = 0x246.
  DramLocation l = m.locate(Pfn{0x1234d});
  EXPECT_EQ(l.column, 0x1000u);
  EXPECT_EQ(l.channel, 0u);
  EXPECT_EQ(l.bank, 3u);
  EXPECT_EQ(l.rank, 1u);
  EXPECT_EQ(l.row, 0x246u);
  // Next row (pfn + 128): same subarray (0x246 / 512 == 0x247 / 512), same column: FPM.
  EXPECT_TRUE(m.fpm_pair(Pfn{0x1234d}, Pfn{0x1234d + 128}));
  // The other half of the same row: same subarray, other column: no FPM.
  EXPECT_FALSE(m.fpm_pair(Pfn{0x1234d}, Pfn{0x1234c}));
  // Row 511 and row 512 of one bank: different subarrays.
  EXPECT_FALSE(m.fpm_pair(Pfn{511ull << 7}, Pfn{512ull << 7}));
  EXPECT_TRUE(m.fpm_pair(Pfn{510ull << 7}, Pfn{511ull << 7}));
}

TEST(DramMapTest, AMapThatDoesNotCoverMemoryIsAnErrorNamingTheKey) {
  DramMapParams p;
  p.row_bits = 10;  // 13 + 1 + 4 + 1 + 10 = 29 bits = 512 MiB < 1 GiB
  DramMap m{p};
  EXPECT_NO_THROW(m.check(512 * kMiB));
  try {
    m.check(1024 * kMiB);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("memory.dram.map.row_bits"), std::string::npos) << e.what();
  }
  p.row_bits = 17;
  p.rows_per_subarray = 500;
  EXPECT_THROW(DramMap{p}.check(kMiB), InputError);
}

// subarray_low: subarray number right above the rank bit (pfn bits 7-14 with 2^17 rows of 512
// per subarray: 256 subarrays), the row within the subarray on top (pfn bits 15-23).
TEST(DramMapTest, SubarrayLowSpreadsEverySubarrayOverMemory) {
  DramMapParams p;
  p.subarray_low = true;
  DramMap m{p};
  const Pfn f{(uint64_t{3} << 15) | (uint64_t{5} << 7) | 1};  // row-in-subarray 3, subarray 5, right half
  DramLocation l = m.locate(f);
  EXPECT_EQ(l.row, 5u * 512 + 3);
  EXPECT_EQ(m.row_in_subarray(f), 3u);
  // Row 7 of the same subarray is 4 x 2^15 frames (4 x 128 MiB) further; FPM can copy between them.
  EXPECT_EQ(m.in_subarray_row(f, 7).value, f.value + 4 * (uint64_t{1} << 15));
  EXPECT_TRUE(m.fpm_pair(f, m.in_subarray_row(f, 7)));
  EXPECT_FALSE(m.fpm_pair(f, Pfn{f.value + 128}));  // the next stripe: subarray 6
  // The contiguous map: the row within the subarray is the low row bits (pfn bits 7-15).
  DramMap c{DramMapParams{}};
  EXPECT_EQ(c.in_subarray_row(Pfn{1024 + 1}, 0).value, 1u);  // row 8 -> row 0, same column
}

// alloc_exact carves never-used blocks; alloc() then skips them, and no frame is handed out twice.
TEST(FrameAllocatorExact, CarvesNeverUsedBlocksAndNeverHandsAFrameOutTwice) {
  FrameAllocator a(64 * 512);  // 64 blocks of 2 MiB
  const Pfn want{5 * 512 + 7};  // block 5, never used (the bump region starts at block 2)
  ASSERT_EQ(a.alloc_exact(want), want);
  EXPECT_EQ(a.alloc_exact(want), std::nullopt);                  // already handed out
  EXPECT_EQ(a.alloc_exact(Pfn{5 * 512 + 8}), Pfn{5 * 512 + 8});   // same carved block, other frame
  EXPECT_EQ(a.alloc_exact(Pfn{1}), std::nullopt);                // below the bump region: maybe in use
  // Huge blocks from the bump region: 2, 3, 4, then 6 (5 is carved).
  std::vector<uint64_t> heads;
  for (int i = 0; i < 4; ++i) heads.push_back(a.alloc_huge()->value / 512);
  EXPECT_EQ(heads, (std::vector<uint64_t>{2, 3, 4, 6}));
  EXPECT_EQ(a.in_use(), 2u + 4 * 512);
}

class CopyEngineTest : public ::testing::Test {
 protected:
  CopyEngineTest() : caches_(MemoryHierarchyParams{}, 1, nullptr, uint64_t{1} << 30) {}
  template <class E>
  std::unique_ptr<E> make() {
    auto e = std::make_unique<E>(p_, dram_, cost_);
    e->attach_caches(0, &caches_);
    return e;
  }
  CopyEngineParams p_;
  DramParams dram_;
  KernelCosts cost_;
  MemoryHierarchy caches_;
};

// FPM: 2 tRAS + tRP = 2 x 96 + 43 = 235 cycles; cpu_nt: 240 + 8192 / 4 = 2288 cycles, 9.7x.
TEST_F(CopyEngineTest, RowCloneFpmPsmAndCpuPathsByPlacement) {
  auto e = make<RowCloneCopyEngine>();
  const Pfn src{1024};  // row 8 of channel 0, bank 0, rank 0, left half
  Cost fpm, psm, cpu;
  e->copy(src, Pfn{1024 + 128}, kPageSize, 0, fpm);  // row 9, same subarray
  EXPECT_EQ(fpm.step(Step::kCopy), 235u);
  // PSM (pfn + 4: bank 1): max(tRCD + 64 x tburst, tRAS) + tRP = max(43 + 576, 96) + 43 = 662.
  e->copy(src, Pfn{1024 + 4}, kPageSize, 0, psm);
  EXPECT_EQ(psm.step(Step::kCopy), 662u);
  // pfn + 2 is on the other channel: the cpu_nt stream, 240 + 2 x 4096 / 4 = 2288.
  e->copy(src, Pfn{1024 + 2}, kPageSize, 0, cpu);
  EXPECT_EQ(cpu.step(Step::kCopy), 2288u);
  EXPECT_GE(cpu.step(Step::kCopy), 9 * fpm.step(Step::kCopy));
  EXPECT_EQ(e->mode(src, Pfn{1024 + 1}), RowCloneCopyEngine::Mode::kCpu);  // same bank, other half
}

// Dirty source lines are written back first, cached destination lines invalidated.
TEST_F(CopyEngineTest, RowCloneWritesBackDirtySourceLinesAndInvalidatesTheDestination) {
  auto e = make<RowCloneCopyEngine>();
  const Pfn src{1024}, dst{1024 + 128};
  for (uint64_t i : {0, 5, 63}) caches_.access(line_of(src, i), true, Source::kData);  // 3 dirty lines
  caches_.access(line_of(src, 7), false, Source::kData);                              // clean: no write-back
  for (uint64_t i : {1, 2}) caches_.access(line_of(dst, i), false, Source::kData);     // 2 cached lines
  const uint64_t wb_before = caches_.dram_writebacks();
  Cost c;
  e->copy(src, dst, kPageSize, 0, c);
  // write-back: 240 + ceil(3 x 64 / 4) = 288; invalidation: 2 x 4 = 8; FPM 235. Total 531.
  EXPECT_EQ(c.step(Step::kCopy), 531u);
  EXPECT_EQ(caches_.dram_writebacks() - wb_before, 3u);
  EXPECT_EQ(caches_.probe(line_of(src, 0)), Level::kL1);   // still cached, now clean:
  EXPECT_FALSE(caches_.clean_line(line_of(src, 0), true));  // nothing left to write back
  EXPECT_EQ(caches_.probe(line_of(dst, 1)), Level::kDram);
  EXPECT_EQ(caches_.probe(line_of(dst, 2)), Level::kDram);
  // A second copy finds nothing to clean or invalidate: FPM alone.
  Cost again;
  e->copy(src, dst, kPageSize, 0, again);
  EXPECT_EQ(again.step(Step::kCopy), 235u);
}

// Zeroing: FPM from the subarray's zero row, 235 per 4 KiB; a 2 MiB page 512 x 235.
TEST_F(CopyEngineTest, RowCloneZeroesWithFpm) {
  auto e = make<RowCloneCopyEngine>();
  Cost c, huge;
  e->zero(Pfn{2048}, kPageSize, 0, c);
  EXPECT_EQ(c.step(Step::kZero), 235u);
  e->zero(Pfn{4096}, kHugePageSize, 0, huge);
  EXPECT_EQ(huge.step(Step::kZero), 512u * 235);
}

// cpu: 64 source reads + 64 destination writes through the caches, mlp 10.
TEST_F(CopyEngineTest, CpuCopiesThroughTheCaches) {
  CpuCopyEngine e(p_, dram_);
  e.attach_caches(0, &caches_);
  Cost cold;
  e.copy(Pfn{1024}, Pfn{2048}, kPageSize, 0, cold);
  // All 128 accesses miss to DRAM: max(ceil(128 x 240 / 10), ceil(128 x 64 / 4)) = max(3072, 2048).
  EXPECT_EQ(cold.step(Step::kCopy), 3072u);
  EXPECT_EQ(caches_.l1d().misses(Source::kKernel), 128u);
  EXPECT_EQ(caches_.probe(line_of(Pfn{2048}, 10)), Level::kL1);  // the new page is cached
  Cost warm;
  e.copy(Pfn{1024}, Pfn{3072}, kPageSize, 0, warm);
  // Source hits L1D (64 x 4 = 256), destination misses (64 x 240 = 15360):
  // max(ceil(15616 / 10), ceil(64 x 64 / 4)) = max(1562, 1024) = 1562.
  EXPECT_EQ(warm.step(Step::kCopy), 1562u);
  Cost z;
  e.zero(Pfn{4096}, kPageSize, 0, z);  // 64 write misses: max(ceil(15360 / 10), 1024) = 1536
  EXPECT_EQ(z.step(Step::kZero), 1536u);
}

// dma: setup 1500 + 240 + ceil(8192 / 4) = 3788, + 4 per cached destination line; sleep adds
// two context switches (2 x 4000).
TEST_F(CopyEngineTest, DmaSetupBandwidthInvalidationAndSleep) {
  auto e = make<DmaCopyEngine>();
  caches_.access(line_of(Pfn{2048}, 3), true, Source::kData);  // a cached (dirty) destination line
  Cost c;
  e->copy(Pfn{1024}, Pfn{2048}, kPageSize, 0, c);
  EXPECT_EQ(c.step(Step::kCopy), 3792u);
  EXPECT_EQ(caches_.probe(line_of(Pfn{2048}, 3)), Level::kDram);
  EXPECT_EQ(caches_.probe(line_of(Pfn{1024}, 0)), Level::kDram);  // the source was not brought in
  Cost z;
  e->zero(Pfn{2048}, kPageSize, 0, z);  // 1500 + 240 + 4096 / 4 = 2764
  EXPECT_EQ(z.step(Step::kZero), 2764u);
  p_.dma_wait = DmaWait::kSleep;
  auto sleeper = make<DmaCopyEngine>();
  Cost s;
  sleeper->copy(Pfn{1024}, Pfn{2048}, kPageSize, 0, s);
  EXPECT_EQ(s.step(Step::kCopy), 3788u + 8000);
}

// One CoW fault per engine through the kernel (one kernel per test: a PhysicalMemory holds
// one kernel's tables). The fault costs entry 150 + fault_base 3000 + page_alloc 1200 +
// pte_update 30 + cow_replace 3000 + invlpg 300 + return 150 = 7830, plus the engine's copy.
// Without caches attached, the engines' coherence work finds nothing cached.
class CowEngineTest : public KernelTest {
 protected:
  static constexpr uint64_t kBaseCycles = 7830;
  struct Result {
    uint64_t cycles;
    Pfn src, dst;
  };
  Result cow(CopyEngineKind engine, AllocPolicy policy) {
    params_ = KernelParams{};
    params_.cost.derive_from(params_.dram);  // page_copy = 240 + 8192 / 4 = 2288
    params_.copy.engine = engine;
    params_.copy.zero_engine = ZeroEngineKind::kCpuNt;  // the parent's first write zero-fills as cpu_nt
    params_.copy.alloc_policy = policy;
    kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
    Process& p = start(1);
    map_anon(p, kBase, kPageSize);
    touch(p, kBase, AccessType::kWrite);
    const Pfn src = frame(p, kBase);
    k().fork(p, 2, false, 0, Cycles{0});
    FaultResult r = fault(p, kBase, AccessType::kWrite);
    EXPECT_EQ(r.outcome, FaultOutcome::kCowCopy);
    return {r.cycles.value, src, frame(p, kBase)};
  }
};

TEST_F(CowEngineTest, CpuNtCopyIsTheDramStream) {
  EXPECT_EQ(cow(CopyEngineKind::kCpuNt, AllocPolicy::kDefault).cycles, kBaseCycles + 2288);
}

TEST_F(CowEngineTest, RowCloneWithSameSubarrayAllocationIsFpm) {
  const Result rc = cow(CopyEngineKind::kRowClone, AllocPolicy::kSameSubarray);
  EXPECT_TRUE(DramMap(DramMapParams{}).fpm_pair(rc.src, rc.dst));
  EXPECT_EQ(rc.cycles, kBaseCycles + 235);  // 2 tRAS + tRP
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["alloc"]["same_subarray_hits"], 1);
  EXPECT_EQ(s.json()["copy_engine"]["rowclone"]["fpm"]["pages"], 1);
  EXPECT_EQ(s.json()["copy_engine"]["rowclone"]["copy_bytes"], 4096);
}

TEST_F(CowEngineTest, RowCloneWithDefaultAllocationCostsWhatItsPlacementAllows) {
  const Result plain = cow(CopyEngineKind::kRowClone, AllocPolicy::kDefault);
  // The default allocator hands out frames in order: the parent's page is frame 6, its copy
  // frame 11. Decoded by hand with the default map (column 13 bits, then channel 1, bank 4,
  // rank 1): 0x6000 -> channel 1, bank 1, rank 0; 0xB000 -> channel 1, bank 2, rank 0. Same
  // channel and rank, another bank: Pipelined Serial Mode, max(tRCD + 64 bursts, tRAS) + tRP.
  EXPECT_EQ(plain.src, Pfn{6});
  EXPECT_EQ(plain.dst, Pfn{11});
  EXPECT_EQ(plain.cycles, kBaseCycles + 662);
}

TEST_F(CowEngineTest, DmaCowFault) {
  EXPECT_EQ(cow(CopyEngineKind::kDma, AllocPolicy::kDefault).cycles, kBaseCycles + 3788);  // 1500 + 240 + 2048
}

TEST_F(CowEngineTest, AMapNotCoveringMemoryIsRejectedWhenRowCloneIsOn) {
  params_ = KernelParams{};
  params_.copy.engine = CopyEngineKind::kRowClone;
  params_.dram.map.row_bits = 1;  // 20 bits = 1 MiB < 64 MiB
  EXPECT_THROW(Kernel(params_, mem_, 4, 1, false), InputError);
  params_.copy.engine = CopyEngineKind::kCpuNt;  // unused map: not checked
  EXPECT_NO_THROW(Kernel(params_, mem_, 4, 1, false));
}

}  // namespace
}  // namespace cowsim::test
