// Disjoint page ranges [first, end) with a value each, merged with equal neighbours: the
// importer's picture of what a process has mapped, and of what its system calls touched.
// A few dozen ranges per process, so a std::map is fine; find() is what runs per access and
// the caller caches its answer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>

namespace cowsim::lackey {

template <typename V>
class RangeMap {
 public:
  struct Range {
    uint64_t first, end;
    V value;
  };

  // The range holding page p, or nullptr.
  const Range* find(uint64_t p) const {
    auto it = ranges_.upper_bound(p);
    if (it == ranges_.begin()) return nullptr;
    --it;
    return p < it->second.end ? &it->second : nullptr;
  }

  // Sets [first, end) to v, replacing whatever was there.
  void assign(uint64_t first, uint64_t end, const V& v) {
    if (first >= end) return;
    erase(first, end);
    auto next = ranges_.lower_bound(first);
    if (next != ranges_.begin()) {
      auto prev = std::prev(next);
      if (prev->second.end == first && prev->second.value == v) {
        first = prev->first;
        ranges_.erase(prev);
      }
    }
    if (next != ranges_.end() && next->first == end && next->second.value == v) {
      end = next->second.end;
      ranges_.erase(next);
    }
    ranges_.emplace(first, Range{first, end, v});
  }

  // Removes [first, end), splitting ranges that stick out.
  void erase(uint64_t first, uint64_t end) {
    if (first >= end) return;
    auto it = ranges_.upper_bound(first);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      if (prev->second.end > first) {
        Range r = prev->second;
        ranges_.erase(prev);
        ranges_.emplace(r.first, Range{r.first, first, r.value});
        if (r.end > end) ranges_.emplace(end, Range{end, r.end, r.value});
      }
    }
    it = ranges_.lower_bound(first);
    while (it != ranges_.end() && it->first < end) {
      Range r = it->second;
      it = ranges_.erase(it);
      if (r.end > end) {
        ranges_.emplace(end, Range{end, r.end, r.value});
        break;
      }
    }
  }

  // Calls f(first, end, value) for every mapped part of [first, end), clipped to it.
  template <typename F>
  void for_each(uint64_t first, uint64_t end, F f) const {
    auto it = ranges_.upper_bound(first);
    if (it != ranges_.begin()) --it;
    for (; it != ranges_.end() && it->first < end; ++it) {
      uint64_t a = std::max(first, it->second.first), b = std::min(end, it->second.end);
      if (a < b) f(a, b, it->second.value);
    }
  }

  size_t size() const { return ranges_.size(); }
  bool empty() const { return ranges_.empty(); }
  void clear() { ranges_.clear(); }

 private:
  std::map<uint64_t, Range> ranges_;  // by first page
};

}  // namespace cowsim::lackey
