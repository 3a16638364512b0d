// FrameAllocator: reserved frames, LIFO reuse, 2 MiB folios, exhaustion.
#include <gtest/gtest.h>

#include <stdexcept>

#include "models/kernel/frame_allocator.h"

namespace cowsim {
namespace {

TEST(FrameAllocator, ReservedFrames) {
  FrameAllocator a(2048);
  EXPECT_EQ(a.total(), 2048u);
  EXPECT_EQ(a.in_use(), 0u);  // the reserved frames are not "in use" by anybody
  EXPECT_EQ(a.info(Pfn{0}).refcount, 1u);  // frame 0 is never handed out
  EXPECT_EQ(a.zero_page(), Pfn{1});
  EXPECT_EQ(a.info(Pfn{1}).refcount, 1u);
  EXPECT_TRUE(a.info(Pfn{1}).flags & frame_flags::kZero);
  // The huge zero page is the first 2 MiB-aligned block: frames 512..1023.
  EXPECT_EQ(a.huge_zero_page(), Pfn{512});
  EXPECT_TRUE(a.info(Pfn{512}).flags & frame_flags::kHead);
  EXPECT_TRUE(a.info(Pfn{1023}).flags & frame_flags::kTail);
  EXPECT_EQ(a.head_of(Pfn{700}), Pfn{512});
}

TEST(FrameAllocator, AllocatesUpwardAndReusesLastFreedFirst) {
  FrameAllocator a(2048);
  EXPECT_EQ(a.alloc(), Pfn{2});  // frames 2..511 first, lowest first
  EXPECT_EQ(a.alloc(), Pfn{3});
  auto f = a.alloc();
  EXPECT_EQ(f, Pfn{4});
  EXPECT_EQ(a.info(*f).refcount, 1u);
  EXPECT_EQ(a.info(*f).mapcount, 0u);
  EXPECT_EQ(a.in_use(), 3u);
  a.put(Pfn{3});
  EXPECT_EQ(a.in_use(), 2u);
  EXPECT_EQ(a.info(Pfn{3}).refcount, 0u);
  EXPECT_EQ(a.alloc(), Pfn{3});  // LIFO: the frame just freed comes back first
  EXPECT_EQ(a.alloc(), Pfn{5});
  EXPECT_EQ(a.peak(), 4u);
}

TEST(FrameAllocator, SkipsTheHugeZeroBlock) {
  FrameAllocator a(2048);
  for (uint64_t f = 2; f < 512; ++f) ASSERT_EQ(a.alloc(), Pfn{f});  // 510 frames
  EXPECT_EQ(a.alloc(), Pfn{1024});  // 512..1023 is the huge zero page
  EXPECT_EQ(a.alloc(), Pfn{1025});
}

TEST(FrameAllocator, ExhaustionReturnsNothing) {
  FrameAllocator a(2048);
  // Free: frames 2..511 (510) and 1024..2047 (1024) = 1534.
  for (int i = 0; i < 1534; ++i) ASSERT_TRUE(a.alloc().has_value()) << i;
  EXPECT_FALSE(a.alloc().has_value());
  EXPECT_EQ(a.in_use(), 1534u);
  EXPECT_EQ(a.peak(), 1534u);
  a.put(Pfn{1100});  // frame 1100 comes back, and is the only one left
  EXPECT_EQ(a.alloc(), Pfn{1100});
  EXPECT_FALSE(a.alloc().has_value());
}

TEST(FrameAllocator, RefcountGetPut) {
  FrameAllocator a(2048);
  Pfn f = *a.alloc();
  a.get(f);
  EXPECT_EQ(a.info(f).refcount, 2u);
  a.put(f);
  EXPECT_EQ(a.in_use(), 1u);  // still referenced
  a.put(f);
  EXPECT_EQ(a.in_use(), 0u);
  EXPECT_THROW(a.put(f), std::logic_error);  // underflow is a bug, not silence
}

TEST(FrameAllocator, HugeFolios) {
  FrameAllocator a(2048);
  auto h = a.alloc_huge();
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(*h, Pfn{1024});  // the first free 2 MiB-aligned block
  EXPECT_EQ(a.in_use(), 512u);
  EXPECT_EQ(a.info(*h).refcount, 1u);
  EXPECT_TRUE(a.info(*h).flags & frame_flags::kHead);
  EXPECT_TRUE(a.info(Pfn{1024 + 511}).flags & frame_flags::kTail);
  EXPECT_EQ(a.head_of(Pfn{1024 + 300}), Pfn{1024});
  EXPECT_EQ(a.head_of(Pfn{7}), Pfn{7});  // an ordinary frame is its own head
  EXPECT_EQ(a.alloc_huge(), Pfn{1536});
  EXPECT_FALSE(a.alloc_huge().has_value());  // 2048 frames: no third block
  a.put(*h);  // the folio's single reference: all 512 frames go
  EXPECT_EQ(a.in_use(), 512u);
  EXPECT_EQ(a.info(Pfn{1024 + 511}).flags, 0);
  EXPECT_EQ(a.alloc_huge(), Pfn{1024});  // and come back as a block
}

TEST(FrameAllocator, SmallFramesCarveFreedHugeBlocks) {
  FrameAllocator a(1536);  // blocks: 0..511 (small frames), 512..1023 (huge zero), 1024..1535
  Pfn h = *a.alloc_huge();
  EXPECT_EQ(h, Pfn{1024});
  a.put(h);
  for (uint64_t f = 2; f < 512; ++f) ASSERT_EQ(a.alloc(), Pfn{f});
  // No never-used block is left: the freed huge block is split into 4 KiB frames.
  EXPECT_EQ(a.alloc(), Pfn{1024});
  EXPECT_EQ(a.alloc(), Pfn{1025});
  EXPECT_FALSE(a.alloc_huge().has_value());  // no whole block left
}

}  // namespace
}  // namespace cowsim
