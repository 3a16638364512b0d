#include "models/memory/physical_memory.h"

#include <cstdlib>
#include <new>
#include <stdexcept>

#include <sys/mman.h>

namespace cowsim {

void PhysicalMemory::FreeBlock::operator()(TablePage* p) const { std::free(p); }

PhysicalMemory::PhysicalMemory(const MemoryParams& p)
    : frames_(p.size >> kPageShift), index_((frames_ >> kChunkShift) + 1) {}

PhysicalMemory::TablePage& PhysicalMemory::attach_table(Pfn pfn) {
  if (pfn.value >= frames_) throw std::logic_error("attach_table: frame beyond physical memory");
  auto& chunk = index_[pfn.value >> kChunkShift];
  if (!chunk) chunk = std::make_unique<Chunk>(Chunk{});
  uint32_t& slot = (*chunk)[pfn.value & ((1u << kChunkShift) - 1)];
  if (slot != kNoSlot) throw std::logic_error("attach_table: frame already holds a table");
  uint32_t s;
  if (!free_slots_.empty()) {
    s = free_slots_.back();
    free_slots_.pop_back();
  } else {
    s = slots_++;
    if ((s >> kBlockShift) == blocks_.size()) {
      constexpr size_t kBlockBytes = sizeof(TablePage) << kBlockShift;
      void* b = std::aligned_alloc(kBlockBytes, kBlockBytes);
      if (!b) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
      madvise(b, kBlockBytes, MADV_HUGEPAGE);  // a hint: without it the block still works
#endif
      blocks_.emplace_back(static_cast<TablePage*>(b));
    }
  }
  page(s).fill(0);
  slot = s;
  return page(s);
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
