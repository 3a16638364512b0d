#include "models/common/histogram.h"

#include <algorithm>
#include <cmath>

namespace cowsim {

uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  double target = std::ceil(q * static_cast<double>(count_));
  if (target < 1) target = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i <= kBins; ++i) {  // i == kBins is the overflow bin
    seen += counts_[i];
    if (static_cast<double>(seen) >= target) {
      uint64_t edge = i < kBins ? lower_edge(i) : max_;
      return std::clamp(edge, min(), max());
    }
  }
  return max_;
}

LatencyHistogram LatencyHistogram::since(const LatencyHistogram& before) const {
  if (before.count_ == 0) return *this;
  LatencyHistogram d;
  unsigned lowest = kBins + 1, highest = 0;
  for (unsigned i = 0; i <= kBins; ++i) {
    d.counts_[i] = counts_[i] - before.counts_[i];
    if (!d.counts_[i]) continue;
    if (lowest > kBins) lowest = i;
    highest = i;
  }
  d.count_ = count_ - before.count_;
  d.sum_ = sum_ - before.sum_;
  if (d.count_ == 0) return d;
  auto top = [](unsigned b) { return b < kExact ? uint64_t{b} : lower_edge(b + 1) - 1; };
  d.max_ = max_ > before.max_ ? max_ : std::min(highest < kBins ? top(highest) : max_, max_);
  d.min_ = min_ < before.min_ ? min_ : (lowest < kBins ? lower_edge(lowest) : lower_edge(kBins));
  return d;
}

}  // namespace cowsim
