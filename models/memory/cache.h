// One set-associative, write-back, write-allocate cache level (SystemC-free logic). Timing
// only: lines hold a tag and a dirty bit, no data. Sized at construction, nothing allocated
// afterwards; a hit is a tag compare over the ways of one set plus a replacement update.
//
// Host-memory layout. Every page walk and data access touches a random set of a large LLC
// model, so a set is kept in one block of 64-byte host cache lines (aligned, a power of two):
//   dirty bits (one per way) | number of valid ways | tags | replacement state
// An 11-way LLC set with 32-bit tags and LRU fills exactly one host cache line.
// - A tag is the line number above the set index: 32 bits when every line of the simulated
//   physical memory (`memory_bytes`) fits, else 64. 32-bit tags are compared four at a time
//   (SSE2, where the host has it).
// - LRU keeps each way's rank (0 = most recent; one byte, up to 128 ways, aged eight at a
//   time), tree-PLRU its tree word (up to 64 ways); random replacement and wider sets use a
//   ReplacementPolicy. The victims are exactly those of the timestamp LRU and the per-set PLRU
//   word (tested against the original implementation: 701_cache_equivalence_test.cpp).
// - Lines are never invalidated, so a set's valid ways are 0 .. count-1: a fill takes way
//   `count` until the set is full, then the policy's victim.
#pragma once

#include <array>
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "models/common/host_prefetch.h"
#include "models/common/stats.h"
#include "models/common/types.h"
#include "models/memory/hierarchy_params.h"
#include "models/common/replacement.h"

namespace cowsim {

// Who issued a memory access; each cache level counts hits and misses per source.
enum class Source : uint8_t { kData, kPageWalk, kKernel };
constexpr size_t kSourceCount = 3;
const char* source_name(Source s);  // "data", "page_walk", "kernel"

class Cache {
 public:
  // What a fill displaced. `line` is the victim's line address (byte address >> line shift).
  struct Victim {
    bool valid = false;
    bool dirty = false;
    uint64_t line = 0;
  };
  // The architectural limit of x86-64 physical addresses (52 bits).
  static constexpr uint64_t kMaxMemoryBytes = uint64_t{1} << 52;

  // `name` is the level's parameter scope ("l1d", "l2", "llc"); geometry errors are
  // InputErrors naming "memory.<name>". `seed` seeds the random policy. Addresses must stay
  // below `memory_bytes` (the simulated physical memory), which decides the tag width.
  Cache(std::string name, const CacheLevelParams& p, uint64_t seed, uint64_t memory_bytes = kMaxMemoryBytes);

  // Timed lookup: on a hit, updates the replacement state and (for a write) marks the line
  // dirty. Counts a hit or a miss for `src`.
  bool lookup(PhysAddr pa, bool write, Source src) {
    const uint64_t line = pa.value >> line_shift_;
    if (line == recent_line_) {  // the line the last hit found: no search, no touch (see recent_line_)
      ++hits_[static_cast<size_t>(src)];
      if (write) recent_dirty() |= recent_bit_;
      return true;
    }
    const uint32_t set = static_cast<uint32_t>(line & set_mask_);
    uint8_t* s = block(set);
    const uint32_t w = find_in(s, line);
    if (w == kNoWay) {
      ++misses_[static_cast<size_t>(src)];
      return false;
    }
    ++hits_[static_cast<size_t>(src)];
    touch(set, s, w);
    recent_line_ = line;
    recent_dirty_ = static_cast<size_t>(s - block(0)) + (w >> 3);
    recent_bit_ = static_cast<uint8_t>(1u << (w & 7));
    if (write) recent_dirty() |= recent_bit_;
    return true;
  }

  // Installs the line holding `pa` (after a miss): an invalid way if the set has one, else
  // the policy's victim. Refreshes in place if the line is already present (dirty is ORed).
  Victim fill(PhysAddr pa, bool dirty);
  // The same for a line known to be absent (a lookup of it just missed, nothing filled this
  // level since): skips the search for it.
  Victim fill_missing(PhysAddr pa, bool dirty);

  // A hint to the host: fetch the set `pa` maps to into the host's caches (no simulated effect).
  void prefetch(PhysAddr pa) const {
    host_prefetch(block(static_cast<uint32_t>((pa.value >> line_shift_) & set_mask_)));
  }

  // Functional path, no side effects (no counters, no policy update).
  bool contains(PhysAddr pa) const {
    const uint64_t line = pa.value >> line_shift_;
    return find_in(block(static_cast<uint32_t>(line & set_mask_)), line) != kNoWay;
  }

  // A dirty line written back from the level above: marks the line dirty if present, without
  // touching the policy (a write-back is not a use). Returns false if the line is absent.
  bool absorb_writeback(uint64_t line_of_this_level);

  // Coherence actions of an in-memory copy engine (kernel.copy.engine), not timed here and not
  // counted as hits or misses. clean: the line holding `pa`, if present and dirty, becomes clean
  // (its data goes to DRAM, as CLWB); returns true if it was dirty. invalidate: the line is
  // dropped (its way holds no line until the policy picks it); returns true if it was present.
  bool clean(PhysAddr pa);
  bool invalidate(PhysAddr pa);

  const std::string& name() const { return name_; }
  uint32_t latency() const { return latency_; }
  uint32_t sets() const { return sets_; }
  uint32_t ways() const { return ways_; }
  unsigned line_shift() const { return line_shift_; }
  bool narrow_tags() const { return !wide_; }       // 32-bit tags
  size_t set_bytes() const { return stride_; }      // host bytes per set
  uint64_t hits() const;
  uint64_t misses() const;
  uint64_t hits(Source s) const { return hits_[static_cast<size_t>(s)]; }
  uint64_t misses(Source s) const { return misses_[static_cast<size_t>(s)]; }
  uint64_t fills() const { return fills_; }
  uint64_t evictions() const { return evictions_; }
  uint64_t dirty_evictions() const { return dirty_evictions_; }

  // hits, misses, fills, evictions, dirty_evictions, and <source>.{hits,misses}.
  void report(StatSink& s) const;

 private:
  static constexpr uint32_t kNoWay = UINT32_MAX;
  static constexpr uint32_t kNarrowInvalid = UINT32_MAX;  // no narrow tag reaches it
  static constexpr uint64_t kWideInvalid = UINT64_MAX;
  enum class Mode : uint8_t { kRanks, kPlruWord, kPolicy };  // where the replacement state lives
  struct alignas(64) HostLine {
    uint8_t bytes[64];
  };

  uint8_t* block(uint32_t set) { return reinterpret_cast<uint8_t*>(storage_.data()) + (size_t{set} << stride_shift_); }
  const uint8_t* block(uint32_t set) const {
    return reinterpret_cast<const uint8_t*>(storage_.data()) + (size_t{set} << stride_shift_);
  }

  uint32_t find_in(const uint8_t* s, uint64_t line) const {
    const uint64_t tag = line >> set_bits_;
    const uint8_t* t = s + tags_at_;
    if (wide_) {
      for (uint32_t w = 0; w < ways_; ++w) {
        uint64_t x;
        std::memcpy(&x, t + 8 * w, 8);
        if (x == tag) return w;
      }
      return kNoWay;
    }
    if (tag >= kNarrowInvalid) beyond_memory(line);
    const uint32_t tag32 = static_cast<uint32_t>(tag);
#if defined(__SSE2__)
    // Four tags per compare. The last group may read past the tags (into the set's other
    // fields, or the next block: storage has a spare line at the end); those lanes come after
    // every real way, so the lowest matching lane decides.
    const __m128i key = _mm_set1_epi32(static_cast<int>(tag32));
    for (uint32_t w = 0; w < ways_; w += 4) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 4 * w));
      const unsigned m = static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, key))));
      if (m) {
        const uint32_t way = w + static_cast<uint32_t>(__builtin_ctz(m));
        return way < ways_ ? way : kNoWay;
      }
    }
#else
    for (uint32_t w = 0; w < ways_; ++w) {
      uint32_t x;
      std::memcpy(&x, t + 4 * w, 4);
      if (x == tag32) return w;
    }
#endif
    return kNoWay;
  }
  uint64_t tag_at(const uint8_t* s, uint32_t w) const {
    if (wide_) {
      uint64_t x;
      std::memcpy(&x, s + tags_at_ + 8 * w, 8);
      return x;
    }
    uint32_t x;
    std::memcpy(&x, s + tags_at_ + 4 * w, 4);
    return x;
  }
  void set_tag(uint8_t* s, uint32_t w, uint64_t tag) {
    if (wide_) return std::memcpy(s + tags_at_ + 8 * w, &tag, 8), void();
    const uint32_t tag32 = static_cast<uint32_t>(tag);
    std::memcpy(s + tags_at_ + 4 * w, &tag32, 4);
  }
  uint32_t count(const uint8_t* s) const {
    if (ways_ <= 255) return s[count_at_];
    uint32_t n;
    std::memcpy(&n, s + count_at_, 4);
    return n;
  }
  void set_count(uint8_t* s, uint32_t n) {
    if (ways_ <= 255) s[count_at_] = static_cast<uint8_t>(n);
    else std::memcpy(s + count_at_, &n, 4);
  }
  // A hit or a fill of `way`: it becomes the most recently used.
  void touch(uint32_t set, uint8_t* s, uint32_t way) {
    switch (mode_) {
      case Mode::kRanks: {
        // Every way more recent than `way` (rank < old) ages by one, eight ranks per word:
        // 0x80 + (old - 1) - rank has its top bit set exactly when rank < old, and no byte
        // borrows from its neighbour because ranks stay below 128. Invalid ways and the
        // padding up to a multiple of eight may age too: their rank is set when they are filled
        // and cannot pass old <= 127.
        uint8_t* r = s + policy_at_;
        const uint8_t old = r[way];
        if (old == 0) return;  // already the most recent
        const uint64_t below = 0x0101010101010101ull * (0x80u | (old - 1u));
        for (uint32_t w = 0; w < ways_; w += 8) {
          uint64_t x;
          std::memcpy(&x, r + w, 8);
          x += ((below - x) & 0x8080808080808080ull) >> 7;
          std::memcpy(r + w, &x, 8);
        }
        r[way] = 0;
        return;
      }
      case Mode::kPlruWord: {
        uint64_t word;
        std::memcpy(&word, s + policy_at_, 8);
        tree_.touch(word, way);
        std::memcpy(s + policy_at_, &word, 8);
        return;
      }
      case Mode::kPolicy: return policy_->touch(set, way);
    }
  }
  uint32_t victim(uint32_t set, const uint8_t* s);  // the set is full
  [[noreturn]] void beyond_memory(uint64_t line) const;

  std::string name_;
  uint32_t sets_ = 0, ways_ = 0, latency_ = 0;
  unsigned line_shift_ = 0, set_bits_ = 0;
  uint64_t set_mask_ = 0;
  bool wide_ = true;
  Mode mode_ = Mode::kPolicy;
  size_t stride_ = 0;                              // bytes per set: 64 x a power of two
  unsigned stride_shift_ = 0;
  size_t tags_at_ = 0, policy_at_ = 0, count_at_ = 0;  // offsets in a set's block (dirty bits at 0)
  std::vector<HostLine> storage_;
  PlruTree tree_;
  std::unique_ptr<ReplacementPolicy> policy_;     // Mode::kPolicy only
  // The line of the last lookup that hit, and its dirty bit. Until a fill or invalidation
  // (which reset it) or a hit on another line (which replaces it), that line stays where it is
  // and is its set's most recent way (the whole cache's, for the timestamp LRU of wide sets),
  // so its touch would change nothing: ranks return at rank 0, tree-PLRU sets the same bits,
  // LRU stamps keep their order, random does nothing. A repeated hit is then counted only.
  uint64_t recent_line_ = UINT64_MAX;  // no line number reaches it
  size_t recent_dirty_ = 0;  // byte offset in storage_ (an offset: the cache may be moved)
  uint8_t recent_bit_ = 0;
  uint8_t& recent_dirty() { return block(0)[recent_dirty_]; }
  std::array<uint64_t, kSourceCount> hits_{}, misses_{};
  uint64_t fills_ = 0, evictions_ = 0, dirty_evictions_ = 0;
};

}  // namespace cowsim
