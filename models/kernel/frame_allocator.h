// Physical frame allocator with per-frame metadata, as Linux's struct page keeps it: reference
// count, map count and flags. The metadata array covers all of physical memory but is
// allocated lazily (calloc of a large block maps zero pages on demand), so host memory grows
// with the frames actually used, not with the configured size.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "models/common/types.h"

namespace cowsim {

struct FrameInfo {
  uint32_t refcount;  // references: mappings, the page cache, page-table use
  uint32_t mapcount;  // PTEs mapping the frame
  uint8_t flags;
};

namespace frame_flags {
constexpr uint8_t kAnonExclusive = 1;  // PG_anon_exclusive: only one process may map it
constexpr uint8_t kTable = 2;          // a page-table page
constexpr uint8_t kZero = 4;           // the shared zero page
constexpr uint8_t kDirty = 8;          // page dirty flag (set when a dirty PTE is zapped)
constexpr uint8_t kAnon = 16;          // anonymous page (PageAnon)
constexpr uint8_t kPageCache = 32;     // a file or shmem page held by the page cache
}  // namespace frame_flags

class FrameAllocator {
 public:
  explicit FrameAllocator(uint64_t frames);

  // A free 4 KiB frame with refcount 1, or nothing when memory is exhausted.
  std::optional<Pfn> alloc();
  void get(Pfn pfn) { ++info(pfn).refcount; }
  // Drops a reference; the frame is freed when the count reaches zero.
  void put(Pfn pfn);

  FrameInfo& info(Pfn pfn) { return info_.get()[pfn.value]; }
  const FrameInfo& info(Pfn pfn) const { return info_.get()[pfn.value]; }
  Pfn zero_page() const { return Pfn{1}; }
  uint64_t total() const { return frames_; }
  uint64_t in_use() const { return in_use_; }
  uint64_t peak() const { return peak_; }

 private:
  struct FreeDeleter { void operator()(FrameInfo* p) const { std::free(p); } };
  uint64_t frames_;
  std::unique_ptr<FrameInfo, FreeDeleter> info_;
  uint64_t next_unused_;       // frames at or above this were never allocated
  std::vector<Pfn> free_;      // freed frames, reused first (LIFO, deterministic)
  uint64_t in_use_ = 0, peak_ = 0;
};

}  // namespace cowsim
