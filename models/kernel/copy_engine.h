// How the kernel copies or zeroes a page (Linux's copy_mc_user_highpage / clear_user_highpage,
// copy_user_large_folio / folio_zero_user): the one place where page copy and zero cycles are
// charged, for 4 KiB, 2 MiB (THP) and 1 GiB (hugetlb) pages alike. Selected by
// kernel.copy.engine (and kernel.zero.engine); docs/kernel-model.md describes the engines.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/stats.h"
#include "models/common/types.h"
#include "models/kernel/cost.h"
#include "models/kernel/kernel_params.h"
#include "models/memory/dram_channels.h"
#include "models/memory/dram_map.h"

namespace cowsim {

class MemoryHierarchy;

class CopyEngine {
 public:
  virtual ~CopyEngine() = default;
  // Copies `bytes` (a whole 4 KiB, 2 MiB or 1 GiB page) from frame `src` to frame `dst` for a
  // fault or system call taken on `core`, adding the cycles to `c`.
  virtual void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) = 0;
  // Zeroes `bytes` at frame `dst`.
  virtual void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) = 0;
  // The data caches of `core` (platform/system.cpp attaches every core's): the cpu engine
  // copies through them, dma and rowclone keep them coherent. Without any (unit tests of the
  // kernel alone) the coherence work finds nothing cached.
  virtual void attach_caches(unsigned core, MemoryHierarchy* h);
  // The memory channels all cores share (memory.dram.contention); null: transfers never wait.
  virtual void attach_channels(DramChannels* channels) { channels_ = channels; }
  // Counters under the current scope; cpu_nt reports none (the default's statistics stay as
  // they were).
  virtual void report(StatSink&) const {}

 protected:
  // Coherence before or after an in-memory copy. clean: dirty lines of [frame, +bytes) in any
  // core's caches are written to DRAM (they stay cached, clean); returns the lines written.
  // invalidate: lines of the range are dropped everywhere; returns the lines that were cached.
  uint64_t clean_range(Pfn frame, uint64_t bytes);
  uint64_t invalidate_range(Pfn frame, uint64_t bytes);
  MemoryHierarchy* caches(unsigned core) const { return core < caches_.size() ? caches_[core] : nullptr; }
  // With shared channels: a transfer of `read` bytes from `src` and `write` bytes to `dst` that
  // streams for `own` cycles alone starts now (c.now()) and waits for the channels; the wait is
  // added to `c` as its own step (dram_wait), before the transfer's own step.
  void contend(Pfn src, uint64_t read, Pfn dst, uint64_t write, uint64_t own, unsigned core, DramUser who, Cost& c) {
    if (channels_)
      c.add(Step::kDramWait,
            channels_->stream(c.now(), core, frame_address(src), read, frame_address(dst), write, own, who));
  }

 private:
  std::vector<MemoryHierarchy*> caches_;
  DramChannels* channels_ = nullptr;
};

// cpu_nt: the faulting core streams the page with non-temporal stores (Linux's clear_page_erms /
// copy_page on x86-64), so the cost is the DRAM stream time of KernelCosts (derive_from).
class CpuNtCopyEngine final : public CopyEngine {
 public:
  CpuNtCopyEngine(const KernelCosts& cost, uint32_t dram_latency) : cost_(cost), latency_(dram_latency) {}
  void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;

 private:
  const KernelCosts& cost_;
  uint32_t latency_;  // memory.dram.latency: before the first byte; the rest is the stream
};

// What every other engine counts (kernel.copy_engine.<name>.*).
struct EngineCounters {
  uint64_t copies = 0, copy_bytes = 0, zeroes = 0, zero_bytes = 0, busy_cycles = 0;
  uint64_t lines_written_back = 0, lines_invalidated = 0, coherence_cycles = 0;
  void report(StatSink& s) const;
};

// cpu: the faulting core copies with ordinary loads and stores (Linux's copy_page with
// rep movsb on a cacheable mapping): every source line is read and every destination line
// written through its L1D/L2/LLC (requester `kernel`), evicting the workload's lines and leaving
// the new page cached. Cycles = max(ceil(sum of the lines' latencies / kernel.copy.cpu_mlp),
// ceil(DRAM bytes / memory.dram.bandwidth)).
class CpuCopyEngine final : public CopyEngine {
 public:
  CpuCopyEngine(const CopyEngineParams& p, const DramParams& d) : p_(p), dram_(d) {}
  void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void report(StatSink& s) const override;

 private:
  uint64_t cycles(uint64_t latency_sum, uint64_t dram_lines) const;
  MemoryHierarchy& need(unsigned core) const;
  CopyEngineParams p_;
  DramParams dram_;
  EngineCounters n_;
  uint64_t dram_lines_ = 0;
};

// dma: an on-chip copy engine. Cycles = dma_setup + memory.dram.latency + ceil(bytes moved /
// dma_bandwidth) + invalidated destination lines x invalidate_line, plus two context switches
// when the core sleeps (dma_wait=sleep). Caches are not filled; the source is read coherently
// (snooped, no write-back charged).
class DmaCopyEngine final : public CopyEngine {
 public:
  DmaCopyEngine(const CopyEngineParams& p, const DramParams& d, const KernelCosts& cost) : p_(p), dram_(d), cost_(cost) {}
  void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void report(StatSink& s) const override;

 private:
  // Cycles of one transfer (the dram_wait step goes to `c` directly).
  uint64_t run(Pfn src, Pfn dst, uint64_t bytes, uint64_t moved, unsigned core, Cost& c);
  CopyEngineParams p_;
  DramParams dram_;
  const KernelCosts& cost_;
  EngineCounters n_;
  uint64_t transfer_cycles_ = 0, setup_cycles_ = 0, sleeps_ = 0;
};

// rowclone (Seshadri et al., MICRO 2013), per 4 KiB frame pair: Fast Parallel Mode when source
// and destination lie in the same subarray at the same place in their rows (ACTIVATE src,
// ACTIVATE dst, PRECHARGE: 2 tRAS + tRP); Pipelined Serial Mode when they lie in different banks
// of the same channel and rank (both rows opened, one line per burst over the internal bus:
// max(tRCD + 64 tburst, tRAS) + tRP); otherwise the cpu_nt path. Before: the source's dirty
// cached lines are written back (memory.dram.latency + ceil(lines x 64 / bandwidth)) and the
// destination's cached lines invalidated (invalidate_line each). Zeroing is FPM from a zero row
// reserved in the destination's subarray.
class RowCloneCopyEngine final : public CopyEngine {
 public:
  RowCloneCopyEngine(const CopyEngineParams& p, const DramParams& d, const KernelCosts& cost)
      : p_(p), dram_(d), map_(d.map), cost_(cost) {}
  void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) override;
  void report(StatSink& s) const override;

  enum class Mode { kFpm, kPsm, kCpu };
  Mode mode(Pfn src, Pfn dst) const;
  uint64_t fpm_cycles() const { return 2ull * dram_.timing.tras + dram_.timing.trp; }
  uint64_t psm_cycles() const;

 private:
  uint64_t coherence(Pfn src, Pfn dst, uint64_t bytes);  // 0 frame src: zeroing (no source)
  CopyEngineParams p_;
  DramParams dram_;
  DramMap map_;
  const KernelCosts& cost_;
  EngineCounters n_;
  uint64_t pages_[3] = {}, cycles_[3] = {}, zero_pages_ = 0;
};

// Copies with one engine and zeroes with another (kernel.zero.engine differs from the copy's).
class SplitCopyEngine final : public CopyEngine {
 public:
  SplitCopyEngine(std::unique_ptr<CopyEngine> copier, std::unique_ptr<CopyEngine> zeroer)
      : copier_(std::move(copier)), zeroer_(std::move(zeroer)) {}
  void copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) override { copier_->copy(src, dst, bytes, core, c); }
  void zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) override { zeroer_->zero(dst, bytes, core, c); }
  void attach_caches(unsigned core, MemoryHierarchy* h) override;
  void attach_channels(DramChannels* channels) override;
  void report(StatSink& s) const override;

 private:
  std::unique_ptr<CopyEngine> copier_, zeroer_;
};

// The engine kernel.copy.engine and kernel.zero.engine select; `dram` is memory.dram.
std::unique_ptr<CopyEngine> make_copy_engine(const CopyEngineParams& p, const DramParams& dram, const KernelCosts& cost);

}  // namespace cowsim
