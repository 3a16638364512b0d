// Copy-on-write faults of two cores sharing the memory channels (memory.dram.contention,
// models/memory/dram_channels.h). Defaults: a 4 KiB CoW fault costs entry 150 + handler 3000 +
// page_alloc 1200 + copy 2288 (240 + 8192 / 4) + PTE 30 + rmap 3000 + INVLPG 300 + return 150 =
// 10118 cycles, its copy starting 150 + 3000 + 1200 = 4350 cycles after the fault. One channel
// (channel_bits = 0) so that source and copy lie on it whatever frames the allocator gives:
// 8 KiB of traffic = 8192 x 3000 / 21333 = 1152.02 cycles of channel time.
#include <gtest/gtest.h>

#include "models/kernel/kernel_locks.h"
#include "models/memory/dram_channels.h"
#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim::test {
namespace {

class CowContention : public KernelTest {
 protected:
  CowContention() : KernelTest(64 * kMiB, 2) {}

  // Parent (pid 1, core 0) writes pages A and B, forks pid 2 (core 1). With `channels`, both
  // then write: the parent A on core 0, the child B on core 1, both faults taken at cycle
  // 100000. Returns the two faults' cycles (parent's first).
  std::pair<uint64_t, uint64_t> two_cows(bool channels, bool both = true) {
    params_ = KernelParams{};
    params_.cost.derive_from(params_.dram);
    kernel_ = std::make_unique<Kernel>(params_, mem_, 4, 2, false);
    DramMapParams m;
    m.channel_bits = 0;
    channels_ = std::make_unique<DramChannels>(m, 21333, 3000, 2);
    if (channels) k().attach_channels(channels_.get());
    Process& p = start(1);
    map_anon(p, kBase, 2 * kPageSize);
    write_all(p, kBase, 2 * kPageSize);
    k().fork(p, 2, false, 0, Cycles{0});
    Process& c = *k().process(2);
    k().switch_to(0, p);
    k().switch_to(1, c);
    const FaultResult a = at(p, kBase, 0, 100000);
    const FaultResult b = both ? at(c, kBase + kPageSize, 1, 100000) : FaultResult{};
    EXPECT_EQ(a.outcome, FaultOutcome::kCowCopy);
    if (both) {
      EXPECT_EQ(b.outcome, FaultOutcome::kCowCopy);
    }
    return {a.cycles.value, b.cycles.value};
  }
  FaultResult at(Process& p, uint64_t va, unsigned core, uint64_t now) {
    Fault f;
    f.addr = VirtAddr{va};
    f.access = AccessType::kWrite;
    f.kind = FaultKind::kWriteProtect;
    f.error_code = pf_error::kPresent | pf_error::kUser | pf_error::kWrite;
    return k().handle_fault(p, f, core, Cycles{now});
  }
  std::unique_ptr<DramChannels> channels_;
};

TEST_F(CowContention, OneCopyAloneTakesTheDocumentedTime) {
  EXPECT_EQ(two_cows(true, false).first, 10118u);  // 3.373 us at 3 GHz
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["faults"]["cow_copy"]["steps"]["dram_wait"], 0.0);
}

TEST_F(CowContention, TwoConcurrentCopiesOnTwoCoresTakeLonger) {
  const auto [first, second] = two_cows(true);
  // Both copies start at cycle 104350. The first (core 0, simulated first) has the channel to
  // itself: 10118. The second finds 1152.02 cycles queued; with its own 1152.02 it cannot finish
  // within its 2048-cycle stream: it waits 1152.02 + 1152.02 - 2048 = 256.04, rounded up 257:
  // 10118 + 257 = 10375 cycles (3.458 us, inside the measured 3.3-4.4 us single-threaded range).
  EXPECT_EQ(first, 10118u);
  EXPECT_EQ(second, 10375u);
  StatSink s;
  k().report(s);
  // The breakdown shows the wait as its own step: mean over the two faults (0 + 257) / 2.
  EXPECT_EQ(s.json()["faults"]["cow_copy"]["steps"]["dram_wait"], 128.5);
  EXPECT_EQ(s.json()["faults"]["cow_copy"]["steps"]["copy"], 2288.0);
  EXPECT_EQ(channels_->wait_cycles(DramUser::kCopy), 257u);
}

TEST_F(CowContention, OffSwitchKeepsTheFixedCost) {
  const auto [first, second] = two_cows(false);
  EXPECT_EQ(first, 10118u);
  EXPECT_EQ(second, 10118u);
  StatSink s;
  k().report(s);
  EXPECT_FALSE(s.json()["faults"]["cow_copy"]["steps"].contains("dram_wait"));  // keys as before
}

// kernel.locks: zone_batch 63, zone_hold 3780, lru_batch 31, lru_hold 1860 (defaults).
TEST(SharedLockTest, AnotherCoresHoldDelaysTheNextTaker) {
  SharedLock l;
  EXPECT_EQ(l.acquire(1000, 0, 3780), 0u);   // free: held 1000 .. 4780
  EXPECT_EQ(l.acquire(2000, 1, 3780), 2780u);  // 4780 - 2000; then held 4780 .. 8560
  EXPECT_EQ(l.acquire(9000, 0, 3780), 0u);
  // Out of time order: core 1 at 5000, behind core 0's newest request (9000): it waits what
  // was left at 9000 (12780 - 9000 = 3780), not 7780.
  EXPECT_EQ(l.acquire(5000, 1, 100), 3780u);
  EXPECT_EQ(l.wait_cycles(), 2780u + 3780u);
}

class LockContention : public KernelTest {
 protected:
  LockContention() : KernelTest(64 * kMiB, 2) {}
  ~LockContention() override { kernel_.reset(); }  // before the memories it uses
  // Two unrelated processes, on cores 0 and 1, each write their first page at cycle 100000.
  std::pair<uint64_t, uint64_t> first_touches(bool locks) {
    params_ = KernelParams{};
    params_.cost.derive_from(params_.dram);
    params_.locks.enabled = locks;
    memories_.push_back(std::make_unique<PhysicalMemory>(memory_of(64 * kMiB)));  // a fresh machine per call
    kernel_ = std::make_unique<Kernel>(params_, *memories_.back(), 4, 2, false);
    Process& p = start(1);
    Process& q = start(2);
    map_anon(p, kBase, kPageSize);
    map_anon(q, kBase, kPageSize);
    auto write = [&](Process& pr, unsigned core) {
      Fault f;
      f.addr = VirtAddr{kBase};
      f.access = AccessType::kWrite;
      f.kind = FaultKind::kNotPresent;
      f.error_code = pf_error::kUser | pf_error::kWrite;
      FaultResult r = k().handle_fault(pr, f, core, Cycles{100000});
      EXPECT_EQ(r.outcome, FaultOutcome::kAnonZeroFill);
      return r.cycles.value;
    };
    const uint64_t a = write(p, 0);
    return {a, write(q, 1)};
  }
  std::vector<std::unique_ptr<PhysicalMemory>> memories_;
};

TEST_F(LockContention, TwoCoresRefillingTheirPerCpuListsAtOnceWaitForTheZoneLock) {
  const auto [off0, off1] = first_touches(false);
  EXPECT_EQ(off0, off1);  // same tables, same steps: the fixed cost
  const auto [a, b] = first_touches(true);
  // Each core's first allocation refills its per-cpu list under zone->lock, both at the same
  // cycle: core 0 takes it, core 1 waits its whole hold, 3780 cycles.
  EXPECT_EQ(a, off0);
  EXPECT_EQ(b, off0 + 3780);
  StatSink s;
  k().report(s);
  EXPECT_EQ(s.json()["faults"]["anon_zero_fill"]["steps"]["lock_wait"], 1890.0);  // (0 + 3780) / 2
  EXPECT_EQ(s.json()["locks"]["zone"]["contended"], 1);
  EXPECT_EQ(s.json()["locks"]["lru"]["acquisitions"], 0);  // no core reached 31 pages
}

}  // namespace
}  // namespace cowsim::test
