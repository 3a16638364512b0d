// fork and copy-on-write (sources.md sections 1 and 2): what fork copies and write-protects,
// who copies and who reuses afterwards, dontfork/wipeonfork/shared mappings, vfork, exec, exit.
#include "testbenches/kernel/kernel_test_util.h"

#include "models/common/error.h"

namespace cowsim::test {
namespace {

using A = AccessType;
using O = FaultOutcome;

constexpr uint64_t kPages = 16;
constexpr uint64_t kLen = kPages * kPageSize;

// A parent (pid 1) with kPages written pages in one private anonymous VMA.
class ForkCow : public KernelTest {
 protected:
  Process& parent() {
    Process& p = start(1);
    map_anon(p, kBase, kLen);
    write_all(p, kBase, kLen);
    return p;
  }
  Process& fork(Process& p, uint32_t child = 2, bool vfork = false) {
    last_fork_ = k().fork(p, child, vfork, 0, Cycles{0});
    return *k().process(child);
  }
  const KernelCosts& c = params_.cost;
  Cycles last_fork_{0};
};

TEST_F(ForkCow, ForkWriteProtectsBothSidesAndSharesFrames) {
  Process& p = parent();
  EXPECT_EQ(k().frames_in_use(), 1u + 3u + kPages);  // root, 3 tables, pages
  Process& ch = fork(p);
  EXPECT_EQ(ch.parent, 1u);
  EXPECT_EQ(ch.state, TaskState::kRunnable);
  EXPECT_EQ(ch.minflt(), 0u);  // fork itself is no fault; the child starts at 0
  EXPECT_EQ(p.minflt(), kPages);
  // The child got its own root and 3 tables; no data page was copied.
  EXPECT_EQ(k().frames_in_use(), 2 * (1u + 3u) + kPages);
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) {
    Pte pe = Pte::from_raw(pte(p, a)), ce = Pte::from_raw(pte(ch, a));
    ASSERT_TRUE(pe.present && ce.present);
    EXPECT_FALSE(pe.writable);  // the parent is write-protected in place
    EXPECT_FALSE(ce.writable);
    EXPECT_EQ(pe.pfn(), ce.pfn());
    EXPECT_TRUE(pe.dirty && ce.dirty);  // Dirty is kept on both sides
    EXPECT_TRUE(pe.accessed);
    EXPECT_FALSE(ce.accessed);          // the child's copy starts old
    const FrameInfo& f = info(pe.pfn());
    EXPECT_EQ(f.refcount, 2u);
    EXPECT_EQ(f.mapcount, 2u);
    EXPECT_FALSE(f.flags & frame_flags::kAnonExclusive);
  }
}

TEST_F(ForkCow, ForkCostAndRecord) {
  Process& p = parent();
  fork(p);
  // syscall + fork_base + 1 VMA + 16 PTEs + 3 child tables + one full flush of the parent:
  // 450 + 120000 + 1000 + 16 x 150 + 3 x 1500 + 600 = 128950.
  EXPECT_EQ(last_fork_, Cycles{c.syscall + c.fork_base + c.fork_per_vma + kPages * c.fork_per_pte +
                               3 * c.table_alloc + c.full_flush});
  EXPECT_EQ(last_fork_, Cycles{128950});
  StatSink s;
  k().report(s);
  const auto& f = s.json()["forks"]["0"];
  EXPECT_EQ(f["parent"], 1);
  EXPECT_EQ(f["child"], 2);
  EXPECT_EQ(f["cycles"], 128950);
  EXPECT_EQ(f["ptes_copied"], kPages);
  EXPECT_EQ(f["pt_pages"], 3);
  EXPECT_EQ(f["vmas_copied"], 1);
  EXPECT_EQ(f["vmas_skipped"], 0);
  EXPECT_EQ(f["steps"]["table_alloc"], 4500);
  EXPECT_EQ(s.json()["fork_ptes_copied"], kPages);
}

TEST_F(ForkCow, ChildWriteCopiesThenParentWriteReuses) {
  Process& p = parent();
  Process& ch = fork(p);
  Pfn original = frame(p, kBase);
  FaultResult cw = fault(ch, kBase, A::kWrite);
  ASSERT_TRUE(cw.resolved);
  EXPECT_EQ(cw.outcome, O::kCowCopy);
  // alloc + copy + PTE + rmap + INVLPG: 3300 + 1200 + 2400 + 30 + 3000 + 300 = 10230.
  EXPECT_EQ(cw.cycles, Cycles{c.exception_entry + c.fault_base + c.page_alloc + c.page_copy + c.pte_update +
                               c.cow_replace + c.invlpg + c.exception_return});
  EXPECT_EQ(cw.cycles, Cycles{10230});
  Pfn copy = frame(ch, kBase);
  EXPECT_NE(copy, original);
  EXPECT_TRUE(writable(ch, kBase));
  EXPECT_EQ(info(copy).refcount, 1u);
  EXPECT_TRUE(info(copy).flags & frame_flags::kAnonExclusive);
  EXPECT_EQ(info(original).refcount, 1u);  // only the parent maps it now
  EXPECT_EQ(info(original).mapcount, 1u);
  EXPECT_FALSE(writable(p, kBase));        // but the parent's PTE is still read-only
  EXPECT_EQ(ch.pages_copied, 1u);
  EXPECT_EQ(ch.bytes_copied, kPageSize);
  // The parent's write finds refcount 1: reuse, no copy, no flush: 3300 + 30 = 3330.
  FaultResult pw = fault(p, kBase, A::kWrite);
  EXPECT_EQ(pw.outcome, O::kCowReuse);
  EXPECT_EQ(pw.cycles, Cycles{c.exception_entry + c.fault_base + c.pte_update + c.exception_return});
  EXPECT_EQ(frame(p, kBase), original);
  EXPECT_TRUE(writable(p, kBase));
  EXPECT_EQ(info(original).refcount, 1u);
  EXPECT_TRUE(info(original).flags & frame_flags::kAnonExclusive);
  EXPECT_EQ(p.pages_copied, 0u);
}

TEST_F(ForkCow, BothSidesWritingEveryPageCopiesOncePerPageInTwoFaults) {
  Process& p = parent();
  Process& ch = fork(p);
  uint64_t before = k().frames_in_use();
  write_all(ch, kBase, kLen);  // the first writer copies
  write_all(p, kBase, kLen);   // the second reuses
  EXPECT_EQ(faults(ch, O::kCowCopy), kPages);
  EXPECT_EQ(faults(p, O::kCowReuse), kPages);
  EXPECT_EQ(ch.minflt() + p.minflt() - kPages, 2 * kPages);  // two faults per page after fork
  EXPECT_EQ(ch.pages_copied + p.pages_copied, kPages);       // one copy per page
  EXPECT_EQ(k().frames_in_use(), before + kPages);           // memory doubles
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) ASSERT_NE(frame(p, a), frame(ch, a));
}

TEST_F(ForkCow, ParentWritingFirstCopiesAndTheChildReuses) {
  Process& p = parent();
  Process& ch = fork(p);
  write_all(p, kBase, kLen);
  write_all(ch, kBase, kLen);
  EXPECT_EQ(faults(p, O::kCowCopy), kPages);
  EXPECT_EQ(faults(ch, O::kCowReuse), kPages);
  EXPECT_EQ(p.pages_copied, kPages);
  EXPECT_EQ(ch.pages_copied, 0u);
}

TEST_F(ForkCow, AfterTheChildExitsEachParentWriteIsAReuse) {
  Process& p = parent();
  Process& ch = fork(p);
  uint64_t before = k().frames_in_use();
  k().exit(ch, "exit", Cycles{0});
  EXPECT_EQ(k().frames_in_use(), before - 4);  // the child's root and 3 tables; no data page
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) {
    ASSERT_FALSE(writable(p, a));  // still read-only after the child is gone
    ASSERT_EQ(info(frame(p, a)).refcount, 1u);
  }
  write_all(p, kBase, kLen);
  EXPECT_EQ(faults(p, O::kCowReuse), kPages);  // one fault per page, no copy
  EXPECT_EQ(p.pages_copied, 0u);
}

TEST_F(ForkCow, MemoryOnlyReadIsNotCopied) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) touch(p, a, A::kRead);  // zero page only
  Process& ch = fork(p);
  // No anonymous page ever: no page tables copied (the child faults lazily).
  EXPECT_EQ(pte(ch, kBase), 0u);
  EXPECT_EQ(last_fork_, Cycles{c.syscall + c.fork_base + c.fork_per_vma + c.full_flush});  // 122050
  EXPECT_EQ(fault(ch, kBase, A::kRead).outcome, O::kZeroPageMap);
}

TEST_F(ForkCow, ZeroPageEntriesAreCopiedWithoutAReference) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  touch(p, kBase, A::kWrite);              // an anonymous page: the VMA's tables get copied
  touch(p, kBase + kPageSize, A::kRead);   // a zero-page PTE
  Process& ch = fork(p);
  EXPECT_EQ(frame(ch, kBase + kPageSize), k().frames().zero_page());
  EXPECT_EQ(info(k().frames().zero_page()).refcount, 1u);
  EXPECT_EQ(info(frame(p, kBase)).refcount, 2u);
  // 2 PTEs copied: 450 + 120000 + 1000 + 2 x 150 + 3 x 1500 + 600 = 126850.
  EXPECT_EQ(last_fork_, Cycles{126850});
  EXPECT_EQ(fault(ch, kBase + kPageSize, A::kWrite).outcome, O::kZeroPageCow);
}

TEST_F(ForkCow, DontforkVmaIsAbsentInTheChild) {
  Process& p = parent();
  map_anon(p, kBase + kMiB, kLen);
  write_all(p, kBase + kMiB, kLen);
  k().madvise(p, kBase + kMiB, kLen, trace::Advice::kDontfork, 0);
  Process& ch = fork(p);
  ASSERT_EQ(ch.mm->vmas.vmas().size(), 1u);
  EXPECT_EQ(ch.mm->vmas.vmas()[0].start, kBase);
  EXPECT_EQ(pte(ch, kBase + kMiB), 0u);
  EXPECT_EQ(info(frame(p, kBase + kMiB)).refcount, 1u);  // not shared with the child
  EXPECT_TRUE(writable(p, kBase + kMiB));                 // nor write-protected
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["forks"]["0"]["vmas_skipped"], 1);
  EXPECT_EQ(s.json()["forks"]["0"]["ptes_copied"], kPages);  // the other VMA only
  FaultResult r = fault(ch, kBase + kMiB, A::kRead);
  EXPECT_FALSE(r.resolved);  // a child access is SIGSEGV
  EXPECT_EQ(ch.segv, 1u);
  EXPECT_TRUE(p.alive());
}

TEST_F(ForkCow, WipeonforkVmaIsEmptyInTheChild) {
  Process& p = parent();
  k().madvise(p, kBase, kLen, trace::Advice::kWipeonfork, 0);
  Process& ch = fork(p);
  ASSERT_NE(ch.mm->vmas.find(kBase), nullptr);  // the VMA exists
  EXPECT_TRUE(ch.mm->vmas.find(kBase)->wipeonfork);
  EXPECT_EQ(pte(ch, kBase), 0u);                 // but no PTEs were copied
  EXPECT_EQ(fault(ch, kBase, A::kRead).outcome, O::kZeroPageMap);  // reads see zeros
  EXPECT_EQ(k().rollup(ch).rss, 0u);
  EXPECT_EQ(fault(ch, kBase + kPageSize, A::kWrite).outcome, O::kAnonZeroFill);  // a fresh page
  // The parent keeps its data, writable and unshared.
  EXPECT_EQ(k().rollup(p).rss, kLen);
  EXPECT_EQ(k().rollup(p).private_dirty, kLen);
  EXPECT_TRUE(writable(p, kBase));
  EXPECT_EQ(info(frame(p, kBase)).refcount, 1u);
}

TEST_F(ForkCow, SharedAnonymousMappingIsNotCopied) {
  Process& p = start(1);
  map_anon(p, kBase, kLen, kProtRead | kProtWrite, kMapShared);
  FaultResult w = fault(p, kBase, A::kWrite);
  EXPECT_EQ(w.outcome, O::kSharedMap);
  Pfn page = frame(p, kBase);
  EXPECT_TRUE(writable(p, kBase));
  Process& ch = fork(p);
  EXPECT_EQ(pte(ch, kBase), 0u);    // MAP_SHARED: the child faults it in lazily
  EXPECT_TRUE(writable(p, kBase));  // and the parent is not write-protected
  FaultResult r = fault(ch, kBase, A::kRead);
  EXPECT_EQ(r.outcome, O::kSharedMap);
  // The page already exists: tables (3 x 1500) and one PTE: 3300 + 4500 + 30 = 7830.
  EXPECT_EQ(r.cycles, Cycles{7830});
  EXPECT_EQ(frame(ch, kBase), page);  // the same page
  EXPECT_TRUE(writable(ch, kBase));   // shared and rw: no later fault for a write
  EXPECT_EQ(info(page).refcount, 3u); // the page cache (shmem) + two mappings
  EXPECT_EQ(info(page).mapcount, 2u);
  EXPECT_EQ(ch.pages_copied + p.pages_copied, 0u);
}

TEST_F(ForkCow, PrivateFileMappingIsCopiedOnlyOnceItHasAnAnonymousPage) {
  Process& p = start(1);
  k().mmap(p, kBase, kLen, kProtRead | kProtWrite, trace::kMapFile, 0, 0);
  touch(p, kBase, A::kRead);  // the page-cache page, read-only
  k().fork(p, 2, false, 0, Cycles{0});
  EXPECT_EQ(pte(*k().process(2), kBase), 0u);  // never written: the child faults it lazily
  touch(p, kBase + kPageSize, A::kWrite);     // a private copy: the VMA now has an anon_vma
  k().fork(p, 3, false, 0, Cycles{0});
  Process& ch = *k().process(3);
  // The whole VMA is copied, page-cache pages too.
  EXPECT_EQ(frame(ch, kBase), frame(p, kBase));
  EXPECT_EQ(frame(ch, kBase + kPageSize), frame(p, kBase + kPageSize));
  EXPECT_FALSE(writable(p, kBase + kPageSize));  // the anonymous copy is now CoW-shared
  EXPECT_EQ(info(frame(p, kBase + kPageSize)).refcount, 2u);
  EXPECT_EQ(info(frame(p, kBase)).refcount, 3u);  // the page cache + parent + child
  EXPECT_EQ(fault(ch, kBase, A::kWrite).outcome, O::kCowCopy);  // out of the page cache
  EXPECT_EQ(fault(ch, kBase + kPageSize, A::kWrite).outcome, O::kCowCopy);
  EXPECT_EQ(fault(p, kBase + kPageSize, A::kWrite).outcome, O::kCowReuse);
}

TEST_F(ForkCow, VforkSharesTheAddressSpaceUntilExec) {
  Process& p = parent();
  uint64_t before = k().frames_in_use();
  Process& ch = fork(p, 2, true);
  EXPECT_EQ(last_fork_, Cycles{c.syscall + c.fork_base});  // no page-table work at all
  EXPECT_EQ(ch.mm, p.mm);
  EXPECT_EQ(k().frames_in_use(), before);
  EXPECT_EQ(p.state, TaskState::kBlocked);
  EXPECT_EQ(p.blocked_on, BlockReason::kVforkChild);
  EXPECT_TRUE(writable(p, kBase));  // nothing write-protected
  // The child writes into the shared address space: the parent sees the same page.
  map_anon(ch, kBase + kMiB, kLen);
  EXPECT_EQ(fault(ch, kBase + kMiB, A::kWrite).outcome, O::kAnonZeroFill);
  EXPECT_TRUE(present(p, kBase + kMiB));
  k().exec(ch, 0);
  EXPECT_NE(ch.mm, p.mm);
  EXPECT_EQ(p.state, TaskState::kRunnable);  // exec released the parent
  EXPECT_EQ(p.blocked_on, BlockReason::kNone);
  EXPECT_TRUE(present(p, kBase));            // and its memory is intact
  EXPECT_EQ(info(frame(p, kBase)).refcount, 1u);
  EXPECT_EQ(k().frames_in_use(), before + 1 + 1);  // the page the child wrote + the child's new root
}

TEST_F(ForkCow, VforkParentResumesWhenTheChildExits) {
  Process& p = parent();
  Process& ch = fork(p, 2, true);
  EXPECT_EQ(p.state, TaskState::kBlocked);
  uint64_t before = k().frames_in_use();
  k().exit(ch, "exit", Cycles{0});
  EXPECT_EQ(p.state, TaskState::kRunnable);
  EXPECT_EQ(k().frames_in_use(), before);  // the shared mm lives on with the parent
  EXPECT_TRUE(writable(p, kBase));
}

TEST_F(ForkCow, ExecTearsDownTheOldAddressSpace) {
  Process& p = parent();
  Cycles cost = k().exec(p, 0);
  // syscall + exec_base + 16 pages zapped + one full flush: 450 + 60000 + 960 + 600 = 62010.
  EXPECT_EQ(cost, Cycles{c.syscall + c.exec_base + kPages * c.zap_per_page + c.full_flush});
  EXPECT_EQ(k().frames_in_use(), 1u);  // the new, empty root only
  EXPECT_TRUE(p.mm->vmas.vmas().empty());
  EXPECT_TRUE(p.alive());
}

TEST_F(ForkCow, ExecAfterForkDropsTheSharing) {
  Process& p = parent();
  Process& ch = fork(p);
  k().exec(ch, 0);
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) ASSERT_EQ(info(frame(p, a)).refcount, 1u);
  write_all(p, kBase, kLen);
  EXPECT_EQ(faults(p, O::kCowReuse), kPages);
}

TEST_F(ForkCow, ExitFreesEverything) {
  EXPECT_EQ(k().frames_in_use(), 0u);  // baseline: no process
  Process& p = parent();
  Process& ch = fork(p);
  write_all(ch, kBase, kLen / 2);
  Cycles cost = k().exit(p, "exit", Cycles{1000});
  // exit_base + 16 pages zapped: 30000 + 960.
  EXPECT_EQ(cost, Cycles{c.exit_base + kPages * c.zap_per_page});
  EXPECT_EQ(p.exit_reason, "exit");
  EXPECT_EQ(p.end_time, Cycles{1000});
  EXPECT_TRUE(p.rollup_final);
  EXPECT_EQ(p.rollup.rss, kLen);
  EXPECT_EQ(k().exit(p, "again", Cycles{2000}), Cycles{0});  // exiting twice does nothing
  EXPECT_EQ(p.exit_reason, "exit");
  k().exit(ch, "exit", Cycles{0});
  EXPECT_EQ(k().frames_in_use(), 0u);
  EXPECT_EQ(mem_.tables_in_use(), 0u);
  EXPECT_FALSE(k().any_alive());
}

TEST_F(ForkCow, WaitBlocksUntilTheChildExits) {
  Process& p = parent();
  Process& ch = fork(p);
  EXPECT_FALSE(k().wait(p, 2));
  EXPECT_EQ(p.state, TaskState::kBlocked);
  EXPECT_EQ(p.blocked_on, BlockReason::kWaitChild);
  k().exit(ch, "exit", Cycles{0});
  EXPECT_EQ(p.state, TaskState::kRunnable);
  EXPECT_EQ(p.blocked_on, BlockReason::kNone);
  EXPECT_TRUE(k().wait(p, 2));  // already gone: no blocking
  EXPECT_THROW(k().wait(ch, 1), InputError);  // 1 is not 2's child
  EXPECT_THROW(k().wait(p, 99), InputError);  // no such process
}

TEST_F(ForkCow, AwaitBlocksUntilPost) {
  Process& a = start(1);
  Process& b = start(2);
  EXPECT_EQ(k().pick_next(0), &a);  // FIFO run queue; both now run (as a core would have them)
  EXPECT_EQ(k().pick_next(0), &b);
  EXPECT_EQ(k().pick_next(0), nullptr);
  EXPECT_FALSE(k().await(a, 5));
  EXPECT_FALSE(k().await(b, 5));
  EXPECT_EQ(a.state, TaskState::kBlocked);
  EXPECT_EQ(a.blocked_on, BlockReason::kAwait);
  k().post(4);  // another name wakes nobody
  EXPECT_EQ(a.state, TaskState::kBlocked);
  k().post(5);
  EXPECT_EQ(a.state, TaskState::kRunnable);
  EXPECT_EQ(b.state, TaskState::kRunnable);
  EXPECT_TRUE(k().await(a, 5));  // a name stays posted
  EXPECT_TRUE(k().await(a, 4));
  EXPECT_EQ(a.state, TaskState::kRunnable);
}

TEST_F(ForkCow, DuplicatePidIsAnInputError) {
  Process& p = parent();
  EXPECT_THROW(start(1), InputError);
  EXPECT_THROW(fork(p, 1), InputError);
}

}  // namespace
}  // namespace cowsim::test
