// The page cache (mm/filemap.c) for file and shared anonymous (shmem) pages, and freeing a
// shmem object with its last mapping.
#include "models/kernel/kernel.h"

#include <algorithm>

namespace cowsim {

uint64_t Kernel::cache_key(const Vma& v, uint64_t addr) const {
  uint64_t object = v.anonymous() ? (uint64_t{v.object} << 1 | 1) : (uint64_t{v.file} << 1);
  return object << 36 | (v.pgoff + ((addr - v.start) >> kPageShift));
}

Pfn Kernel::cache_page(uint64_t key, bool& allocated, bool& failed) {
  allocated = failed = false;
  auto it = page_cache_.find(key);
  if (it != page_cache_.end()) return it->second;
  auto pfn = frames_.alloc();
  if (!pfn) {
    failed = true;
    return Pfn{0};
  }
  frames_.info(*pfn).flags = frame_flags::kPageCache;  // the cache holds the first reference
  page_cache_.emplace(key, *pfn);
  allocated = true;
  return *pfn;
}

void Kernel::release_shmem(std::vector<uint32_t> objects) {
  std::sort(objects.begin(), objects.end());
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
  for (uint32_t object : objects) {
    bool mapped = false;
    for (const auto& p : procs_)
      if (p->mm)
        for (const Vma& v : p->mm->vmas.vmas()) mapped |= v.shared && v.anonymous() && v.object == object;
    if (mapped) continue;
    uint64_t tag = uint64_t{object} << 1 | 1;  // as cache_key() tags anonymous objects
    for (auto it = page_cache_.begin(); it != page_cache_.end();) {
      if ((it->first >> 36) != tag) {
        ++it;
        continue;
      }
      frames_.put(it->second);  // the cache's reference; no mapping is left
      it = page_cache_.erase(it);
    }
  }
}

}  // namespace cowsim
