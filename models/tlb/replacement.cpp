#include "models/tlb/replacement.h"

#include "models/common/error.h"

namespace cowsim {

TreePlruPolicy::TreePlruPolicy(uint32_t sets, uint32_t ways) : ReplacementPolicy(ReplacementKind::kTreePlru), ways_(ways) {
  if (ways_ > 64) {
    bytes_.assign(size_t{sets} * ways, 0);
    return;
  }
  words_.assign(sets, 0);
  path_mask_.assign(ways, 0);
  path_bits_.assign(ways, 0);
  // Walking from the leaf up, each node on the path points to the other child (the colder side).
  for (uint32_t way = 0; way < ways; ++way)
    for (uint32_t node = way + ways; node > 1; node >>= 1) {
      path_mask_[way] |= uint64_t{1} << (node >> 1);
      if (!(node & 1)) path_bits_[way] |= uint64_t{1} << (node >> 1);
    }
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
