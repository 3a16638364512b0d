// What a page-table walk returns: a translation or a typed fault, plus what the walk cost.
#pragma once

#include <cstdint>

#include "models/common/types.h"
#include "models/walker/pte.h"

namespace cowsim {

enum class FaultKind : uint8_t {
  kNone,
  kNotPresent,      // some level has P = 0
  kWriteProtect,    // write through an entry chain without RW
  kUserSupervisor,  // user access to a supervisor page
  kNoExecute,       // instruction fetch from an NX page
  kReservedBit,     // a reserved bit set in a present entry
  kNonCanonical,    // address outside the canonical range (#GP on x86, SIGSEGV in Linux)
};
const char* fault_kind_name(FaultKind k);

struct Fault {
  FaultKind kind = FaultKind::kNone;
  VirtAddr addr;
  uint32_t error_code = 0;  // x86 #PF error code (pf_error bits)
  AccessType access = AccessType::kRead;
};

struct Translation {
  Pfn pfn;               // frame of the 4 KiB page holding the address (huge leaves resolved)
  unsigned page_shift = kPageShift;  // size of the leaf mapping
  bool writable = false, user = false, no_execute = false, dirty = false, global = false;
};

struct WalkResult {
  Translation translation;
  Fault fault;  // kind != kNone: no translation
  Cycles latency{0};
  uint32_t pte_reads = 0;
  uint32_t ad_writes = 0;
  bool ok() const { return fault.kind == FaultKind::kNone; }
};

}  // namespace cowsim
