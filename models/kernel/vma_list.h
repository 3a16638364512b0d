// The VMAs of one address space, sorted by address (VmaSeq: chunks, so that edits anywhere in
// a list of 100,000 VMAs stay cheap; lookups are binary searches). Splits and merges follow
// Linux: an operation on part of a VMA splits it, and equal neighbours merge again.
#pragma once

#include <functional>
#include <vector>

#include "models/kernel/vma.h"
#include "models/kernel/vma_seq.h"

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
  // are still applied to the mapped parts, as Linux does before returning ENOMEM). `edit` must
  // not change a VMA's range.
  bool update(uint64_t start, uint64_t end, const std::function<void(Vma&)>& edit);
  bool fully_mapped(uint64_t start, uint64_t end) const;

  // In address order. Appending with push_back must keep the order (fork copies a list).
  const VmaSeq& vmas() const { return vmas_; }
  VmaSeq& vmas() { return vmas_; }
  void clear() { vmas_.clear(); }

 private:
  void split_at(uint64_t addr);
  void merge_around(uint64_t start, uint64_t end);
  VmaSeq vmas_;
  std::vector<Vma> run_;  // merge_around's scratch
};

}  // namespace cowsim
