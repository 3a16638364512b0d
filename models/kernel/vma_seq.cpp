#include "models/kernel/vma_seq.h"

#include <algorithm>
#include <stdexcept>

namespace cowsim {

const Vma& VmaSeq::operator[](size_t i) const {
  for (const auto& c : chunks_) {
    if (i < c.size()) return c[i];
    i -= c.size();
  }
  throw std::out_of_range("VmaSeq index");
}

void VmaSeq::clear() {
  chunks_.clear();
  ends_.clear();
  count_ = 0;
}

// Chunks are searched by their last VMA's end: every VMA of an earlier chunk ends (and
// starts) at or before it, since the VMAs are disjoint and sorted.
VmaSeq::Pos VmaSeq::first_ending_after(uint64_t addr) const {
  size_t c = static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), addr) - ends_.begin());
  if (c == chunks_.size()) return last();
  const auto& ch = chunks_[c];
  auto it = std::upper_bound(ch.begin(), ch.end(), addr, [](uint64_t a, const Vma& v) { return a < v.end; });
  return {c, static_cast<size_t>(it - ch.begin())};
}

VmaSeq::Pos VmaSeq::first_ending_at_or_after(uint64_t addr) const {
  size_t c = static_cast<size_t>(std::lower_bound(ends_.begin(), ends_.end(), addr) - ends_.begin());
  if (c == chunks_.size()) return last();
  const auto& ch = chunks_[c];
  auto it = std::lower_bound(ch.begin(), ch.end(), addr, [](const Vma& v, uint64_t a) { return v.end < a; });
  return {c, static_cast<size_t>(it - ch.begin())};
}

VmaSeq::Pos VmaSeq::first_starting_at_or_after(uint64_t addr) const {
  // A chunk whose last VMA ends at or before addr holds no VMA starting at or after it.
  size_t c = static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), addr) - ends_.begin());
  if (c == chunks_.size()) return last();
  const auto& ch = chunks_[c];
  auto it = std::lower_bound(ch.begin(), ch.end(), addr, [](const Vma& v, uint64_t a) { return v.start < a; });
  if (it == ch.end()) return {c + 1, 0};
  return {c, static_cast<size_t>(it - ch.begin())};
}

void VmaSeq::insert(Pos p, const Vma& v) {
  ++count_;
  if (p.chunk == chunks_.size()) {  // at the end: after the last chunk's last VMA
    if (chunks_.empty() || chunks_.back().size() >= kChunk) {  // appending fills chunks, no split
      chunks_.emplace_back().reserve(kChunk);
      ends_.push_back(0);
    }
    p = {chunks_.size() - 1, chunks_.back().size()};
  }
  auto& ch = chunks_[p.chunk];
  ch.insert(ch.begin() + static_cast<std::ptrdiff_t>(p.index), v);
  if (ch.size() > kChunk) {  // split in halves
    std::vector<Vma> upper(ch.begin() + kChunk / 2, ch.end());
    ch.erase(ch.begin() + kChunk / 2, ch.end());
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(p.chunk) + 1, std::move(upper));
    ends_.insert(ends_.begin() + static_cast<std::ptrdiff_t>(p.chunk) + 1, chunks_[p.chunk + 1].back().end);
  }
  ends_[p.chunk] = chunks_[p.chunk].back().end;
}

void VmaSeq::erase(Pos a, Pos b) {
  if (a == b) return;
  auto cut = [&](size_t c, size_t from, size_t to) {
    auto& ch = chunks_[c];
    count_ -= to - from;
    ch.erase(ch.begin() + static_cast<std::ptrdiff_t>(from), ch.begin() + static_cast<std::ptrdiff_t>(to));
  };
  if (a.chunk == b.chunk) {
    cut(a.chunk, a.index, b.index);
  } else {
    cut(a.chunk, a.index, chunks_[a.chunk].size());
    for (size_t c = a.chunk + 1; c < b.chunk; ++c) cut(c, 0, chunks_[c].size());
    if (b.chunk < chunks_.size()) cut(b.chunk, 0, b.index);
  }
  // Drop the chunks left empty; the others keep their (possibly new) last end.
  size_t hi = std::min(b.chunk, chunks_.size() - 1), w = a.chunk;
  for (size_t c = a.chunk; c <= hi; ++c) {
    if (chunks_[c].empty()) continue;
    if (w != c) chunks_[w] = std::move(chunks_[c]);
    ends_[w] = chunks_[w].back().end;
    ++w;
  }
  chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(w), chunks_.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
  ends_.erase(ends_.begin() + static_cast<std::ptrdiff_t>(w), ends_.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
}

}  // namespace cowsim
