// Canonical text spellings of records and their fields (docs/trace-format.md, "Canonical form").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "traces/record.h"
#include "traces/validate.h"

namespace cowsim::trace {

std::string format_hex(uint64_t v);     // 0x7f0000000000
std::string format_length(uint64_t v);  // largest exact power-of-1024 suffix: 4K, 1M, 1000
std::string format_flags(const Record& r, const NameTable& names);  // private,anon ...

// The canonical text of one field of r, as format_record would write it; for error messages.
std::string field_text(const Record& r, Field f, const NameTable& names);

// A token made safe to quote in a message: control and non-ASCII bytes as \xNN, cut to a
// readable length, so garbage input cannot garble the terminal.
std::string printable(std::string_view token);

}  // namespace cowsim::trace
