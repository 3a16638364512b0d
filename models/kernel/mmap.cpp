// mmap, munmap (mm/mmap.c, mm/vma.c) and exit_mmap, the teardown of a whole address space.
#include "models/kernel/kernel.h"

#include "models/kernel/mm_internal.h"
#include "models/walker/walker.h"

namespace cowsim {

using namespace mm_detail;

Cycles Kernel::mmap(Process& p, uint64_t addr, uint64_t len, uint8_t prot, uint8_t flags, uint32_t file, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.vma_op);
  std::string what = "mmap(" + hex(addr) + ", " + std::to_string(len) + ")";
  uint64_t limit = user_address_limit(levels_);
  if (addr & (kPageSize - 1)) return syscall_error(p, kEINVAL, what + " address not page aligned"), c.total();
  if (len == 0) return syscall_error(p, kEINVAL, what + " length 0"), c.total();
  bool giant = flags & trace::kMapHuge1G;
  if (giant && (addr & (kGiantPageSize - 1))) return syscall_error(p, kEINVAL, what + " hugetlb address not 1 GiB aligned"), c.total();
  len = giant ? (len + kGiantPageSize - 1) & ~(kGiantPageSize - 1) : page_up(len);
  if (len == 0 || addr > limit || len > limit - addr) return syscall_error(p, kENOMEM, what + " beyond user address space"), c.total();
  if (addr < kMmapMinAddr) return syscall_error(p, kEPERM, what + " below vm.mmap_min_addr"), c.total();
  AddressSpace& mm = *p.mm;
  // MAP_FIXED semantics: whatever was mapped there goes first.
  do_munmap(mm, addr, addr + len, core, c);
  Vma v;
  v.start = addr;
  v.end = addr + len;
  v.prot = prot;
  v.shared = flags & trace::kMapShared;
  v.file = (flags & trace::kMapFile) ? file : UINT32_MAX;
  v.hugetlb = giant;
  if (v.shared && v.anonymous()) v.object = next_shmem_id_++;
  mm.vmas.insert(v);
  return c.total();
}

void Kernel::do_munmap(AddressSpace& mm, uint64_t start, uint64_t end, unsigned core, Cost& c) {
  uint64_t zapped = zap_page_range(mm, start, end, core, c);
  if (zapped) {
    c.add(Step::kZap, cost_.zap_per_page * zapped);
    flush_tlb_mm_range(mm, start, end, core, c);
  }
  std::vector<uint32_t> shmem;
  mm.vmas.remove(start, end, [&](const Vma& v) {
    if (v.shared && v.anonymous()) shmem.push_back(v.object);
  });
  release_shmem(std::move(shmem));
}

bool Kernel::splits_hugetlb(const AddressSpace& mm, uint64_t start, uint64_t end) const {
  for (uint64_t edge : {start, end}) {
    const Vma* v = mm.vmas.find(edge);
    if (v && v->hugetlb && (edge & (kGiantPageSize - 1))) return true;
  }
  return false;
}

Cycles Kernel::munmap(Process& p, uint64_t addr, uint64_t len, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.vma_op);
  std::string what = "munmap(" + hex(addr) + ", " + std::to_string(len) + ")";
  uint64_t limit = user_address_limit(levels_);
  if ((addr & (kPageSize - 1)) || len == 0) return syscall_error(p, kEINVAL, what), c.total();
  len = page_up(len);
  if (len == 0 || addr > limit || len > limit - addr) return syscall_error(p, kEINVAL, what + " beyond user address space"), c.total();
  AddressSpace& mm = *p.mm;
  if (splits_hugetlb(mm, addr, addr + len))
    return syscall_error(p, kEINVAL, what + " range splits a 1 GiB hugetlb page"), c.total();
  do_munmap(mm, addr, addr + len, core, c);
  return c.total();
}

uint64_t Kernel::exit_mmap(AddressSpace& mm) {
  Cost none;  // the whole address space: nothing to split
  uint64_t pages = zap_page_range(mm, 0, user_address_limit(levels_), 0, none);
  release_deposits(mm);
  tables_.destroy(mm.root);
  std::vector<uint32_t> shmem;
  for (const Vma& v : mm.vmas.vmas())
    if (v.shared && v.anonymous()) shmem.push_back(v.object);
  mm.vmas.clear();
  release_shmem(std::move(shmem));
  return pages;
}

}  // namespace cowsim
