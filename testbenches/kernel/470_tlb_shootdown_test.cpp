// TLB maintenance the kernel performs (sources.md section 6): which cores are told to drop
// what, and what the IPIs cost the sender and the receivers. Fake TLBs log every request.
#include "testbenches/kernel/kernel_test_util.h"

#include <string>
#include <vector>

namespace cowsim::test {
namespace {

using A = AccessType;
using O = FaultOutcome;

class FakeTlb : public TlbControl {
 public:
  void invalidate_page(uint16_t pcid, VirtAddr va) override { log.push_back("invlpg " + std::to_string(va.value >> 12)); }
  void flush_pcid(uint16_t pcid) override { log.push_back("flush_pcid " + std::to_string(pcid)); }
  void flush_all() override { log.push_back("flush_all"); }
  void set_pcid(uint16_t pcid) override { log.push_back("set_pcid " + std::to_string(pcid)); }
  std::vector<std::string> take() { return std::exchange(log, {}); }
  std::vector<std::string> log;
};
using Log = std::vector<std::string>;

class Shootdown : public KernelTest {
 protected:
  Shootdown() : KernelTest(64 * kMiB, 2) {
    k().attach_core(0, &tlb_[0]);
    k().attach_core(1, &tlb_[1]);
  }
  const KernelCosts& c = params_.cost;
  FakeTlb tlb_[2];
  static std::string page(uint64_t va) { return "invlpg " + std::to_string(va >> 12); }
};

TEST_F(Shootdown, SwitchingAddressSpaceFlushesWithoutPcids) {
  Process& p = start(1);
  Process& q = start(2);
  EXPECT_EQ(k().switch_to(0, p), Cycles{c.context_switch + c.full_flush});  // 4600
  EXPECT_EQ(tlb_[0].take(), (Log{"set_pcid 0", "flush_all"}));
  EXPECT_EQ(k().switch_to(0, p), Cycles{0});  // the same mm: nothing to do
  EXPECT_TRUE(tlb_[0].log.empty());
  EXPECT_EQ(k().switch_to(0, q), Cycles{4600});
  EXPECT_EQ(k().mm_on_core(0), q.mm->id);
  EXPECT_TRUE(tlb_[1].log.empty());
}

TEST_F(Shootdown, ZeroPageCowInvalidatesEveryCoreRunningTheMm) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  touch(p, kBase, A::kRead);
  k().switch_to(0, p);
  k().switch_to(1, p);  // the same mm on both cores (as two threads would be)
  tlb_[0].take();
  tlb_[1].take();
  FaultResult r = fault(p, kBase, A::kWrite, 0);
  EXPECT_EQ(r.outcome, O::kZeroPageCow);
  // The old read-only translation goes on both cores; core 1 needs an IPI (sender pays 3000).
  EXPECT_EQ(tlb_[0].take(), Log{page(kBase)});
  EXPECT_EQ(tlb_[1].take(), Log{page(kBase)});
  EXPECT_EQ(r.cycles, Cycles{9830 + c.ipi});
  EXPECT_EQ(k().take_interrupt_cycles(1), c.ipi_handler);  // the receiver pays 1500
  EXPECT_EQ(k().take_interrupt_cycles(1), 0u);               // once
  EXPECT_EQ(k().take_interrupt_cycles(0), 0u);               // the sender got no IPI
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["ipis"], 1);
  EXPECT_EQ(s.json()["faults"]["zero_page_cow"]["steps"]["ipi"].get<double>(), 3000.0);
}

TEST_F(Shootdown, NoIpiWhenOnlyTheFaultingCoreRunsTheMm) {
  Process& p = start(1);
  Process& other = start(2);
  map_anon(p, kBase, kMiB);
  touch(p, kBase, A::kRead);
  k().switch_to(0, p);
  k().switch_to(1, other);
  tlb_[0].take();
  tlb_[1].take();
  FaultResult r = fault(p, kBase, A::kWrite, 0);
  EXPECT_EQ(r.cycles, Cycles{9830});
  EXPECT_EQ(tlb_[0].take(), Log{page(kBase)});
  EXPECT_TRUE(tlb_[1].log.empty());  // core 1 holds another address space
  EXPECT_EQ(k().take_interrupt_cycles(1), 0u);
}

TEST_F(Shootdown, PermissionUpgradesNeedNoFlush) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  touch(p, kBase, A::kWrite);
  k().fork(p, 2, false, 0, Cycles{0});
  k().exit(*k().process(2), "exit", Cycles{0});
  k().switch_to(0, p);
  k().switch_to(1, p);
  tlb_[0].take();
  tlb_[1].take();
  FaultResult r = fault(p, kBase, A::kWrite, 0);
  EXPECT_EQ(r.outcome, O::kCowReuse);
  EXPECT_EQ(r.cycles, Cycles{3330});  // no INVLPG, no IPI: the #PF dropped the stale entry
  EXPECT_TRUE(tlb_[0].log.empty());
  EXPECT_TRUE(tlb_[1].log.empty());
}

TEST_F(Shootdown, ForkFlushesTheParentEverywhereItRuns) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  write_all(p, kBase, 4 * kPageSize);
  k().switch_to(0, p);
  k().switch_to(1, p);
  tlb_[0].take();
  tlb_[1].take();
  Cycles cost = k().fork(p, 2, false, 0, Cycles{0});
  // The whole address space is more than 33 pages: a full flush on each core, one IPI.
  EXPECT_EQ(tlb_[0].take(), Log{"flush_all"});
  EXPECT_EQ(tlb_[1].take(), Log{"flush_all"});
  // 450 + 120000 + 1000 + 4 x 150 + 3 x 1500 + 600 + 3000 = 130150.
  EXPECT_EQ(cost, Cycles{130150});
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["forks"]["0"]["shootdowns"], 1);
  EXPECT_EQ(s.json()["forks"]["0"]["steps"]["ipi"], 3000);
  EXPECT_EQ(k().take_interrupt_cycles(1), c.ipi_handler);
}

TEST_F(Shootdown, SmallRangesInvalidatePagesLargeOnesFlush) {
  Process& p = start(1);
  map_anon(p, kBase, kMiB);
  write_all(p, kBase, 40 * kPageSize);
  k().switch_to(0, p);
  tlb_[0].take();
  k().munmap(p, kBase, 3 * kPageSize, 0);
  EXPECT_EQ(tlb_[0].take(), (Log{page(kBase), page(kBase + kPageSize), page(kBase + 2 * kPageSize)}));
  k().munmap(p, kBase + 3 * kPageSize, 34 * kPageSize, 0);  // 34 > 33 pages
  EXPECT_EQ(tlb_[0].take(), Log{"flush_all"});
}

TEST_F(Shootdown, ExecLoadsTheNewAddressSpace) {
  Process& p = start(1);
  k().switch_to(0, p);
  tlb_[0].take();
  k().exec(p, 0);
  EXPECT_EQ(k().mm_on_core(0), p.mm->id);
  EXPECT_EQ(tlb_[0].take(), (Log{"set_pcid 0", "flush_all"}));
}

class ShootdownWithPcid : public Shootdown {
 protected:
  ShootdownWithPcid() {
    kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 2, false, true);
    k().attach_core(0, &tlb_[0]);
    k().attach_core(1, &tlb_[1]);
  }
};

TEST_F(ShootdownWithPcid, SwitchesKeepTaggedEntries) {
  Process& p = start(1);
  Process& q = start(2);
  EXPECT_EQ(k().switch_to(0, p), Cycles{c.context_switch});  // no flush
  EXPECT_EQ(tlb_[0].take(), Log{"set_pcid 1"});
  EXPECT_EQ(k().switch_to(0, q), Cycles{c.context_switch});
  EXPECT_EQ(tlb_[0].take(), Log{"set_pcid 2"});
}

TEST_F(ShootdownWithPcid, CoresThatRanTheMmEarlierAreCleanedWithoutIpis) {
  Process& p = start(1);
  Process& q = start(2);
  map_anon(p, kBase, kMiB);
  touch(p, kBase, A::kRead);
  k().switch_to(1, p);
  k().switch_to(1, q);  // core 1 ran p and may still hold p's entries, tagged with PCID 1
  k().switch_to(0, p);
  tlb_[0].take();
  tlb_[1].take();
  FaultResult r = fault(p, kBase, A::kWrite, 0);
  EXPECT_EQ(tlb_[0].take(), Log{page(kBase)});
  EXPECT_EQ(tlb_[1].take(), Log{page(kBase)});
  EXPECT_EQ(r.cycles, Cycles{9830});  // no IPI: core 1 is not running p
  EXPECT_EQ(k().take_interrupt_cycles(1), 0u);
}

}  // namespace
}  // namespace cowsim::test
