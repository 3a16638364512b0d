// Record equality, the name table and the spellings shared by every encoding.
#include "traces/record.h"

#include <algorithm>

#include "models/common/error.h"

namespace cowsim::trace {

bool operator==(const Record& a, const Record& b) {
  return a.op == b.op && a.prot == b.prot && a.flags == b.flags && a.advice == b.advice &&
         a.pid == b.pid && a.size == b.size && a.name == b.name && a.addr == b.addr &&
         a.len == b.len && a.stride == b.stride;
}

uint32_t NameTable::intern(std::string_view name) {
  auto less = [](const std::pair<std::string, uint32_t>& e, std::string_view n) {
    return std::string_view(e.first) < n;
  };
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name, less);
  if (it != sorted_.end() && it->first == name) return it->second;
  // kNoName is the "no name" marker, so it can never be a valid index.
  if (names_.size() >= kNoName) throw InputError("too many distinct names in the traces");
  const auto id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  sorted_.insert(it, {std::string(name), id});
  return id;
}

const char* op_name(Op op) {
  switch (op) {
    case Op::kMmap: return "mmap";
    case Op::kMunmap: return "munmap";
    case Op::kMprotect: return "mprotect";
    case Op::kMadvise: return "madvise";
    case Op::kRead: return "r";
    case Op::kWrite: return "w";
    case Op::kFetch: return "x";
    case Op::kCompute: return "compute";
    case Op::kFork: return "fork";
    case Op::kVfork: return "vfork";
    case Op::kExec: return "exec";
    case Op::kExit: return "exit";
    case Op::kWait: return "wait";
    case Op::kCpu: return "cpu";
    case Op::kPost: return "post";
    case Op::kAwait: return "await";
    case Op::kSnapshot: return "snapshot";
    case Op::kSpanBegin: return "span begin";
    case Op::kSpanEnd: return "span end";
    case Op::kRoiBegin: return "roi begin";
    case Op::kRoiEnd: return "roi end";
    case Op::kCount: break;
  }
  return "?";
}

const char* advice_name(Advice a) {
  switch (a) {
    case Advice::kDontfork: return "dontfork";
    case Advice::kDofork: return "dofork";
    case Advice::kWipeonfork: return "wipeonfork";
    case Advice::kKeeponfork: return "keeponfork";
    case Advice::kHugepage: return "hugepage";
    case Advice::kNohugepage: return "nohugepage";
    case Advice::kDontneed: return "dontneed";
    case Advice::kCount: break;
  }
  return "?";
}

std::string prot_name(uint8_t prot) {
  switch (prot) {
    case kProtNone: return "none";
    case kProtRead: return "r";
    case kProtRead | kProtWrite: return "rw";
    case kProtRead | kProtExec: return "rx";
    case kProtRead | kProtWrite | kProtExec: return "rwx";
    default: return "?";
  }
}

}  // namespace cowsim::trace
