// Latency distribution in cycles. Exact below 1024 cycles, then 64 bins per power of two
// (about 1.1% resolution) up to 2^44 cycles, then one overflow bin, so p50/p90/p99 of walks
// and faults are meaningful from a 10-cycle TLB refill to a 1 ms huge-page fault.
//
// add() is on the per-walk and per-fault path, so the bin is computed from the value's
// leading bit instead of searched for; testbenches/common/011_histogram_equivalence_test.cpp
// checks it against the Boost.Histogram variable axis it replaced.
#pragma once

#include <cstdint>
#include <vector>

namespace cowsim {

class LatencyHistogram {
 public:
  static constexpr unsigned kExact = 1024;           // values below: one bin each
  static constexpr unsigned kFirstOctave = 10;       // 2^10 = kExact
  static constexpr unsigned kLastOctave = 44;        // values from 2^44 up: the overflow bin
  static constexpr unsigned kBinsPerOctave = 64;
  static constexpr unsigned kBins = kExact + (kLastOctave - kFirstOctave) * kBinsPerOctave;  // + overflow

  LatencyHistogram() : counts_(kBins + 1, 0) {}
  void add(uint64_t cycles) {
    ++counts_[bin(cycles)];
    ++count_;
    sum_ += cycles;
    if (cycles > max_) max_ = cycles;
    if (cycles < min_) min_ = cycles;
  }
  // `n` samples of the same value at once (a count of L1 TLB hits at the L1's latency).
  void add(uint64_t cycles, uint64_t n) {
    if (!n) return;
    counts_[bin(cycles)] += n;
    count_ += n;
    sum_ += cycles * n;
    if (cycles > max_) max_ = cycles;
    if (cycles < min_) min_ = cycles;
  }
  uint64_t count() const { return count_; }
  uint64_t bin_count(unsigned bin) const { return counts_[bin]; }  // bin <= kBins
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // Smallest recorded bin edge at or below which a fraction q of the samples lie.
  uint64_t percentile(double q) const;
  // The samples added since `before` was copied from this histogram (a region of interest).
  // Counts, sum and mean are exact. The maximum is exact when it exceeds before's maximum,
  // else it is the top of the highest bin that grew (exact below kExact, within a bin's width
  // above); the minimum likewise from below.
  LatencyHistogram since(const LatencyHistogram& before) const;

  // Bin of a value (kBins: overflow) and a bin's lower edge.
  static unsigned bin(uint64_t v) {
    if (v < kExact) return static_cast<unsigned>(v);
    const unsigned octave = 63u - static_cast<unsigned>(__builtin_clzll(v));
    if (octave >= kLastOctave) return kBins;
    // Within octave o the bins are 2^(o-6) wide: 64 of them from 2^o to 2^(o+1).
    const unsigned within = static_cast<unsigned>((v - (uint64_t{1} << octave)) >> (octave - 6));
    return kExact + (octave - kFirstOctave) * kBinsPerOctave + within;
  }
  static uint64_t lower_edge(unsigned bin) {
    if (bin <= kExact) return bin;
    const unsigned i = bin - kExact, octave = kFirstOctave + i / kBinsPerOctave;
    return uint64_t{kBinsPerOctave + i % kBinsPerOctave} << (octave - 6);
  }

 private:
  std::vector<uint64_t> counts_;  // [bin], kBins = overflow
  uint64_t count_ = 0, sum_ = 0, max_ = 0, min_ = UINT64_MAX;
};

}  // namespace cowsim
