// Reads back the smaps text the kernel model writes for `snapshot` records, the way tools
// (and Redis) read /proc/PID/smaps: per-VMA fields in kB, summed as needed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cowsim::scenario {

struct SmapsVma {
  uint64_t start = 0, end = 0;
  std::vector<std::pair<std::string, uint64_t>> fields;  // "Rss" -> kB, in file order
  uint64_t kb(const std::string& field) const;            // 0 if absent
};

std::vector<SmapsVma> parse_smaps(const std::string& text);
// Sum of one field over every VMA, in kB: what Redis's zmalloc_get_smap_bytes_by_field()
// computes (before it multiplies by 1024).
uint64_t smaps_sum_kb(const std::vector<SmapsVma>& vmas, const std::string& field);
// The VMA containing `addr`, or nullptr.
const SmapsVma* smaps_vma_at(const std::vector<SmapsVma>& vmas, uint64_t addr);

}  // namespace cowsim::scenario
