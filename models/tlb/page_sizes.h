// The page sizes x86-64 translations come in, and sets of them (which sizes a TLB bank holds).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/common/types.h"

namespace cowsim {

enum class PageSize : uint8_t { k4K = 0, k2M = 1, k1G = 2 };
constexpr unsigned page_shift(PageSize s) { return kPageShift + 9 * static_cast<unsigned>(s); }
constexpr uint8_t size_bit(PageSize s) { return uint8_t(1u << static_cast<unsigned>(s)); }
inline PageSize size_of_shift(unsigned shift) { return static_cast<PageSize>((shift - kPageShift) / 9); }
inline const char* size_name(PageSize s) {
  static const char* n[] = {"4k", "2m", "1g"};
  return n[static_cast<unsigned>(s)];
}

// Which sizes a bank holds, as a configuration choice ("4K+2M" ...): the index into
// size_set_names() is the enum value, size_set_mask() the bit set.
enum class SizeSet { kNone, k4K, k2M, k1G, k4K2M, k2M1G, k4K2M1G, k4K1G };
inline const std::vector<std::string>& size_set_names() {
  static const std::vector<std::string> n{"none", "4K", "2M", "1G", "4K+2M", "2M+1G", "4K+2M+1G", "4K+1G"};
  return n;
}
inline uint8_t size_set_mask(SizeSet s) {
  static const uint8_t m[] = {0, 1, 2, 4, 3, 6, 7, 5};
  return m[static_cast<unsigned>(s)];
}

}  // namespace cowsim
