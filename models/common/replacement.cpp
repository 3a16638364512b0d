#include "models/common/replacement.h"

#include "models/common/error.h"

namespace cowsim {

PlruTree::PlruTree(uint32_t ways) : ways_(ways) {
  if (ways > 64) return;  // TreePlruPolicy keeps wider trees byte by byte
  path_mask_.assign(ways, 0);
  path_bits_.assign(ways, 0);
  // Walking from the leaf up, each node on the path points to the other child (the colder side).
  for (uint32_t way = 0; way < ways; ++way)
    for (uint32_t node = way + ways; node > 1; node >>= 1) {
      path_mask_[way] |= uint64_t{1} << (node >> 1);
      if (!(node & 1)) path_bits_[way] |= uint64_t{1} << (node >> 1);
    }
}

TreePlruPolicy::TreePlruPolicy(uint32_t sets, uint32_t ways)
    : ReplacementPolicy(ReplacementKind::kTreePlru), ways_(ways), tree_(ways) {
  if (ways_ > 64) bytes_.assign(size_t{sets} * ways, 0);
  else words_.assign(sets, 0);
}

void check_replacement(ReplacementKind kind, uint32_t ways) {
  if (kind == ReplacementKind::kTreePlru && (ways & (ways - 1)))
    throw InputError("tree-PLRU replacement needs a power-of-two number of ways, not " + std::to_string(ways));
}

std::unique_ptr<ReplacementPolicy> make_replacement(ReplacementKind kind, uint32_t sets, uint32_t ways,
                                                    uint64_t seed) {
  check_replacement(kind, ways);
  switch (kind) {
    case ReplacementKind::kLru: return std::make_unique<LruPolicy>(sets, ways);
    case ReplacementKind::kTreePlru: return std::make_unique<TreePlruPolicy>(sets, ways);
    case ReplacementKind::kRandom: return std::make_unique<RandomPolicy>(ways, seed);
  }
  return nullptr;
}

}  // namespace cowsim
