#include "traces/text_syntax.h"

#include "models/common/size_text.h"

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

NumberStatus parse_number(std::string_view t, bool suffix, uint64_t& out) {
  switch (parse_size_text(t, suffix, out)) {
    case SizeStatus::kOk: return NumberStatus::kOk;
    case SizeStatus::kTooLarge: return NumberStatus::kTooLarge;
    case SizeStatus::kNotWhole: return NumberStatus::kNotWhole;
    case SizeStatus::kBad: break;
  }
  return NumberStatus::kBad;
}

}  // namespace cowsim::trace
