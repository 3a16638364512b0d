// VmaList: sorted, non-overlapping VMAs; inserts merge equal neighbours, removes and updates
// split, updates merge back.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "models/kernel/vma_list.h"
#include "traces/record.h"

namespace cowsim {
namespace {

constexpr uint64_t P = 0x1000;  // one page

Vma anon(uint64_t start, uint64_t end, uint8_t prot = trace::kProtRead | trace::kProtWrite) {
  Vma v;
  v.start = start;
  v.end = end;
  v.prot = prot;
  return v;
}

Vma file(uint64_t start, uint64_t end, uint32_t name, uint64_t pgoff) {
  Vma v = anon(start, end, trace::kProtRead);
  v.file = name;
  v.pgoff = pgoff;
  return v;
}

// The list as [start, end) pairs, in pages.
std::vector<std::pair<uint64_t, uint64_t>> ranges(const VmaList& l) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const Vma& v : l.vmas()) out.emplace_back(v.start / P, v.end / P);
  return out;
}
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

TEST(VmaList, InsertKeepsOrderAndMergesEqualNeighbours) {
  VmaList l;
  l.insert(anon(30 * P, 40 * P));
  l.insert(anon(10 * P, 20 * P));
  EXPECT_EQ(ranges(l), (Ranges{{10, 20}, {30, 40}}));  // a gap: no merge
  l.insert(anon(20 * P, 30 * P));                        // fills the gap, same attributes
  EXPECT_EQ(ranges(l), (Ranges{{10, 40}}));
  l.insert(anon(40 * P, 50 * P, trace::kProtRead));      // adjacent but read-only
  EXPECT_EQ(ranges(l), (Ranges{{10, 40}, {40, 50}}));
}

TEST(VmaList, InsertOverMappedRangeIsALogicError) {
  VmaList l;
  l.insert(anon(10 * P, 20 * P));
  EXPECT_THROW(l.insert(anon(19 * P, 21 * P)), std::logic_error);
  EXPECT_THROW(l.insert(anon(5 * P, 11 * P)), std::logic_error);
  EXPECT_THROW(l.insert(anon(12 * P, 13 * P)), std::logic_error);
  EXPECT_NO_THROW(l.insert(anon(5 * P, 10 * P)));
}

TEST(VmaList, FindIsExactAtTheEdges) {
  VmaList l;
  l.insert(anon(10 * P, 20 * P));
  l.insert(anon(30 * P, 40 * P, trace::kProtRead));
  EXPECT_EQ(l.find(10 * P - 1), nullptr);
  ASSERT_NE(l.find(10 * P), nullptr);
  EXPECT_EQ(l.find(10 * P)->start, 10 * P);
  EXPECT_EQ(l.find(20 * P - 1)->start, 10 * P);
  EXPECT_EQ(l.find(20 * P), nullptr);  // end is exclusive
  EXPECT_EQ(l.find(25 * P), nullptr);
  EXPECT_EQ(l.find(30 * P)->start, 30 * P);
  EXPECT_EQ(l.find(40 * P), nullptr);
  EXPECT_EQ(l.find(0), nullptr);
  // Many VMAs: each page finds its own.
  VmaList m;
  for (uint64_t i = 0; i < 200; ++i) m.insert(anon((2 * i + 1) * P, (2 * i + 2) * P, uint8_t(i % 2 + 1)));
  for (uint64_t i = 0; i < 200; ++i) {
    ASSERT_EQ(m.find((2 * i + 1) * P)->start, (2 * i + 1) * P);
    ASSERT_EQ(m.find((2 * i + 2) * P), nullptr);
  }
}

TEST(VmaList, RemoveSplitsStraddlingVmas) {
  VmaList l;
  l.insert(anon(10 * P, 40 * P));
  std::vector<std::pair<uint64_t, uint64_t>> removed;
  l.remove(20 * P, 25 * P, [&](const Vma& v) { removed.emplace_back(v.start / P, v.end / P); });
  EXPECT_EQ(ranges(l), (Ranges{{10, 20}, {25, 40}}));
  EXPECT_EQ(removed, (Ranges{{20, 25}}));
  // A range over a hole and parts of two VMAs.
  removed.clear();
  l.remove(15 * P, 30 * P, [&](const Vma& v) { removed.emplace_back(v.start / P, v.end / P); });
  EXPECT_EQ(ranges(l), (Ranges{{10, 15}, {30, 40}}));
  EXPECT_EQ(removed, (Ranges{{15, 20}, {25, 30}}));
  // Nothing there: nothing happens.
  l.remove(50 * P, 60 * P, [&](const Vma&) { ADD_FAILURE(); });
  EXPECT_EQ(ranges(l), (Ranges{{10, 15}, {30, 40}}));
}

TEST(VmaList, UpdateSplitsThenMergesBack) {
  VmaList l;
  l.insert(anon(10 * P, 40 * P));
  int edited = 0;
  EXPECT_TRUE(l.update(20 * P, 30 * P, [&](Vma& v) {
    v.prot = trace::kProtRead;
    ++edited;
  }));
  EXPECT_EQ(edited, 1);
  EXPECT_EQ(ranges(l), (Ranges{{10, 20}, {20, 30}, {30, 40}}));
  EXPECT_EQ(l.find(25 * P)->prot, trace::kProtRead);
  EXPECT_EQ(l.find(35 * P)->prot, trace::kProtRead | trace::kProtWrite);
  // Restoring the protection makes the three equal again: one VMA.
  EXPECT_TRUE(l.update(20 * P, 30 * P, [](Vma& v) { v.prot = trace::kProtRead | trace::kProtWrite; }));
  EXPECT_EQ(ranges(l), (Ranges{{10, 40}}));
}

TEST(VmaList, UpdateOverAHoleEditsTheMappedPartsAndReportsIt) {
  VmaList l;
  l.insert(anon(10 * P, 20 * P));
  l.insert(anon(30 * P, 40 * P));
  EXPECT_FALSE(l.update(15 * P, 35 * P, [](Vma& v) { v.dontcopy = true; }));
  EXPECT_EQ(ranges(l), (Ranges{{10, 15}, {15, 20}, {30, 35}, {35, 40}}));
  EXPECT_TRUE(l.find(15 * P)->dontcopy);
  EXPECT_TRUE(l.find(30 * P)->dontcopy);
  EXPECT_FALSE(l.find(35 * P)->dontcopy);
  EXPECT_FALSE(l.fully_mapped(15 * P, 35 * P));
  EXPECT_TRUE(l.fully_mapped(10 * P, 20 * P));
  EXPECT_TRUE(l.fully_mapped(15 * P, 16 * P));
}

TEST(VmaList, FileVmasMergeOnlyWithContiguousOffsets) {
  VmaList l;
  l.insert(file(10 * P, 20 * P, 7, 0));
  l.insert(file(20 * P, 30 * P, 7, 20));  // offsets 0..9 then 20..29: not contiguous
  EXPECT_EQ(ranges(l), (Ranges{{10, 20}, {20, 30}}));
  l.insert(file(30 * P, 40 * P, 7, 30));  // continues the second one: page 20 + 10 = 30
  EXPECT_EQ(ranges(l), (Ranges{{10, 20}, {20, 40}}));
  l.insert(file(40 * P, 50 * P, 8, 40));  // another file
  EXPECT_EQ(ranges(l).size(), 3u);
}

TEST(VmaList, SplitAdvancesTheFileOffset) {
  VmaList l;
  l.insert(file(10 * P, 20 * P, 7, 100));
  l.update(14 * P, 20 * P, [](Vma& v) { v.prot = trace::kProtNone; });
  ASSERT_EQ(l.vmas().size(), 2u);
  EXPECT_EQ(l.vmas()[0].pgoff, 100u);
  EXPECT_EQ(l.vmas()[1].pgoff, 104u);  // the tail starts 4 pages in
  // And merges back because the offsets are contiguous.
  l.update(14 * P, 20 * P, [](Vma& v) { v.prot = trace::kProtRead; });
  EXPECT_EQ(ranges(l), (Ranges{{10, 20}}));
}

}  // namespace
}  // namespace cowsim
