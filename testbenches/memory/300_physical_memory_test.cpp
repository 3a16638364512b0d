// PhysicalMemory: only frames holding page tables have contents; everything else reads 0.
#include <gtest/gtest.h>

#include <stdexcept>

#include "models/memory/physical_memory.h"

namespace cowsim {
namespace {

PhysicalMemory make(uint64_t size) {
  MemoryParams p;
  p.size = size;
  return PhysicalMemory(p);
}

TEST(PhysicalMemory, Geometry) {
  PhysicalMemory m = make(64 << 20);
  EXPECT_EQ(m.frame_count(), 16384u);  // 64 MiB / 4 KiB
  EXPECT_EQ(m.tables_in_use(), 0u);  // nothing attached yet
}

TEST(PhysicalMemory, FramesWithoutTablesReadZeroAndRefuseWrites) {
  PhysicalMemory m = make(64 << 20);
  EXPECT_EQ(m.read64(PhysAddr{0x5000}), 0u);
  EXPECT_FALSE(m.write64(PhysAddr{0x5000}, 1));
  EXPECT_FALSE(m.has_table(Pfn{5}));
  EXPECT_EQ(m.table(Pfn{5}), nullptr);
}

TEST(PhysicalMemory, AttachedTableStoresEightByteWords) {
  PhysicalMemory m = make(64 << 20);
  auto& t = m.attach_table(Pfn{5});
  EXPECT_TRUE(m.has_table(Pfn{5}));
  EXPECT_EQ(m.tables_in_use(), 1u);
  // Word i of frame 5 lives at 5 * 4096 + 8 * i.
  EXPECT_TRUE(m.write64(PhysAddr{5 * 4096 + 8 * 3}, 0xdeadbeef));
  EXPECT_EQ(t[3], 0xdeadbeefu);
  EXPECT_EQ(m.read64(PhysAddr{5 * 4096 + 24}), 0xdeadbeefu);
  t[511] = 42;  // the kernel's direct view and the costed view are the same storage
  EXPECT_EQ(m.read64(PhysAddr{5 * 4096 + 8 * 511}), 42u);
  EXPECT_EQ(m.table(Pfn{5}), &t);
  // Neighbouring frames are unaffected.
  EXPECT_EQ(m.read64(PhysAddr{4 * 4096 + 8 * 3}), 0u);
  EXPECT_EQ(m.read64(PhysAddr{6 * 4096 + 8 * 3}), 0u);
}

TEST(PhysicalMemory, TablesAcrossIndexChunks) {
  PhysicalMemory m = make(64 << 20);
  // Frames 4095 and 4096 sit in different chunks of the radix index (chunks of 4096 frames).
  m.attach_table(Pfn{4095})[0] = 1;
  m.attach_table(Pfn{4096})[0] = 2;
  m.attach_table(Pfn{16383})[0] = 3;  // the last frame
  EXPECT_EQ(m.read64(PhysAddr{uint64_t{4095} << 12}), 1u);
  EXPECT_EQ(m.read64(PhysAddr{uint64_t{4096} << 12}), 2u);
  EXPECT_EQ(m.read64(PhysAddr{uint64_t{16383} << 12}), 3u);
  EXPECT_EQ(m.tables_in_use(), 3u);
}

TEST(PhysicalMemory, DetachedFrameIsReattachedZeroFilled) {
  PhysicalMemory m = make(64 << 20);
  m.attach_table(Pfn{9})[7] = 77;
  m.detach_table(Pfn{9});
  EXPECT_EQ(m.tables_in_use(), 0u);
  EXPECT_EQ(m.read64(PhysAddr{9 * 4096 + 56}), 0u);
  // The freed storage slot is reused for another frame, and comes back zeroed.
  auto& t = m.attach_table(Pfn{10});
  for (uint64_t w : t) ASSERT_EQ(w, 0u);
  EXPECT_EQ(m.tables_in_use(), 1u);
}

TEST(PhysicalMemory, MisuseIsALogicError) {
  PhysicalMemory m = make(64 << 20);
  m.attach_table(Pfn{3});
  EXPECT_THROW(m.attach_table(Pfn{3}), std::logic_error);      // twice
  EXPECT_THROW(m.attach_table(Pfn{16384}), std::logic_error);  // one past the last frame
  EXPECT_THROW(m.detach_table(Pfn{4}), std::logic_error);      // never attached
  EXPECT_THROW(m.detach_table(Pfn{9000}), std::logic_error);   // ... in a chunk never used
}

}  // namespace
}  // namespace cowsim
