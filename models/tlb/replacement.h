// Replacement policies for set-associative structures (TLBs, later paging-structure caches).
// One small interface; the structure asks for a victim among full ways and reports hits.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace cowsim {

enum class ReplacementKind { kLru, kTreePlru, kRandom };
inline const std::vector<std::string>& replacement_names() {
  static const std::vector<std::string> names{"lru", "plru", "random"};
  return names;
}

class ReplacementPolicy {
 public:
  virtual ~ReplacementPolicy() = default;
  virtual void touch(uint32_t set, uint32_t way) = 0;  // a hit or a fill
  virtual uint32_t victim(uint32_t set) = 0;           // all ways valid: which to evict
};

std::unique_ptr<ReplacementPolicy> make_replacement(ReplacementKind kind, uint32_t sets, uint32_t ways,
                                                    uint64_t seed);

// Least recently used: a per-entry timestamp; the oldest is the victim.
class LruPolicy final : public ReplacementPolicy {
 public:
  LruPolicy(uint32_t sets, uint32_t ways) : ways_(ways), stamp_(size_t{sets} * ways, 0) {}
  void touch(uint32_t set, uint32_t way) override { stamp_[size_t{set} * ways_ + way] = ++clock_; }
  uint32_t victim(uint32_t set) override;
 private:
  uint32_t ways_;
  uint64_t clock_ = 0;
  std::vector<uint64_t> stamp_;
};

// Tree pseudo-LRU (ways must be a power of two): ways-1 bits per set; each bit points to the
// colder half of its subtree. A touch points every bit on the path away from the way.
class TreePlruPolicy final : public ReplacementPolicy {
 public:
  TreePlruPolicy(uint32_t sets, uint32_t ways) : ways_(ways), bits_(size_t{sets} * ways, 0) {}
  void touch(uint32_t set, uint32_t way) override;
  uint32_t victim(uint32_t set) override;
 private:
  uint32_t ways_;
  std::vector<uint8_t> bits_;  // node i of set s at [s * ways + i], i in 1..ways-1 (heap order)
};

// Uniformly random victim from a generator seeded by the configuration's seed.
class RandomPolicy final : public ReplacementPolicy {
 public:
  RandomPolicy(uint32_t ways, uint64_t seed) : ways_(ways), rng_(seed) {}
  void touch(uint32_t, uint32_t) override {}
  uint32_t victim(uint32_t) override { return static_cast<uint32_t>(rng_() % ways_); }
 private:
  uint32_t ways_;
  std::mt19937_64 rng_;
};

}  // namespace cowsim
