#include "models/tlb/replacement.h"

#include "models/common/error.h"

namespace cowsim {

uint32_t LruPolicy::victim(uint32_t set) {
  const uint64_t* s = &stamp_[size_t{set} * ways_];
  uint32_t best = 0;
  for (uint32_t w = 1; w < ways_; ++w)
    if (s[w] < s[best]) best = w;
  return best;
}

void TreePlruPolicy::touch(uint32_t set, uint32_t way) {
  uint8_t* b = &bits_[size_t{set} * ways_];
  // Walk from the leaf up: at each node, point to the other child (the colder side).
  for (uint32_t node = way + ways_; node > 1; node >>= 1) b[node >> 1] = !(node & 1);
}

uint32_t TreePlruPolicy::victim(uint32_t set) {
  const uint8_t* b = &bits_[size_t{set} * ways_];
  uint32_t node = 1;
  while (node < ways_) node = 2 * node + b[node];
  return node - ways_;
}

std::unique_ptr<ReplacementPolicy> make_replacement(ReplacementKind kind, uint32_t sets, uint32_t ways,
                                                    uint64_t seed) {
  switch (kind) {
    case ReplacementKind::kLru: return std::make_unique<LruPolicy>(sets, ways);
    case ReplacementKind::kTreePlru:
      if (ways & (ways - 1)) throw InputError("tree-PLRU replacement needs a power-of-two number of ways, not " + std::to_string(ways));
      return std::make_unique<TreePlruPolicy>(sets, ways);
    case ReplacementKind::kRandom: return std::make_unique<RandomPolicy>(ways, seed);
  }
  return nullptr;
}

}  // namespace cowsim
