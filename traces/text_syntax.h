// Lexical pieces of the text encoding: tokens and numbers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cowsim::trace {

// The longest record form has 6 fields; one more slot detects extra fields.
constexpr size_t kMaxTokens = 7;
using Tokens = std::array<std::string_view, kMaxTokens>;

// Splits a line at spaces, tabs and carriage returns, dropping a '#' comment. Returns the
// number of tokens stored (at most kMaxTokens; more tokens are not looked at).
size_t tokenize(std::string_view line, Tokens& tok);

enum class NumberStatus { kOk, kBad, kTooLarge, kNotWhole };

// Decimal or 0x/0X hex. With `suffix`, a size by the rule of models/common/size_text.h:
// a decimal number, possibly with a fraction, then K, M, G or T (x 1024^n) and an optional B/iB.
NumberStatus parse_number(std::string_view t, bool suffix, uint64_t& out);

}  // namespace cowsim::trace
