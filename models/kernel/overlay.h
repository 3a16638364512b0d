// Page overlays (Seshadri et al., ISCA 2015) for kernel.cow.granularity=line: the first write
// to a copy-on-write-shared 4 KiB page gives the writer an overlay instead of a copy; every
// later write to a line the overlay does not hold adds it (overlay-on-write, done by the
// hardware); reads of other lines come from the shared page. An overlay lives in a compact
// segment (256 B .. 4 KiB) and turns into a private page when it would hold more lines than
// kernel.cow.overlay.threshold. docs/kernel-model.md has the rules and the deviations.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "models/common/stats.h"
#include "models/common/types.h"
#include "models/kernel/kernel.h"

namespace cowsim {

class Overlays;

constexpr uint64_t kLineSize = 64, kLinesPerPage = kPageSize / kLineSize;
constexpr unsigned kSegmentClasses = 5;  // 256 B, 512 B, 1 KiB, 2 KiB, 4 KiB
inline uint64_t segment_bytes(unsigned cls) { return uint64_t{256} << cls; }
// The smallest segment class holding `lines` lines.
inline unsigned segment_class(uint64_t lines) {
  unsigned c = 0;
  while (segment_bytes(c) < lines * kLineSize) ++c;
  return c;
}

struct Overlay {
  uint64_t vpn = ~uint64_t{0};  // ~0: an empty slot
  uint64_t lines = 0;           // bit i: line i of the page is in the overlay
  uint64_t segment = 0;         // physical address of its segment (valid when lines != 0)
  uint8_t cls = 0;              // segment class
};

// One address space's overlays by virtual page: open addressing with linear probing and
// backward-shift deletion (no allocation per access, no nodes).
class OverlayTable {
 public:
  explicit OverlayTable(Overlays& owner) : owner_(owner), slots_(16) {}
  Overlays& owner() const { return owner_; }
  Overlay* find(uint64_t vpn) {
    for (size_t i = home(vpn);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].vpn == vpn) return &slots_[i];
      if (slots_[i].vpn == kEmpty) return nullptr;
    }
  }
  Overlay& insert(uint64_t vpn);
  void erase(uint64_t vpn);
  size_t size() const { return count_; }
  template <class F>
  void for_each(F&& f) const {
    for (const Overlay& o : slots_)
      if (o.vpn != kEmpty) f(o);
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  size_t home(uint64_t vpn) const { return (vpn * 0x9E3779B97F4A7C15ull >> 20) & (slots_.size() - 1); }
  Overlays& owner_;
  std::vector<Overlay> slots_;
  size_t count_ = 0;
};

// Overlay storage: segments of 256 B to 4 KiB carved out of 4 KiB frames, one size class per
// frame (as the paper's overlay memory store); a frame goes back to the allocator when its
// last segment is freed.
class SegmentPool {
 public:
  explicit SegmentPool(FrameAllocator& frames) : frames_(frames) {}
  std::optional<uint64_t> alloc(unsigned cls);  // physical address; nothing when memory is out
  void free(uint64_t addr, unsigned cls);
  uint64_t frames() const { return pool_.size(); }
  uint64_t peak_frames() const { return peak_frames_; }
  uint64_t bytes() const { return bytes_; }
  // For the invariant checker (platform/invariants.h): each frame the pool holds, and whether
  // `addr` is an allocated segment of class `cls`.
  template <class F>
  void for_each_frame(F&& f) const {
    for (const auto& [pfn, frame] : pool_) f(Pfn{pfn});
  }
  bool holds(uint64_t addr, unsigned cls) const;

 private:
  struct PoolFrame {
    uint8_t cls;
    uint16_t used;     // bit i: segment i is allocated
    uint32_t partial;  // position in partial_[cls] while it has free segments
  };
  static uint16_t full_mask(unsigned cls) { return static_cast<uint16_t>((1u << (16 >> cls)) - 1); }
  FrameAllocator& frames_;
  std::unordered_map<uint64_t, PoolFrame> pool_;  // by pfn; touched when overlays grow, not per access
  std::array<std::vector<uint64_t>, kSegmentClasses> partial_;
  uint64_t bytes_ = 0, peak_frames_ = 0;
};

class Overlays {
 public:
  Overlays(Kernel& k, const OverlayParams& p);

  // wp_page_copy's replacement for a write to a shared private anonymous 4 KiB page: the page
  // gets an (empty) overlay and its PTE becomes writable; no page is allocated or copied. The
  // store, run again, adds its line through access().
  FaultOutcome write_fault(Kernel::VmFault& vmf, Pfn shared);
  // Called by the core after every translated access of a process whose address space has
  // overlays: the bit-vector check, the OMT lookup for lines in the overlay, overlay-on-write
  // of a new line, and the conversion past the threshold. `resolved` false: `p` was killed.
  FaultResult access(Process& p, VirtAddr va, bool write, unsigned core, Cycles now);
  // The page at `va` is being unmapped: its overlay, if any, is freed (zap_page_range).
  void drop(AddressSpace& mm, uint64_t va);
  // Before fork copies `p`'s page tables: every overlay becomes a private page, so parent and
  // child share only ordinary pages (their cost goes to the fork). False: out of memory.
  bool merge_all(Process& p, unsigned core, Cost& c);
  // Overlay storage (segment bytes) of `mm`'s overlays in [start, end).
  uint64_t bytes(const AddressSpace& mm, uint64_t start, uint64_t end) const;
  void report(StatSink& s) const;
  const SegmentPool& pool() const { return pool_; }

 private:
  // Merges the overlay into a private copy of `shared`; false when no frame is left.
  bool convert(Process& p, AddressSpace& mm, Overlay& o, unsigned core, Cost& c);
  Cycles omt_access(const AddressSpace& mm, uint64_t vpn);
  void omt_forget(const AddressSpace& mm, uint64_t vpn);
  static uint64_t omt_key(const AddressSpace& mm, uint64_t vpn) { return vpn ^ (uint64_t{mm.id} << 46); }
  // First way of the OMT cache set that holds `key` (4 ways per set).
  size_t omt_set(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull >> 17) % (omt_tags_.size() / 4) * 4; }

  Kernel& k_;
  const OverlayParams& p_;
  SegmentPool pool_;
  uint32_t line_copy_;  // moving one line between segments or into a page: page_copy / 64
  // OMT cache: 4-way set associative, LRU by access stamp.
  std::vector<uint64_t> omt_tags_, omt_stamps_;
  uint64_t omt_stamp_ = 0;
  // Statistics
  uint64_t created_ = 0, lines_written_ = 0, conversions_ = 0, fork_conversions_ = 0, segment_moves_ = 0,
           lookups_ = 0, line_accesses_ = 0, omt_hits_ = 0, omt_misses_ = 0, access_cycles_ = 0,
           conversion_cycles_ = 0, peak_bytes_ = 0, dropped_ = 0, in_place_ = 0;
};

}  // namespace cowsim
