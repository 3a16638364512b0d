// The VMAs of one address space in address order, kept in chunks of at most kChunk contiguous
// VMAs. A lookup is two binary searches (over the chunks' last ends, then inside one chunk);
// an insert or erase moves the VMAs of one chunk, not of the whole list: a flat vector moved
// half of 100,000 VMAs per munmap in random order (issue 14). Linux uses a maple tree.
// Iteration is in address order, as over a sorted vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <vector>

#include "models/kernel/vma.h"

namespace cowsim {

class VmaSeq {
 public:
  static constexpr size_t kChunk = 64;  // 48-byte VMAs: 3 KiB moved at most per edit

  // A position: chunk and index in it; the end is {chunks, 0}.
  struct Pos {
    size_t chunk = 0, index = 0;
    bool operator==(const Pos& o) const { return chunk == o.chunk && index == o.index; }
    bool operator!=(const Pos& o) const { return !(*this == o); }
  };

  template <bool Const>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Vma;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<Const, const Vma*, Vma*>;
    using reference = std::conditional_t<Const, const Vma&, Vma&>;
    using Seq = std::conditional_t<Const, const VmaSeq, VmaSeq>;

    Iter(Seq* s, Pos p) : s_(s), p_(p) {}
    reference operator*() const { return s_->chunks_[p_.chunk][p_.index]; }
    pointer operator->() const { return &**this; }
    Iter& operator++() {
      p_ = s_->next(p_);
      return *this;
    }
    bool operator==(const Iter& o) const { return p_ == o.p_; }
    bool operator!=(const Iter& o) const { return p_ != o.p_; }

   private:
    Seq* s_;
    Pos p_;
  };
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  iterator begin() { return {this, first()}; }
  iterator end() { return {this, last()}; }
  const_iterator begin() const { return {this, first()}; }
  const_iterator end() const { return {this, last()}; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The i-th VMA: walks the chunks (for tests and reports, not for lookups).
  const Vma& operator[](size_t i) const;
  // Appends a VMA after every other (fork copies a sorted, merged list in order).
  void push_back(const Vma& v) { insert(last(), v); }
  void clear();

  // --- positions (VmaList's building blocks) ---
  Pos first() const { return {0, 0}; }
  Pos last() const { return {chunks_.size(), 0}; }
  Pos next(Pos p) const { return ++p.index == chunks_[p.chunk].size() ? Pos{p.chunk + 1, 0} : p; }
  Pos prev(Pos p) const { return p.index ? Pos{p.chunk, p.index - 1} : Pos{p.chunk - 1, chunks_[p.chunk - 1].size() - 1}; }
  Vma& at(Pos p) { return chunks_[p.chunk][p.index]; }
  const Vma& at(Pos p) const { return chunks_[p.chunk][p.index]; }
  Pos first_ending_after(uint64_t addr) const;     // end > addr
  Pos first_ending_at_or_after(uint64_t addr) const;  // end >= addr
  Pos first_starting_at_or_after(uint64_t addr) const;  // start >= addr
  // Inserts before `p` (which may also be one past the last VMA of a chunk). The caller keeps
  // the order.
  void insert(Pos p, const Vma& v);
  // Removes [a, b).
  void erase(Pos a, Pos b);
  // After the end of the VMA at `p` changed: keeps the chunk's search key.
  void end_changed(Pos p) { ends_[p.chunk] = chunks_[p.chunk].back().end; }

 private:
  std::vector<std::vector<Vma>> chunks_;  // none empty
  std::vector<uint64_t> ends_;            // chunks_[i].back().end
  size_t count_ = 0;
};

}  // namespace cowsim
