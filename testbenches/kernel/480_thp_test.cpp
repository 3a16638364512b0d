// Transparent huge pages (sources.md section 3): eligibility, first touch, the huge zero
// page, fork of huge PMDs, CoW by split (Linux >= 5.8) or by copy, smaps AnonHugePages.
#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim::test {
namespace {

using A = AccessType;
using O = FaultOutcome;

constexpr uint64_t k2M = kHugePageSize;

class Thp : public KernelTest {
 protected:
  // A 4 MiB, 2 MiB-aligned region with MADV_HUGEPAGE (thp.enabled = madvise, the default).
  Process& huge_region(uint32_t pid = 1, uint64_t len = 2 * k2M) {
    Process& p = start(pid);
    map_anon(p, kBase, len);
    k().madvise(p, kBase, len, trace::Advice::kHugepage, 0);
    return p;
  }
  bool huge(const Process& p, uint64_t va) const { return pte(p, va) & pte_bits::kHuge; }
  const KernelCosts& c = params_.cost;
};

TEST_F(Thp, WriteFirstTouchAllocatesAndZeroesTwoMegabytes) {
  Process& p = huge_region();
  FaultResult r = fault(p, kBase + 0x1234, A::kWrite);
  ASSERT_TRUE(r.resolved);
  EXPECT_EQ(r.outcome, O::kThpZeroFill);
  // PDPT + PD (no PT: the PMD is the leaf), one folio, its PMD, a deposited table for a later
  // split, and 512 page zeroings: 3300 + 3000 + 1200 + 30 + 1500 + 1024000 = 1033030.
  EXPECT_EQ(r.cycles, Cycles{c.exception_entry + c.fault_base + c.exception_return + 2 * c.table_alloc +
                              c.page_alloc + c.pte_update + c.table_alloc + 512 * c.page_zero});
  EXPECT_EQ(r.cycles, Cycles{1033030});
  EXPECT_TRUE(huge(p, kBase));
  EXPECT_TRUE(writable(p, kBase));
  // Every 4 KiB page of the 2 MiB is now mapped: no further fault there.
  EXPECT_FALSE(touch(p, kBase + k2M - 8, A::kWrite).has_value());
  // root + PDPT + PD + deposit + 512 frames.
  EXPECT_EQ(k().frames_in_use(), 4u + 512u);
  SmapsRollup s = k().rollup(p);
  EXPECT_EQ(s.rss, k2M);
  EXPECT_EQ(s.anon_huge, k2M);
  EXPECT_EQ(s.private_dirty, k2M);
  // One fault per 2 MiB: the second 2 MiB takes one more.
  EXPECT_EQ(fault(p, kBase + k2M, A::kWrite).outcome, O::kThpZeroFill);
  EXPECT_EQ(p.minflt(), 2u);
}

TEST_F(Thp, ReadFirstTouchMapsTheHugeZeroPage) {
  Process& p = huge_region();
  FaultResult r = fault(p, kBase, A::kRead);
  EXPECT_EQ(r.outcome, O::kThpZeroPageMap);
  EXPECT_EQ(r.cycles, Cycles{3300 + 2 * c.table_alloc + c.table_alloc + c.pte_update});  // 7830
  EXPECT_EQ(frame(p, kBase), k().frames().huge_zero_page());
  EXPECT_FALSE(writable(p, kBase));
  EXPECT_EQ(k().rollup(p).rss, 0u);  // counts nowhere
  // Writing over it: a fresh huge page (Linux >= 6.13), the 2 MiB range flushed (> 33 pages: full).
  FaultResult w = fault(p, kBase + 4096, A::kWrite);
  EXPECT_EQ(w.outcome, O::kThpZeroFill);
  EXPECT_EQ(w.cycles, Cycles{3300 + c.page_alloc + c.pte_update + 512 * c.page_zero + c.full_flush});
  EXPECT_EQ(k().rollup(p).anon_huge, k2M);
}

TEST_F(Thp, EligibilityNeedsTheWholeAlignedRangeAndTheAdvice) {
  Process& p = start(1);
  map_anon(p, kBase, 2 * k2M);  // no MADV_HUGEPAGE: 4 KiB pages under thp=madvise
  EXPECT_EQ(fault(p, kBase, A::kWrite).outcome, O::kAnonZeroFill);
  Process& q = start(2);
  // [kBase + 4K, kBase + 4M + 4K): only [kBase + 2M, kBase + 4M) is a whole aligned 2 MiB.
  map_anon(q, kBase + kPageSize, 2 * k2M);
  k().madvise(q, kBase + kPageSize, 2 * k2M, trace::Advice::kHugepage, 0);
  EXPECT_EQ(fault(q, kBase + kPageSize, A::kWrite).outcome, O::kAnonZeroFill);
  EXPECT_EQ(fault(q, kBase + k2M, A::kWrite).outcome, O::kThpZeroFill);
  EXPECT_EQ(fault(q, kBase + 2 * k2M, A::kWrite).outcome, O::kAnonZeroFill);  // the tail 4 KiB
  // MADV_NOHUGEPAGE opts a range out again.
  Process& r = huge_region(3);
  k().madvise(r, kBase, 2 * k2M, trace::Advice::kNohugepage, 0);
  EXPECT_EQ(fault(r, kBase, A::kWrite).outcome, O::kAnonZeroFill);
}

// Without the zero page (kernel.zero_page=false) or with thp.use_zero_page=false, a read of an
// eligible range allocates a huge page (do_huge_pmd_anonymous_page falls through to the
// allocation), writable and dirty: the later write takes no fault. Seen natively on a host
// booted with pvm_no_zero_page=1 (validation scenario j-thp-first-touch: AnonHugePages 8192 kB).
class ThpNoZeroPage : public Thp, public ::testing::WithParamInterface<bool> {};

TEST_P(ThpNoZeroPage, AReadAllocatesAHugePage) {
  bool forbid_all = GetParam();  // kernel.zero_page=false, or only thp.use_zero_page=false
  (forbid_all ? params_.zero_page : params_.thp.use_zero_page) = false;
  kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  Process& p = huge_region();
  EXPECT_EQ(fault(p, kBase, A::kRead).outcome, O::kThpZeroFill);
  EXPECT_TRUE(huge(p, kBase));
  EXPECT_FALSE(touch(p, kBase + 0x5000, A::kWrite).has_value());
  EXPECT_EQ(p.minflt(), 1u);
  EXPECT_EQ(k().rollup(p).anon_huge, k2M);
}

INSTANTIATE_TEST_SUITE_P(Thp, ThpNoZeroPage, ::testing::Bool());

TEST_F(Thp, AlwaysModeNeedsNoAdvice) {
  params_.thp.enabled = ThpEnabled::kAlways;
  kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  Process& p = start(1);
  map_anon(p, kBase, k2M);
  EXPECT_EQ(fault(p, kBase, A::kWrite).outcome, O::kThpZeroFill);
  std::string smaps = k().smaps(p, trace::NameTable{});
  EXPECT_NE(smaps.find("AnonHugePages:      2048 kB\n"), std::string::npos);
  EXPECT_NE(smaps.find("THPeligible:           1\n"), std::string::npos);
}

TEST_F(Thp, ForkSharesHugePmdsWithADepositEach) {
  Process& p = huge_region();
  write_all(p, kBase, 2 * k2M);  // 2 faults
  uint64_t before = k().frames_in_use();
  Cycles cost = k().fork(p, 2, false, 0, Cycles{0});
  Process& ch = *k().process(2);
  // 450 + 120000 + 1000 + 2 PMDs x 400 + child PDPT and PD (2 x 1500) + 2 deposits (2 x 1500)
  // + full flush 600 = 128850.
  EXPECT_EQ(cost, Cycles{128850});
  EXPECT_EQ(k().frames_in_use(), before + 1 + 2 + 2);  // child root, PDPT, PD, 2 deposits
  EXPECT_TRUE(huge(ch, kBase));
  EXPECT_FALSE(writable(p, kBase));
  EXPECT_FALSE(writable(ch, kBase));
  EXPECT_EQ(info(frame(p, kBase)).refcount, 2u);
  EXPECT_EQ(info(frame(p, kBase)).entire, 2u);
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["forks"]["0"]["pmds_copied"], 2);
  EXPECT_EQ(s.json()["forks"]["0"]["pt_pages"], 4);
  // Right after fork: all shared, dirty.
  EXPECT_EQ(k().rollup(ch).shared_dirty, 2 * k2M);
  EXPECT_EQ(k().rollup(ch).anon_huge, 2 * k2M);
}

TEST_F(Thp, ChildWriteSplitsItsPmdAndCopiesOneSubpage) {
  // sources.md [measured]: the child writes 1 byte per 2 MiB -> one fault per 2 MiB, child
  // Private_Dirty 4 kB per 2 MiB, child AnonHugePages 0, parent AnonHugePages unchanged.
  Process& p = huge_region();
  write_all(p, kBase, 2 * k2M);
  k().fork(p, 2, false, 0, Cycles{0});
  Process& ch = *k().process(2);
  FaultResult r = fault(ch, kBase + 5 * kPageSize, A::kWrite);
  EXPECT_EQ(r.outcome, O::kCowCopy);
  // Split with the deposited table (pmd_split + 512 PTE writes), the 2 MiB flushed (full),
  // then a 4 KiB copy, its rmap work and INVLPG:
  // 3300 + 6000 + 15360 + 600 + 1200 + 2400 + 30 + 3000 + 300 = 32190.
  EXPECT_EQ(r.cycles, Cycles{32190});
  touch(ch, kBase + k2M, A::kWrite);
  EXPECT_EQ(ch.minflt(), 2u);
  EXPECT_EQ(ch.thp_splits, 2u);
  EXPECT_EQ(ch.pages_copied, 2u);
  EXPECT_FALSE(huge(ch, kBase));
  EXPECT_TRUE(huge(p, kBase));
  SmapsRollup cr = k().rollup(ch), pr = k().rollup(p);
  EXPECT_EQ(cr.private_dirty, 2 * kPageSize);
  EXPECT_EQ(cr.anon_huge, 0u);
  EXPECT_EQ(cr.rss, 2 * k2M);
  EXPECT_EQ(pr.anon_huge, 2 * k2M);
  EXPECT_EQ(pr.private_dirty, 2 * kPageSize);  // the two originals now have one mapping
  // The child's other subpages are still shared and read-only: each write is another 4 KiB copy.
  EXPECT_EQ(fault(ch, kBase + 6 * kPageSize, A::kWrite).outcome, O::kCowCopy);
}

TEST_F(Thp, ReuseWhenTheOtherSideIsGone) {
  Process& p = huge_region();
  write_all(p, kBase, 2 * k2M);
  k().fork(p, 2, false, 0, Cycles{0});
  k().exit(*k().process(2), "exit", Cycles{0});
  FaultResult r = fault(p, kBase, A::kWrite);
  EXPECT_EQ(r.outcome, O::kThpReuse);  // the whole PMD back, no copy, no flush
  EXPECT_EQ(r.cycles, Cycles{3330});
  EXPECT_TRUE(huge(p, kBase));
  EXPECT_TRUE(writable(p, kBase));
}

TEST_F(Thp, CopyPolicyCopiesTwoMegabytes) {
  params_.thp.cow_policy = ThpCowPolicy::kCopy;
  kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  Process& p = huge_region();
  write_all(p, kBase, k2M);
  k().fork(p, 2, false, 0, Cycles{0});
  Process& ch = *k().process(2);
  FaultResult r = fault(ch, kBase, A::kWrite);
  EXPECT_EQ(r.outcome, O::kThpCopy);
  // alloc + PMD + 512 x copy + the 2 MiB flushed: 3300 + 1200 + 30 + 1228800 + 600.
  EXPECT_EQ(r.cycles, Cycles{3300 + 1200 + 30 + 512 * c.page_copy + 600});
  EXPECT_EQ(ch.pages_copied, 512u);
  EXPECT_TRUE(huge(ch, kBase));
  EXPECT_NE(frame(ch, kBase), frame(p, kBase));
  EXPECT_EQ(info(frame(p, kBase)).refcount, 1u);
  EXPECT_EQ(fault(p, kBase, A::kWrite).outcome, O::kThpReuse);
}

TEST_F(Thp, PartialMunmapSplitsTheEdge) {
  Process& p = huge_region(1, k2M);
  touch(p, kBase, A::kWrite);
  k().munmap(p, kBase + kMiB, kMiB, 0);  // the second half of the huge page
  EXPECT_FALSE(huge(p, kBase));
  EXPECT_TRUE(present(p, kBase + kMiB - kPageSize));
  EXPECT_FALSE(present(p, kBase + kMiB));
  EXPECT_EQ(k().rollup(p).rss, kMiB);
  EXPECT_EQ(k().rollup(p).anon_huge, 0u);  // a split THP no longer counts
  k().exit(p, "exit", Cycles{0});
  EXPECT_EQ(k().frames_in_use(), 0u);  // the folio (512 frames) and every table came back
}

TEST_F(Thp, ExitFreesFoliosAndDeposits) {
  Process& p = huge_region();
  touch(p, kBase, A::kWrite);
  touch(p, kBase + k2M, A::kRead);  // a huge zero page PMD, with its deposit
  k().fork(p, 2, false, 0, Cycles{0});
  k().exit(p, "exit", Cycles{0});
  k().exit(*k().process(2), "exit", Cycles{0});
  EXPECT_EQ(k().frames_in_use(), 0u);
  EXPECT_EQ(mem_.tables_in_use(), 0u);
}

}  // namespace
}  // namespace cowsim::test
