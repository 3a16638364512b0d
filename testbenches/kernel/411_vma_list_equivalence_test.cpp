// VmaList on chunks (VmaSeq) against the flat sorted vector it replaced (issue 14): the same
// random inserts, removes (with the pieces reported in the same order), updates (edits seen in
// the same order), finds and fully_mapped queries must leave exactly the same VMAs, field by
// field. Lists grow to thousands of VMAs so that chunks split, empty and disappear, and edits
// and merges cross chunk boundaries.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <stdexcept>
#include <vector>

#include "models/kernel/vma_list.h"
#include "traces/record.h"

namespace cowsim {
namespace {

// The flat implementation as it was (commit a6743dd, models/kernel/vma_list.cpp).
class FlatVmaList {
 public:
  const Vma* find(uint64_t addr) const {
    auto it = std::upper_bound(v_.begin(), v_.end(), addr, [](uint64_t a, const Vma& v) { return a < v.end; });
    return it != v_.end() && it->contains(addr) ? &*it : nullptr;
  }
  void insert(const Vma& v) {
    auto it = std::lower_bound(v_.begin(), v_.end(), v.start, [](const Vma& x, uint64_t a) { return x.start < a; });
    if ((it != v_.end() && it->start < v.end) || (it != v_.begin() && std::prev(it)->end > v.start))
      throw std::logic_error("VmaList::insert over a mapped range");
    v_.insert(it, v);
    merge_around(v.start, v.end);
  }
  void remove(uint64_t start, uint64_t end, const std::function<void(const Vma&)>& removed) {
    split_at(start);
    split_at(end);
    auto first = std::lower_bound(v_.begin(), v_.end(), start, [](const Vma& x, uint64_t a) { return x.start < a; });
    auto last = first;
    while (last != v_.end() && last->end <= end) removed(*last++);
    v_.erase(first, last);
  }
  bool fully_mapped(uint64_t start, uint64_t end) const {
    for (uint64_t a = start; a < end;) {
      const Vma* v = find(a);
      if (!v) return false;
      a = v->end;
    }
    return true;
  }
  bool update(uint64_t start, uint64_t end, const std::function<void(Vma&)>& edit) {
    split_at(start);
    split_at(end);
    bool complete = fully_mapped(start, end);
    auto it = std::lower_bound(v_.begin(), v_.end(), start, [](const Vma& x, uint64_t a) { return x.start < a; });
    for (; it != v_.end() && it->start < end; ++it)
      if (it->end <= end) edit(*it);
    merge_around(start, end);
    return complete;
  }
  const std::vector<Vma>& vmas() const { return v_; }

 private:
  void split_at(uint64_t addr) {
    auto* v = const_cast<Vma*>(find(addr));
    if (!v || v->start == addr) return;
    Vma tail = *v;
    tail.start = addr;
    tail.pgoff += (addr - v->start) >> kPageShift;
    v->end = addr;
    v_.insert(v_.begin() + (v - v_.data()) + 1, tail);
  }
  void merge_around(uint64_t start, uint64_t end) {
    auto first = std::lower_bound(v_.begin(), v_.end(), start, [](const Vma& x, uint64_t a) { return x.end < a; });
    size_t w = static_cast<size_t>(first - v_.begin()), r = w;
    for (; r < v_.size() && v_[r].start <= end; ++r) {
      const Vma& v = v_[r];
      if (w > 0) {
        Vma& prev = v_[w - 1];
        bool contiguous = (prev.anonymous() && !prev.shared) || prev.pgoff + (prev.size() >> kPageShift) == v.pgoff;
        if (prev.end == v.start && prev.same_attributes(v) && contiguous) {
          prev.end = v.end;
          continue;
        }
      }
      if (w != r) v_[w] = v;
      ++w;
    }
    v_.erase(v_.begin() + static_cast<std::ptrdiff_t>(w), v_.begin() + static_cast<std::ptrdiff_t>(r));
  }
  std::vector<Vma> v_;
};

bool same(const Vma& a, const Vma& b) { return a.start == b.start && a.end == b.end && a.pgoff == b.pgoff && a.same_attributes(b); }

void expect_equal(const VmaList& chunked, const FlatVmaList& flat, uint64_t step) {
  ASSERT_EQ(chunked.vmas().size(), flat.vmas().size()) << "step " << step;
  size_t i = 0;
  for (const Vma& v : chunked.vmas()) {
    ASSERT_TRUE(same(v, flat.vmas()[i])) << "step " << step << ", VMA " << i;
    ++i;
  }
  ASSERT_EQ(i, flat.vmas().size());
  if (!flat.vmas().empty()) {
    ASSERT_TRUE(same(chunked.vmas()[flat.vmas().size() - 1], flat.vmas().back()));
  }
}

constexpr uint64_t P = 0x1000;

// Random operations over `pages` pages, ranges up to `max_len` pages. Mappings are private
// anonymous (merge freely) or file-backed with random offsets (merge only when contiguous),
// with a few protections, so merges happen and are refused.
void random_run(uint64_t seed, uint64_t pages, uint64_t max_len, int ops, size_t* peak) {
  std::mt19937_64 rng(seed);
  VmaList chunked;
  FlatVmaList flat;
  auto pick = [&](uint64_t n) { return rng() % n; };
  for (int step = 0; step < ops; ++step) {
    uint64_t a = pick(pages) * P, len = (1 + pick(max_len)) * P, b = a + len;
    switch (pick(10)) {
      case 0: case 1: case 2: case 3: {  // mmap: unmap, then insert
        Vma v;
        v.start = a, v.end = b;
        v.prot = static_cast<uint8_t>(pick(4) == 0 ? trace::kProtRead : trace::kProtRead | trace::kProtWrite);
        if (pick(4) == 0) v.file = static_cast<uint32_t>(pick(2)), v.pgoff = pick(3) == 0 ? a / P : pick(1000);
        std::vector<uint64_t> gone_c, gone_f;
        chunked.remove(a, b, [&](const Vma& x) { gone_c.push_back(x.start); });
        flat.remove(a, b, [&](const Vma& x) { gone_f.push_back(x.start); });
        ASSERT_EQ(gone_c, gone_f);
        chunked.insert(v);
        flat.insert(v);
        break;
      }
      case 4: case 5: {  // munmap
        std::vector<uint64_t> gone_c, gone_f;
        chunked.remove(a, b, [&](const Vma& x) { gone_c.push_back(x.start ^ x.end << 1); });
        flat.remove(a, b, [&](const Vma& x) { gone_f.push_back(x.start ^ x.end << 1); });
        ASSERT_EQ(gone_c, gone_f);
        break;
      }
      case 6: case 7: {  // mprotect / madvise
        uint8_t prot = static_cast<uint8_t>(pick(2) ? trace::kProtRead : trace::kProtRead | trace::kProtWrite);
        bool flag = pick(2);
        std::vector<uint64_t> seen_c, seen_f;
        bool cc = chunked.update(a, b, [&](Vma& x) { seen_c.push_back(x.start), x.prot = prot, x.dontcopy = flag; });
        bool cf = flat.update(a, b, [&](Vma& x) { seen_f.push_back(x.start), x.prot = prot, x.dontcopy = flag; });
        ASSERT_EQ(cc, cf);
        ASSERT_EQ(seen_c, seen_f);
        break;
      }
      default: {  // queries
        for (int q = 0; q < 8; ++q) {
          uint64_t x = pick(pages + max_len) * P + pick(P);
          const Vma *fc = chunked.find(x), *ff = flat.find(x);
          ASSERT_EQ(fc == nullptr, ff == nullptr) << x;
          if (fc) {
            ASSERT_TRUE(same(*fc, *ff));
          }
        }
        ASSERT_EQ(chunked.fully_mapped(a, b), flat.fully_mapped(a, b));
      }
    }
    expect_equal(chunked, flat, static_cast<uint64_t>(step));
    *peak = std::max(*peak, flat.vmas().size());
  }
}

TEST(VmaListEquivalence, RandomEditsOnSmallLists) {
  size_t peak = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) random_run(seed, 256, 16, 2000, &peak);
  EXPECT_GT(peak, 20u);
}

TEST(VmaListEquivalence, RandomEditsOnListsOfManyChunks) {
  size_t peak = 0;
  for (uint64_t seed = 100; seed <= 104; ++seed) random_run(seed, 8192, 8, 6000, &peak);
  EXPECT_GT(peak, 8 * VmaSeq::kChunk);  // many chunks: splits, emptied chunks and edits across them
}

// The `vmas` bench pattern: ascending one-page mappings with holes, removed in random order,
// with wide updates that split and merge across every chunk.
TEST(VmaListEquivalence, ManyMappingsRemovedInRandomOrder) {
  std::mt19937_64 rng(7);
  VmaList chunked;
  FlatVmaList flat;
  const uint64_t n = 3000;
  for (uint64_t i = 0; i < n; ++i) {
    Vma v;
    v.start = 2 * i * P, v.end = v.start + P, v.prot = trace::kProtRead | trace::kProtWrite;
    chunked.insert(v), flat.insert(v);
  }
  ASSERT_EQ(chunked.vmas().size(), n);
  expect_equal(chunked, flat, 0);
  std::vector<uint64_t> order(n);
  for (uint64_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t a = 2 * order[k] * P;
    chunked.remove(a, a + P, [](const Vma&) {}), flat.remove(a, a + P, [](const Vma&) {});
    if (k % 300 == 0) {  // fill a hole: merges with both neighbours if they are still there
      Vma v;
      v.start = a + P, v.end = a + 2 * P, v.prot = trace::kProtRead | trace::kProtWrite;
      chunked.remove(v.start, v.end, [](const Vma&) {}), flat.remove(v.start, v.end, [](const Vma&) {});
      chunked.insert(v), flat.insert(v);
    }
    if (k % 500 == 0) {  // a wide mprotect over a third of the space
      uint64_t s = (rng() % n) * P, e = s + n / 3 * 2 * P;
      chunked.update(s, e, [](Vma& x) { x.prot = trace::kProtRead; });
      flat.update(s, e, [](Vma& x) { x.prot = trace::kProtRead; });
    }
    expect_equal(chunked, flat, k);
  }
}

}  // namespace
}  // namespace cowsim
