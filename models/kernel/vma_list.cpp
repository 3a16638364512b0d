#include "models/kernel/vma_list.h"

#include <algorithm>
#include <stdexcept>

namespace cowsim {

const Vma* VmaList::find(uint64_t addr) const {
  auto it = std::upper_bound(vmas_.begin(), vmas_.end(), addr, [](uint64_t a, const Vma& v) { return a < v.end; });
  return it != vmas_.end() && it->contains(addr) ? &*it : nullptr;
}

void VmaList::insert(const Vma& v) {
  auto it = std::lower_bound(vmas_.begin(), vmas_.end(), v.start, [](const Vma& x, uint64_t a) { return x.start < a; });
  if ((it != vmas_.end() && it->start < v.end) || (it != vmas_.begin() && std::prev(it)->end > v.start))
    throw std::logic_error("VmaList::insert over a mapped range");
  vmas_.insert(it, v);
  merge_around(v.start, v.end);
}

void VmaList::split_at(uint64_t addr) {
  Vma* v = find(addr);
  if (!v || v->start == addr) return;
  Vma tail = *v;
  tail.start = addr;
  tail.pgoff += (addr - v->start) >> kPageShift;
  v->end = addr;
  vmas_.insert(vmas_.begin() + (v - vmas_.data()) + 1, tail);
}

void VmaList::remove(uint64_t start, uint64_t end, const std::function<void(const Vma&)>& removed) {
  split_at(start);
  split_at(end);
  auto first = std::lower_bound(vmas_.begin(), vmas_.end(), start, [](const Vma& x, uint64_t a) { return x.start < a; });
  auto last = first;
  while (last != vmas_.end() && last->end <= end) removed(*last++);
  vmas_.erase(first, last);
}

bool VmaList::fully_mapped(uint64_t start, uint64_t end) const {
  uint64_t a = start;
  while (a < end) {
    const Vma* v = find(a);
    if (!v) return false;
    a = v->end;
  }
  return true;
}

bool VmaList::update(uint64_t start, uint64_t end, const std::function<void(Vma&)>& edit) {
  split_at(start);
  split_at(end);
  bool complete = fully_mapped(start, end);
  // The VMAs inside [start, end) are contiguous from the first starting at or after `start`.
  auto it = std::lower_bound(vmas_.begin(), vmas_.end(), start, [](const Vma& x, uint64_t a) { return x.start < a; });
  for (; it != vmas_.end() && it->start < end; ++it)
    if (it->end <= end) edit(*it);
  merge_around(start, end);
  return complete;
}

void VmaList::merge_around(uint64_t start, uint64_t end) {
  // Only VMAs touching [start, end] can merge (into the VMA before them); they are contiguous
  // in the vector (ends and starts both ascend), so the merge is done in place there.
  auto first = std::lower_bound(vmas_.begin(), vmas_.end(), start, [](const Vma& x, uint64_t a) { return x.end < a; });
  size_t w = static_cast<size_t>(first - vmas_.begin()), r = w;
  for (; r < vmas_.size() && vmas_[r].start <= end; ++r) {
    const Vma& v = vmas_[r];
    if (w > 0) {
      Vma& prev = vmas_[w - 1];
      // Private anonymous memory merges freely; file and shmem mappings need contiguous offsets.
      bool contiguous = (prev.anonymous() && !prev.shared) || prev.pgoff + (prev.size() >> kPageShift) == v.pgoff;
      if (prev.end == v.start && prev.same_attributes(v) && contiguous) {
        prev.end = v.end;
        continue;
      }
    }
    if (w != r) vmas_[w] = v;
    ++w;
  }
  vmas_.erase(vmas_.begin() + static_cast<std::ptrdiff_t>(w), vmas_.begin() + static_cast<std::ptrdiff_t>(r));
}

}  // namespace cowsim
