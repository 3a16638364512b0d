// Latency distribution in cycles (Boost.Histogram). Exact below 1024 cycles, then 64 bins per
// power of two (about 1.1% resolution), so p50/p90/p99 of walks and faults are meaningful
// from a 10-cycle TLB refill to a 1 ms huge-page fault.
#pragma once

#include <cstdint>
#include <vector>

#include <boost/histogram.hpp>

namespace cowsim {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void add(uint64_t cycles) {
    hist_(static_cast<double>(cycles));
    ++count_;
    sum_ += cycles;
    if (cycles > max_) max_ = cycles;
    if (cycles < min_) min_ = cycles;
  }
  // `n` samples of the same value at once (a count of L1 TLB hits at the L1's latency).
  void add(uint64_t cycles, uint64_t n) {
    if (!n) return;
    hist_(static_cast<double>(cycles), boost::histogram::weight(n));
    count_ += n;
    sum_ += cycles * n;
    if (cycles > max_) max_ = cycles;
    if (cycles < min_) min_ = cycles;
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // Smallest recorded bin edge at or below which a fraction q of the samples lie.
  uint64_t percentile(double q) const;

 private:
  using Axis = boost::histogram::axis::variable<double, boost::use_default, boost::histogram::axis::option::overflow_t>;
  static std::vector<double> edges();
  boost::histogram::histogram<std::tuple<Axis>, boost::histogram::unlimited_storage<>> hist_;
  uint64_t count_ = 0, sum_ = 0, max_ = 0, min_ = UINT64_MAX;
};

}  // namespace cowsim
