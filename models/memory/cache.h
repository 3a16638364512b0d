// One set-associative, write-back, write-allocate cache level (SystemC-free logic). Timing
// only: lines hold a tag and a dirty bit, no data. Flat arrays sized at construction, nothing
// allocated afterwards; a hit is a tag compare over the ways of one set plus a policy touch.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/stats.h"
#include "models/common/types.h"
#include "models/memory/hierarchy_params.h"
#include "models/tlb/replacement.h"

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

  // `name` is the level's parameter scope ("l1d", "l2", "llc"); geometry errors are
  // InputErrors naming "memory.<name>". `seed` seeds the random policy.
  Cache(std::string name, const CacheLevelParams& p, uint64_t seed);

  // Timed lookup: on a hit, touches the policy and (for a write) marks the line dirty.
  // Counts a hit or a miss for `src`.
  bool lookup(PhysAddr pa, bool write, Source src) {
    const uint64_t line = pa.value >> line_shift_;
    const uint32_t set = static_cast<uint32_t>(line & set_mask_);
    const size_t base = size_t{set} * ways_;
    const uint64_t* t = &tags_[base];
    for (uint32_t w = 0; w < ways_; ++w) {
      if (t[w] == line) {
        ++hits_[static_cast<size_t>(src)];
        policy_->touch(set, w);
        if (write) dirty_[base + w] = 1;
        return true;
      }
    }
    ++misses_[static_cast<size_t>(src)];
    return false;
  }

  // Installs the line holding `pa` (after a miss): an invalid way if the set has one, else
  // the policy's victim. Refreshes in place if the line is already present (dirty is ORed).
  Victim fill(PhysAddr pa, bool dirty);

  // Functional path, no side effects (no counters, no policy update).
  bool contains(PhysAddr pa) const { return find(pa.value >> line_shift_) != kNoWay; }

  // A dirty line written back from the level above: marks the line dirty if present, without
  // touching the policy (a write-back is not a use). Returns false if the line is absent.
  bool absorb_writeback(uint64_t line_of_this_level);

  const std::string& name() const { return name_; }
  uint32_t latency() const { return latency_; }
  uint32_t sets() const { return sets_; }
  uint32_t ways() const { return ways_; }
  unsigned line_shift() const { return line_shift_; }
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
  static constexpr uint64_t kInvalid = UINT64_MAX;  // no line number reaches it
  static constexpr uint32_t kNoWay = UINT32_MAX;
  uint32_t find(uint64_t line) const {
    const uint64_t* t = &tags_[size_t{static_cast<uint32_t>(line & set_mask_)} * ways_];
    for (uint32_t w = 0; w < ways_; ++w)
      if (t[w] == line) return w;
    return kNoWay;
  }

  std::string name_;
  uint32_t sets_ = 0, ways_ = 0, latency_ = 0;
  unsigned line_shift_ = 0;
  uint64_t set_mask_ = 0;
  std::vector<uint64_t> tags_;   // [set * ways + way]: full line number, kInvalid when empty
  std::vector<uint8_t> dirty_;   // [set * ways + way]
  std::unique_ptr<ReplacementPolicy> policy_;
  std::array<uint64_t, kSourceCount> hits_{}, misses_{};
  uint64_t fills_ = 0, evictions_ = 0, dirty_evictions_ = 0;
};

}  // namespace cowsim
