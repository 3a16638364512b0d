// Replacement policies for set-associative structures (TLBs, paging-structure caches, data
// caches). One small interface; the structure asks for a victim among full ways and reports
// hits.
//
// touch() runs on every TLB and cache hit, so the base class dispatches on the policy's kind
// with an inline switch instead of a virtual call: the compiler inlines the chosen policy's
// few instructions into the lookup. The concrete classes keep their own touch()/victim() for
// direct use.
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
  ReplacementKind kind() const { return kind_; }
  inline void touch(uint32_t set, uint32_t way);  // a hit or a fill
  inline uint32_t victim(uint32_t set);           // all ways valid: which to evict

 protected:
  explicit ReplacementPolicy(ReplacementKind kind) : kind_(kind) {}

 private:
  ReplacementKind kind_;
};

std::unique_ptr<ReplacementPolicy> make_replacement(ReplacementKind kind, uint32_t sets, uint32_t ways,
                                                    uint64_t seed);
// InputError if `kind` cannot manage sets of `ways` ways (tree-PLRU needs a power of two).
void check_replacement(ReplacementKind kind, uint32_t ways);

// Least recently used: a per-entry timestamp; the oldest is the victim.
class LruPolicy final : public ReplacementPolicy {
 public:
  LruPolicy(uint32_t sets, uint32_t ways)
      : ReplacementPolicy(ReplacementKind::kLru), ways_(ways), stamp_(size_t{sets} * ways, 0) {}
  void touch(uint32_t set, uint32_t way) { stamp_[size_t{set} * ways_ + way] = ++clock_; }
  uint32_t victim(uint32_t set) const {
    // The first oldest way; the minimum is kept in a register so the loop has no
    // data-dependent branch (compiled to conditional moves).
    const uint64_t* s = &stamp_[size_t{set} * ways_];
    uint32_t best = 0;
    uint64_t oldest = s[0];
    for (uint32_t w = 1; w < ways_; ++w) {
      const bool older = s[w] < oldest;
      oldest = older ? s[w] : oldest;
      best = older ? w : best;
    }
    return best;
  }

 private:
  uint32_t ways_;
  uint64_t clock_ = 0;
  std::vector<uint64_t> stamp_;
};

// The tree of one tree-PLRU set of up to 64 ways (a power of two), kept in one word: node i
// is bit i and points to the colder half of its subtree. A touch points every node on the
// way's path away from it: one masked store, with the path's mask and values precomputed per
// way. Shared by TreePlruPolicy and by caches that keep the word inside their set (cache.h).
class PlruTree {
 public:
  explicit PlruTree(uint32_t ways);
  void touch(uint64_t& word, uint32_t way) const { word = (word & ~path_mask_[way]) | path_bits_[way]; }
  uint32_t victim(uint64_t word) const {
    uint32_t node = 1;
    while (node < ways_) node = 2 * node + static_cast<uint32_t>((word >> node) & 1);
    return node - ways_;
  }

 private:
  uint32_t ways_;
  std::vector<uint64_t> path_mask_, path_bits_;  // [way]
};

// Tree pseudo-LRU (ways must be a power of two): ways-1 bits per set; each bit points to the
// colder half of its subtree. A touch points every bit on the path away from the way.
// Up to 64 ways a set's bits are one word (PlruTree); wider sets keep one byte per node.
class TreePlruPolicy final : public ReplacementPolicy {
 public:
  TreePlruPolicy(uint32_t sets, uint32_t ways);
  void touch(uint32_t set, uint32_t way) {
    if (ways_ <= 64) return tree_.touch(words_[set], way);
    uint8_t* b = &bytes_[size_t{set} * ways_];
    for (uint32_t node = way + ways_; node > 1; node >>= 1) b[node >> 1] = !(node & 1);
  }
  uint32_t victim(uint32_t set) const {
    if (ways_ <= 64) return tree_.victim(words_[set]);
    const uint8_t* b = &bytes_[size_t{set} * ways_];
    uint32_t node = 1;
    while (node < ways_) node = 2 * node + b[node];
    return node - ways_;
  }

 private:
  uint32_t ways_;
  PlruTree tree_;                // ways <= 64
  std::vector<uint64_t> words_;  // ways <= 64: [set]
  std::vector<uint8_t> bytes_;   // ways > 64: node i of set s at [s * ways + i]
};

// Uniformly random victim from a generator seeded by the configuration's seed.
class RandomPolicy final : public ReplacementPolicy {
 public:
  RandomPolicy(uint32_t ways, uint64_t seed) : ReplacementPolicy(ReplacementKind::kRandom), ways_(ways), rng_(seed) {}
  void touch(uint32_t, uint32_t) {}
  uint32_t victim(uint32_t) { return static_cast<uint32_t>(rng_() % ways_); }

 private:
  uint32_t ways_;
  std::mt19937_64 rng_;
};

inline void ReplacementPolicy::touch(uint32_t set, uint32_t way) {
  switch (kind_) {
    case ReplacementKind::kLru: return static_cast<LruPolicy*>(this)->touch(set, way);
    case ReplacementKind::kTreePlru: return static_cast<TreePlruPolicy*>(this)->touch(set, way);
    case ReplacementKind::kRandom: return;
  }
}

inline uint32_t ReplacementPolicy::victim(uint32_t set) {
  switch (kind_) {
    case ReplacementKind::kLru: return static_cast<LruPolicy*>(this)->victim(set);
    case ReplacementKind::kTreePlru: return static_cast<TreePlruPolicy*>(this)->victim(set);
    case ReplacementKind::kRandom: return static_cast<RandomPolicy*>(this)->victim(set);
  }
  return 0;
}

}  // namespace cowsim
