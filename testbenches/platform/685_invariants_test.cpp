// Invariant checks (platform/invariants.h): each check passes on a consistent model, and each
// catches a seeded corruption of the kind it exists for, poked straight into the model's
// state, with the message that names the frame, process and address. Every whole-run test
// also runs the checks (simulate() calls them at the end of each run); the last test runs a
// scenario with --check and shows the statistics do not change.
//
// Frame numbers below follow from the allocator (frame_allocator.cpp): frame 0 is reserved,
// 1 is the zero page, 512..1023 the huge zero page, and frames 2..511 are handed out lowest
// first. So pid 1's root table is frame 2; its first write fault at kBase makes the PUD,
// PMD and PTE tables (frames 3, 4, 5) and then the page (frame 6). The 64 MiB machine has
// 16384 frames; frame 0x3fff, the last, is never handed out in these tests.
#include <gtest/gtest.h>

#include <cstdio>

#include "models/kernel/overlay.h"
#include "models/walker/direct_walker.h"
#include "platform/invariants.h"
#include "testbenches/kernel/kernel_test_util.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

constexpr uint64_t kLastFrame = 0x3fff;

class Invariants : public KernelTest {
 protected:
  FrameAllocator& frames() { return const_cast<FrameAllocator&>(k().frames()); }
  FrameInfo& meta(uint64_t pfn) { return frames().info(Pfn{pfn}); }
  // The entry at `level` (1: PTE, 2: PMD) for `va`, to poke; the tables must exist.
  uint64_t& slot(const Process& p, uint64_t va, unsigned level) {
    Pfn t = p.mm->root;
    for (unsigned l = 4; l > level; --l) t = Pte::from_raw((*mem_.table(t))[table_index(VirtAddr{va}, l)]).pfn();
    return (*mem_.table(t))[table_index(VirtAddr{va}, level)];
  }
  InvariantChecker checker() { return InvariantChecker(k(), mem_); }
  // The message of the logic_error `fn` throws ("" if none).
  template <class F>
  static std::string violation(F fn) {
    try {
      fn();
    } catch (const std::logic_error& e) {
      return e.what();
    }
    return "";
  }
  // pid 1 with one page written at kBase (frame 6, tables 2..5).
  Process& one_page() {
    Process& p = start(1);
    map_anon(p, kBase, 4 * kMiB);
    EXPECT_TRUE(touch(p, kBase, AccessType::kWrite));
    EXPECT_EQ(frame(p, kBase), Pfn{6});
    EXPECT_EQ(k().frames().in_use(), 5u);
    return p;
  }
};

TEST_F(Invariants, AConsistentModelPassesEveryCheck) {
  Process& p = one_page();
  map_anon(p, kBase + 64 * kMiB, kMiB, kProtRead | kProtWrite, trace::kMapShared);  // a page-cache page
  touch(p, kBase + 64 * kMiB, AccessType::kWrite);
  touch(p, kBase + 8192, AccessType::kRead);  // the zero page
  k().fork(p, 2, false, 0, Cycles{0});
  touch(p, kBase + 4096, AccessType::kWrite);
  EXPECT_NO_THROW(checker().check_all());
  k().exit(*k().process(2), "exit", Cycles{0});
  k().exit(p, "exit", Cycles{0});
  EXPECT_NO_THROW(checker().check_all());
}

// 7. Scheduler counts.
TEST_F(Invariants, AQueuedProcessMadeBlockedBehindTheSchedulersBackIsCaught) {
  Process& p = one_page();
  k().fork(p, 2, false, 0, Cycles{0});  // one core: pids 1 and 2 queued on core 0, load 2
  EXPECT_NO_THROW(checker().check_scheduler());
  k().exit(p, "killed", Cycles{0});     // killed while queued: the entry stays, dropped lazily
  EXPECT_NO_THROW(checker().check_scheduler());
  k().process(2)->state = TaskState::kBlocked;  // not through the kernel: counts now stale
  EXPECT_EQ(violation([&] { checker().check_scheduler(); }),
            "invariant violated (end of run): pid 2 is in core 0's run queue but is not runnable on that core");
}

// 1. Frame accounting.
TEST_F(Invariants, AFrameOnTheFreeListWithAReferenceIsCaught) {
  one_page();
  Pfn x = *frames().alloc();  // frame 7, back on the free list at once
  ASSERT_EQ(x, Pfn{7});
  frames().put(x);
  EXPECT_NO_THROW(checker().check_frame_accounting());
  meta(7).refcount = 1;  // as if something still held it
  EXPECT_EQ(violation([&] { checker().check_frame_accounting(); }),
            "invariant violated (end of run): frame 0x7 is on the 4 KiB free list but has reference count 1, expected 0");
}

TEST_F(Invariants, AnAllocatedFrameWithoutReferencesIsCaught) {
  one_page();
  meta(6).refcount = 0;  // a put that dropped the last reference but never freed the frame
  // In use: tables 2..5 and page 6 = 5; holding a reference: the 4 tables.
  EXPECT_EQ(violation([&] { checker().check_frame_accounting(); }),
            "invariant violated (end of run): the frame allocator counts 5 frame(s) in use, but 4 frame(s) hold a reference");
}

// 2. Reference and map counts against the page tables.
TEST_F(Invariants, AReferenceCountThePageTablesDoNotExplainIsCaught) {
  one_page();
  meta(6).refcount = 2;
  EXPECT_EQ(violation([&] { checker().check_all(); }),
            "invariant violated (end of run): frame 0x6: reference count 2, expected 1 (1 PTE/PMD/PUD mapping(s), "
            "0 page-cache, 0 page-table, 0 pinned); first mapping: pid 1 at 0x7f0000000000 (PTE)");
}

TEST_F(Invariants, AMapCountThatMissesAForkedMappingIsCaught) {
  Process& p = one_page();
  k().fork(p, 2, false, 0, Cycles{0});  // frame 6 now mapped by both: references 2, map count 2
  EXPECT_NO_THROW(checker().check_all());
  meta(6).mapcount = 1;
  EXPECT_EQ(violation([&] { checker().check_all(); }),
            "invariant violated (end of run): frame 0x6: map count 1, expected 2 (the PTEs mapping it); first "
            "mapping: pid 1 at 0x7f0000000000 (PTE)");
}

TEST_F(Invariants, AWholeFolioMapCountOffByOneIsCaught) {
  params_.thp.enabled = ThpEnabled::kAlways;
  kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  Process& p = start(1);
  map_anon(p, kBase, 4 * kMiB);
  touch(p, kBase, AccessType::kWrite);  // a 2 MiB folio: the first whole block, frames 1024..1535
  ASSERT_TRUE(pte(p, kBase) & pte_bits::kHuge);
  ASSERT_EQ(frame(p, kBase), Pfn{1024});
  EXPECT_NO_THROW(checker().check_all());
  meta(1024).entire = 2;
  EXPECT_EQ(violation([&] { checker().check_all(); }),
            "invariant violated (end of run): frame 0x400: whole-folio map count 2, expected 1 (the huge PMDs mapping "
            "it); first mapping: pid 1 at 0x7f0000000000 (huge PMD)");
}

// 3. Every mapped entry points to an allocated frame.
TEST_F(Invariants, APteMappingAFreeFrameIsCaught) {
  Process& p = one_page();
  slot(p, kBase + 4096, 1) = frame_address(Pfn{kLastFrame}).value | pte_bits::kPresent | pte_bits::kUser;
  EXPECT_EQ(violation([&] { checker().check_mappings(); }),
            "invariant violated (end of run): pid 1: the PTE for 0x7f0000001000 maps frame 0x3fff, which is free "
            "(reference count 0)");
  slot(p, kBase + 4096, 1) = frame_address(Pfn{3}).value | pte_bits::kPresent | pte_bits::kUser;
  EXPECT_EQ(violation([&] { checker().check_mappings(); }),
            "invariant violated (end of run): pid 1: the PTE for 0x7f0000001000 maps frame 0x3, which is a page-table page");
}

// 4. smaps against the frames mapped.
TEST_F(Invariants, PssOfAPageSharedThreeWaysSumsToThePageLessLinuxsRounding) {
  Process& p = one_page();
  k().fork(p, 2, false, 0, Cycles{0});
  k().fork(p, 3, false, 0, Cycles{0});
  uint64_t pss = 0;
  for (uint32_t pid : {1, 2, 3}) pss += k().rollup(*k().process(pid)).pss_bytes_x4096;
  // Each of 3 mappings gets floor(4096 * 4096 / 3) = floor(16777216 / 3) = 5592405 units of
  // 2^-12 bytes: 3 x 5592405 = 16777215, one unit short of the page.
  EXPECT_EQ(pss, 16777215u);
  EXPECT_NO_THROW(checker().check_smaps());
}

TEST_F(Invariants, AMappingOutsideEveryVmaIsCaughtBySmaps) {
  Process& p = start(1);
  map_anon(p, kBase, 8192);
  write_all(p, kBase, 8192);  // frames 6 and 7
  // A leftover PTE past the VMA's end, mapping frame 6 again, with consistent counts.
  slot(p, kBase + 8192, 1) = slot(p, kBase, 1);
  ++meta(6).refcount;
  ++meta(6).mapcount;
  EXPECT_NO_THROW(checker().check_mappings());
  // smaps walks the VMA only: 2 pages, 8192 bytes; the tables hold 3 mappings, 12288 bytes.
  EXPECT_EQ(violation([&] { checker().check_smaps(); }),
            "invariant violated (end of run): smaps Rss summed over 1 live address space(s) is 8192 bytes, but their "
            "page tables hold 3 4 KiB page mapping(s) = 12288 bytes");
}

// Line granularity: the overlay pool's frames hold a reference each and overlay bytes count in
// smaps, so a consistent model with an overlay passes; a stray reference on a pool frame, and an
// overlay pointing outside its segment, are caught.
class InvariantsWithOverlays : public Invariants {
 protected:
  InvariantsWithOverlays() {
    params_.cow_granularity = CowGranularity::kLine;
    kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  }
  // pid 1 writes a page and forks pid 2, then writes line 0 of it again: a 256-byte overlay.
  Process& overlaid() {
    Process& p = one_page();
    k().fork(p, 2, false, 0, Cycles{0});
    touch(p, kBase, AccessType::kWrite);  // the write fault: an empty overlay, no copy
    EXPECT_TRUE(k().overlays()->access(p, VirtAddr{kBase}, true, 0, Cycles{0}).resolved);
    EXPECT_EQ(k().overlays()->pool().bytes(), 256u);
    return p;
  }
};

TEST_F(InvariantsWithOverlays, AnOverlayPassesAndAStrayPoolReferenceOrSegmentIsCaught) {
  Process& p = overlaid();
  EXPECT_NO_THROW(checker().check_all());  // before overlays were counted: "reference count 1, expected 0"
  uint64_t pool_frame = 0;
  k().overlays()->pool().for_each_frame([&](Pfn f) { pool_frame = f.value; });
  ++meta(pool_frame).refcount;
  EXPECT_NE(violation([&] { checker().check_mappings(); })
                .find("frame " + hex(pool_frame) + ": reference count 2, expected 1 (0 PTE/PMD/PUD mapping(s), 0 "
                      "page-cache, 0 page-table, 1 overlay storage, 0 pinned)"),
            std::string::npos);
  --meta(pool_frame).refcount;
  Overlay& o = *p.mm->overlays->find(kBase >> kPageShift);
  o.segment += 256;  // the next, unallocated, segment of the frame
  EXPECT_EQ(violation([&] { checker().check_mappings(); }),
            "invariant violated (end of run): pid 1: the overlay of " + hex(kBase) + " has its lines at " +
                hex((pool_frame << kPageShift) + 256) + ", which is not an allocated 256-byte segment");
  o.segment -= 256;
  EXPECT_NO_THROW(checker().check_all());
}

// 6. Page tables of exited processes, and of live ones, all accounted for.
TEST_F(Invariants, TablesOfExitedProcessesAreFreedAndALeakedTableIsCaught) {
  Process& p = start(1);
  map_anon(p, kBase, 4 * kMiB);
  ASSERT_TRUE(touch(p, kBase, AccessType::kWrite));  // a fault: PUD, PMD and PTE tables made
  k().fork(p, 2, false, 0, Cycles{0});
  ASSERT_GT(mem_.tables_in_use(), 0u);
  // A process still alive holds its tables: nothing to check yet.
  EXPECT_NO_THROW(check_tables_freed(k(), mem_));
  k().exit(*k().process(2), "exit", Cycles{0});
  k().exit(p, "exit", Cycles{0});
  EXPECT_EQ(mem_.tables_in_use(), 0u);
  EXPECT_NO_THROW(check_tables_freed(k(), mem_));
  EXPECT_NO_THROW(checker().check_all());

  // Seeded corruption: one table page that no process owns any more.
  mem_.attach_table(Pfn{mem_.frame_count() - 1});
  EXPECT_EQ(violation([&] { check_tables_freed(k(), mem_); }),
            "invariant violated: 1 page-table page(s) still allocated after every process exited (an exited "
            "process's page tables were not all freed)");
  EXPECT_EQ(violation([&] { checker().check_mappings(); }),
            "invariant violated (end of run): 1 page-table page(s) allocated, but the live address spaces reach or "
            "deposited only 0; frame 0x3fff is one");
}

TEST_F(Invariants, ATablePageNoLiveAddressSpaceReachesIsCaught) {
  one_page();
  mem_.attach_table(Pfn{kLastFrame});
  EXPECT_EQ(violation([&] { checker().check_mappings(); }),
            "invariant violated (end of run): 5 page-table page(s) allocated, but the live address spaces reach or "
            "deposited only 4; frame 0x3fff is one");
}

// 5. TLBs and paging-structure caches: a real TlbHierarchy over a real Walker.
class FlatPort : public PteMemory {
 public:
  explicit FlatPort(PhysicalMemory& m) : mem_(m) {}
  uint64_t read_pte(PhysAddr pa, Cycles&, Level& served_by) override {
    served_by = Level::kDram;
    return mem_.read64(pa);
  }
  void write_pte(PhysAddr pa, uint64_t value, Cycles&) override { mem_.write64(pa, value); }

 private:
  PhysicalMemory& mem_;
};

class InvariantsTlb : public Invariants {
 protected:
  InvariantsTlb() : port_(mem_), walker_(WalkerParams{}, port_), walker_port_(walker_), tlbs_(TlbHierarchyParams{}, 1, 1) {
    tlbs_.attach(walker_port_);
    k().attach_core(0, &tlbs_);
  }
  InvariantChecker checker() { return InvariantChecker(k(), mem_, {&tlbs_}, {&walker_}); }
  void translate(const Process& p, uint64_t va) {
    TranslateResult r = tlbs_.translate(p.mm->root, VirtAddr{va}, AccessType::kRead, Cycles{0});
    ASSERT_EQ(r.fault.kind, FaultKind::kNone) << "the access faulted";
  }
  FlatPort port_;
  Walker walker_;
  DirectWalker walker_port_;
  TlbHierarchy tlbs_;
};

TEST_F(InvariantsTlb, ATranslationLeftAfterItsPteWentIsCaught) {
  Process& p = one_page();
  k().switch_to(0, p);
  translate(p, kBase);  // L1 DTLB and STLB: kBase -> frame 6; PSCs: the tables above
  EXPECT_NO_THROW(checker().check_all());
  k().munmap(p, kBase, 4096, 0);  // the kernel's own shootdown leaves nothing stale
  EXPECT_NO_THROW(checker().check_all());

  map_anon(p, kBase, 4 * kMiB);
  touch(p, kBase, AccessType::kWrite);
  Pfn page = frame(p, kBase);
  translate(p, kBase);
  EXPECT_NO_THROW(checker().check_tlbs());
  slot(p, kBase, 1) = 0;  // the PTE cleared without a flush
  EXPECT_EQ(violation([&] { checker().check_tlbs(); }),
            "invariant violated (end of run): core 0 L1 DTLB entry for 0x7f0000000000 (4 KiB, pcid 0) translates "
            "0x7f0000000000 to frame " + hex(page.value) + ", but pid 1 no longer maps it (a stale translation "
            "survived a shootdown)");
}

TEST_F(InvariantsTlb, AWriteProtectionWithoutAFlushIsCaught) {
  Process& p = one_page();
  k().switch_to(0, p);
  tlbs_.translate(p.mm->root, VirtAddr{kBase}, AccessType::kWrite, Cycles{0});  // a writable, dirty entry
  slot(p, kBase, 1) &= ~pte_bits::kWritable;  // as fork does, but no flush followed
  EXPECT_EQ(violation([&] { checker().check_tlbs(); }),
            "invariant violated (end of run): core 0 L1 DTLB entry for 0x7f0000000000 (4 KiB, pcid 0) translates "
            "0x7f0000000000 to frame 0x6, but pid 1's page tables write-protect it, and the entry is writable");
}

TEST_F(InvariantsTlb, APagingStructureCacheEntryForAReplacedTableIsCaught) {
  Process& p = one_page();
  k().switch_to(0, p);
  translate(p, kBase);  // the PDE cache now says: kBase's 2 MiB -> PTE table 5
  // The PMD moved to a copy of the PTE table (frame 0x3fff): the TLB entries still translate
  // right, but the cached PDE names the old table.
  mem_.attach_table(Pfn{kLastFrame}) = *mem_.table(Pfn{5});
  uint64_t& pmd = slot(p, kBase, 2);
  pmd = (pmd & ~pte_bits::kFrameMask) | frame_address(Pfn{kLastFrame}).value;
  EXPECT_EQ(violation([&] { checker().check_tlbs(); }),
            "invariant violated (end of run): core 0 paging-structure cache (PDE) entry for 0x7f0000000000 (pcid 0) "
            "points to table 0x5, but pid 1's PMD there points to table 0x3fff (a stale translation survived a "
            "shootdown)");
}

// Whole runs: --check after every system call finds nothing on a scenario with fork, CoW,
// munmap and exit, and changes no statistic.
TEST(InvariantsRun, CheckedRunPassesAndKeepsTheStatistics) {
  std::string a = temp_dir() + "/a", b = temp_dir() + "/b";
  CliResult plain = cli("run --scenario fork-cow --param heap=2M -q --out " + a);
  ASSERT_EQ(plain.code, 0) << plain.err;
  CliResult checked = cli("run --scenario fork-cow --param heap=2M -q --check --out " + b);
  ASSERT_EQ(checked.code, 0) << checked.err;
  EXPECT_EQ(stable_stats(a + "/stats.json"), stable_stats(b + "/stats.json"));
}

}  // namespace
}  // namespace cowsim::test
