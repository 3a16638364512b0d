// The VMAs of one address space, sorted by address in a flat vector (a process has tens to
// thousands of VMAs; lookups are binary searches, edits are rare). Splits and merges follow
// Linux: an operation on part of a VMA splits it, and equal neighbours merge again.
#pragma once

#include <functional>
#include <vector>

#include "models/kernel/vma.h"

namespace cowsim {

class VmaList {
 public:
  const Vma* find(uint64_t addr) const;
  Vma* find(uint64_t addr) { return const_cast<Vma*>(static_cast<const VmaList*>(this)->find(addr)); }
  // Inserts a VMA over a range that must be free (callers unmap first).
  void insert(const Vma& v);
  // Removes [start, end), splitting VMAs that straddle an edge. Calls `removed` with each
  // removed piece before it goes.
  void remove(uint64_t start, uint64_t end, const std::function<void(const Vma&)>& removed);
  // Splits VMAs at start and end so [start, end) is covered by whole VMAs, calls `edit` on each,
  // then merges neighbours that became equal. Returns false if [start, end) has holes (edits
  // are still applied to the mapped parts, as Linux does before returning ENOMEM).
  bool update(uint64_t start, uint64_t end, const std::function<void(Vma&)>& edit);
  bool fully_mapped(uint64_t start, uint64_t end) const;

  const std::vector<Vma>& vmas() const { return vmas_; }
  std::vector<Vma>& vmas() { return vmas_; }
  void clear() { vmas_.clear(); }

 private:
  void split_at(uint64_t addr);
  void merge_around(uint64_t start, uint64_t end);
  std::vector<Vma> vmas_;
};

}  // namespace cowsim
