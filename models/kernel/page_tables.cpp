#include "models/kernel/page_tables.h"

#include <algorithm>

namespace cowsim {

namespace {
// Bytes covered by one entry at `level` (1: 4 KiB, 2: 2 MiB, ...).
uint64_t entry_span(unsigned level) { return uint64_t{1} << (kPageShift + 9 * (level - 1)); }
}  // namespace

std::optional<Pfn> PageTables::create_root() {
  auto pfn = frames_.alloc();
  if (!pfn) return std::nullopt;
  frames_.info(*pfn).flags = frame_flags::kTable;
  mem_.attach_table(*pfn);
  return pfn;
}

void PageTables::free_table(Pfn pfn) {
  mem_.detach_table(pfn);
  frames_.put(pfn);
}

uint64_t* PageTables::entry(Pfn root, VirtAddr va, unsigned target, bool create, uint32_t* created) {
  Pfn table = root;
  for (unsigned level = levels_; level > target; --level) {
    uint64_t& e = (*mem_.table(table))[table_index(va, level)];
    if (e & pte_bits::kHuge) return nullptr;
    if (!(e & pte_bits::kPresent)) {
      if (!create) return nullptr;
      auto pfn = create_root();
      if (!pfn) return nullptr;
      if (created) ++*created;
      // Upper levels allow everything; the leaf decides (as Linux sets them).
      e = frame_address(*pfn).value | pte_bits::kPresent | pte_bits::kWritable | pte_bits::kUser;
    }
    table = Pte::from_raw(e).pfn();
  }
  return &(*mem_.table(table))[table_index(va, target)];
}

// Visits the entries of [start, end) at or above level `stop`: leaves (huge ones included)
// when stop is 1; with stop 2, the PMDs that point to a PTE table (huge leaves skipped).
void PageTables::visit(Pfn table, unsigned level, unsigned stop, uint64_t base, uint64_t start, uint64_t end,
                       const LeafFn& fn) {
  auto& t = *mem_.table(table);
  uint64_t span = entry_span(level);
  unsigned first = start > base ? static_cast<unsigned>((start - base) / span) : 0;
  for (unsigned i = first; i < 512; ++i) {
    uint64_t va = base + i * span;
    if (va >= end) break;
    bool leaf = level == 1 || (t[i] & pte_bits::kHuge);
    if (leaf && stop > 1) continue;
    if (!(t[i] & (leaf ? pte_bits::kMapped : pte_bits::kPresent))) continue;
    if (leaf || level == stop) fn(va, t[i], level);
    else visit(Pte::from_raw(t[i]).pfn(), level - 1, stop, va, std::max(start, va), end, fn);
  }
}

void PageTables::for_each_leaf(Pfn root, uint64_t start, uint64_t end, const LeafFn& fn) {
  visit(root, levels_, 1, 0, start, end, fn);
}

void PageTables::for_each_table(Pfn root, uint64_t start, uint64_t end, const LeafFn& fn) {
  if (levels_ >= 2) visit(root, levels_, 2, 0, start, end, fn);
}

bool PageTables::prune(Pfn table, unsigned level, uint64_t base, uint64_t start, uint64_t end, uint64_t& freed) {
  auto& t = *mem_.table(table);
  uint64_t span = entry_span(level);
  bool empty = true;
  for (unsigned i = 0; i < 512; ++i) {
    if (!(t[i] & pte_bits::kMapped)) continue;
    uint64_t va = base + i * span;
    if (level > 1 && !(t[i] & pte_bits::kHuge) && va < end && va + span > start) {
      Pfn child = Pte::from_raw(t[i]).pfn();
      if (prune(child, level - 1, va, start, end, freed)) {
        free_table(child);
        ++freed;
        t[i] = 0;
        continue;
      }
    }
    empty = false;
  }
  return empty;
}

uint64_t PageTables::free_empty_tables(Pfn root, uint64_t start, uint64_t end) {
  uint64_t freed = 0;
  prune(root, levels_, 0, start, end, freed);
  return freed;
}

uint64_t PageTables::destroy(Pfn root) {
  uint64_t freed = free_empty_tables(root, 0, uint64_t{1} << (kPageShift + 9 * levels_)) + 1;
  free_table(root);
  return freed;
}

}  // namespace cowsim
