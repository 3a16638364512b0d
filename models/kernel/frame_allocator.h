// Physical frame allocator with per-frame metadata, as Linux's struct page keeps it: reference
// count, map count and flags. The metadata array covers all of physical memory but is
// allocated lazily (calloc of a large block maps zero pages on demand), so host memory grows
// with the frames actually used, not with the configured size.
#pragma once

#include <cstdint>
#include <bitset>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "models/common/types.h"

namespace cowsim {

struct FrameInfo {
  uint32_t refcount;  // references: mappings, the page cache, page-table use (a folio's: in its head)
  uint32_t mapcount;  // PTEs mapping this 4 KiB frame
  uint16_t flags;
  // odf, async: further address spaces mapping this frame through shared PTE tables (a shared
  // table's PTE counts once in mapcount, whoever many PMDs point at the table); smaps adds it.
  uint16_t shared;
  uint32_t entire;    // folio head only: huge PMDs mapping the whole folio
};

namespace frame_flags {
constexpr uint16_t kAnonExclusive = 1;  // PG_anon_exclusive: only one process may map it
constexpr uint16_t kTable = 2;          // a page-table page
constexpr uint16_t kZero = 4;           // the shared zero page
constexpr uint16_t kDirty = 8;          // page dirty flag (set when a dirty PTE is zapped)
constexpr uint16_t kAnon = 16;          // anonymous page (PageAnon)
constexpr uint16_t kPageCache = 32;     // a file or shmem page held by the page cache
constexpr uint16_t kHead = 64;          // first frame of a 2 MiB folio: refcount/mapcount are the folio's
constexpr uint16_t kTail = 128;         // frames 1..511 of a folio: mapcount counts PTE mappings of it
constexpr uint16_t kGiant = 256;        // first frame of a 1 GiB hugetlb page (whole-page counts here)
}  // namespace frame_flags

class FrameAllocator {
 public:
  explicit FrameAllocator(uint64_t frames);

  // A free 4 KiB frame with refcount 1, or nothing when memory is exhausted.
  std::optional<Pfn> alloc();
  // `f` itself if it was never allocated (kernel.alloc.policy=same_subarray asks for a frame
  // at a place in DRAM): its 2 MiB block is carved out of the never-used region, and the
  // block's other frames stay available to alloc_exact only. Nothing if `f` may be in use.
  std::optional<Pfn> alloc_exact(Pfn f);
  // A free 4 KiB frame for which ok(frame) holds (kernel.alloc.policy=same_subarray), looking at
  // no more than `scan` free frames: the most recently freed first, then frames of fresh 2 MiB
  // blocks carved as alloc() carves them. Nothing if none was found (memory may remain).
  template <class Ok>
  std::optional<Pfn> alloc_where(Ok ok, uint64_t scan) {
    uint64_t seen = 0;
    for (size_t i = free_.size(); i-- > 0 && seen < scan; ++seen)
      if (ok(free_[i])) return take_free(i);
    while (seen < scan) {
      skip_carved();
      if (next_unused_ + 512 > frames_) break;
      const Pfn block{next_unused_};
      next_unused_ += 512;
      for (uint64_t f = block.value + 511; f > block.value; --f) free_.push_back(Pfn{f});
      free_.push_back(block);
      for (size_t i = free_.size(); i-- > free_.size() - 512 && seen < scan; ++seen)
        if (ok(free_[i])) return take_free(i);
    }
    return std::nullopt;
  }
  // A free, 2 MiB-aligned block of 512 frames (an order-9 folio): the head has refcount 1,
  // the tails are marked kTail. Nothing when no such block is free (the caller falls back to
  // 4 KiB pages, as Linux does).
  std::optional<Pfn> alloc_huge();
  // A free, 1 GiB-aligned block of 262144 frames (a hugetlb page), refcount 1; the frames
  // inside are not individually tracked.
  std::optional<Pfn> alloc_giant();
  void get(Pfn pfn) { ++info(pfn).refcount; }
  // Drops a reference; the frame (or the whole folio, for a head) is freed at zero.
  void put(Pfn pfn);
  // The folio head of a frame (itself for an ordinary frame).
  Pfn head_of(Pfn pfn) const {
    return (info(pfn).flags & frame_flags::kTail) ? Pfn{pfn.value & ~uint64_t{511}} : pfn;
  }

  FrameInfo& info(Pfn pfn) { return info_.get()[pfn.value]; }
  const FrameInfo& info(Pfn pfn) const { return info_.get()[pfn.value]; }
  Pfn zero_page() const { return Pfn{1}; }
  Pfn huge_zero_page() const { return huge_zero_; }
  uint64_t total() const { return frames_; }
  uint64_t in_use() const { return in_use_; }
  uint64_t peak() const { return peak_; }

 private:
  friend class InvariantChecker;  // platform/invariants.h checks the free lists
  Pfn take_free(size_t i);  // removes free_[i] (order of the rest kept) and allocates it
  // Moves next_unused_ past blocks alloc_exact carved (none unless same_subarray is on).
  void skip_carved() {
    if (carved_.empty()) return;
    while (carved_.count(next_unused_)) next_unused_ += 512;
  }
  std::map<uint64_t, std::bitset<512>> carved_;  // block head -> frames not yet handed out
  struct FreeDeleter { void operator()(FrameInfo* p) const { std::free(p); } };
  uint64_t frames_;
  std::unique_ptr<FrameInfo, FreeDeleter> info_;
  uint64_t next_unused_;       // frames at or above this were never allocated
  std::vector<Pfn> free_;      // freed frames, reused first (LIFO, deterministic)
  std::vector<Pfn> free_huge_; // freed 2 MiB blocks
  std::vector<Pfn> free_giant_; // freed 1 GiB blocks
  Pfn huge_zero_;
  uint64_t in_use_ = 0, peak_ = 0;
};

}  // namespace cowsim
