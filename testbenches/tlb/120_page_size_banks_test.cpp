// Page sizes in the TLB: a bank holding 2 MiB or 1 GiB entries, and a level of banks that
// splinters a translation it has no bank for into the largest smaller size it holds.
#include <gtest/gtest.h>

#include "models/common/error.h"
#include "models/tlb/tlb_level.h"

namespace cowsim {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

TlbBankParams bank(SizeSet sizes, uint32_t entries, uint32_t ways) {
  TlbBankParams b;
  b.sizes = sizes;
  b.entries = entries;
  b.ways = ways;
  return b;
}

// The walker's translation of `va` inside a page of `shift` bits that starts at frame `base`.
Translation huge(uint64_t va, uint64_t base, unsigned shift) {
  Translation t;
  t.pfn = Pfn{base + ((va & ((uint64_t{1} << shift) - 1)) >> kPageShift)};  // the 4 KiB frame of va
  t.page_shift = shift;
  t.writable = t.user = true;
  return t;
}

TEST(TlbBank, TwoMegabyteEntryCoversItsWholePage) {
  Tlb tlb("stlb", bank(SizeSet::k4K2M, 16, 4), 1);
  uint64_t page = kGiB;  // a 2 MiB page at 1 GiB, frames 4096..4607
  uint64_t va = page + 0x12345;
  tlb.fill(VirtAddr{va}, PageSize::k2M, 0, huge(va, 4096, 21));
  for (uint64_t off : {uint64_t{0}, uint64_t{0x12345}, uint64_t{0x1ff000}}) {
    const TlbEntry* e = tlb.lookup(VirtAddr{page + off}, 0);
    ASSERT_NE(e, nullptr) << off;
    EXPECT_EQ(e->size, PageSize::k2M);
    EXPECT_EQ(e->frame_of(VirtAddr{page + off}), Pfn{4096 + (off >> 12)});  // base frame + offset
  }
  EXPECT_EQ(tlb.lookup(VirtAddr{page + (2 << 20)}, 0), nullptr);  // the next 2 MiB
  EXPECT_EQ(tlb.lookup(VirtAddr{page - 1}, 0), nullptr);
  EXPECT_EQ(tlb.hits(), 3u);
  EXPECT_EQ(tlb.misses(), 2u);
}

TEST(TlbBank, InvalidatingAnyAddressOfAHugePageDropsIt) {
  Tlb tlb("stlb", bank(SizeSet::k4K2M, 16, 4), 1);
  uint64_t page = kGiB;
  tlb.fill(VirtAddr{page}, PageSize::k2M, 0, huge(page, 4096, 21));
  tlb.fill(VirtAddr{page + (4 << 20)}, PageSize::k4K, 0, huge(page + (4 << 20), 9, 12));
  tlb.invalidate_page(VirtAddr{page + 0x1ff000}, 0);  // the last 4 KiB of the 2 MiB page
  EXPECT_EQ(tlb.lookup(VirtAddr{page}, 0), nullptr);
  EXPECT_NE(tlb.lookup(VirtAddr{page + (4 << 20)}, 0), nullptr);  // another page stays
}

TEST(TlbBank, FlushPcidDropsOneContextOnly) {
  Tlb tlb("l1d", bank(SizeSet::k4K, 8, 8), 1);
  tlb.fill(Vpn{1}, 1, huge(0x1000, 1, 12));
  tlb.fill(Vpn{1}, 2, huge(0x1000, 2, 12));
  tlb.fill(Vpn{2}, 1, huge(0x2000, 3, 12));
  tlb.flush_pcid(1);
  EXPECT_EQ(tlb.lookup(Vpn{1}, 1), nullptr);
  EXPECT_EQ(tlb.lookup(Vpn{2}, 1), nullptr);
  ASSERT_NE(tlb.lookup(Vpn{1}, 2), nullptr);
  EXPECT_EQ(tlb.lookup(Vpn{1}, 2)->pfn, Pfn{2});
}

TlbLevelParams l1d_like() {  // 4 KiB and 2 MiB banks, no 1 GiB bank
  TlbLevelParams p;
  p.latency = 1;
  p.a = bank(SizeSet::k4K, 16, 4);
  p.b = bank(SizeSet::k2M, 4, 4);
  return p;
}

TEST(TlbLevel, FillsTheBankOfTheTranslationsSize) {
  TlbLevel l("l1d", l1d_like(), 1);
  uint64_t va = kGiB + 0x5000;
  l.fill(VirtAddr{va}, 0, huge(va, 4096, 21));
  const TlbEntry* e = l.lookup(VirtAddr{kGiB + 0x100000}, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, PageSize::k2M);
  Translation t = translation_of(*e, VirtAddr{kGiB + 0x100000});
  EXPECT_EQ(t.pfn, Pfn{4096 + 0x100});
  EXPECT_EQ(t.page_shift, 21u);
  StatSink s;
  l.report(s);
  EXPECT_EQ(s.json()["b"]["fills"], 1);
  EXPECT_EQ(s.json()["a"]["fills"], 0);
  EXPECT_EQ(s.json()["splintered"], 0);
}

TEST(TlbLevel, SplintersAGigabytePageIntoTheLargestSmallerSize) {
  TlbLevel l("l1d", l1d_like(), 1);
  uint64_t va = 3 * kGiB + 0x00345678;  // in a 1 GiB page at 3 GiB, frames from 262144
  l.fill(VirtAddr{va}, 0, huge(va, 262144, 30));
  // Stored as the 2 MiB piece holding va: [3 GiB + 2 MiB, 3 GiB + 4 MiB).
  const TlbEntry* e = l.lookup(VirtAddr{3 * kGiB + (2 << 20)}, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size, PageSize::k2M);
  EXPECT_EQ(e->frame_of(VirtAddr{va}), Pfn{262144 + (0x00345678 >> 12)});
  EXPECT_EQ(l.lookup(VirtAddr{3 * kGiB}, 0), nullptr);  // another 2 MiB of the same 1 GiB
  StatSink s;
  l.report(s);
  EXPECT_EQ(s.json()["splintered"], 1);
  EXPECT_EQ(l.hits(), 1u);
  EXPECT_EQ(l.misses(), 1u);
}

TEST(TlbLevel, TwoBanksForOneSizeIsAnError) {
  TlbLevelParams p = l1d_like();
  p.c = bank(SizeSet::k2M1G, 4, 4);  // 2 MiB is already bank b's
  EXPECT_THROW(TlbLevel("l1d", p, 1), InputError);
}

}  // namespace
}  // namespace cowsim
