// The shared memory channels (models/memory/dram_channels.h). Defaults: 3000 MHz core,
// 21333 MB/s per channel (DDR4-2666), so one channel moves 21333 / 3000 = 7.111 bytes per
// cycle: a 64-byte line takes 64 x 3000 / 21333 = 9.0002 cycles, 4 KiB 576.01, 8 KiB 1152.02.
// Waits are rounded up to whole cycles. Map: column 13 bits, channel 1 bit (pfn bit 1).
#include <gtest/gtest.h>

#include "models/memory/dram_channels.h"

namespace cowsim::test {
namespace {

constexpr uint64_t kFp = uint64_t{1} << DramChannels::kFrac;
const PhysAddr kCh0{0x0000}, kCh0b{0x1000}, kCh1{0x2000};  // pfn 0, 1 on channel 0; pfn 2 on channel 1

DramChannels two_cores(uint32_t channel_bits = 1) {
  DramMapParams m;
  m.channel_bits = channel_bits;
  return DramChannels(m, 21333, 3000, 2);
}

TEST(DramChannelsTest, ServiceTimeIsBytesOverTheChannelBandwidthAtTheCoreClock) {
  DramChannels d = two_cores();
  EXPECT_EQ(d.channels(), 2u);
  EXPECT_EQ(d.channel_of(kCh0), 0u);
  EXPECT_EQ(d.channel_of(kCh0b), 0u);
  EXPECT_EQ(d.channel_of(kCh1), 1u);
  // ceil(64 x 3000 x 65536 / 21333) = 589,834: 9.0002 cycles.
  EXPECT_EQ(d.service_fp(64), 589834u);
  EXPECT_EQ(d.service_fp(8192) >> DramChannels::kFrac, 1152u);
}

TEST(DramChannelsTest, ACoreNeverWaitsForItself) {
  DramChannels d = two_cores();
  // Two lines at the same cycle (two PTE reads of one walk), then a copy and a line during it:
  // all core 0's, so none waits.
  EXPECT_EQ(d.line(kCh0, 100, 0, DramUser::kWalk), 0u);
  EXPECT_EQ(d.line(kCh0, 100, 0, DramUser::kWalk), 0u);
  EXPECT_EQ(d.stream(100, 0, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy), 0u);
  EXPECT_EQ(d.line(kCh0, 200, 0, DramUser::kData), 0u);
  EXPECT_EQ(d.wait_cycles(DramUser::kWalk) + d.wait_cycles(DramUser::kData) + d.wait_cycles(DramUser::kCopy), 0u);
}

TEST(DramChannelsTest, ALineWaitsForTheBacklogOtherCoresLeft) {
  DramChannels d = two_cores();
  EXPECT_EQ(d.line(kCh0, 1000, 0, DramUser::kData), 0u);
  // Core 1 at the same cycle: behind core 0's line, 9.0002 cycles, rounded up to 10.
  EXPECT_EQ(d.line(kCh0, 1000, 1, DramUser::kData), 10u);
  // On the other channel: nothing ahead.
  EXPECT_EQ(d.line(kCh1, 1000, 1, DramUser::kData), 0u);
  // Later than both lines have gone: nothing ahead.
  EXPECT_EQ(d.line(kCh0, 1019, 0, DramUser::kData), 0u);
}

TEST(DramChannelsTest, ALineSlipsBetweenTheLinesOfAnotherCoresCopy) {
  DramChannels d = two_cores();
  // Core 0 copies at 0: 1152.02 cycles of service, issued over its 2048-cycle stream (4 of the
  // channel's 7.11 bytes per cycle). Core 1's line at 0 finds none of it issued; at 1024 the
  // queue holds 1152.02 - 1024 = 128.02 of which 1152.02 x 1024 / 2048 = 576.01 is not issued:
  // nothing issued is still waiting. No wait either time (a first-come queue that counted the
  // whole copy ahead would make them wait 1153 and 129).
  EXPECT_EQ(d.stream(0, 0, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy), 0u);
  EXPECT_EQ(d.line(kCh0, 0, 1, DramUser::kData), 0u);
  DramChannels e = two_cores();
  e.stream(0, 0, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy);
  EXPECT_EQ(e.line(kCh0, 1024, 1, DramUser::kData), 0u);
}

TEST(DramChannelsTest, TwoCopiesOnOneChannelFinishAtTheChannelsBandwidth) {
  DramChannels d = two_cores();
  // A 4 KiB copy reads 4 KiB and writes 4 KiB, both on channel 0: 1152.02 cycles of service;
  // alone its own stream (8192 B / 4 B per cycle) takes 2048 cycles, longer: no wait.
  EXPECT_EQ(d.stream(5000, 0, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy), 0u);
  // Core 1 copies at the same cycle: 1152.02 ahead + 1152.02 own service - 2048 own stream =
  // 256.04, rounded up: 257 (both finish by 2 x 1152.02, what the channel can do).
  EXPECT_EQ(d.stream(5000, 1, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy), 257u);
  EXPECT_EQ(d.wait_cycles(DramUser::kCopy), 257u);
}

TEST(DramChannelsTest, ACopySpreadOverTwoChannelsLeavesRoomForAnother) {
  DramChannels d = two_cores();
  // Read on channel 0, write on channel 1: 576.01 cycles on each. A second copy the same way:
  // 576.01 + 576.01 < 2048, so the two fit in their own stream times: no wait.
  EXPECT_EQ(d.stream(0, 0, kCh0, 4096, kCh1, 4096, 2048, DramUser::kCopy), 0u);
  EXPECT_EQ(d.stream(0, 1, kCh0, 4096, kCh1, 4096, 2048, DramUser::kCopy), 0u);
}

TEST(DramChannelsTest, AHugePageIsSpreadOverEveryChannelAndTricklesAtItsOwnRate) {
  DramChannels d = two_cores();
  // 2 MiB zeroed by core 0 at cycle 0 in 524,288 cycles (4 bytes per cycle): 1 MiB per channel
  // (8 KiB interleave), 1 MiB x 3000 / 21333 = 147,458.3 cycles of service on each.
  EXPECT_EQ(d.stream(0, 0, PhysAddr{0}, 0, PhysAddr{0x200000}, 2 * 1024 * 1024, 524288, DramUser::kZero), 0u);
  EXPECT_EQ(d.service_fp(1 << 20) >> DramChannels::kFrac, 147458u);
  // It issues 2 bytes per cycle on each channel. Core 1's line at cycle 0 finds none of it
  // issued: no wait. Core 1's 4 KiB copy on channel 1 (4 bytes per cycle more: 6 < 7.11) finds
  // 147,458.3 x 2048 / 524,288 = 576.01 issued during its 2048 cycles, + its own 1152.02:
  // 1728.03 < 2048, no wait.
  EXPECT_EQ(d.line(kCh1, 0, 1, DramUser::kData), 0u);
  EXPECT_EQ(d.stream(0, 1, kCh1, 4096, PhysAddr{0x3000}, 4096, 2048, DramUser::kCopy), 0u);
  StatSink s;
  d.report(s);
  EXPECT_EQ(s.json()["channels"]["0"]["busy_cycles"], 147459);  // 147,458.3 rounded up
}

TEST(DramChannelsTest, AnOlderRequestWaitsOnlyForTheBacklogNotForAnotherCoresFuture) {
  DramChannels d = two_cores();
  // Core 1, a quantum ahead, copies at cycle 20000 (channel busy until 21152.02). Core 0, still
  // at cycle 12000, copies too: it is treated as arriving at 20000, together with core 1's, and
  // waits 257 as two copies started together do, not the 9152 cycles to the end of core 1's.
  EXPECT_EQ(d.stream(20000, 1, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy), 0u);
  EXPECT_EQ(d.stream(12000, 0, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy), 257u);
}

TEST(DramChannelsTest, StatisticsPerSourceAndChannel) {
  DramChannels d = two_cores();
  d.stream(5000, 0, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy);
  d.stream(5000, 1, kCh0, 4096, kCh0b, 4096, 2048, DramUser::kCopy);
  // Core 0's walk line at 6024: queued after its own copy (6152.02) is core 1's 1152.02, of
  // which 1152.02 x (7048 - 6024) / 2048 = 576.01 is not issued yet: it waits 576.01 -> 577.
  d.line(kCh0, 6024, 0, DramUser::kWalk);
  StatSink s;
  d.report(s);
  const auto& j = s.json();
  EXPECT_EQ(j["copy"]["requests"], 2);
  EXPECT_EQ(j["copy"]["delayed"], 1);
  EXPECT_EQ(j["copy"]["wait_cycles"], 257);
  EXPECT_EQ(j["copy"]["bytes"], 16384);
  EXPECT_EQ(j["walk"]["wait_cycles"], 577);
  EXPECT_EQ(j["walk"]["max_wait"], 577);
  EXPECT_EQ(j["channels"]["0"]["copy"]["wait_cycles"], 257);
  EXPECT_EQ(j["channels"]["1"]["copy"]["requests"], 0);
  // 2 x 1152.02 + 9.0002 = 2313.04 cycles of service, rounded up.
  EXPECT_EQ(j["channels"]["0"]["busy_cycles"], 2314);
}

}  // namespace
}  // namespace cowsim::test
