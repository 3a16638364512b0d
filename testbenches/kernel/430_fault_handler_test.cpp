// Kernel::handle_fault on private anonymous and file memory: each outcome, its PTE and frame
// state, its exact cost in cycles, SIGSEGV and out-of-memory kills.
#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim::test {
namespace {

using A = AccessType;
using O = FaultOutcome;

class FaultHandler : public KernelTest {
 protected:
  const KernelCosts& c = params_.cost;
  // Every fault: exception entry, the handler's fixed work, exception return.
  uint64_t base() const { return c.exception_entry + c.fault_base + c.exception_return; }  // 3300
};

TEST_F(FaultHandler, WriteToFreshAnonMemoryZeroFills) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  EXPECT_EQ(k().frames_in_use(), 1u);  // the page-table root
  FaultResult r = fault(p, kBase + 0x10, A::kWrite);
  ASSERT_TRUE(r.resolved);
  EXPECT_EQ(r.outcome, O::kAnonZeroFill);
  // First fault in the address space: PDPT, PD and PT are created (3 x table_alloc), then one
  // page allocated, zeroed and mapped: 3300 + 4500 + 1200 + 2000 + 30 = 11030.
  EXPECT_EQ(r.cycles, Cycles{base() + 3 * c.table_alloc + c.page_alloc + c.page_zero + c.pte_update});
  EXPECT_EQ(r.cycles, Cycles{11030});
  Pte e = Pte::from_raw(pte(p, kBase));
  EXPECT_TRUE(e.present && e.writable && e.user && e.dirty && e.accessed);
  EXPECT_TRUE(e.no_execute);  // the VMA is rw, not x
  const FrameInfo& f = info(e.pfn());
  EXPECT_EQ(f.refcount, 1u);
  EXPECT_EQ(f.mapcount, 1u);
  EXPECT_TRUE(f.flags & frame_flags::kAnon);
  EXPECT_TRUE(f.flags & frame_flags::kAnonExclusive);
  EXPECT_EQ(k().frames_in_use(), 5u);  // root + 3 tables + 1 page
  // The next page shares the tables: no table_alloc. 3300 + 1200 + 2000 + 30 = 6530.
  FaultResult r2 = fault(p, kBase + kPageSize, A::kWrite);
  EXPECT_EQ(r2.cycles, Cycles{base() + c.page_alloc + c.page_zero + c.pte_update});
  EXPECT_EQ(r2.cycles, Cycles{6530});
  EXPECT_NE(frame(p, kBase + kPageSize), e.pfn());
  EXPECT_EQ(faults(p, O::kAnonZeroFill), 2u);
  EXPECT_EQ(p.minflt(), 2u);
  EXPECT_EQ(p.fault_cycles, Cycles{11030 + 6530});
  // And now the access goes through without a fault.
  EXPECT_FALSE(touch(p, kBase + 0x20, A::kWrite).has_value());
  SmapsRollup s = k().rollup(p);
  EXPECT_EQ(s.rss, 2 * kPageSize);
  EXPECT_EQ(s.private_dirty, 2 * kPageSize);
  EXPECT_EQ(s.anonymous, 2 * kPageSize);
}

TEST_F(FaultHandler, ReadOfFreshAnonMemoryMapsTheZeroPage) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  FaultResult r = fault(p, kBase, A::kRead);
  ASSERT_TRUE(r.resolved);
  EXPECT_EQ(r.outcome, O::kZeroPageMap);
  // No page: 3300 + 3 tables (4500) + one PTE write (30) = 7830.
  EXPECT_EQ(r.cycles, Cycles{base() + 3 * c.table_alloc + c.pte_update});
  EXPECT_EQ(fault(p, kBase + kPageSize, A::kRead).cycles, Cycles{base() + c.pte_update});  // 3330
  Pte e = Pte::from_raw(pte(p, kBase));
  EXPECT_TRUE(e.present);
  EXPECT_FALSE(e.writable);
  EXPECT_EQ(e.pfn(), k().frames().zero_page());
  EXPECT_EQ(info(e.pfn()).refcount, 1u);  // the zero page takes no references
  EXPECT_EQ(k().frames_in_use(), 4u);     // root + 3 tables, no data page
  EXPECT_EQ(k().rollup(p).rss, 0u);       // the zero page counts nowhere
  EXPECT_FALSE(touch(p, kBase, A::kRead).has_value());
}

// kernel.zero_page = false (mm_forbids_zeropage, or a PVM guest with pvm_no_zero_page=1, as
// measured on such a host by the validation suite): a read allocates a zeroed page like a write
// does, mapped writable and dirty (do_anonymous_page), so the write after it takes no fault.
TEST_F(FaultHandler, WithoutTheZeroPageAReadAllocatesAZeroedPage) {
  params_.zero_page = false;
  kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  FaultResult r = fault(p, kBase, A::kRead);
  ASSERT_TRUE(r.resolved);
  EXPECT_EQ(r.outcome, O::kAnonZeroFill);
  // As the first write fault above: 3300 + 4500 + 1200 + 2000 + 30 = 11030.
  EXPECT_EQ(r.cycles, Cycles{11030});
  Pte e = Pte::from_raw(pte(p, kBase));
  EXPECT_NE(e.pfn(), k().frames().zero_page());
  EXPECT_TRUE(e.writable && e.dirty);
  EXPECT_FALSE(touch(p, kBase, A::kWrite).has_value());  // no second fault
  EXPECT_EQ(p.minflt(), 1u);
  EXPECT_EQ(k().rollup(p).rss, kPageSize);  // a real page: Rss and Private_Dirty 4 kB
  EXPECT_EQ(k().rollup(p).private_dirty, kPageSize);
}

TEST_F(FaultHandler, WriteAfterReadReplacesTheZeroPage) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  touch(p, kBase, A::kRead);
  FaultResult r = fault(p, kBase, A::kWrite);  // a protection fault on the read-only zero-page PTE
  ASSERT_TRUE(r.resolved);
  EXPECT_EQ(r.outcome, O::kZeroPageCow);
  // A zeroed page (no copy), the replacement's rmap work and an INVLPG of the old translation:
  // 3300 + 1200 + 2000 + 30 + 3000 + 300 = 9830.
  EXPECT_EQ(r.cycles, Cycles{base() + c.page_alloc + c.page_zero + c.pte_update + c.cow_replace + c.invlpg});
  EXPECT_EQ(r.cycles, Cycles{9830});
  Pte e = Pte::from_raw(pte(p, kBase));
  EXPECT_NE(e.pfn(), k().frames().zero_page());
  EXPECT_TRUE(e.writable && e.dirty);
  EXPECT_EQ(info(e.pfn()).refcount, 1u);
  EXPECT_EQ(p.minflt(), 2u);  // read-then-write of untouched memory: two faults
  EXPECT_EQ(p.pages_copied, 0u);
  EXPECT_EQ(k().rollup(p).rss, kPageSize);
}

TEST_F(FaultHandler, FaultOutsideAnyVmaIsSigsegv) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  write_all(p, kBase, 4 * kPageSize);
  FaultResult r = fault(p, kBase - kPageSize, A::kRead);
  EXPECT_FALSE(r.resolved);
  // No return to user; the core then tears the process down (exit plus 4 mapped pages).
  EXPECT_EQ(r.cycles, Cycles{c.exception_entry + c.fault_base + c.signal + c.exit_base + 4 * c.zap_per_page});
  EXPECT_EQ(p.segv, 1u);
  EXPECT_FALSE(p.alive());
  EXPECT_EQ(p.exit_reason, "SIGSEGV at 0x7efffffff000 (no mapping)");
  EXPECT_EQ(p.minflt(), 4u);  // a SIGSEGV is not a minor fault
  EXPECT_EQ(k().frames_in_use(), 0u);  // killed: everything freed, root included
  EXPECT_EQ(p.rollup.rss, 4 * kPageSize);  // the rollup as of the kill
}

TEST_F(FaultHandler, WriteToReadOnlyVmaIsSigsegv) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB, kProtRead);
  EXPECT_EQ(fault(p, kBase, A::kRead).outcome, O::kZeroPageMap);  // reading is fine
  FaultResult r = fault(p, kBase, A::kWrite);
  EXPECT_FALSE(r.resolved);
  EXPECT_EQ(p.segv, 1u);
  EXPECT_NE(p.exit_reason.find("SIGSEGV"), std::string::npos);
  EXPECT_NE(p.exit_reason.find("without write permission"), std::string::npos);
}

TEST_F(FaultHandler, ExecPermission) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB, kProtRead | kProtExec);
  FaultResult r = fault(p, kBase, A::kFetch);
  ASSERT_TRUE(r.resolved);
  EXPECT_FALSE(Pte::from_raw(pte(p, kBase)).no_execute);  // an x mapping: NX clear
  EXPECT_FALSE(touch(p, kBase, A::kFetch).has_value());
  Process& q = start(2);
  map_anon(q, kBase, kMiB);  // rw, no x
  EXPECT_FALSE(fault(q, kBase, A::kFetch).resolved);
  EXPECT_NE(q.exit_reason.find("without exec permission"), std::string::npos);
}

TEST_F(FaultHandler, ProtNoneIsSigsegvForEveryAccess) {
  uint32_t pid = 1;
  for (A type : {A::kRead, A::kWrite, A::kFetch}) {
    Process& p = start(pid++);
    map_anon(p, kBase, kMiB, trace::kProtNone);
    FaultResult r = fault(p, kBase, type);
    EXPECT_FALSE(r.resolved);
    EXPECT_EQ(p.segv, 1u);
  }
}

TEST_F(FaultHandler, NonCanonicalAddressIsSigsegv) {
  Process& p = start(1);
  Fault f;
  f.kind = FaultKind::kNonCanonical;
  f.addr = VirtAddr{uint64_t{1} << 47};
  f.access = A::kRead;
  FaultResult r = k().handle_fault(p, f, 0);
  EXPECT_FALSE(r.resolved);
  EXPECT_EQ(p.exit_reason, "SIGSEGV at 0x800000000000 (outside user space)");
}

TEST_F(FaultHandler, PrivateFileMapping) {
  trace::NameTable names;
  uint32_t file = names.intern("data.bin");
  Process& p = start(1);
  k().mmap(p, kBase, kMiB, kProtRead | kProtWrite, trace::kMapFile, file, 0);
  // Read: the page-cache page itself, read-only (allocated and zeroed on first use: no disk).
  FaultResult r = fault(p, kBase, A::kRead);
  EXPECT_EQ(r.outcome, O::kSharedMap);
  EXPECT_EQ(r.cycles, Cycles{base() + 3 * c.table_alloc + c.page_alloc + c.page_zero + c.pte_update});
  Pfn cached = frame(p, kBase);
  EXPECT_FALSE(writable(p, kBase));
  EXPECT_EQ(info(cached).refcount, 2u);  // the page cache + this mapping
  // Write: the private copy (CoW out of the page cache); the cache keeps its page.
  FaultResult w = fault(p, kBase, A::kWrite);
  EXPECT_EQ(w.outcome, O::kCowCopy);
  EXPECT_EQ(w.cycles, Cycles{base() + c.page_alloc + c.page_copy + c.pte_update + c.cow_replace + c.invlpg});  // 10230
  EXPECT_NE(frame(p, kBase), cached);
  EXPECT_TRUE(writable(p, kBase));
  EXPECT_EQ(info(cached).refcount, 1u);  // only the cache
  EXPECT_EQ(p.pages_copied, 1u);
  // First touch is a write: the page-cache page is created (alloc + zero), then copied (alloc +
  // copy + PTE), with no flush since nothing was mapped: 3300 + 3200 + 3630 = 10130.
  FaultResult w2 = fault(p, kBase + kPageSize, A::kWrite);
  EXPECT_EQ(w2.outcome, O::kCowCopy);
  EXPECT_EQ(w2.cycles, Cycles{base() + c.page_alloc + c.page_zero + c.page_alloc + c.page_copy + c.pte_update});
  EXPECT_EQ(p.pages_copied, 2u);
  // Rss: two private anonymous copies (the page-cache pages are not mapped any more).
  SmapsRollup s = k().rollup(p);
  EXPECT_EQ(s.rss, 2 * kPageSize);
  EXPECT_EQ(s.anonymous, 2 * kPageSize);
}

TEST_F(FaultHandler, LatencyStatisticsPerOutcome) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  touch(p, kBase, A::kWrite);              // 11030, with 3 tables
  touch(p, kBase + kPageSize, A::kWrite);  // 6530
  touch(p, kBase + 2 * kPageSize, A::kRead);
  StatSink s;
  k().report(s);
  const auto& f = s.json()["faults"];
  EXPECT_EQ(f["anon_zero_fill"]["latency"]["count"], 2);
  EXPECT_EQ(f["anon_zero_fill"]["latency"]["max"], 11030);
  EXPECT_DOUBLE_EQ(f["anon_zero_fill"]["latency"]["mean"].get<double>(), (11030 + 6530) / 2.0);
  // The per-step means: table_alloc 3 x 1500 over 2 faults, zero 2000 each.
  EXPECT_DOUBLE_EQ(f["anon_zero_fill"]["steps"]["table_alloc"].get<double>(), 2250.0);
  EXPECT_DOUBLE_EQ(f["anon_zero_fill"]["steps"]["zero"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(f["anon_zero_fill"]["steps"]["entry"].get<double>(), 150.0);
  EXPECT_EQ(f["zero_page_map"]["latency"]["max"], 3330);
  EXPECT_FALSE(f.contains("cow_copy"));  // outcomes that never happened are left out
}

// 16 MiB of memory is 4096 frames. Free for the kernel: frames 2..511 and 1024..4095 = 3582
// (0 is reserved, 1 is the zero page, 512..1023 the huge zero page).
class OutOfMemory : public KernelTest {
 protected:
  OutOfMemory() : KernelTest(16 * kMiB) {}
};

TEST_F(OutOfMemory, KillsTheFaultingProcessInsteadOfCrashing) {
  Process& p = start(1);
  map_anon(p, kBase, 16 * kMiB);
  // Writing k pages of a 2 MiB-aligned region uses root + PDPT + PD + ceil(k/512) PTs + k pages.
  // k = 3572: 3 + 7 + 3572 = 3582 frames, all of them; page 3573 finds no frame.
  uint64_t written = 0;
  for (uint64_t a = kBase; a < kBase + 16 * kMiB; a += kPageSize) {
    FaultResult r = fault(p, a, A::kWrite);
    if (!r.resolved) break;
    ++written;
  }
  EXPECT_EQ(written, 3572u);
  EXPECT_FALSE(p.alive());
  EXPECT_EQ(p.exit_reason, "killed: out of memory");
  EXPECT_EQ(faults(p, O::kAnonZeroFill), 3572u);
  EXPECT_EQ(k().frames_in_use(), 0u);  // all of it came back
  EXPECT_EQ(k().frames().peak(), 3582u);
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["oom_kills"], 1);
  // Memory is usable again by the next process.
  Process& q = start(2);
  map_anon(q, kBase, kMiB);
  EXPECT_TRUE(fault(q, kBase, A::kWrite).resolved);
}

}  // namespace
}  // namespace cowsim::test
