#include "models/kernel/copy_engine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "models/memory/memory_hierarchy.h"

namespace cowsim {

namespace {
constexpr uint64_t kLine = 64;  // cache line and DRAM burst size of every engine's arithmetic

[[noreturn]] void bad_size(uint64_t bytes) {
  throw std::logic_error("copy engine: no page of " + std::to_string(bytes) + " bytes");
}

uint64_t div_ceil(uint64_t a, double b) { return static_cast<uint64_t>(std::ceil(static_cast<double>(a) / b)); }
}  // namespace

// ---------------------------------------------------------------- common

void CopyEngine::attach_caches(unsigned core, MemoryHierarchy* h) {
  if (caches_.size() <= core) caches_.resize(core + 1, nullptr);
  caches_[core] = h;
}

namespace {
// Applies `op` (clean or invalidate) to every line of the range in every core's caches, a
// shared LLC once; counts the lines some cache answered true for (dirty, or present).
uint64_t each_line(const std::vector<MemoryHierarchy*>& caches, Pfn frame, uint64_t bytes,
                   bool (MemoryHierarchy::*op)(PhysAddr, bool)) {
  uint64_t lines = 0;
  const uint64_t base = frame_address(frame).value;
  for (uint64_t off = 0; off < bytes; off += kLine) {
    bool any = false;
    bool llc_done = false;
    for (MemoryHierarchy* h : caches) {
      if (!h) continue;
      const bool with_llc = !h->llc_shared() || !llc_done;
      any = (h->*op)(PhysAddr{base + off}, with_llc) || any;
      llc_done = llc_done || h->llc_shared();
    }
    lines += any;
  }
  return lines;
}
}  // namespace

uint64_t CopyEngine::clean_range(Pfn frame, uint64_t bytes) {
  return each_line(caches_, frame, bytes, &MemoryHierarchy::clean_line);
}

uint64_t CopyEngine::invalidate_range(Pfn frame, uint64_t bytes) {
  return each_line(caches_, frame, bytes, &MemoryHierarchy::invalidate_line);
}

void EngineCounters::report(StatSink& s) const {
  s.counter("copies", copies, "pages", "Pages copied (any size)");
  s.counter("copy_bytes", copy_bytes, "bytes", "Bytes copied");
  s.counter("zeroes", zeroes, "pages", "Pages zeroed (any size)");
  s.counter("zero_bytes", zero_bytes, "bytes", "Bytes zeroed");
  s.counter("busy_cycles", busy_cycles, "cycles", "Cycles charged to faulting cores for copies and zeroing, coherence included");
  s.counter("lines_written_back", lines_written_back, "lines",
            "Dirty cached source lines written to DRAM before an in-memory copy");
  s.counter("lines_invalidated", lines_invalidated, "lines", "Cached destination lines invalidated");
  s.counter("coherence_cycles", coherence_cycles, "cycles", "Of busy_cycles: the write-backs and invalidations");
}

// ---------------------------------------------------------------- cpu_nt

void CpuNtCopyEngine::copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) {
  uint64_t cyc = 0;
  if (bytes == kPageSize) cyc = cost_.page_copy;
  else if (bytes == kHugePageSize) cyc = cost_.huge_copy;
  else if (bytes == kGiantPageSize) cyc = cost_.giant_copy;
  else bad_size(bytes);
  contend(src, bytes, dst, bytes, cyc > latency_ ? cyc - latency_ : 0, core, DramUser::kCopy, c);
  c.add(Step::kCopy, cyc);
}

void CpuNtCopyEngine::zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) {
  uint64_t cyc = 0;
  if (bytes == kPageSize) cyc = cost_.page_zero;
  else if (bytes == kHugePageSize) cyc = cost_.huge_zero;
  else if (bytes == kGiantPageSize) cyc = cost_.giant_zero;
  else bad_size(bytes);
  contend(Pfn{0}, 0, dst, bytes, cyc > latency_ ? cyc - latency_ : 0, core, DramUser::kZero, c);
  c.add(Step::kZero, cyc);
}

// ---------------------------------------------------------------- cpu

MemoryHierarchy& CpuCopyEngine::need(unsigned core) const {
  MemoryHierarchy* h = caches(core);
  if (!h) throw std::logic_error("kernel.copy.engine=cpu: no data caches attached for core " + std::to_string(core));
  return *h;
}

uint64_t CpuCopyEngine::cycles(uint64_t latency_sum, uint64_t dram_lines) const {
  return std::max((latency_sum + p_.cpu_mlp - 1) / p_.cpu_mlp, div_ceil(dram_lines * kLine, dram_.bandwidth));
}

void CpuCopyEngine::copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) {
  MemoryHierarchy& h = need(core);
  const uint64_t s = frame_address(src).value, d = frame_address(dst).value;
  uint64_t sum = 0, reads = 0, writes = 0;
  for (uint64_t off = 0; off < bytes; off += kLine) {
    AccessResult r = h.access(PhysAddr{s + off}, false, Source::kKernel);
    AccessResult w = h.access(PhysAddr{d + off}, true, Source::kKernel);
    sum += r.latency.value + w.latency.value;
    reads += r.where == Level::kDram;
    writes += w.where == Level::kDram;
  }
  const uint64_t dram = reads + writes;
  const uint64_t cyc = cycles(sum, dram);
  if (dram) contend(src, reads * kLine, dst, writes * kLine, cyc, core, DramUser::kCopy, c);
  ++n_.copies;
  n_.copy_bytes += bytes;
  n_.busy_cycles += cyc;
  dram_lines_ += dram;
  c.add(Step::kCopy, cyc);
}

void CpuCopyEngine::zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) {
  MemoryHierarchy& h = need(core);
  const uint64_t d = frame_address(dst).value;
  uint64_t sum = 0, dram = 0;
  for (uint64_t off = 0; off < bytes; off += kLine) {
    AccessResult w = h.access(PhysAddr{d + off}, true, Source::kKernel);
    sum += w.latency.value;
    dram += w.where == Level::kDram;
  }
  const uint64_t cyc = cycles(sum, dram);
  if (dram) contend(Pfn{0}, 0, dst, dram * kLine, cyc, core, DramUser::kZero, c);
  ++n_.zeroes;
  n_.zero_bytes += bytes;
  n_.busy_cycles += cyc;
  dram_lines_ += dram;
  c.add(Step::kZero, cyc);
}

void CpuCopyEngine::report(StatSink& s) const {
  StatSink::Scope sc(s, "cpu");
  n_.report(s);
  s.counter("dram_lines", dram_lines_, "lines", "Copy and zero accesses that missed every cache level");
}

// ---------------------------------------------------------------- dma

uint64_t DmaCopyEngine::run(Pfn src, Pfn dst, uint64_t bytes, uint64_t moved, unsigned core, Cost& c) {
  const uint64_t inv = invalidate_range(dst, bytes);
  const uint64_t coh = inv * p_.invalidate_line;
  const uint64_t transfer = dram_.latency + div_ceil(moved, p_.dma_bandwidth);
  uint64_t cyc = p_.dma_setup + transfer + coh;
  {
    Cost at;  // the engine starts moving bytes after the descriptor is written
    at.set_start(c.now() + p_.dma_setup);
    const bool copy = moved > bytes;
    contend(src, copy ? bytes : 0, dst, bytes, transfer - dram_.latency, core, copy ? DramUser::kCopy : DramUser::kZero, at);
    c.add(Step::kDramWait, at.step(Step::kDramWait));
  }
  if (p_.dma_wait == DmaWait::kSleep) {
    cyc += 2ull * cost_.context_switch;
    ++sleeps_;
  }
  n_.lines_invalidated += inv;
  n_.coherence_cycles += coh;
  n_.busy_cycles += cyc;
  transfer_cycles_ += transfer;
  setup_cycles_ += p_.dma_setup;
  return cyc;
}

void DmaCopyEngine::copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) {
  ++n_.copies;
  n_.copy_bytes += bytes;
  c.add(Step::kCopy, run(src, dst, bytes, 2 * bytes, core, c));
}

void DmaCopyEngine::zero(Pfn dst, uint64_t bytes, unsigned core, Cost& c) {
  ++n_.zeroes;
  n_.zero_bytes += bytes;
  c.add(Step::kZero, run(Pfn{0}, dst, bytes, bytes, core, c));
}

void DmaCopyEngine::report(StatSink& s) const {
  StatSink::Scope sc(s, "dma");
  n_.report(s);
  s.counter("setup_cycles", setup_cycles_, "cycles", "Of busy_cycles: descriptor, doorbell and completion");
  s.counter("transfer_cycles", transfer_cycles_, "cycles", "Of busy_cycles: the engine moving the bytes");
  s.counter("sleeps", sleeps_, "operations", "Operations the faulting core slept through (dma_wait=sleep)");
}

// ---------------------------------------------------------------- rowclone

uint64_t RowCloneCopyEngine::psm_cycles() const {
  const DramTimingParams& t = dram_.timing;
  return std::max<uint64_t>(t.trcd + (kPageSize / kLine) * t.tburst, t.tras) + t.trp;
}

RowCloneCopyEngine::Mode RowCloneCopyEngine::mode(Pfn src, Pfn dst) const {
  if (map_.fpm_pair(src, dst)) return Mode::kFpm;
  const DramLocation s = map_.locate(src), d = map_.locate(dst);
  if (s.channel == d.channel && s.rank == d.rank && s.bank != d.bank) return Mode::kPsm;
  return Mode::kCpu;
}

uint64_t RowCloneCopyEngine::coherence(Pfn src, Pfn dst, uint64_t bytes) {
  const uint64_t wb = src.value ? clean_range(src, bytes) : 0;
  const uint64_t inv = invalidate_range(dst, bytes);
  const uint64_t cyc = (wb ? dram_.latency + div_ceil(wb * kLine, dram_.bandwidth) : 0) + inv * p_.invalidate_line;
  n_.lines_written_back += wb;
  n_.lines_invalidated += inv;
  n_.coherence_cycles += cyc;
  return cyc;
}

void RowCloneCopyEngine::copy(Pfn src, Pfn dst, uint64_t bytes, unsigned core, Cost& c) {
  if (bytes % kPageSize) bad_size(bytes);
  uint64_t cyc = coherence(src, dst, bytes);
  uint64_t cpu_pages = 0;
  for (uint64_t i = 0; i < bytes / kPageSize; ++i) {
    const Mode m = mode(Pfn{src.value + i}, Pfn{dst.value + i});
    ++pages_[static_cast<size_t>(m)];
    if (m == Mode::kCpu) {
      ++cpu_pages;
      continue;
    }
    const uint64_t op = m == Mode::kFpm ? fpm_cycles() : psm_cycles();
    cycles_[static_cast<size_t>(m)] += op;
    cyc += op;
  }
  if (cpu_pages) {  // the rest streams through the core as cpu_nt does, in one go
    const uint64_t stream = dram_stream_cycles(dram_, 2 * cpu_pages * kPageSize).value;
    contend(src, cpu_pages * kPageSize, dst, cpu_pages * kPageSize, stream - dram_.latency, core, DramUser::kCopy, c);
    cycles_[static_cast<size_t>(Mode::kCpu)] += stream;
    cyc += stream;
  }
  ++n_.copies;
  n_.copy_bytes += bytes;
  n_.busy_cycles += cyc;
  c.add(Step::kCopy, cyc);
}

void RowCloneCopyEngine::zero(Pfn dst, uint64_t bytes, unsigned, Cost& c) {
  if (bytes % kPageSize) bad_size(bytes);
  uint64_t cyc = coherence(Pfn{0}, dst, bytes);
  const uint64_t pages = bytes / kPageSize;
  cyc += pages * fpm_cycles();
  zero_pages_ += pages;
  ++n_.zeroes;
  n_.zero_bytes += bytes;
  n_.busy_cycles += cyc;
  c.add(Step::kZero, cyc);
}

void RowCloneCopyEngine::report(StatSink& s) const {
  StatSink::Scope sc(s, "rowclone");
  n_.report(s);
  const char* names[3] = {"fpm", "psm", "cpu"};
  const char* what[3] = {"Fast Parallel Mode (same subarray)", "Pipelined Serial Mode (another bank)",
                         "the cpu_nt path (neither FPM nor PSM possible)"};
  for (size_t m = 0; m < 3; ++m) {
    StatSink::Scope ms(s, names[m]);
    s.counter("pages", pages_[m], "pages", (std::string("4 KiB pages copied with ") + what[m]).c_str());
    s.counter("bytes", pages_[m] * kPageSize, "bytes", (std::string("Bytes copied with ") + what[m]).c_str());
    s.counter("cycles", cycles_[m], "cycles", (std::string("Cycles of copies with ") + what[m]).c_str());
  }
  s.counter("zero_fpm_pages", zero_pages_, "pages", "4 KiB pages zeroed by FPM from the subarray's zero row");
}

// ---------------------------------------------------------------- selection

void SplitCopyEngine::attach_caches(unsigned core, MemoryHierarchy* h) {
  copier_->attach_caches(core, h);
  zeroer_->attach_caches(core, h);
}

void SplitCopyEngine::attach_channels(DramChannels* channels) {
  copier_->attach_channels(channels);
  zeroer_->attach_channels(channels);
}

void SplitCopyEngine::report(StatSink& s) const {
  copier_->report(s);
  zeroer_->report(s);
}

namespace {
std::unique_ptr<CopyEngine> make_one(CopyEngineKind kind, const CopyEngineParams& p, const DramParams& d,
                                     const KernelCosts& cost) {
  switch (kind) {
    case CopyEngineKind::kCpuNt: return std::make_unique<CpuNtCopyEngine>(cost, d.latency);
    case CopyEngineKind::kCpu: return std::make_unique<CpuCopyEngine>(p, d);
    case CopyEngineKind::kDma: return std::make_unique<DmaCopyEngine>(p, d, cost);
    case CopyEngineKind::kRowClone: return std::make_unique<RowCloneCopyEngine>(p, d, cost);
  }
  throw std::logic_error("unknown copy engine");
}
}  // namespace

std::unique_ptr<CopyEngine> make_copy_engine(const CopyEngineParams& p, const DramParams& d, const KernelCosts& cost) {
  if (p.zero_engine == ZeroEngineKind::kCopy ||
      static_cast<int>(p.zero_engine) - 1 == static_cast<int>(p.engine))
    return make_one(p.engine, p, d, cost);
  const auto zero_kind = static_cast<CopyEngineKind>(static_cast<int>(p.zero_engine) - 1);
  return std::make_unique<SplitCopyEngine>(make_one(p.engine, p, d, cost), make_one(zero_kind, p, d, cost));
}

}  // namespace cowsim
