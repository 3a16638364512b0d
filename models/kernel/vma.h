// A virtual memory area, as Linux's vm_area_struct: a range with one protection, one backing
// object and one set of flags.
#pragma once

#include <cstdint>

#include "models/common/types.h"

namespace cowsim {

struct Vma {
  uint64_t start = 0, end = 0;  // [start, end), page aligned
  uint8_t prot = 0;             // trace::Prot bits
  bool shared = false;          // MAP_SHARED
  uint32_t file = UINT32_MAX;   // name of the backing file; UINT32_MAX = anonymous
  uint64_t pgoff = 0;           // offset into the file (or shmem object), in pages
  uint32_t object = 0;          // shmem object id for shared anonymous mappings
  bool dontcopy = false;        // VM_DONTCOPY (MADV_DONTFORK)
  bool wipeonfork = false;      // VM_WIPEONFORK
  bool hugepage = false;        // VM_HUGEPAGE
  bool nohugepage = false;      // VM_NOHUGEPAGE
  bool anon_vma = false;        // has (ever had) anonymous pages: fork copies its page tables
  bool hugetlb = false;         // 1 GiB hugetlb pages (MAP_HUGETLB | MAP_HUGE_1GB)

  bool anonymous() const { return file == UINT32_MAX; }
  uint64_t size() const { return end - start; }
  bool contains(uint64_t a) const { return a >= start && a < end; }
  // Everything but the range and file offset: two adjacent VMAs with equal attributes merge.
  bool same_attributes(const Vma& o) const {
    return prot == o.prot && shared == o.shared && file == o.file && object == o.object && dontcopy == o.dontcopy &&
           wipeonfork == o.wipeonfork && hugepage == o.hugepage && nohugepage == o.nohugepage &&
           anon_vma == o.anon_vma && hugetlb == o.hugetlb;
  }
};

}  // namespace cowsim
