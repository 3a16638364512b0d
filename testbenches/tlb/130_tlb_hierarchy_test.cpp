// The TLB hierarchy's timing with several accesses in flight: miss registers (MSHRs), merging
// of accesses to a page whose fill is on its way, and the number of concurrent page walkers.
// The walker is a fake with a fixed latency, so every expected cycle count below is worked out
// by hand from the latencies: L1 = 1, STLB = 9 (the default TlbHierarchyParams), walk = 100.
#include <gtest/gtest.h>

#include "models/tlb/tlb_hierarchy.h"

namespace cowsim {
namespace {

constexpr uint64_t kL1 = 1, kStlb = 9, kWalk = 100;
constexpr uint64_t kMiss = kL1 + kStlb + kWalk;  // an L1 and STLB miss that walks: 110
constexpr uint64_t kBase = 0x7f0000000000;

// Maps every page writable and dirty to frame vpn + 1000, or as 2 MiB pages; or faults.
class FakeWalker : public PageWalker {
 public:
  WalkResult walk(Pfn, VirtAddr va, AccessType type, uint16_t) override {
    ++walks;
    WalkResult r;
    r.latency = Cycles{kWalk};
    if (fault) {
      r.fault.kind = read_only ? FaultKind::kWriteProtect : FaultKind::kNotPresent;
      r.fault.addr = va;
      r.fault.access = type;
      return r;
    }
    r.translation.page_shift = huge ? 21 : 12;
    r.translation.pfn = Pfn{va.vpn().value + 1000};
    r.translation.writable = !read_only;
    r.translation.user = r.translation.dirty = true;
    return r;
  }
  void flush_caches(uint16_t) override {}
  void flush_caches() override {}
  void invalidate_caches(VirtAddr, uint16_t) override {}
  int walks = 0;
  bool huge = false, fault = false, read_only = false;
};

class TlbHierarchyTest : public ::testing::Test {
 protected:
  void make(uint32_t mshrs, uint32_t walkers) {
    TlbHierarchyParams p;
    p.mshrs = mshrs;
    tlbs_ = std::make_unique<TlbHierarchy>(p, walkers, 1);
    tlbs_->attach(walker_);
  }
  // The latency of a read of page `page` (relative to kBase) looked up at cycle `now`.
  uint64_t read(uint64_t page, uint64_t now, uint64_t offset = 0) {
    TranslateResult r = tlbs_->translate(Pfn{1}, VirtAddr{kBase + page * 4096 + offset}, AccessType::kRead, Cycles{now});
    last_ = r;
    return r.latency.value;
  }
  uint64_t stat(const std::string& dotted) {
    StatSink s;
    tlbs_->report(s);
    nlohmann::json j = s.json();
    for (size_t start = 0;;) {
      size_t dot = dotted.find('.', start);
      j = j[dotted.substr(start, dot - start)];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return j.get<uint64_t>();
  }

  FakeWalker walker_;
  std::unique_ptr<TlbHierarchy> tlbs_;
  TranslateResult last_;
};

TEST_F(TlbHierarchyTest, BlockingCoreNeverWaitsForMissRegistersOrWalkers) {
  make(1, 1);  // the smallest machine: one MSHR, one walker
  uint64_t now = 0;
  for (uint64_t page = 0; page < 5; ++page) {
    EXPECT_EQ(read(page, now), kMiss);
    now += kMiss;  // a blocking core issues the next access when this one is done
    EXPECT_EQ(read(page, now), kL1);
    now += kL1;
  }
  EXPECT_EQ(walker_.walks, 5);
  EXPECT_EQ(stat("miss_handling.mshr_full_stalls"), 0u);
  EXPECT_EQ(stat("miss_handling.walker_busy_stalls"), 0u);
  EXPECT_EQ(stat("miss_handling.merged"), 0u);
}

TEST_F(TlbHierarchyTest, MissReportsWhenItMissedAndWhenItsWalkStarted) {
  make(4, 2);
  read(0, 0);
  EXPECT_EQ(last_.miss_at.value, kL1);
  EXPECT_EQ(last_.walk_at.value, kL1 + kStlb);
  read(0, 200);
  EXPECT_EQ(last_.miss_at.value, 0u);  // an L1 hit
  EXPECT_EQ(last_.walk_at.value, 0u);
}

TEST_F(TlbHierarchyTest, AccessToAPageBeingFetchedMergesWithTheMiss) {
  make(4, 2);
  EXPECT_EQ(read(0, 0), kMiss);         // ready at 110
  EXPECT_EQ(read(0, 5, 8), 110u - 5);   // same page at 5: waits for the same fill, no second walk
  EXPECT_EQ(read(0, 110), kL1);         // once it has arrived: a plain L1 hit
  EXPECT_EQ(walker_.walks, 1);
  EXPECT_EQ(stat("miss_handling.merged"), 1u);
  EXPECT_EQ(stat("miss_handling.merge_wait_cycles"), 110u - 6);  // from its own L1 lookup's end
}

TEST_F(TlbHierarchyTest, TwoMegabyteFillMergesAccessesToAnyOfItsSmallPages) {
  make(4, 2);
  walker_.huge = true;
  const uint64_t page_2m = (kBase >> 21 << 21) - kBase;  // kBase is 2 MiB aligned: 0
  EXPECT_EQ(page_2m, 0u);
  EXPECT_EQ(read(0, 0), kMiss);
  EXPECT_EQ(read(300, 20), 110u - 20);  // 300 x 4 KiB further, same 2 MiB page
  EXPECT_EQ(walker_.walks, 1);
  EXPECT_EQ(stat("miss_handling.merged"), 1u);
}

TEST_F(TlbHierarchyTest, AccessToAnotherPageDoesNotWaitForTheMissInFlight) {
  make(4, 2);
  read(0, 0);                   // miss in flight until 110
  read(1, 150);                 // page 1 cached at 150 (walk done by 260)
  EXPECT_EQ(read(0, 300), kL1);
  // While page 2's miss is in flight, an L1 hit on page 0 is still an L1 hit.
  read(2, 400);                 // in flight until 510
  EXPECT_EQ(read(0, 401), kL1);
  EXPECT_EQ(stat("miss_handling.merged"), 0u);
}

TEST_F(TlbHierarchyTest, MissWaitsForAFreeMissRegister) {
  make(1, 2);
  EXPECT_EQ(read(0, 0), kMiss);  // holds the only MSHR until 110
  // Page 1 at cycle 1: L1 miss known at 2, MSHR free at 110, then STLB (119) and walk (219).
  EXPECT_EQ(read(1, 1), 219u - 1);
  EXPECT_EQ(stat("miss_handling.mshr_full_stalls"), 1u);
  EXPECT_EQ(stat("miss_handling.mshr_full_cycles"), 110u - 2);
  EXPECT_EQ(stat("miss_handling.walker_busy_stalls"), 0u);
}

TEST_F(TlbHierarchyTest, WalkWaitsForAFreeWalker) {
  make(2, 1);
  EXPECT_EQ(read(0, 0), kMiss);  // the only walker busy from 10 to 110
  // Page 1 at cycle 1: MSHR free, STLB miss at 11, walker free at 110, walk ends at 210.
  EXPECT_EQ(read(1, 1), 210u - 1);
  EXPECT_EQ(stat("miss_handling.walker_busy_stalls"), 1u);
  EXPECT_EQ(stat("miss_handling.walker_busy_cycles"), 110u - 11);
  EXPECT_EQ(stat("miss_handling.mshr_full_stalls"), 0u);
  // Two walkers: both walks overlap fully.
  make(2, 2);
  EXPECT_EQ(read(0, 0), kMiss);
  EXPECT_EQ(read(1, 1), kMiss);
}

TEST_F(TlbHierarchyTest, FaultingMissLeavesNothingToMergeWith) {
  make(4, 2);
  walker_.fault = true;
  EXPECT_EQ(read(0, 0), kMiss);
  EXPECT_FALSE(last_.ok());
  walker_.fault = false;
  EXPECT_EQ(read(0, 5), kMiss);  // walks again (after the kernel fixed the page), no merge
  EXPECT_EQ(walker_.walks, 2);
  EXPECT_EQ(stat("miss_handling.merged"), 0u);
}

// Intel SDM vol. 3A, 4.10.4.1: a page fault drops the faulting address's entries from every
// TLB, the other L1 included, whether or not this access's lookups found one.
TEST_F(TlbHierarchyTest, PageFaultDropsTheFaultingPageFromEveryLevel) {
  make(4, 2);
  auto access = [&](AccessType type, uint64_t page, uint64_t now) {
    last_ = tlbs_->translate(Pfn{1}, VirtAddr{kBase + page * 4096}, type, Cycles{now});
    return last_.latency.value;
  };
  // Page 1 in the L1 ITLB only: fetched (the L1 ITLB and the STLB fill), then pushed out of its
  // STLB set (1536 entries / 12 ways = 128 sets, LRU) by reads of the 12 pages 1 + 128 k.
  EXPECT_EQ(access(AccessType::kFetch, 1, 0), kMiss);
  uint64_t now = 1000;
  for (uint64_t k = 1; k <= 12; ++k, now += 1000) EXPECT_EQ(access(AccessType::kRead, 1 + 128 * k, now), kMiss);
  walker_.fault = true;
  EXPECT_EQ(access(AccessType::kRead, 1, now), kMiss);  // the L1 DTLB and the STLB miss: walks, faults
  EXPECT_FALSE(last_.ok());
  EXPECT_EQ(stat("l1i.a.invalidations"), 1u);  // the ITLB's entry is gone
  walker_.fault = false;
  EXPECT_EQ(access(AccessType::kFetch, 1, now + 1000), kMiss);  // so the fetch walks again
  EXPECT_EQ(walker_.walks, 15);

  // A write to a read-only page that the L1 DTLB and the STLB hold (read, then fetched): the
  // L1 DTLB's entry is found and walked past (rewalk), the walk faults, and all three drop it,
  // the STLB's though the write never looked it up.
  walker_.read_only = true;
  EXPECT_EQ(access(AccessType::kRead, 2, 20000), kMiss);
  EXPECT_EQ(access(AccessType::kFetch, 2, 21000), kL1 + kStlb);  // the STLB's entry fills the ITLB
  walker_.fault = true;
  EXPECT_EQ(access(AccessType::kWrite, 2, 22000), kL1 + kWalk);
  EXPECT_FALSE(last_.ok());
  EXPECT_EQ(stat("l1d.a.invalidations"), 1u);
  EXPECT_EQ(stat("stlb.a.invalidations"), 1u);
  EXPECT_EQ(stat("l1i.a.invalidations"), 2u);
  EXPECT_EQ(stat("rewalks"), 1u);
}

TEST_F(TlbHierarchyTest, InvalidationStopsMergingWithFillsInFlight) {
  make(4, 2);
  read(0, 0);
  tlbs_->invalidate_page(0, VirtAddr{kBase});
  EXPECT_EQ(read(0, 5), kMiss);  // the entry is gone and the fill may not be used: a new walk
  EXPECT_EQ(walker_.walks, 2);
  EXPECT_EQ(stat("miss_handling.merged"), 0u);
}

TEST_F(TlbHierarchyTest, EndToEndLatencyCountsEveryTranslationL1HitsIncluded) {
  make(4, 2);
  read(0, 0);  // 110
  for (uint64_t now = 200; now < 203; ++now) read(0, now);  // three L1 hits: 1 each
  EXPECT_EQ(stat("latency.count"), 4u);
  EXPECT_EQ(stat("latency.max"), kMiss);
  EXPECT_EQ(stat("latency.p50"), kL1);
  EXPECT_EQ(stat("miss_latency.count"), 1u);
  EXPECT_EQ(stat("miss_latency.max"), kStlb + kWalk);  // from the L1 miss on
}

}  // namespace
}  // namespace cowsim

namespace cowsim {
namespace {

// Repeated lookups of one page are counted without probing the L1 (TlbHierarchy::Recent):
// they must count exactly as probed hits, and every fill, INVLPG, flush or PCID switch must
// end them (a stale repeat would translate through an entry that is gone).
TEST_F(TlbHierarchyTest, RepeatedHitsCountAsHitsAndEndAtEveryMaintenance) {
  make(1, 1);
  uint64_t now = 0;
  // A blocking core: each access is issued when the previous one is done.
  auto access = [&](uint64_t offset = 0) {
    const uint64_t latency = read(0, now, offset);
    now += latency;
    return latency;
  };
  EXPECT_EQ(access(), kMiss);  // walk 1, fills STLB and L1
  for (uint64_t off = 8; off < 64; off += 8) EXPECT_EQ(access(off), kL1);  // 7 hits: 1 probed, 6 repeated
  EXPECT_EQ(stat("l1d.hits"), 7u);
  EXPECT_EQ(stat("l1d.misses"), 1u);
  EXPECT_EQ(stat("l1d.a.hits"), 7u);  // bank a holds 4 KiB pages
  tlbs_->invalidate_page(0, VirtAddr{kBase});
  EXPECT_EQ(access(), kMiss);  // INVLPG: walk 2
  EXPECT_EQ(access(), kL1);
  EXPECT_EQ(access(), kL1);
  tlbs_->set_pcid(1);
  EXPECT_EQ(access(), kMiss);  // another context: the PCID-0 entry cannot serve it (walk 3)
  EXPECT_EQ(access(), kL1);
  tlbs_->flush_all();
  EXPECT_EQ(access(), kMiss);  // walk 4
  EXPECT_EQ(access(), kL1);
  tlbs_->flush_pcid(1);
  EXPECT_EQ(access(), kMiss);  // walk 5
  EXPECT_EQ(walker_.walks, 5);
  // 7 + 2 + 1 + 1 hits; misses: the 5 walks (the STLB missed too each time: flushed or never filled
  // for PCID 1, except after INVLPG, which drops the STLB entry as well).
  EXPECT_EQ(stat("l1d.hits"), 11u);
  EXPECT_EQ(stat("l1d.misses"), 5u);
  EXPECT_EQ(stat("stlb.misses"), 5u);
  // Every translation is in the latency histogram: 16, of which the 11 L1 hits at kL1 (the
  // fast path's hits are derived from the L1's, so repeated hits must be in them).
  EXPECT_EQ(stat("latency.count"), 16u);
  EXPECT_EQ(stat("latency.p50"), kL1);  // 11 of 16 samples are 1 cycle
  EXPECT_EQ(stat("latency.max"), kMiss);
}

}  // namespace
}  // namespace cowsim
