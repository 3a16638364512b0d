#include "models/memory/physical_memory.h"

#include <stdexcept>

namespace cowsim {

PhysicalMemory::PhysicalMemory(const MemoryParams& p)
    : frames_(p.size >> kPageShift), index_((frames_ >> kChunkShift) + 1) {
  pages_.emplace_back();  // slot 0 = none
}

PhysicalMemory::TablePage& PhysicalMemory::attach_table(Pfn pfn) {
  if (pfn.value >= frames_) throw std::logic_error("attach_table: frame beyond physical memory");
  auto& chunk = index_[pfn.value >> kChunkShift];
  if (!chunk) chunk = std::make_unique<Chunk>(Chunk{});
  uint32_t& slot = (*chunk)[pfn.value & ((1u << kChunkShift) - 1)];
  if (slot != kNoSlot) throw std::logic_error("attach_table: frame already holds a table");
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    pages_[slot]->fill(0);
  } else {
    slot = static_cast<uint32_t>(pages_.size());
    pages_.push_back(std::make_unique<TablePage>(TablePage{}));
  }
  return *pages_[slot];
}

void PhysicalMemory::detach_table(Pfn pfn) {
  // slot_of() first: a frame in an index chunk that was never created has no chunk to
  // dereference (it holds no table either).
  if (slot_of(pfn) == kNoSlot) throw std::logic_error("detach_table: frame holds no table");
  auto& chunk = index_[pfn.value >> kChunkShift];
  uint32_t& slot = (*chunk)[pfn.value & ((1u << kChunkShift) - 1)];
  free_slots_.push_back(slot);
  slot = kNoSlot;
}

}  // namespace cowsim
