// Semantic validation shared by the text and binary readers (and the writers), so both
// encodings accept exactly the same records. Each check returns nullptr when the value is
// fine, else a short description of the rule that was broken; the caller adds the location
// and the offending token ("FILE:LINE: <rule>, got '<token>'").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "traces/record.h"

namespace cowsim::trace {

constexpr uint64_t kMaxPid = (uint64_t{1} << 31) - 1;
constexpr uint64_t kUserAddressLimit = uint64_t{1} << 56;  // LA57: user space is below 2^56
constexpr uint64_t kMaxStride = uint64_t{1} << 32;
constexpr uint64_t kMaxCpu = 4096;                          // cores are 0..kMaxCpu-1

// Which field of a record a problem is about: the text reader quotes that field's token.
enum class Field : uint8_t { kPid, kAddr, kLen, kStride, kSize, kProt, kFlags, kAdvice, kName };

struct Problem {
  Field field;
  const char* rule;
};

const char* check_pid(uint64_t pid);
const char* check_size(uint64_t size);
const char* check_stride(uint64_t stride);
const char* check_user_address(uint64_t addr);
const char* check_name(std::string_view name);
bool is_name_char(char c);
bool is_valid_prot(uint64_t prot);

// Fast path for the commonest record, a single access: true exactly when check_record
// would accept a single r/w/x record with these fields (tested to agree).
inline bool single_access_ok(uint64_t pid, uint64_t size, uint64_t addr) {
  return pid - 1 < kMaxPid && size - 1 < kMaxAccessSize && addr <= kUserAddressLimit - size;
}

// The first problem with r, or nothing. Name ids are not looked up (readers intern only
// names they validated); the writers check names separately with check_name.
std::optional<Problem> check_record(const Record& r);

}  // namespace cowsim::trace
