// x86-64 paging-structure entry (Intel SDM vol. 3, 4.5): the same layout at every level.
#pragma once

#include <cstdint>
#include <cstring>

#include "models/common/types.h"

namespace cowsim {

struct Pte {
  uint64_t present : 1;
  uint64_t writable : 1;
  uint64_t user : 1;
  uint64_t write_through : 1;
  uint64_t cache_disable : 1;
  uint64_t accessed : 1;
  uint64_t dirty : 1;
  uint64_t huge : 1;  // PS: leaf at PDPT (1 GiB) or PD (2 MiB) level
  uint64_t global : 1;
  uint64_t sw : 3;    // ignored by hardware; free for the OS
  uint64_t frame : 40;
  uint64_t sw_high : 11;
  uint64_t no_execute : 1;

  static Pte from_raw(uint64_t raw) {
    Pte p;
    std::memcpy(&p, &raw, sizeof p);
    return p;
  }
  uint64_t raw() const {
    uint64_t r;
    std::memcpy(&r, this, sizeof r);
    return r;
  }
  Pfn pfn() const { return Pfn{frame}; }
};
static_assert(sizeof(Pte) == 8, "a PTE is 64 bits");

// Bits as masks, for code that edits raw entries.
namespace pte_bits {
constexpr uint64_t kPresent = 1ull << 0, kWritable = 1ull << 1, kUser = 1ull << 2, kAccessed = 1ull << 5,
                   kDirty = 1ull << 6, kHuge = 1ull << 7, kGlobal = 1ull << 8, kNoExecute = 1ull << 63;
constexpr uint64_t kFrameMask = ((1ull << 40) - 1) << 12;
// Software bit (ignored by hardware): a PROT_NONE mapping. P is clear, so every access faults,
// but the frame stays mapped for the kernel's bookkeeping, as Linux's _PAGE_PROTNONE.
constexpr uint64_t kProtNone = 1ull << 9;
constexpr uint64_t kMapped = kPresent | kProtNone;
}  // namespace pte_bits

// x86 page-fault error code bits (SDM 4.7).
namespace pf_error {
constexpr uint32_t kPresent = 1u << 0;   // 0: not present; 1: protection violation
constexpr uint32_t kWrite = 1u << 1;
constexpr uint32_t kUser = 1u << 2;
constexpr uint32_t kReserved = 1u << 3;
constexpr uint32_t kFetch = 1u << 4;
}  // namespace pf_error

enum class AccessType : uint8_t { kRead, kWrite, kFetch };

// Index of `va` in the table at `level` (1 = PT ... 4 = PML4, 5 = PML5).
inline unsigned table_index(VirtAddr va, unsigned level) {
  return static_cast<unsigned>((va.value >> (kPageShift + 9 * (level - 1))) & 511);
}

}  // namespace cowsim
