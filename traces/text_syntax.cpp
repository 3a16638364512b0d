#include "traces/text_syntax.h"

namespace cowsim::trace {

size_t tokenize(std::string_view line, Tokens& tok) {
  if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  size_t n = 0;
  size_t i = 0;
  while (n < kMaxTokens) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    tok[n++] = line.substr(start, i - start);
  }
  return n;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

unsigned suffix_shift(char c) {
  switch (c) {
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    default: return 0;
  }
}

}  // namespace

NumberStatus parse_number(std::string_view t, bool suffix, uint64_t& out) {
  uint64_t v = 0;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    bool too_large = false;
    for (size_t i = 2; i < t.size(); ++i) {
      const int d = hex_digit(t[i]);
      if (d < 0) return NumberStatus::kBad;
      if (v >> 60) too_large = true;
      v = v << 4 | static_cast<uint64_t>(d);
    }
    if (too_large) return NumberStatus::kTooLarge;
    out = v;
    return NumberStatus::kOk;
  }
  unsigned shift = 0;
  if (suffix && !t.empty() && (shift = suffix_shift(t.back())) != 0) t.remove_suffix(1);
  if (t.empty()) return NumberStatus::kBad;
  bool too_large = false;
  for (char c : t) {
    if (c < '0' || c > '9') return NumberStatus::kBad;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) too_large = true;  // keep scanning: "12x" is bad, not large
    v = v * 10 + d;
  }
  if (too_large || (shift != 0 && v > (UINT64_MAX >> shift))) return NumberStatus::kTooLarge;
  out = v << shift;
  return NumberStatus::kOk;
}

}  // namespace cowsim::trace
