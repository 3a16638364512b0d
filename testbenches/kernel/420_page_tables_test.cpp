// PageTables: table pages created on demand, freed when empty, leaves visited in order.
#include <gtest/gtest.h>

#include <vector>

#include "models/kernel/page_tables.h"
#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim {
namespace {

using test::kBase;

class PageTablesTest : public ::testing::Test {
 protected:
  PageTablesTest() : mem_(test::memory_of(64 << 20)), frames_(mem_.frame_count()), pt_(mem_, frames_, 4) {}
  uint64_t leaf_value(uint64_t pfn) { return frame_address(Pfn{pfn}).value | pte_bits::kPresent | pte_bits::kUser; }
  PhysicalMemory mem_;
  FrameAllocator frames_;
  PageTables pt_;
};

TEST_F(PageTablesTest, FirstLeafCreatesLevelsMinusOneTables) {
  Pfn root = *pt_.create_root();
  EXPECT_EQ(frames_.in_use(), 1u);
  EXPECT_TRUE(frames_.info(root).flags & frame_flags::kTable);
  uint32_t created = 0;
  uint64_t* e = pt_.leaf(root, VirtAddr{kBase}, true, &created);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(created, 3u);  // PDPT, PD, PT below the root
  EXPECT_EQ(frames_.in_use(), 4u);
  EXPECT_EQ(mem_.tables_in_use(), 4u);
  // Upper entries allow everything (the leaf decides): P | W | U.
  uint64_t pml4e = mem_.read64(frame_address(root) + 8 * table_index(VirtAddr{kBase}, 4));
  EXPECT_EQ(pml4e & (pte_bits::kPresent | pte_bits::kWritable | pte_bits::kUser),
            pte_bits::kPresent | pte_bits::kWritable | pte_bits::kUser);
  // Another page in the same 2 MiB: the same PT, nothing new.
  created = 0;
  EXPECT_NE(pt_.leaf(root, VirtAddr{kBase + 511 * kPageSize}, true, &created), nullptr);
  EXPECT_EQ(created, 0u);
  // The next 2 MiB: a new PT only. The next 1 GiB: a new PD and PT.
  pt_.leaf(root, VirtAddr{kBase + kHugePageSize}, true, &created);
  EXPECT_EQ(created, 1u);
  created = 0;
  pt_.leaf(root, VirtAddr{kBase + kGiantPageSize}, true, &created);
  EXPECT_EQ(created, 2u);
  EXPECT_EQ(frames_.in_use(), 7u);
}

TEST_F(PageTablesTest, LeafWithoutCreateDoesNotAllocate) {
  Pfn root = *pt_.create_root();
  EXPECT_EQ(pt_.leaf(root, VirtAddr{kBase}, false), nullptr);
  EXPECT_EQ(frames_.in_use(), 1u);
  *pt_.leaf(root, VirtAddr{kBase}, true) = leaf_value(77);
  uint64_t* e = pt_.leaf(root, VirtAddr{kBase}, false);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e, leaf_value(77));
  // The walker-visible contents are the same words.
  EXPECT_EQ(test::leaf_entry(mem_, root, kBase), leaf_value(77));
}

TEST_F(PageTablesTest, HugeLeafStopsTheDescent) {
  Pfn root = *pt_.create_root();
  uint64_t* pmd = pt_.entry(root, VirtAddr{kBase}, 2, true);
  ASSERT_NE(pmd, nullptr);
  *pmd = frame_address(Pfn{1024}).value | pte_bits::kPresent | pte_bits::kHuge;
  EXPECT_EQ(pt_.leaf(root, VirtAddr{kBase + 5 * kPageSize}, true), nullptr);
  EXPECT_EQ(frames_.in_use(), 3u);  // root, PDPT, PD: no PT under a huge PMD
}

TEST_F(PageTablesTest, ForEachLeafVisitsInAddressOrder) {
  Pfn root = *pt_.create_root();
  // Set leaves out of order, in different tables.
  std::vector<uint64_t> vas = {kBase + kGiantPageSize, kBase + 5 * kPageSize, kBase + kPageSize,
                               kBase + kHugePageSize + 3 * kPageSize};
  for (uint64_t va : vas) *pt_.leaf(root, VirtAddr{va}, true) = leaf_value(va >> 12 & 0xffff);
  // A PROT_NONE leaf (P clear, software bit set) still counts as mapped.
  *pt_.leaf(root, VirtAddr{kBase + 7 * kPageSize}, true) = frame_address(Pfn{9}).value | pte_bits::kProtNone;
  // An empty entry inside the range is skipped.
  std::vector<uint64_t> seen;
  pt_.for_each_leaf(root, 0, uint64_t{1} << 47, [&](uint64_t va, uint64_t& e, unsigned level) {
    EXPECT_EQ(level, 1u);
    seen.push_back(va);
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{kBase + kPageSize, kBase + 5 * kPageSize, kBase + 7 * kPageSize,
                                         kBase + kHugePageSize + 3 * kPageSize, kBase + kGiantPageSize}));
  // A sub-range: [start, end) only.
  seen.clear();
  pt_.for_each_leaf(root, kBase + 2 * kPageSize, kBase + kHugePageSize + 3 * kPageSize,
                    [&](uint64_t va, uint64_t&, unsigned) { seen.push_back(va); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{kBase + 5 * kPageSize, kBase + 7 * kPageSize}));
}

TEST_F(PageTablesTest, ForEachLeafReportsHugeLeavesOnce) {
  Pfn root = *pt_.create_root();
  *pt_.entry(root, VirtAddr{kBase}, 2, true) = frame_address(Pfn{1024}).value | pte_bits::kPresent | pte_bits::kHuge;
  std::vector<std::pair<uint64_t, unsigned>> seen;
  pt_.for_each_leaf(root, kBase + 100 * kPageSize, kBase + 101 * kPageSize,
                    [&](uint64_t va, uint64_t&, unsigned level) { seen.emplace_back(va, level); });
  // The 2 MiB leaf overlaps the one-page range: visited with its own base address.
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, unsigned>>{{kBase, 2u}}));
}

TEST_F(PageTablesTest, FreeEmptyTablesAfterZapping) {
  Pfn root = *pt_.create_root();
  uint64_t* a = pt_.leaf(root, VirtAddr{kBase}, true);
  uint64_t* b = pt_.leaf(root, VirtAddr{kBase + kHugePageSize}, true);  // same PD, another PT
  *a = leaf_value(100);
  *b = leaf_value(101);
  EXPECT_EQ(frames_.in_use(), 5u);  // root, PDPT, PD, 2 PTs
  // Nothing is empty yet.
  EXPECT_EQ(pt_.free_empty_tables(root, 0, uint64_t{1} << 47), 0u);
  *a = 0;
  // Only the first PT is empty; the PD still holds the second one.
  EXPECT_EQ(pt_.free_empty_tables(root, kBase, kBase + kHugePageSize), 1u);
  EXPECT_EQ(frames_.in_use(), 4u);
  EXPECT_EQ(pt_.leaf(root, VirtAddr{kBase}, false), nullptr);
  *b = 0;
  // Now the PT, the PD and the PDPT empty out; the root stays.
  EXPECT_EQ(pt_.free_empty_tables(root, 0, uint64_t{1} << 47), 3u);
  EXPECT_EQ(frames_.in_use(), 1u);
  EXPECT_EQ(mem_.tables_in_use(), 1u);
  EXPECT_EQ(pt_.destroy(root), 1u);  // just the root
  EXPECT_EQ(frames_.in_use(), 0u);
  EXPECT_EQ(mem_.tables_in_use(), 0u);
}

TEST_F(PageTablesTest, FreeEmptyTablesOutsideTheRangeKeepsThem) {
  Pfn root = *pt_.create_root();
  pt_.leaf(root, VirtAddr{kBase}, true);  // tables created, leaf left empty
  // The range does not cover kBase: its (empty) tables are not looked at.
  EXPECT_EQ(pt_.free_empty_tables(root, kBase + kHugePageSize, kBase + 2 * kHugePageSize), 0u);
  EXPECT_EQ(frames_.in_use(), 4u);
  EXPECT_EQ(pt_.destroy(root), 4u);  // destroy frees everything: 3 tables and the root
  EXPECT_EQ(frames_.in_use(), 0u);
}

TEST(PageTables5Level, FirstLeafCreatesFourTables) {
  PhysicalMemory mem(test::memory_of(64 << 20));
  FrameAllocator frames(mem.frame_count());
  PageTables pt(mem, frames, 5);
  Pfn root = *pt.create_root();
  uint32_t created = 0;
  pt.leaf(root, VirtAddr{uint64_t{1} << 50}, true, &created);
  EXPECT_EQ(created, 4u);  // P4D, PDPT, PD, PT below the PML5
}

}  // namespace
}  // namespace cowsim
