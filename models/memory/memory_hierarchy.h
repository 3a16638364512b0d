// The data-side memory hierarchy of one core (SystemC-free logic): L1D, L2, LLC, then DRAM.
//
// Model, kept simple on purpose:
// - Non-inclusive, fill on the way back: an access looks up L1D, L2, LLC in turn; the level
//   that hits (or DRAM) supplies the line, and every level above it that missed is filled.
//   Nothing is back-invalidated: a line evicted from L2 may stay in L1D.
// - Latency is the load-to-use latency of the level that hit (not a sum over the levels
//   looked up); an access that misses everywhere costs dram.latency.
// - Write-back, write-allocate: a write marks the line dirty in L1D (lower levels get clean
//   copies). A dirty victim is written back at no modelled cost: it marks the line dirty in
//   the next level down that holds it (nothing is allocated), else counts a DRAM write-back.
//   Only dirty evictions and write-backs are counted; write-back traffic takes no time.
// - Page zeroing and copying (zero_page, copy_page) are streaming, non-temporal operations:
//   they cost DRAM latency plus the bytes moved over dram.bandwidth and neither install nor
//   invalidate any cache line.
// - Deterministic: the random policy of each level draws from a generator seeded from `seed`.
//
// Per access: an L1D hit is a tag compare over one set's ways plus one policy touch, inline;
// misses go out of line. Nothing is allocated after construction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "models/common/stats.h"
#include "models/common/types.h"
#include "models/memory/cache.h"
#include "models/memory/dram_channels.h"
#include "models/memory/hierarchy_params.h"
#include "models/memory/level.h"

namespace cowsim {


struct AccessResult {
  Cycles latency;
  Level where;
};

class MemoryHierarchy {
 public:
  // `shared_llc`: the LLC every core's hierarchy uses (it must outlive them); null: a private
  // LLC built from p.llc. `memory_bytes`: the simulated physical memory (Cache tag width).
  MemoryHierarchy(const MemoryHierarchyParams& p, uint64_t seed, Cache* shared_llc = nullptr,
                  uint64_t memory_bytes = Cache::kMaxMemoryBytes);

  // One access of one cache line's worth (the line holding `pa`). Timed: updates contents,
  // replacement state and counters.
  AccessResult access(PhysAddr pa, bool write, Source src) {
    if (l1_.lookup(pa, write, src)) return {Cycles{l1_.latency()}, Level::kL1};
    return access_below_l1(pa, write, src);
  }

  // A hint to the host, no simulated effect: bring the L2 and LLC model sets `pa` maps to into
  // the host's caches, for an access that is coming.
  void prefetch(PhysAddr pa) const {
    l2_.prefetch(pa);
    llc_->prefetch(pa);
  }

  // Shared memory channels (memory.dram.contention): a line that misses every level then queues
  // on its channel at core `core`'s local time `clock` (the access's issue cycle; DramChannels
  // never makes a core wait for itself). Kernel-source lines are not queued here: the cpu copy
  // engine charges them as one transfer.
  void attach_channels(DramChannels* channels, TimeRef clock, unsigned core) {
    channels_ = channels;
    clock_ = clock;
    core_ = core;
  }

  // Functional path: the level an access to `pa` would hit now. No side effects.
  Level probe(PhysAddr pa) const;

  // Kernel bulk operations (streaming, non-temporal: caches untouched). Counted in the DRAM
  // statistics; return the same cycles as zero_cycles / copy_cycles.
  Cycles zero_page(PhysAddr frame, uint64_t bytes);
  Cycles copy_page(PhysAddr dst, PhysAddr src, uint64_t bytes);
  // Pure costs: 0 for 0 bytes, else dram.latency + ceil(bytes moved / dram.bandwidth), where
  // zeroing moves `bytes` and copying moves 2 x `bytes` (read + write).
  Cycles zero_cycles(uint64_t bytes) const { return stream_cycles(bytes); }
  Cycles copy_cycles(uint64_t bytes) const { return stream_cycles(2 * bytes); }

  // Coherence for an in-memory copy (kernel.copy.engine dma, rowclone), untimed here (the
  // engine charges it): the line holding `pa` is cleaned (dirty data written to DRAM, counted
  // in dram.writebacks) or invalidated in L1D, L2 and, if `with_llc`, the LLC (a shared LLC is
  // handled once, by one core's hierarchy). Return whether it was dirty / present anywhere.
  bool clean_line(PhysAddr pa, bool with_llc);
  bool invalidate_line(PhysAddr pa, bool with_llc);

  const Cache& l1d() const { return l1_; }
  const Cache& l2() const { return l2_; }
  const Cache& llc() const { return *llc_; }
  bool llc_shared() const { return !own_llc_; }
  const Cache& cache(Level l) const;  // kL1, kL2 or kLlc
  uint32_t dram_latency() const { return dram_latency_; }
  double dram_bandwidth() const { return dram_bandwidth_; }
  uint64_t dram_accesses() const { return dram_accesses_[0] + dram_accesses_[1] + dram_accesses_[2]; }
  uint64_t dram_accesses(Source s) const { return dram_accesses_[static_cast<size_t>(s)]; }
  uint64_t dram_writebacks() const { return dram_writebacks_; }
  uint64_t bytes_zeroed() const { return bytes_zeroed_; }
  uint64_t bytes_copied() const { return bytes_copied_; }

  // Scopes l1d, l2, llc (Cache::report; not when the LLC is shared) and dram: accesses (total and per source),
  // writebacks, zero/copy operations, bytes zeroed, copied and streamed, stream cycles.
  void report(StatSink& s) const;

 private:
  AccessResult access_below_l1(PhysAddr pa, bool write, Source src);
  void fill_l1(PhysAddr pa, bool dirty);
  void fill_l2(PhysAddr pa);
  void fill_llc(PhysAddr pa);
  // A dirty victim of `from` (line number in that level's units) goes to the first level
  // below it that holds the line, else to DRAM.
  void write_back(const Cache& from, uint64_t line);
  Cycles stream_cycles(uint64_t moved) const;
  uint64_t queue(PhysAddr pa, Source src);  // cycles a DRAM line waits for its channel

  Cache l1_, l2_;
  std::unique_ptr<Cache> own_llc_;  // null when the LLC is shared
  Cache* llc_;
  uint32_t dram_latency_;
  double dram_bandwidth_;
  std::array<uint64_t, kSourceCount> dram_accesses_{};
  uint64_t dram_writebacks_ = 0;
  DramChannels* channels_ = nullptr;
  TimeRef clock_;
  unsigned core_ = 0;
  uint64_t zero_ops_ = 0, copy_ops_ = 0, bytes_zeroed_ = 0, bytes_copied_ = 0, stream_cycles_ = 0;
};

}  // namespace cowsim
