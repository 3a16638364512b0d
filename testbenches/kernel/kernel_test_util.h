// Shared by the kernel model's tests: a Kernel over a small PhysicalMemory, and helpers that
// act as the MMU would (walk the real page tables, raise the fault the hardware would raise).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "models/kernel/kernel.h"
#include "models/memory/physical_memory.h"
#include "models/walker/walker.h"

namespace cowsim::test {

using trace::kProtRead;
using trace::kProtWrite;
using trace::kProtExec;
using trace::kMapPrivate;
using trace::kMapShared;

constexpr uint64_t kBase = 0x7f0000000000;  // a 2 MiB- (and 1 GiB-) aligned user address
constexpr uint64_t kMiB = 1 << 20;

inline MemoryParams memory_of(uint64_t bytes) {
  MemoryParams m;
  m.size = bytes;
  return m;
}

// The leaf entry mapping `va` (level 1, or the huge leaf above it), read straight from the
// tables without touching A/D bits; 0 if a table on the way is missing.
inline uint64_t leaf_entry(const PhysicalMemory& mem, Pfn root, uint64_t va, unsigned levels = 4) {
  Pfn table = root;
  for (unsigned level = levels; level >= 1; --level) {
    uint64_t e = mem.read64(frame_address(table) + 8 * table_index(VirtAddr{va}, level));
    if (level == 1 || (e & pte_bits::kHuge)) return e;
    if (!(e & pte_bits::kPresent)) return 0;
    table = Pte::from_raw(e).pfn();
  }
  return 0;
}

class KernelTest : public ::testing::Test {
 protected:
  explicit KernelTest(uint64_t memory = 64 * kMiB, unsigned cores = 1, bool strict = false)
      : mem_(memory_of(memory)), kernel_(std::make_unique<Kernel>(params_, mem_, 4, cores, strict)) {}

  Kernel& k() { return *kernel_; }
  Process& start(uint32_t pid) { return k().start_process(pid, Cycles{0}); }
  void map_anon(Process& p, uint64_t addr, uint64_t len, uint8_t prot = kProtRead | kProtWrite,
                uint8_t flags = kMapPrivate) {
    k().mmap(p, addr, len, prot, flags, trace::kNoName, 0);
  }

  uint64_t pte(const Process& p, uint64_t va) const { return leaf_entry(mem_, p.mm->root, va); }
  Pfn frame(const Process& p, uint64_t va) const { return Pte::from_raw(pte(p, va)).pfn(); }
  bool present(const Process& p, uint64_t va) const { return pte(p, va) & pte_bits::kPresent; }
  bool writable(const Process& p, uint64_t va) const { return pte(p, va) & pte_bits::kWritable; }
  const FrameInfo& info(Pfn pfn) const { return kernel_->frames().info(pfn); }

  // What the MMU would do for a user access: nothing if the page tables allow it, otherwise
  // the fault (not present or protection) goes to the kernel. nullopt: no fault was needed.
  std::optional<FaultResult> touch(Process& p, uint64_t va, AccessType type, unsigned core = 0, Cycles now = Cycles{0}) {
    Fault f;
    f.addr = VirtAddr{va};
    f.access = type;
    Pte e = Pte::from_raw(pte(p, va));
    uint32_t access_bits = type == AccessType::kWrite ? pf_error::kWrite : type == AccessType::kFetch ? pf_error::kFetch : 0;
    if (!e.present) {
      f.kind = FaultKind::kNotPresent;
      f.error_code = pf_error::kUser | access_bits;
    } else if (type == AccessType::kWrite && !(e.writable && upper_writable(p, va))) {
      f.kind = FaultKind::kWriteProtect;
      f.error_code = pf_error::kPresent | pf_error::kUser | access_bits;
    } else if (type == AccessType::kFetch && e.no_execute) {
      f.kind = FaultKind::kNoExecute;
      f.error_code = pf_error::kPresent | pf_error::kUser | access_bits;
    } else {
      return std::nullopt;
    }
    return k().handle_fault(p, f, core, now);
  }
  // Writable in every table above the leaf (x86 ANDs R/W over the levels): false only where
  // kernel.fork.strategy odf or async write-protected a PMD.
  bool upper_writable(const Process& p, uint64_t va) const {
    Pfn table = p.mm->root;
    for (unsigned level = 4; level > 1; --level) {
      uint64_t e = mem_.read64(frame_address(table) + 8 * table_index(VirtAddr{va}, level));
      if (!(e & pte_bits::kPresent) || (e & pte_bits::kHuge)) return true;
      if (!(e & pte_bits::kWritable)) return false;
      table = Pte::from_raw(e).pfn();
    }
    return true;
  }
  // Touches where a fault is expected: its result (a failure, and an unresolved default
  // result, if the page tables allowed the access after all).
  FaultResult fault(Process& p, uint64_t va, AccessType type, unsigned core = 0, Cycles now = Cycles{0}) {
    auto r = touch(p, va, type, core, now);
    if (r) return *r;
    ADD_FAILURE() << "no fault at 0x" << std::hex << va;
    return FaultResult{};
  }
  // Writes every page of [addr, addr + len).
  void write_all(Process& p, uint64_t addr, uint64_t len) {
    for (uint64_t a = addr; a < addr + len; a += kPageSize) touch(p, a, AccessType::kWrite);
  }
  uint64_t faults(const Process& p, FaultOutcome o) const { return p.faults[static_cast<size_t>(o)]; }

  KernelParams params_;
  PhysicalMemory mem_;
  std::unique_ptr<Kernel> kernel_;
};

}  // namespace cowsim::test
