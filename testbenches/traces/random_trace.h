// Random valid traces for round-trip tests: records with every op and edge values, and a
// text spelling of them that varies number bases, suffixes, spacing, comments and defaults.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "traces/record.h"

namespace cowsim::trace::test {

std::vector<Record> random_records(std::mt19937_64& rng, size_t count, NameTable& names);

// A text trace (header included) that parses back into exactly `records`.
std::string random_spelling(std::mt19937_64& rng, const std::vector<Record>& records,
                            const NameTable& names);

}  // namespace cowsim::trace::test
