// mmap, munmap, mprotect, madvise: effects on VMAs, PTEs and frames, costs, and Linux's error
// rules (recorded and counted, or fatal with strict).
#include "testbenches/kernel/kernel_test_util.h"

#include "models/common/error.h"

namespace cowsim::test {
namespace {

using A = AccessType;
using O = FaultOutcome;
using trace::Advice;

constexpr uint64_t kPages = 16;
constexpr uint64_t kLen = kPages * kPageSize;

class Syscalls : public KernelTest {
 protected:
  Process& written(uint32_t pid = 1) {
    Process& p = start(pid);
    map_anon(p, kBase, kLen);
    write_all(p, kBase, kLen);
    return p;
  }
  const KernelCosts& c = params_.cost;
};

TEST_F(Syscalls, MmapCreatesOneVmaWithoutTouchingMemory) {
  Process& p = start(1);
  Cycles cost = k().mmap(p, kBase, kLen, kProtRead | kProtWrite, kMapPrivate, trace::kNoName, 0);
  EXPECT_EQ(cost, Cycles{c.syscall + c.vma_op});  // 2450
  ASSERT_EQ(p.mm->vmas.vmas().size(), 1u);
  const Vma& v = p.mm->vmas.vmas()[0];
  EXPECT_EQ(v.start, kBase);
  EXPECT_EQ(v.end, kBase + kLen);
  EXPECT_TRUE(v.anonymous());
  EXPECT_FALSE(v.shared);
  EXPECT_EQ(k().frames_in_use(), 1u);  // no page, no table until a fault
  EXPECT_EQ(p.syscalls, 1u);
  // A length is rounded up to whole pages.
  map_anon(p, kBase + kMiB, 1);
  EXPECT_EQ(p.mm->vmas.find(kBase + kMiB)->end, kBase + kMiB + kPageSize);
}

TEST_F(Syscalls, MmapErrors) {
  Process& p = start(1);
  map_anon(p, kBase + 1, kLen);   // EINVAL: not page aligned
  map_anon(p, kBase, 0);          // EINVAL: length 0
  map_anon(p, 0x1000, kLen);      // EPERM: below vm.mmap_min_addr (64 KiB)
  map_anon(p, (uint64_t{1} << 47) - kPageSize, 2 * kPageSize);  // ENOMEM: past user space
  EXPECT_EQ(p.syscall_errors, 4u);
  EXPECT_TRUE(p.mm->vmas.vmas().empty());
  ASSERT_EQ(k().errors().size(), 4u);
  EXPECT_EQ(k().errors()[0], "pid 1: mmap(0x7f0000000001, 65536) address not page aligned: EINVAL");
  EXPECT_EQ(k().errors()[1], "pid 1: mmap(0x7f0000000000, 0) length 0: EINVAL");
  EXPECT_EQ(k().errors()[2], "pid 1: mmap(0x1000, 65536) below vm.mmap_min_addr: EPERM");
  EXPECT_EQ(k().errors()[3], "pid 1: mmap(0x7ffffffff000, 8192) beyond user address space: ENOMEM");
  map_anon(p, 0x10000, kPageSize);  // exactly at the minimum: fine
  EXPECT_EQ(p.syscall_errors, 4u);
}

TEST_F(Syscalls, MmapOverAMappingReplacesIt) {
  Process& p = written();
  EXPECT_EQ(k().frames_in_use(), 1u + 3u + kPages);
  // MAP_FIXED over the same range: the old pages go, the new mapping is untouched memory.
  Cycles cost = k().mmap(p, kBase, kLen, kProtRead | kProtWrite, kMapPrivate, trace::kNoName, 0);
  // 2450 + 16 pages zapped (16 x 60) + 16 INVLPGs (16 x 300; 16 <= 33 pages).
  EXPECT_EQ(cost, Cycles{c.syscall + c.vma_op + kPages * c.zap_per_page + kPages * c.invlpg});
  EXPECT_EQ(k().frames_in_use(), 1u);  // pages and emptied tables freed
  EXPECT_EQ(fault(p, kBase, A::kRead).outcome, O::kZeroPageMap);
}

TEST_F(Syscalls, MunmapFreesFramesAndTables) {
  Process& p = written();
  Cycles cost = k().munmap(p, kBase, kLen, 0);
  EXPECT_EQ(cost, Cycles{c.syscall + c.vma_op + kPages * c.zap_per_page + kPages * c.invlpg});  // 8210
  EXPECT_EQ(cost, Cycles{8210});
  EXPECT_EQ(k().frames_in_use(), 1u);
  EXPECT_TRUE(p.mm->vmas.vmas().empty());
  EXPECT_FALSE(fault(p, kBase, A::kRead).resolved);  // gone: SIGSEGV
}

TEST_F(Syscalls, MunmapOfAMiddlePartSplitsTheVma) {
  Process& p = written();
  k().munmap(p, kBase + 4 * kPageSize, 4 * kPageSize, 0);
  EXPECT_EQ(k().frames_in_use(), 1u + 3u + kPages - 4);
  ASSERT_EQ(p.mm->vmas.vmas().size(), 2u);
  EXPECT_EQ(p.mm->vmas.vmas()[0].end, kBase + 4 * kPageSize);
  EXPECT_EQ(p.mm->vmas.vmas()[1].start, kBase + 8 * kPageSize);
  EXPECT_FALSE(present(p, kBase + 5 * kPageSize));
  EXPECT_TRUE(present(p, kBase + 3 * kPageSize));
  EXPECT_TRUE(present(p, kBase + 8 * kPageSize));
  EXPECT_EQ(k().rollup(p).rss, (kPages - 4) * kPageSize);
}

TEST_F(Syscalls, LargeMunmapFlushesEverything) {
  Process& p = start(1);
  map_anon(p, kBase, 64 * kPageSize);
  write_all(p, kBase, 64 * kPageSize);
  // 64 pages > 33 (tlb_single_page_flush_ceiling): one full flush instead of 64 INVLPGs.
  EXPECT_EQ(k().munmap(p, kBase, 64 * kPageSize, 0), Cycles{c.syscall + c.vma_op + 64 * c.zap_per_page + c.full_flush});
  // Unmapping nothing mapped costs no zap and no flush.
  EXPECT_EQ(k().munmap(p, kBase, 64 * kPageSize, 0), Cycles{c.syscall + c.vma_op});
}

TEST_F(Syscalls, MunmapErrors) {
  Process& p = written();
  k().munmap(p, kBase + 8, kPageSize, 0);  // EINVAL: not aligned
  k().munmap(p, kBase, 0, 0);              // EINVAL: length 0
  EXPECT_EQ(p.syscall_errors, 2u);
  EXPECT_EQ(k().rollup(p).rss, kLen);      // nothing was unmapped
}

TEST_F(Syscalls, MprotectReadOnlyThenWriteIsSigsegv) {
  Process& p = written();
  Cycles cost = k().mprotect(p, kBase, kLen, kProtRead, 0);
  // 16 PTEs rewritten (16 x 30) and flushed (16 x 300): 2450 + 480 + 4800 = 7730.
  EXPECT_EQ(cost, Cycles{c.syscall + c.vma_op + kPages * c.pte_update + kPages * c.invlpg});
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) ASSERT_FALSE(writable(p, a));
  EXPECT_FALSE(touch(p, kBase, A::kRead).has_value());  // reads still work without a fault
  FaultResult r = fault(p, kBase, A::kWrite);
  EXPECT_FALSE(r.resolved);
  EXPECT_EQ(p.segv, 1u);
}

TEST_F(Syscalls, MprotectBackToWritableRestoresOwnedPages) {
  Process& p = written();
  k().mprotect(p, kBase, kLen, kProtRead, 0);
  k().mprotect(p, kBase, kLen, kProtRead | kProtWrite, 0);
  ASSERT_EQ(p.mm->vmas.vmas().size(), 1u);
  // Pages this process owns alone become writable again at once: no fault on the next write.
  for (uint64_t a = kBase; a < kBase + kLen; a += kPageSize) ASSERT_TRUE(writable(p, a));
  EXPECT_FALSE(touch(p, kBase, A::kWrite).has_value());
}

TEST_F(Syscalls, MprotectKeepsCopyOnWriteIntact) {
  Process& p = written();
  k().fork(p, 2, false, 0, Cycles{0});
  k().mprotect(p, kBase, kLen, kProtRead, 0);
  k().mprotect(p, kBase, kLen, kProtRead | kProtWrite, 0);
  // Shared with the child: must stay read-only, so the next write still copies.
  EXPECT_FALSE(writable(p, kBase));
  EXPECT_EQ(fault(p, kBase, A::kWrite).outcome, O::kCowCopy);
}

TEST_F(Syscalls, MprotectPartSplitsAndMergesBack) {
  Process& p = written();
  k().mprotect(p, kBase + 4 * kPageSize, 4 * kPageSize, kProtRead, 0);
  EXPECT_EQ(p.mm->vmas.vmas().size(), 3u);
  EXPECT_TRUE(writable(p, kBase + 3 * kPageSize));
  EXPECT_FALSE(writable(p, kBase + 4 * kPageSize));
  EXPECT_TRUE(writable(p, kBase + 8 * kPageSize));
  k().mprotect(p, kBase + 4 * kPageSize, 4 * kPageSize, kProtRead | kProtWrite, 0);
  EXPECT_EQ(p.mm->vmas.vmas().size(), 1u);
}

TEST_F(Syscalls, MprotectNoneKeepsTheFrames) {
  Process& p = written();
  uint64_t frames = k().frames_in_use();
  Pfn f = frame(p, kBase);
  k().mprotect(p, kBase, kLen, trace::kProtNone, 0);
  uint64_t e = pte(p, kBase);
  EXPECT_FALSE(e & pte_bits::kPresent);  // every access faults
  EXPECT_TRUE(e & pte_bits::kProtNone);  // but the frame stays mapped for the kernel
  EXPECT_EQ(Pte::from_raw(e).pfn(), f);
  EXPECT_EQ(k().frames_in_use(), frames);
  EXPECT_EQ(k().rollup(p).rss, kLen);  // smaps still counts it
  k().mprotect(p, kBase, kLen, kProtRead, 0);
  EXPECT_FALSE(touch(p, kBase, A::kRead).has_value());  // back, with no fault
  EXPECT_EQ(frame(p, kBase), f);
  k().mprotect(p, kBase, kLen, trace::kProtNone, 0);
  EXPECT_FALSE(fault(p, kBase, A::kRead).resolved);
}

TEST_F(Syscalls, MprotectErrors) {
  Process& p = written();
  k().mprotect(p, kBase + 1, kPageSize, kProtRead, 0);  // EINVAL
  k().mprotect(p, kBase, kLen + kPageSize, kProtRead, 0);  // ENOMEM: the last page is a hole
  EXPECT_EQ(p.syscall_errors, 2u);
  EXPECT_TRUE(writable(p, kBase));  // nothing changed
  EXPECT_EQ(k().mprotect(p, kBase + kMiB, 0, kProtRead, 0), Cycles{c.syscall + c.vma_op});  // length 0: fine
  EXPECT_EQ(p.syscall_errors, 2u);
  ASSERT_EQ(k().errors().size(), 2u);
  EXPECT_EQ(k().errors()[1], "pid 1: mprotect(0x7f0000000000, 69632) range has unmapped holes: ENOMEM");
}

TEST_F(Syscalls, MadviseErrors) {
  Process& p = written();
  map_anon(p, kBase + kMiB, kLen, kProtRead | kProtWrite, kMapShared);
  k().madvise(p, kBase + 1, kPageSize, Advice::kDontfork, 0);      // EINVAL: start not aligned
  k().madvise(p, kBase + kMiB, kLen, Advice::kWipeonfork, 0);      // EINVAL: a shared mapping
  k().madvise(p, kBase, kLen + kPageSize, Advice::kDontfork, 0);   // ENOMEM: a hole after it
  EXPECT_EQ(p.syscall_errors, 3u);
  EXPECT_EQ(p.syscalls, 2u + 3u);  // the two mmaps and the three madvises
  ASSERT_EQ(k().errors().size(), 3u);
  EXPECT_EQ(k().errors()[0], "pid 1: madvise(0x7f0000000001, 4096, dontfork) start not page aligned: EINVAL");
  EXPECT_EQ(k().errors()[1],
            "pid 1: madvise(0x7f0000100000, 65536, wipeonfork) wipe-on-fork needs private anonymous memory: EINVAL");
  EXPECT_EQ(k().errors()[2], "pid 1: madvise(0x7f0000000000, 69632, dontfork) range has unmapped holes: ENOMEM");
  // ENOMEM still advised the mapped part, as Linux does.
  EXPECT_TRUE(p.mm->vmas.find(kBase)->dontcopy);
  EXPECT_FALSE(p.mm->vmas.find(kBase + kMiB)->wipeonfork);
  // Length 0 is a no-op success, even where nothing is mapped.
  k().madvise(p, kBase + 2 * kMiB, 0, Advice::kDontfork, 0);
  EXPECT_EQ(p.syscall_errors, 3u);
}

TEST_F(Syscalls, MadviseSplitsVmas) {
  Process& p = written();
  k().madvise(p, kBase + 4 * kPageSize, 4 * kPageSize, Advice::kDontfork, 0);
  ASSERT_EQ(p.mm->vmas.vmas().size(), 3u);
  EXPECT_FALSE(p.mm->vmas.vmas()[0].dontcopy);
  EXPECT_TRUE(p.mm->vmas.vmas()[1].dontcopy);
  EXPECT_FALSE(p.mm->vmas.vmas()[2].dontcopy);
  k().madvise(p, kBase + 4 * kPageSize, 4 * kPageSize, Advice::kDofork, 0);
  EXPECT_EQ(p.mm->vmas.vmas().size(), 1u);  // equal again: merged
}

TEST_F(Syscalls, MadviseDontneedDropsPages) {
  Process& p = written();
  Cycles cost = k().madvise(p, kBase, 4 * kPageSize, Advice::kDontneed, 0);
  EXPECT_EQ(cost, Cycles{c.syscall + c.vma_op + 4 * c.zap_per_page + 4 * c.invlpg});  // 2450 + 240 + 1200
  EXPECT_EQ(k().frames_in_use(), 1u + 3u + kPages - 4);
  EXPECT_EQ(p.mm->vmas.vmas().size(), 1u);  // the mapping stays
  EXPECT_EQ(fault(p, kBase, A::kRead).outcome, O::kZeroPageMap);      // zeros again
  EXPECT_EQ(fault(p, kBase + kPageSize, A::kWrite).outcome, O::kAnonZeroFill);
}

TEST_F(Syscalls, SharedAnonymousMemoryLivesUntilItsLastMappingGoes) {
  // A MAP_SHARED | MAP_ANONYMOUS object (shmem) holds its pages while any process maps it
  // and is freed with its last mapping.
  Process& p = start(1);
  map_anon(p, kBase, kLen, kProtRead | kProtWrite, kMapShared);
  write_all(p, kBase, kLen);
  EXPECT_EQ(k().frames_in_use(), 1u + 3u + kPages);
  k().fork(p, 2, false, 0, Cycles{0});
  Process& ch = *k().process(2);
  touch(ch, kBase, A::kRead);
  Pfn page = frame(ch, kBase);
  k().munmap(p, kBase, kLen, 0);
  EXPECT_EQ(frame(ch, kBase), page);  // the child still maps the data
  EXPECT_EQ(info(page).refcount, 2u);  // the object + the child's mapping
  // p's root; the child's root and 3 tables; the object's pages.
  EXPECT_EQ(k().frames_in_use(), 1u + (1u + 3u) + kPages);
  k().exit(ch, "exit", Cycles{0});
  EXPECT_EQ(k().frames_in_use(), 1u);  // only p's root: the object went with its last mapping
  k().exit(p, "exit", Cycles{0});
  EXPECT_EQ(k().frames_in_use(), 0u);
}

class StrictSyscalls : public KernelTest {
 protected:
  StrictSyscalls() : KernelTest(64 * kMiB, 1, true) {}
};

TEST_F(StrictSyscalls, FailingCallsThrow) {
  Process& p = start(1);
  map_anon(p, kBase, kLen);
  try {
    k().madvise(p, kBase, kLen + kPageSize, Advice::kDontfork, 0);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "pid 1: madvise(0x7f0000000000, 69632, dontfork) range has unmapped holes: ENOMEM "
              "(--strict makes failing system calls fatal)");
  }
  EXPECT_THROW(k().madvise(p, kBase + 1, kPageSize, Advice::kDontfork, 0), InputError);
  EXPECT_THROW(k().munmap(p, kBase, 0, 0), InputError);
  EXPECT_THROW(map_anon(p, 0x1000, kLen), InputError);
  EXPECT_EQ(p.syscall_errors, 4u);
  EXPECT_TRUE(k().errors().empty());  // fatal errors are thrown, not collected
}

}  // namespace
}  // namespace cowsim::test
