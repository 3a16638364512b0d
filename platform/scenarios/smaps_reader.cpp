#include "platform/scenarios/smaps_reader.h"

#include <cctype>
#include <cstdlib>
#include <sstream>

namespace cowsim::scenario {

uint64_t SmapsVma::kb(const std::string& field) const {
  for (const auto& [name, v] : fields)
    if (name == field) return v;
  return 0;
}

std::vector<SmapsVma> parse_smaps(const std::string& text) {
  std::vector<SmapsVma> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    size_t dash = line.find('-');
    bool header = dash != std::string::npos && (colon == std::string::npos || dash < colon) &&
                  std::isxdigit(static_cast<unsigned char>(line[0]));
    if (header) {
      SmapsVma v;
      v.start = std::strtoull(line.c_str(), nullptr, 16);
      v.end = std::strtoull(line.c_str() + dash + 1, nullptr, 16);
      out.push_back(std::move(v));
    } else if (colon != std::string::npos && !out.empty()) {
      // "Name:   123 kB"; VmFlags and THPeligible carry no kB value and are skipped.
      std::string value = line.substr(colon + 1);
      if (value.find("kB") == std::string::npos) continue;
      out.back().fields.emplace_back(line.substr(0, colon), std::strtoull(value.c_str(), nullptr, 10));
    }
  }
  return out;
}

uint64_t smaps_sum_kb(const std::vector<SmapsVma>& vmas, const std::string& field) {
  uint64_t sum = 0;
  for (const auto& v : vmas) sum += v.kb(field);
  return sum;
}

const SmapsVma* smaps_vma_at(const std::vector<SmapsVma>& vmas, uint64_t addr) {
  for (const auto& v : vmas)
    if (addr >= v.start && addr < v.end) return &v;
  return nullptr;
}

}  // namespace cowsim::scenario
