// The one rule for sizes written as text, shared by configuration values (JSON, --set),
// scenario parameters (--param) and trace files (lengths, strides, access sizes):
//   0x1F                 hexadecimal, no suffix
//   4096, 64K, 1.5G      decimal, optionally with a fraction, then optionally a multiplier
//                        K, M, G or T (powers of 1024, as Linux's memparse and Redis's "gb")
//                        and an optional B or iB: 8G = 8GB = 8GiB = 8 x 2^30
// Letters may be either case. A fraction must make a whole number (1.5K = 1536; 1.1K is an
// error). Standard library only, header-only: the trace library uses it too.
#pragma once

#include <cstdint>
#include <string_view>

namespace cowsim {

enum class SizeStatus { kOk, kBad, kTooLarge, kNotWhole };

// With `multiplier` false only plain decimal and hex integers are accepted (addresses, pids).
inline SizeStatus parse_size_text(std::string_view t, bool multiplier, uint64_t& out) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (t.size() > 2 && t[0] == '0' && lower(t[1]) == 'x') {
    uint64_t v = 0;
    bool too_large = false;
    for (size_t i = 2; i < t.size(); ++i) {
      char c = lower(t[i]);
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return SizeStatus::kBad;
      if (v >> 60) too_large = true;
      v = v << 4 | static_cast<uint64_t>(d);
    }
    if (too_large) return SizeStatus::kTooLarge;
    out = v;
    return SizeStatus::kOk;
  }
  unsigned shift = 0;
  if (multiplier) {
    // Strip "B", then "i" (only after a multiplier), then the multiplier.
    std::string_view s = t;
    bool b = !s.empty() && lower(s.back()) == 'b';
    if (b) s.remove_suffix(1);
    bool i = b && !s.empty() && lower(s.back()) == 'i';
    if (i) s.remove_suffix(1);
    char m = s.empty() ? '\0' : lower(s.back());
    shift = m == 'k' ? 10 : m == 'm' ? 20 : m == 'g' ? 30 : m == 't' ? 40 : 0;
    if (shift) s.remove_suffix(1);
    else if (i) return SizeStatus::kBad;  // "5iB"
    t = s;
  }
  // Decimal digits, optionally '.' and more digits (only with the multiplier rule).
  unsigned __int128 whole = 0, frac = 0, scale = 1;
  size_t digits = 0, frac_digits = 0;
  bool too_large = false, dot = false;
  for (char c : t) {
    if (c == '.' && multiplier && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return SizeStatus::kBad;
    ++digits;
    if (!dot) {
      whole = whole * 10 + static_cast<unsigned>(c - '0');
      if (whole > UINT64_MAX) too_large = true, whole = static_cast<unsigned __int128>(UINT64_MAX) + 1;
    } else if (frac_digits < 19) {  // further digits must be zeros to make a whole number
      frac = frac * 10 + static_cast<unsigned>(c - '0');
      scale *= 10;
      ++frac_digits;
    } else if (c != '0') {
      return SizeStatus::kNotWhole;
    }
  }
  if (digits == 0 || (dot && (t.front() == '.' || t.back() == '.'))) return SizeStatus::kBad;
  if (too_large) return SizeStatus::kTooLarge;
  // value = (whole + frac / scale) x 2^shift; whole < 2^64 and shift <= 40 fit in 128 bits.
  unsigned __int128 v = whole << shift;
  unsigned __int128 f = frac << shift;  // frac < 10^19 < 2^64
  if (f % scale) return SizeStatus::kNotWhole;
  v += f / scale;
  if (v > UINT64_MAX) return SizeStatus::kTooLarge;
  out = static_cast<uint64_t>(v);
  return SizeStatus::kOk;
}

}  // namespace cowsim
