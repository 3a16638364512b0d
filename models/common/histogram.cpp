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

}  // namespace cowsim
