// kernel.cow.granularity=line (page overlays, models/kernel/overlay.*): the write fault that
// gives a page its overlay, overlay growth line by line through the segment classes, the
// lookup and OMT costs of accesses, conversion at the threshold (copy, or in place once the
// page is no longer shared), smaps with overlays, fork and munmap of overlaid pages. Costs
// are the defaults of KernelCosts and OverlayParams; a Kernel without a memory model copies
// a page in page_copy = 2400 cycles, so moving one line costs 2400 / 64 = 37 cycles.
#include "testbenches/kernel/kernel_test_util.h"

#include "models/common/error.h"
#include "models/common/params.h"
#include "models/kernel/overlay.h"

namespace cowsim::test {
namespace {

using A = AccessType;
using O = FaultOutcome;

constexpr uint64_t kLine = 64;

class OverlayTest : public KernelTest {
 protected:
  OverlayTest() {
    params_.cow_granularity = CowGranularity::kLine;
    kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 1, false);
  }
  // A parent (pid 1) with one written page, forked into pid 2: the page is CoW-shared.
  Process& forked() {
    Process& p = start(1);
    map_anon(p, kBase, 4 * kPageSize);
    write_all(p, kBase, 4 * kPageSize);
    k().fork(p, 2, false, 0, Cycles{0});
    return p;
  }
  Overlays& ov() { return *k().overlays(); }
  // What the core does after a translated access: returns the cycles it added.
  uint64_t access(Process& p, uint64_t va, A type) {
    FaultResult r = ov().access(p, VirtAddr{va}, type == A::kWrite, 0, Cycles{0});
    EXPECT_TRUE(r.resolved);
    return r.cycles.value;
  }
  // A store to line `line` of the first page as the hardware runs it: the write fault if the
  // PTE is still write-protected, then the access. Returns the access's overlay cycles.
  uint64_t store(Process& p, uint64_t line) {
    touch(p, kBase + line * kLine, A::kWrite);
    return access(p, kBase + line * kLine, A::kWrite);
  }
  nlohmann::json stats() {
    StatSink s;
    k().report(s);
    return s.json()["overlay"];
  }
  const KernelCosts& c = params_.cost;
  const OverlayParams& o = params_.overlay;
};

TEST_F(OverlayTest, FirstWriteGivesAnOverlayInsteadOfACopy) {
  Process& p = forked();
  Process& ch = *k().process(2);
  Pfn shared = frame(p, kBase);
  uint64_t frames = k().frames_in_use();
  FaultResult f = fault(p, kBase, A::kWrite);
  ASSERT_TRUE(f.resolved);
  EXPECT_EQ(f.outcome, O::kCowCopy);
  // entry 150 + fault_base 3000 + OMT entry 1000 + PTE 30 + return 150 = 4330: no page
  // allocated, nothing copied, no flush (the PTE only gains write permission).
  EXPECT_EQ(f.cycles, Cycles{c.exception_entry + c.fault_base + o.create + c.pte_update + c.exception_return});
  EXPECT_EQ(f.cycles, Cycles{4330});
  EXPECT_EQ(k().frames_in_use(), frames);
  EXPECT_TRUE(writable(p, kBase));
  EXPECT_EQ(frame(p, kBase), shared);  // still the shared page
  EXPECT_EQ(frame(ch, kBase), shared);
  EXPECT_EQ(info(shared).mapcount, 2u);
  EXPECT_EQ(p.pages_copied, 0u);
  EXPECT_EQ(stats()["created"], 1);
}

TEST_F(OverlayTest, GrowthLineByLine) {
  Process& p = forked();
  uint64_t frames = k().frames_in_use();
  // Line 0: lookup 1 + OMT miss 240 + line_write 240 = 481; a 256-byte segment takes one
  // pool frame.
  EXPECT_EQ(store(p, 0), o.lookup + o.omt_miss + o.line_write);
  EXPECT_EQ(store(p, 0) , 0u + o.lookup + o.omt_hit);  // written again: the overlay's line, OMT hit: 3
  EXPECT_EQ(k().frames_in_use(), frames + 1);
  EXPECT_EQ(stats()["bytes"], 256);
  // Lines 1..3 still fit 256 bytes: 1 + 2 + 240 = 243 each.
  for (uint64_t l = 1; l <= 3; ++l) EXPECT_EQ(store(p, l), 243u) << l;
  // Line 4 (5 lines) moves to a 512-byte segment: 243 + 4 lines x 37 = 391. The old
  // segment's frame empties and goes back; the new class takes a frame of its own.
  EXPECT_EQ(store(p, 4), 243u + 4 * 37);
  EXPECT_EQ(stats()["bytes"], 512);
  EXPECT_EQ(stats()["segment_moves"], 1);
  EXPECT_EQ(k().frames_in_use(), frames + 1);
  // Reads: a line in the overlay costs the lookup and an OMT hit (3); one not in it, read
  // from the shared page, only the lookup (1). Pages without an overlay cost nothing.
  EXPECT_EQ(access(p, kBase + 4 * kLine + 8, A::kRead), 3u);
  EXPECT_EQ(access(p, kBase + 40 * kLine, A::kRead), 1u);
  EXPECT_EQ(access(p, kBase + kPageSize, A::kRead), 0u);
  EXPECT_EQ(stats()["lines_written"], 5);
  EXPECT_EQ(p.bytes_copied, 5 * kLine);
  // 9 lines: 1 KiB; 17: 2 KiB.
  for (uint64_t l = 5; l < 9; ++l) store(p, l);
  EXPECT_EQ(stats()["bytes"], 1024);
  for (uint64_t l = 9; l < 17; ++l) store(p, l);
  EXPECT_EQ(stats()["bytes"], 2048);
}

TEST_F(OverlayTest, ConversionAtTheThreshold) {
  Process& p = forked();
  Process& ch = *k().process(2);
  Pfn shared = frame(p, kBase);
  uint64_t frames = k().frames_in_use();
  for (uint64_t l = 0; l < o.threshold; ++l) store(p, l);  // 32 lines: a 2 KiB segment
  EXPECT_EQ(stats()["bytes"], 2048);
  EXPECT_EQ(stats()["conversions"], 0);
  // The 33rd line: lookup 1, then the conversion: entry 150 + fault_base 3000 +
  // page_alloc 1200 + page copy 2400 + 32 overlay lines x 37 = 1184 + cow_replace 3000 +
  // PTE 30 + invlpg 300 + return 150 = 11415 -> 11416.
  EXPECT_EQ(store(p, 32), 1u + 150 + 3000 + 1200 + 2400 + 32 * 37 + 3000 + 30 + 300 + 150);
  EXPECT_NE(frame(p, kBase), shared);  // a private copy now
  EXPECT_EQ(frame(ch, kBase), shared);
  EXPECT_EQ(info(shared).mapcount, 1u);
  EXPECT_EQ(k().frames_in_use(), frames + 1);  // the new page; the segment's frame went back
  EXPECT_EQ(stats()["bytes"], 0);
  EXPECT_EQ(stats()["conversions"], 1);
  EXPECT_EQ(p.pages_copied, 1u);
  EXPECT_EQ(access(p, kBase, A::kRead), 0u);  // no overlay any more: no lookup
}

TEST_F(OverlayTest, ConversionInPlaceOnceThePageIsNoLongerShared) {
  Process& p = forked();
  for (uint64_t l = 0; l < o.threshold; ++l) store(p, l);
  Pfn shared = frame(p, kBase);
  k().exit(*k().process(2), "exit", Cycles{0});
  uint64_t frames = k().frames_in_use();
  // lookup 1 + entry 150 + fault_base 3000 + 32 lines x 37 + PTE 30 + return 150 = 4515.
  EXPECT_EQ(store(p, 32), 1u + 150 + 3000 + 32 * 37 + 30 + 150);
  EXPECT_EQ(frame(p, kBase), shared);
  EXPECT_EQ(k().frames_in_use(), frames - 1);  // the segment's frame, nothing allocated
  EXPECT_EQ(stats()["in_place"], 1);
  EXPECT_EQ(p.pages_copied, 0u);
}

TEST_F(OverlayTest, SmapsCountsOverlayStorageAsPrivateDirty) {
  Process& p = forked();
  for (uint64_t l = 0; l < 16; ++l) store(p, l);  // 16 lines: a 1 KiB segment
  store(p, 64 + 0);                               // line 0 of the second page: 256 B
  SmapsRollup r = k().rollup(p);
  // 4 shared pages (16 KiB Shared_Dirty) plus 1024 + 256 bytes of overlays, private and dirty.
  EXPECT_EQ(r.overlay, 1280u);
  EXPECT_EQ(r.private_dirty, 1280u);
  EXPECT_EQ(r.shared_dirty, 4 * kPageSize);
  EXPECT_EQ(r.rss, 4 * kPageSize + 1280);
  EXPECT_EQ(r.pss_bytes_x4096 >> 12, 2 * kPageSize + 1280);  // each shared page counts half
  SmapsRollup child = k().rollup(*k().process(2));
  EXPECT_EQ(child.private_dirty, 0u);  // the child still shares every page
  EXPECT_EQ(child.overlay, 0u);
  std::string text = k().smaps(p, trace::NameTable{});
  EXPECT_NE(text.find("Private_Dirty:         1 kB\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Overlay:               1 kB\n"), std::string::npos) << text;
}

TEST_F(OverlayTest, MunmapFreesTheOverlay) {
  Process& p = forked();
  uint64_t frames = k().frames_in_use();
  store(p, 3);
  EXPECT_EQ(k().frames_in_use(), frames + 1);
  k().munmap(p, kBase, kPageSize, 0);
  EXPECT_EQ(stats()["bytes"], 0);
  EXPECT_EQ(stats()["dropped"], 1);
  EXPECT_EQ(k().frames_in_use(), frames);  // the segment's frame; the page stays the child's
}

TEST_F(OverlayTest, ForkTurnsTheParentsOverlaysIntoPages) {
  Process& p = forked();
  store(p, 0);
  store(p, 1);
  k().fork(p, 3, false, 0, Cycles{0});
  EXPECT_EQ(stats()["fork_conversions"], 1);
  EXPECT_EQ(stats()["bytes"], 0);
  EXPECT_EQ(p.pages_copied, 1u);
  // The parent's new page is CoW-shared with pid 3, not with pid 2.
  EXPECT_EQ(frame(p, kBase), frame(*k().process(3), kBase));
  EXPECT_NE(frame(p, kBase), frame(*k().process(2), kBase));
  StatSink s;
  k().report(s);
  // page_alloc 1200 + copy 2400 + 2 lines x 37 = 74 + cow_replace 3000, inside the fork.
  EXPECT_EQ(s.json()["forks"]["1"]["steps"]["page_alloc"], 1200);
  EXPECT_EQ(s.json()["forks"]["1"]["steps"]["rmap"], 3000);
}

TEST(OverlayParams, ThresholdOver64IsAnErrorNamingTheKey) {
  KernelParams k;
  ParamRegistry r;
  {
    ParamRegistry::Scope s(r, "kernel");
    k.declare(r);
  }
  r.apply_override("kernel.cow.overlay.threshold=64");
  EXPECT_EQ(k.overlay.threshold, 64u);
  try {
    r.apply_override("kernel.cow.overlay.threshold=65");
    FAIL() << "accepted 65";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel.cow.overlay.threshold"), std::string::npos) << e.what();
  }
  r.apply_override("kernel.cow.granularity=line");
  EXPECT_EQ(k.cow_granularity, CowGranularity::kLine);
  EXPECT_THROW(r.apply_override("kernel.cow.granularity=byte"), InputError);
}

}  // namespace
}  // namespace cowsim::test
