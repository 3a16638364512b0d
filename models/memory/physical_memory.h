// Simulated physical memory. The model keeps the contents of page-table frames only: data
// frames have no stored bytes (cowsim times accesses, it does not compute values), so a
// 64 GiB machine costs host memory only for the page tables it actually holds.
//
// Table pages live in an arena of 2 MiB blocks (512 pages, aligned, backed by host huge pages
// where the host allows): every page walk reads a random table page, and 8 MiB of tables in
// separately allocated 4 KiB pieces cost a host TLB miss on top of the cache miss. Pages never
// move, so references the kernel model holds stay valid.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/common/host_prefetch.h"
#include "models/common/types.h"
#include "models/memory/memory_params.h"

namespace cowsim {

class PhysicalMemory {
 public:
  using TablePage = std::array<uint64_t, 512>;

  explicit PhysicalMemory(const MemoryParams& p);
  uint64_t frame_count() const { return frames_; }

  // Gives frame `pfn` backing storage, zero-filled (it is becoming a page-table page).
  TablePage& attach_table(Pfn pfn);
  void detach_table(Pfn pfn);
  bool has_table(Pfn pfn) const { return slot_of(pfn) != kNoSlot; }
  // Direct access for the kernel model's own page-table code; null if the frame has no table.
  TablePage* table(Pfn pfn) {
    uint32_t s = slot_of(pfn);
    return s == kNoSlot ? nullptr : &page(s);
  }
  const TablePage* table(Pfn pfn) const {
    uint32_t s = slot_of(pfn);
    return s == kNoSlot ? nullptr : &page(s);
  }

  // 8-byte aligned accesses. Reads of frames without stored contents return 0.
  uint64_t read64(PhysAddr pa) const {
    const uint64_t* e = entry(pa);
    return e ? *e : 0;
  }
  // Where read64(pa) reads, or null if the frame holds no table (also a host prefetch's target).
  const uint64_t* entry(PhysAddr pa) const {
    uint32_t s = slot_of(pa.pfn());
    return s == kNoSlot ? nullptr : &page(s)[(pa.value >> 3) & 511];
  }
  // A host hint: the index line entry() of a PTE in frame `pfn` will read first.
  void prefetch_index(Pfn pfn) const {
    const uint64_t c = pfn.value >> kChunkShift;
    if (c < index_.size() && index_[c]) host_prefetch(&(*index_[c])[pfn.value & ((1u << kChunkShift) - 1)]);
  }
  // Returns false if the frame holds no table (a write the model cannot store).
  bool write64(PhysAddr pa, uint64_t v) {
    uint32_t s = slot_of(pa.pfn());
    if (s == kNoSlot) return false;
    page(s)[(pa.value >> 3) & 511] = v;
    return true;
  }
  // Slot 0 is the never-used "none" slot, not a table: it is not counted.
  size_t tables_in_use() const { return slots_ - 1 - free_slots_.size(); }

 private:
  static constexpr uint32_t kNoSlot = 0;  // slot 0 is never used, so zeroed chunks mean "none"
  static constexpr unsigned kChunkShift = 12;
  using Chunk = std::array<uint32_t, size_t{1} << kChunkShift>;

  uint32_t slot_of(Pfn pfn) const {
    uint64_t c = pfn.value >> kChunkShift;
    if (c >= index_.size() || !index_[c]) return kNoSlot;
    return (*index_[c])[pfn.value & ((1u << kChunkShift) - 1)];
  }

  static constexpr unsigned kBlockShift = 9;  // 512 pages = 2 MiB per arena block
  struct FreeBlock {
    void operator()(TablePage* p) const;
  };
  TablePage& page(uint32_t slot) const { return blocks_[slot >> kBlockShift][slot & ((1u << kBlockShift) - 1)]; }

  uint64_t frames_;
  // Two-level radix index pfn -> slot, chunks created on first use.
  std::vector<std::unique_ptr<Chunk>> index_;
  std::vector<std::unique_ptr<TablePage[], FreeBlock>> blocks_;  // slot s: blocks_[s / 512][s % 512]
  uint32_t slots_ = 1;                                             // slots handed out, "none" included
  std::vector<uint32_t> free_slots_;
};

}  // namespace cowsim
