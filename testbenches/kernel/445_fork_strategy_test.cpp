// kernel.fork.strategy = odf and async (models/kernel/shared_tables.cpp): which PTE tables fork
// shares, who copies them later and why, what each step costs, and that the pages' counts and
// smaps end where Linux's would. Costs are the defaults of KernelCosts; every expected figure
// is computed by hand in the comment beside it.
#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim::test {
namespace {

using A = AccessType;
using O = FaultOutcome;

constexpr uint64_t kHuge = 2 * kMiB;
constexpr uint64_t kLen = 2 * kHuge;  // two whole PTE tables
constexpr uint64_t kPages = kLen / kPageSize;

class ForkStrategy : public KernelTest {
 protected:
  void use(ForkStrategyKind kind) {
    params_.fork_strategy = kind;
    kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  }
  // A parent (pid 1) that wrote kLen of private anonymous memory at kBase, forked into pid 2.
  Process& forked() {
    Process& p = start(1);
    map_anon(p, kBase, kLen);
    write_all(p, kBase, kLen);
    last_fork_ = k().fork(p, 2, false, 0, Cycles{0});
    return p;
  }
  Process& child() { return *k().process(2); }
  uint64_t pmd(const Process& p, uint64_t va) const {
    Pfn table = p.mm->root;
    for (unsigned level = 4; level > 2; --level)
      table = Pte::from_raw(mem_.read64(frame_address(table) + 8 * table_index(VirtAddr{va}, level))).pfn();
    return mem_.read64(frame_address(table) + 8 * table_index(VirtAddr{va}, 2));
  }
  Pfn table(const Process& p, uint64_t va) const { return Pte::from_raw(pmd(p, va)).pfn(); }
  nlohmann::json stats() {
    StatSink s;
    k().report(s);
    return s.json();
  }
  const KernelCosts& c = params_.cost;
  Cycles last_fork_{0};
  // One 512-entry table copied: a table page and 512 entry copies, 1500 + 512 x 150 = 78300.
  uint64_t table_copy() const { return c.table_alloc + 512 * uint64_t{c.fork_per_pte}; }
  // A 4 KiB CoW copy fault as under linux: 10230 (440_fork_cow_test).
  uint64_t cow_copy() const {
    return c.exception_entry + c.fault_base + c.page_alloc + c.page_copy + c.pte_update + c.cow_replace + c.invlpg +
           c.exception_return;
  }
};

TEST_F(ForkStrategy, OdfSharesEachWholeTableAndRaisesNoPageCount) {
  use(ForkStrategyKind::kOdf);
  Process& p = forked();
  Process& ch = child();
  // syscall + fork_base + 1 VMA + 2 tables shared + the child's PUD and PMD tables + the
  // parent's full flush: 450 + 120000 + 1000 + 2 x 400 + 2 x 1500 + 600 = 125850 (linux
  // copies 1024 PTEs into 4 tables: 281650).
  EXPECT_EQ(last_fork_, Cycles{c.syscall + c.fork_base + c.fork_per_vma + 2 * c.odf_share_table + 2 * c.table_alloc +
                               c.full_flush});
  EXPECT_EQ(last_fork_, Cycles{125850});
  for (uint64_t h : {kBase, kBase + kHuge}) {
    EXPECT_EQ(table(p, h), table(ch, h));
    EXPECT_FALSE(pmd(p, h) & pte_bits::kWritable);
    EXPECT_FALSE(pmd(ch, h) & pte_bits::kWritable);
    EXPECT_EQ(info(table(p, h)).refcount, 2u);
  }
  EXPECT_EQ(info(frame(p, kBase)).refcount, 1u);  // raised only when a table is copied
  EXPECT_TRUE(writable(p, kBase));                // the PTEs themselves are untouched
  auto f = stats()["forks"]["0"];
  EXPECT_EQ(f["tables_shared"], 2);
  EXPECT_EQ(f["ptes_copied"], 0);
  EXPECT_EQ(f["pt_pages"], 2);
  // Reads go through the shared tables without a fault, on both sides.
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) {
    EXPECT_FALSE(touch(ch, a, A::kRead));
    EXPECT_FALSE(touch(p, a, A::kRead));
  }
  EXPECT_EQ(ch.minflt(), 0u);
}

TEST_F(ForkStrategy, OdfFirstWriteCopiesTheTableThenThePage) {
  use(ForkStrategyKind::kOdf);
  Process& p = forked();
  Process& ch = child();
  Pfn shared = table(p, kBase), page = frame(p, kBase);
  FaultResult w = fault(ch, kBase, A::kWrite);
  ASSERT_TRUE(w.resolved);
  EXPECT_EQ(w.outcome, O::kCowCopy);
  // The table copy (78300) and a full flush of the 2 MiB range (600), then linux's CoW copy
  // fault (10230): 89130.
  EXPECT_EQ(w.cycles, Cycles{table_copy() + c.full_flush + cow_copy()});
  EXPECT_EQ(w.cycles, Cycles{89130});
  EXPECT_EQ(ch.table_faults, 1u);
  EXPECT_EQ(ch.table_only_faults, 0u);
  EXPECT_EQ(ch.minflt(), 1u);
  EXPECT_NE(table(ch, kBase), shared);
  EXPECT_TRUE(pmd(ch, kBase) & pte_bits::kWritable);
  EXPECT_EQ(info(shared).refcount, 1u);  // the parent's alone now, still write-protected
  EXPECT_FALSE(pmd(p, kBase) & pte_bits::kWritable);
  EXPECT_EQ(info(page).refcount, 1u);    // the child's copy replaced its reference
  EXPECT_EQ(info(frame(p, kBase + kPageSize)).refcount, 2u);  // the rest of the table: raised then
  EXPECT_FALSE(writable(p, kBase + kPageSize));                // and write-protected in both
  EXPECT_FALSE(writable(ch, kBase + kPageSize));
  // The parent's next write in that range: the table is its own (made writable: 400 + 600),
  // then the page is shared with the child, so it is copied as under linux.
  FaultResult pw = fault(p, kBase + kPageSize, A::kWrite);
  EXPECT_EQ(pw.outcome, O::kCowCopy);
  EXPECT_EQ(pw.cycles, Cycles{c.odf_share_table + c.full_flush + cow_copy()});
  EXPECT_EQ(info(table(p, kBase)).refcount, 1u);
  EXPECT_EQ(table(p, kBase), shared);
  auto t = stats()["tables"];
  EXPECT_EQ(t["shared_at_fork"], 2);
  EXPECT_EQ(t["copied"]["fault"], 1);
  EXPECT_EQ(t["reused"], 1);
}

TEST_F(ForkStrategy, OdfChildExitDetachesAndTheParentTakesNoPageFault) {
  use(ForkStrategyKind::kOdf);
  Process& p = forked();
  uint64_t frames = k().frames_in_use();
  k().exit(child(), "exit", Cycles{0});
  // The child's root, PUD and PMD tables go; the shared tables and pages stay the parent's.
  EXPECT_EQ(k().frames_in_use(), frames - 3);
  EXPECT_EQ(stats()["tables"]["detached"], 2);
  // Linux would take 1024 reuse faults here (its fork write-protected every PTE); the parent
  // takes one table-only fault per table: reuse (400) + full flush (600) + entry/base/return.
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) touch(p, a, A::kWrite);
  EXPECT_EQ(p.minflt(), kPages + 2);
  EXPECT_EQ(p.table_only_faults, 2u);
  EXPECT_EQ(faults(p, O::kCowReuse), 0u);
  auto lat = stats()["tables"]["table_fault_latency"];
  EXPECT_EQ(lat["max"], c.exception_entry + c.fault_base + c.odf_share_table + c.full_flush + c.exception_return);
}

TEST_F(ForkStrategy, OdfChangesCopyTheTableFirst) {
  use(ForkStrategyKind::kOdf);
  Process& p = forked();
  Process& ch = child();
  Pfn page = frame(p, kBase);
  // munmap of one page: the parent's table is copied for it first (a change), then zapped.
  k().munmap(p, kBase, kPageSize, 0);
  EXPECT_FALSE(present(p, kBase));
  EXPECT_TRUE(present(ch, kBase));  // the child still maps it, through the shared table
  EXPECT_EQ(info(page).refcount, 1u);
  // munmap of a whole shared table: the parent drops its reference, nothing is copied.
  k().munmap(p, kBase + kHuge, kHuge, 0);
  EXPECT_TRUE(present(ch, kBase + kHuge));
  EXPECT_EQ(info(table(ch, kBase + kHuge)).refcount, 1u);
  auto t = stats()["tables"];
  EXPECT_EQ(t["copied"]["change"], 1);
  EXPECT_EQ(t["detached"], 1);
  // mprotect by the child of its half of the first table: its table is shared with no one
  // any more (the parent copied its own), so it is written in place.
  Pfn own = table(ch, kBase);
  k().mprotect(ch, kBase, kPageSize, kProtRead, 0);
  EXPECT_FALSE(writable(ch, kBase));
  EXPECT_EQ(table(ch, kBase), own);
  EXPECT_EQ(stats()["tables"]["copied"]["change"], 1);
}

// mprotect of one page of a table both processes still share: the child's table is copied
// before the change (written in place, the parent's mapping would change too), and the copy
// raises the page counts as a linux fork would have.
TEST_F(ForkStrategy, OdfMprotectOfASharedTableCopiesItAndLeavesTheOtherSharerAlone) {
  use(ForkStrategyKind::kOdf);
  Process& p = forked();
  Process& ch = child();
  Pfn shared = table(p, kBase);
  k().mprotect(ch, kBase, kPageSize, kProtRead, 0);
  EXPECT_FALSE(writable(ch, kBase));
  EXPECT_EQ(info(frame(p, kBase)).refcount, 2u);
  EXPECT_EQ(frame(ch, kBase), frame(p, kBase));
  EXPECT_NE(table(ch, kBase), shared);
  EXPECT_EQ(table(p, kBase), shared);
  EXPECT_EQ(info(shared).refcount, 1u);
  EXPECT_EQ(table(ch, kBase + kHuge), table(p, kBase + kHuge));  // the other table stays shared
  EXPECT_EQ(stats()["tables"]["copied"]["change"], 1);
}

// The same history under linux, odf and async ends with the same smaps for both processes:
// the child writes the first half of the first table, the parent every other page of the
// second. Each strategy runs in a kernel and memory of its own.
class SmapsRun : public ForkStrategy {
 public:
  using ForkStrategy::child;
  using ForkStrategy::forked;
  using ForkStrategy::table;
  using ForkStrategy::use;
  using KernelTest::info;
  using KernelTest::k;
  void TestBody() override {}
  std::pair<SmapsRollup, SmapsRollup> go(ForkStrategyKind kind) {
    use(kind);
    Process& p = forked();
    Process& ch = child();
    if (kind == ForkStrategyKind::kAsync) k().begin_task(ch, 0, Cycles{0});
    for (uint64_t a = kBase; a < kBase + kHuge / 2; a += kPageSize) touch(ch, a, A::kWrite);
    for (uint64_t a = kBase + kHuge; a < kBase + kLen; a += 2 * kPageSize) touch(p, a, A::kWrite);
    return std::make_pair(k().rollup(p), k().rollup(ch));
  }
};

TEST(ForkStrategySmaps, OdfAndAsyncEqualLinux) {
  SmapsRun a, b, c;
  auto linux = a.go(ForkStrategyKind::kLinux);
  // By hand: each side holds 256 pages it copied or that the other copied away (1 MiB + 1 MiB
  // private) and shares the other 512 (2 MiB); Pss = 2 MiB + 2 MiB / 2 = 3 MiB.
  for (const SmapsRollup& r : {linux.first, linux.second}) {
    EXPECT_EQ(r.rss, kLen);
    EXPECT_EQ(r.private_dirty, 2 * kMiB);
    EXPECT_EQ(r.shared_dirty, 2 * kMiB);
    EXPECT_EQ(r.pss_bytes_x4096, 3 * kMiB * 4096);
  }
  for (auto other : {b.go(ForkStrategyKind::kOdf), c.go(ForkStrategyKind::kAsync)})
    for (auto [l, o] : {std::make_pair(linux.first, other.first), std::make_pair(linux.second, other.second)}) {
      EXPECT_EQ(l.rss, o.rss);
      EXPECT_EQ(l.pss_bytes_x4096, o.pss_bytes_x4096);
      EXPECT_EQ(l.shared_dirty, o.shared_dirty);
      EXPECT_EQ(l.private_dirty, o.private_dirty);
      EXPECT_EQ(l.shared_clean, o.shared_clean);
      EXPECT_EQ(l.private_clean, o.private_clean);
      EXPECT_EQ(l.anonymous, o.anonymous);
      EXPECT_EQ(l.referenced, o.referenced);
    }
}

// Pages mapped by three address spaces, whether through one table shared three ways (odf)
// or through a copied table and a shared one (async, after the first child's copy): each
// process's Pss is 1024 pages x floor(2^24 / 3) in smaps' 2^-12-byte units.
TEST_F(ForkStrategy, ASecondForkSharesOnceMoreAndPssDividesByThree) {
  for (ForkStrategyKind kind : {ForkStrategyKind::kOdf, ForkStrategyKind::kAsync}) {
    SmapsRun run;
    run.use(kind);
    Process& p = run.forked();
    if (kind == ForkStrategyKind::kAsync) run.k().begin_task(run.child(), 0, Cycles{0});
    run.k().fork(p, 3, false, 0, Cycles{0});
    EXPECT_EQ(run.info(run.table(p, kBase)).refcount, kind == ForkStrategyKind::kOdf ? 3u : 2u);
    for (uint32_t pid : {1u, 2u, 3u})
      EXPECT_EQ(run.k().rollup(*run.k().process(pid)).pss_bytes_x4096, kPages * ((uint64_t{1} << 24) / 3)) << pid;
  }
}

TEST_F(ForkStrategy, AsyncChildCopiesItsTablesBeforeItRuns) {
  use(ForkStrategyKind::kAsync);
  Process& p = forked();
  Process& ch = child();
  EXPECT_EQ(last_fork_, Cycles{125850});  // the parent's part is odf's
  EXPECT_TRUE(ch.async_copy);
  // Two tables copied, nothing flushed (the child never ran): 2 x 78300 = 156600.
  Cycles copy = k().begin_task(ch, 0, Cycles{1000});
  EXPECT_EQ(copy, Cycles{2 * table_copy()});
  EXPECT_EQ(copy, Cycles{156600});
  EXPECT_FALSE(ch.async_copy);
  EXPECT_EQ(k().begin_task(ch, 0, Cycles{2000}), Cycles{0});  // once
  // From here on, the state is linux's: own tables, every page counted twice, PTEs read-only.
  EXPECT_NE(table(ch, kBase), table(p, kBase));
  EXPECT_TRUE(pmd(ch, kBase) & pte_bits::kWritable);
  EXPECT_EQ(info(frame(p, kBase)).refcount, 2u);
  EXPECT_FALSE(writable(ch, kBase));
  EXPECT_FALSE(writable(p, kBase));
  auto f = stats()["forks"]["0"];
  EXPECT_EQ(f["child_copy_start"], 1000);
  EXPECT_EQ(f["child_copy_cycles"], 156600);
  EXPECT_EQ(f["child_tables_copied"], 2);
  EXPECT_EQ(f["proactive_syncs"], 0);
}

TEST_F(ForkStrategy, AsyncParentWriteBeforeTheChildStartsSyncsThatTable) {
  use(ForkStrategyKind::kAsync);
  Process& p = forked();
  Process& ch = child();
  FaultResult w = fault(p, kBase, A::kWrite, 0, Cycles{500});
  // The parent copies the table (78300 + flush 600), then the page is shared: CoW copy.
  EXPECT_EQ(w.cycles, Cycles{table_copy() + c.full_flush + cow_copy()});
  EXPECT_EQ(w.outcome, O::kCowCopy);
  // The child finds the first table its own and copies only the second: 78300.
  EXPECT_EQ(k().begin_task(ch, 0, Cycles{1000}), Cycles{table_copy()});
  auto f = stats()["forks"]["0"];
  EXPECT_EQ(f["proactive_syncs"], 1);
  EXPECT_EQ(f["child_tables_copied"], 1);
  EXPECT_EQ(stats()["tables"]["proactive_syncs"], 1);
}

TEST_F(ForkStrategy, AsyncParentWriteDuringTheChildsCopySyncsOnlyTablesNotYetCopied) {
  use(ForkStrategyKind::kAsync);
  Process& p = forked();
  Process& ch = child();
  // The child starts at 0: it has copied the first table at 78300, the second at 156600.
  k().begin_task(ch, 0, Cycles{0});
  // At 100000 the second is not done: the parent copies it first and pays 78300 more than
  // for the first, which the child had copied (both: reuse 400 + flush 600 + CoW copy).
  FaultResult first = fault(p, kBase, A::kWrite, 0, Cycles{100000});
  FaultResult second = fault(p, kBase + kHuge, A::kWrite, 0, Cycles{100000});
  EXPECT_EQ(first.cycles, Cycles{c.odf_share_table + c.full_flush + cow_copy()});
  EXPECT_EQ(second.cycles, Cycles{first.cycles.value + table_copy()});
  EXPECT_EQ(stats()["forks"]["0"]["proactive_syncs"], 1);
}

TEST_F(ForkStrategy, HugePmdsAreCopiedAsUnderLinux) {
  params_.thp.enabled = ThpEnabled::kAlways;
  use(ForkStrategyKind::kOdf);
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  write_all(p, kBase, kLen);
  k().fork(p, 2, false, 0, Cycles{0});
  auto f = stats()["forks"]["0"];
  EXPECT_EQ(f["pmds_copied"], 2);
  EXPECT_EQ(f["tables_shared"], 0);
}

}  // namespace
}  // namespace cowsim::test
