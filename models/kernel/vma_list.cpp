#include "models/kernel/vma_list.h"

#include <stdexcept>

namespace cowsim {

using Pos = VmaSeq::Pos;

const Vma* VmaList::find(uint64_t addr) const {
  Pos p = vmas_.first_ending_after(addr);
  return p != vmas_.last() && vmas_.at(p).contains(addr) ? &vmas_.at(p) : nullptr;
}

void VmaList::insert(const Vma& v) {
  Pos it = vmas_.first_starting_at_or_after(v.start);
  if ((it != vmas_.last() && vmas_.at(it).start < v.end) || (it != vmas_.first() && vmas_.at(vmas_.prev(it)).end > v.start))
    throw std::logic_error("VmaList::insert over a mapped range");
  vmas_.insert(it, v);
  merge_around(v.start, v.end);
}

void VmaList::split_at(uint64_t addr) {
  Pos p = vmas_.first_ending_after(addr);
  if (p == vmas_.last()) return;
  Vma& v = vmas_.at(p);
  if (!v.contains(addr) || v.start == addr) return;
  Vma tail = v;
  tail.start = addr;
  tail.pgoff += (addr - v.start) >> kPageShift;
  v.end = addr;
  vmas_.end_changed(p);
  vmas_.insert({p.chunk, p.index + 1}, tail);
}

void VmaList::remove(uint64_t start, uint64_t end, const std::function<void(const Vma&)>& removed) {
  split_at(start);
  split_at(end);
  Pos first = vmas_.first_starting_at_or_after(start), last = first;
  while (last != vmas_.last() && vmas_.at(last).end <= end) {
    removed(vmas_.at(last));
    last = vmas_.next(last);
  }
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
  for (Pos it = vmas_.first_starting_at_or_after(start); it != vmas_.last() && vmas_.at(it).start < end;
       it = vmas_.next(it))
    if (vmas_.at(it).end <= end) edit(vmas_.at(it));
  merge_around(start, end);
  return complete;
}

void VmaList::merge_around(uint64_t start, uint64_t end) {
  // Only VMAs touching [start, end] can merge (into the VMA before them); they are contiguous
  // (ends and starts both ascend). They and the VMA before them are merged in a scratch copy,
  // which then replaces them if anything merged.
  Pos first = vmas_.first_ending_at_or_after(start);
  if (first == vmas_.last() || vmas_.at(first).start > end) return;  // nothing touches the range
  bool has_prev = first != vmas_.first();
  Pos from = has_prev ? vmas_.prev(first) : first;
  run_.clear();
  Pos stop = first;
  if (has_prev) run_.push_back(vmas_.at(from));
  for (; stop != vmas_.last() && vmas_.at(stop).start <= end; stop = vmas_.next(stop)) run_.push_back(vmas_.at(stop));
  size_t w = has_prev ? 1 : 0;
  for (size_t r = w; r < run_.size(); ++r) {
    const Vma& v = run_[r];
    if (w > 0) {
      Vma& prev = run_[w - 1];
      // Private anonymous memory merges freely; file and shmem mappings need contiguous offsets.
      bool contiguous = (prev.anonymous() && !prev.shared) || prev.pgoff + (prev.size() >> kPageShift) == v.pgoff;
      if (prev.end == v.start && prev.same_attributes(v) && contiguous) {
        prev.end = v.end;
        continue;
      }
    }
    if (w != r) run_[w] = v;
    ++w;
  }
  if (w == run_.size()) return;  // nothing merged: the list is unchanged
  Pos p = from;
  for (size_t i = 0; i < w; ++i, p = vmas_.next(p)) {
    vmas_.at(p) = run_[i];
    vmas_.end_changed(p);
  }
  vmas_.erase(p, stop);
}

}  // namespace cowsim
