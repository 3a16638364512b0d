// Where in the memory hierarchy an access was served. SystemC-free and tiny, so the walker
// can count its PTE reads by level without depending on the cache model.
#pragma once

#include <cstdint>

namespace cowsim {

enum class Level : uint8_t { kL1, kL2, kLlc, kDram };
constexpr unsigned kLevelCount = 4;
const char* level_name(Level l);  // "l1d", "l2", "llc", "dram"

}  // namespace cowsim
