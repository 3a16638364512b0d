#include "models/memory/memory_hierarchy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/common/error.h"

namespace cowsim {

const char* level_name(Level l) {
  switch (l) {
    case Level::kL1: return "l1d";
    case Level::kL2: return "l2";
    case Level::kLlc: return "llc";
    case Level::kDram: return "dram";
  }
  return "?";
}

namespace {

// Each level's random policy gets its own stream, derived from the configuration's seed.
uint64_t level_seed(uint64_t seed, unsigned level) { return seed ^ (0x9E3779B97F4A7C15ull * (level + 1)); }

}  // namespace

MemoryHierarchy::MemoryHierarchy(const MemoryHierarchyParams& p, uint64_t seed, Cache* shared_llc,
                                 uint64_t memory_bytes)
    : l1_("l1d", p.l1d, level_seed(seed, 0), memory_bytes),
      l2_("l2", p.l2, level_seed(seed, 1), memory_bytes),
      own_llc_(shared_llc ? nullptr : std::make_unique<Cache>("llc", p.llc, level_seed(seed, 2), memory_bytes)),
      llc_(shared_llc ? shared_llc : own_llc_.get()),
      dram_latency_(p.dram.latency),
      dram_bandwidth_(p.dram.bandwidth) {
  if (!(dram_bandwidth_ > 0) || !std::isfinite(dram_bandwidth_))
    throw InputError("memory.dram.bandwidth must be a positive number of bytes per cycle");
}

const Cache& MemoryHierarchy::cache(Level l) const {
  switch (l) {
    case Level::kL1: return l1_;
    case Level::kL2: return l2_;
    case Level::kLlc: return *llc_;
    case Level::kDram: break;
  }
  throw std::logic_error("MemoryHierarchy::cache: DRAM is not a cache level");
}

AccessResult MemoryHierarchy::access_below_l1(PhysAddr pa, bool write, Source src) {
  llc_->prefetch(pa);  // host hint: the LLC model's set is usually a host cache miss; start it now
  // Lower levels are looked up as reads: the written line is dirty in L1D only.
  if (l2_.lookup(pa, false, src)) {
    fill_l1(pa, write);
    return {Cycles{l2_.latency()}, Level::kL2};
  }
  if (llc_->lookup(pa, false, src)) {
    fill_l2(pa);
    fill_l1(pa, write);
    return {Cycles{llc_->latency()}, Level::kLlc};
  }
  ++dram_accesses_[static_cast<size_t>(src)];
  // Bottom up, so a victim written back from L1D or L2 finds the levels below already filled.
  fill_llc(pa);
  fill_l2(pa);
  fill_l1(pa, write);
  if (channels_ && src != Source::kKernel) return {Cycles{dram_latency_ + queue(pa, src)}, Level::kDram};
  return {Cycles{dram_latency_}, Level::kDram};
}

uint64_t MemoryHierarchy::queue(PhysAddr pa, Source src) {
  return channels_->line(pa, clock_.now(), core_, src == Source::kData ? DramUser::kData : DramUser::kWalk);
}

// Every fill below follows a miss of the same line at that level, with nothing filled there
// in between (a victim's write-back only marks lines below it dirty): fill_missing.
void MemoryHierarchy::fill_l1(PhysAddr pa, bool dirty) {
  Cache::Victim v = l1_.fill_missing(pa, dirty);
  if (v.dirty) write_back(l1_, v.line);
}

void MemoryHierarchy::fill_l2(PhysAddr pa) {
  Cache::Victim v = l2_.fill_missing(pa, false);
  if (v.dirty) write_back(l2_, v.line);
}

void MemoryHierarchy::fill_llc(PhysAddr pa) {
  Cache::Victim v = llc_->fill_missing(pa, false);
  if (v.dirty) ++dram_writebacks_;
}

void MemoryHierarchy::write_back(const Cache& from, uint64_t line) {
  const uint64_t addr = line << from.line_shift();
  if (&from == &l1_ && l2_.absorb_writeback(addr >> l2_.line_shift())) return;
  if (&from != llc_ && llc_->absorb_writeback(addr >> llc_->line_shift())) return;
  ++dram_writebacks_;
}

bool MemoryHierarchy::clean_line(PhysAddr pa, bool with_llc) {
  bool dirty = l1_.clean(pa);
  dirty = l2_.clean(pa) || dirty;
  if (with_llc) dirty = llc_->clean(pa) || dirty;
  if (dirty) ++dram_writebacks_;
  return dirty;
}

bool MemoryHierarchy::invalidate_line(PhysAddr pa, bool with_llc) {
  bool present = l1_.invalidate(pa);
  present = l2_.invalidate(pa) || present;
  if (with_llc) present = llc_->invalidate(pa) || present;
  return present;
}

Level MemoryHierarchy::probe(PhysAddr pa) const {
  if (l1_.contains(pa)) return Level::kL1;
  if (l2_.contains(pa)) return Level::kL2;
  if (llc_->contains(pa)) return Level::kLlc;
  return Level::kDram;
}

Cycles MemoryHierarchy::stream_cycles(uint64_t moved) const {
  DramParams d;
  d.latency = dram_latency_;
  d.bandwidth = dram_bandwidth_;
  return dram_stream_cycles(d, moved);
}

Cycles MemoryHierarchy::zero_page(PhysAddr, uint64_t bytes) {
  Cycles c = zero_cycles(bytes);
  ++zero_ops_;
  bytes_zeroed_ += bytes;
  stream_cycles_ += c.value;
  return c;
}

Cycles MemoryHierarchy::copy_page(PhysAddr, PhysAddr, uint64_t bytes) {
  Cycles c = copy_cycles(bytes);
  ++copy_ops_;
  bytes_copied_ += bytes;
  stream_cycles_ += c.value;
  return c;
}

void MemoryHierarchy::report(StatSink& s) const {
  {
    StatSink::Scope sc(s, "l1d");
    l1_.report(s);
  }
  {
    StatSink::Scope sc(s, "l2");
    l2_.report(s);
  }
  if (own_llc_) {
    StatSink::Scope sc(s, "llc");
    own_llc_->report(s);
  }
  StatSink::Scope sc(s, "dram");
  s.counter("accesses", dram_accesses(), "accesses", "Accesses that missed every cache level");
  for (size_t i = 0; i < kSourceCount; ++i) {
    StatSink::Scope ss(s, source_name(static_cast<Source>(i)));
    s.counter("accesses", dram_accesses_[i], "accesses",
              "Accesses from this source (data, page walk, kernel) that missed every cache level");
  }
  s.counter("writebacks", dram_writebacks_, "lines",
            "Dirty lines evicted with no lower cache level holding them (counted, not timed)");
  s.counter("zero_ops", zero_ops_, "operations", "Page-zeroing operations (streaming, caches untouched)");
  s.counter("copy_ops", copy_ops_, "operations", "Page-copy operations (streaming, caches untouched)");
  s.counter("bytes_zeroed", bytes_zeroed_, "bytes", "Bytes zeroed by zero_page");
  s.counter("bytes_copied", bytes_copied_, "bytes", "Bytes copied by copy_page (each read once and written once)");
  s.counter("bytes_streamed", bytes_zeroed_ + 2 * bytes_copied_, "bytes",
            "DRAM traffic of zeroing and copying: bytes zeroed + 2 x bytes copied");
  s.counter("stream_cycles", stream_cycles_, "cycles", "Cycles charged for zeroing and copying");
}

}  // namespace cowsim
