// Helpers and Linux constants shared by the kernel model's files (not part of its interface).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "models/common/types.h"

namespace cowsim::mm_detail {

constexpr uint64_t kMmapMinAddr = 65536;  // Linux's default vm.mmap_min_addr
// Linux flushes ranges of more than this many pages with a full flush (tlb_single_page_flush_ceiling).
constexpr uint64_t kFlushCeiling = 33;
// Linux's fault_around_bytes default (64 KiB): pages a read fault on a file or shared mapping
// maps around the faulting one when they are already in the page cache.
constexpr uint64_t kFaultAroundPages = 16;

inline std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
inline uint64_t page_up(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

}  // namespace cowsim::mm_detail
