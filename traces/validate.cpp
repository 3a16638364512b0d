// The semantic rules of docs/trace-format.md ("Validation"), in one place for both encodings.
#include "traces/validate.h"

namespace cowsim::trace {

const char* check_pid(uint64_t pid) {
  return pid >= 1 && pid <= kMaxPid ? nullptr : "pid must be 1..2147483647";
}

const char* check_size(uint64_t size) {
  return size >= 1 && size <= kMaxAccessSize ? nullptr : "access size must be 1..4096";
}

const char* check_stride(uint64_t stride) {
  return stride >= 1 && stride <= kMaxStride ? nullptr : "stride must be 1..4G";
}

// LA57 canonical addresses have bits 63..56 all equal to bit 56. The upper canonical half is
// the kernel's, and traces describe user space, so only the lower half (< 2^56) is accepted;
// the two messages tell a garbled address from a kernel one.
const char* check_user_address(uint64_t addr) {
  if (addr < kUserAddressLimit) return nullptr;
  if ((addr >> 56) == 0xff) return "kernel address (traces describe user space, below 2^56)";
  return "non-canonical address (bits 63..56 must equal bit 56; user space is below 2^56)";
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '/' || c == ':' || c == '@' || c == '+' || c == '-';
}

const char* check_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return "name must be 1..1024 bytes";
  for (char c : name)
    if (!is_name_char(c)) return "name may only contain A-Z a-z 0-9 . _ / : @ + -";
  return nullptr;
}

bool is_valid_prot(uint64_t prot) {
  return prot == kProtNone || prot == kProtRead || prot == (kProtRead | kProtWrite) ||
         prot == (kProtRead | kProtExec) || prot == (kProtRead | kProtWrite | kProtExec);
}

namespace {

// [addr, addr+len) must be a non-empty range of user space: no 64-bit wrap, last byte < 2^56.
std::optional<Problem> check_extent(const Record& r) {
  if (const char* e = check_user_address(r.addr)) return Problem{Field::kAddr, e};
  if (r.len == 0) return Problem{Field::kLen, "length must be > 0"};
  if (r.len > kUserAddressLimit - r.addr)
    return Problem{Field::kLen, "address + length must stay below 2^56 (user space)"};
  return std::nullopt;
}

std::optional<Problem> check_access(const Record& r) {
  if (const char* e = check_size(r.size)) return Problem{Field::kSize, e};
  if (const char* e = check_user_address(r.addr)) return Problem{Field::kAddr, e};
  if (!r.is_range()) {
    if (r.size > kUserAddressLimit - r.addr)
      return Problem{Field::kAddr, "access must end below 2^56 (user space)"};
    return std::nullopt;
  }
  if (const char* e = check_stride(r.stride)) return Problem{Field::kStride, e};
  if (auto p = check_extent(r)) return p;
  // The last access starts inside the range but may run past its end by size-1 bytes.
  const uint64_t last = r.addr + (r.accesses() - 1) * r.stride;
  if (r.size > kUserAddressLimit - last)
    return Problem{Field::kSize, "last access of the range must end below 2^56 (user space)"};
  return std::nullopt;
}

std::optional<Problem> check_child(const Record& r) {
  if (r.addr < 1 || r.addr > kMaxPid) return Problem{Field::kAddr, "child pid must be 1..2147483647"};
  if (r.addr == r.pid) return Problem{Field::kAddr, "child pid must differ from the process's own pid"};
  return std::nullopt;
}

}  // namespace

std::optional<Problem> check_record(const Record& r) {
  if (const char* e = check_pid(r.pid)) return Problem{Field::kPid, e};
  switch (r.op) {
    case Op::kMmap:
      if (!is_valid_prot(r.prot)) return Problem{Field::kProt, "prot must be none, r, rw, rx or rwx"};
      if (r.flags & ~kMapFlagsAll) return Problem{Field::kFlags, "unknown mmap flags"};
      if ((r.flags & kMapHuge1G) && (r.flags & kMapFile)) return Problem{Field::kFlags, "huge1g needs an anonymous mapping"};
      if (((r.flags & kMapFile) != 0) != (r.name != kNoName))
        return Problem{Field::kFlags, "a file mapping needs a file name, an anonymous one none"};
      return check_extent(r);
    case Op::kMunmap:
      return check_extent(r);
    case Op::kMprotect:
      if (!is_valid_prot(r.prot)) return Problem{Field::kProt, "prot must be none, r, rw, rx or rwx"};
      return check_extent(r);
    case Op::kMadvise:
      if (r.advice >= Advice::kCount) return Problem{Field::kAdvice, "unknown madvise advice"};
      return check_extent(r);
    case Op::kRead:
    case Op::kWrite:
    case Op::kFetch:
      return check_access(r);
    case Op::kFork:
    case Op::kVfork:
    case Op::kWait:
      return check_child(r);
    case Op::kCpu:
      if (r.addr >= kMaxCpu) return Problem{Field::kAddr, "cpu core must be 0..4095"};
      return std::nullopt;
    case Op::kPost:
    case Op::kAwait:
    case Op::kSnapshot:
    case Op::kRoiBegin:
    case Op::kRoiEnd:
      if (r.name == kNoName) return Problem{Field::kName, "missing name"};
      return std::nullopt;
    case Op::kSpanBegin:
      if (r.name == kNoName) return Problem{Field::kName, "missing name"};
      if (r.flags > kSpanWindow) return Problem{Field::kFlags, "unknown span arrival kind"};
      if (r.flags == kArriveAt || r.flags == kArriveAfter) {
        if (r.addr > kMaxSpanTime) return Problem{Field::kAddr, "span arrival time must be at most 2^48 ns"};
      } else if (r.addr != 0) {
        return Problem{Field::kAddr, "a span that arrives now has no arrival time"};
      }
      return std::nullopt;
    case Op::kSpanEnd:
      if (r.name == kNoName) return Problem{Field::kName, "missing name"};
      return std::nullopt;
    case Op::kCompute:
    case Op::kExec:
    case Op::kExit:
      return std::nullopt;
    case Op::kCount:
      break;
  }
  return Problem{Field::kPid, "unknown op"};
}

}  // namespace cowsim::trace
