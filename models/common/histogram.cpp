#include "models/common/histogram.h"

#include <algorithm>
#include <cmath>

namespace cowsim {

std::vector<double> LatencyHistogram::edges() {
  std::vector<double> e;
  for (int i = 0; i <= 1024; ++i) e.push_back(i);
  for (int octave = 10; octave < 44; ++octave)
    for (int k = 1; k <= 64; ++k) e.push_back(std::floor(std::ldexp(1.0 + k / 64.0, octave)));
  e.erase(std::unique(e.begin(), e.end()), e.end());
  return e;
}

LatencyHistogram::LatencyHistogram()
    : hist_(boost::histogram::make_histogram_with(boost::histogram::unlimited_storage<>(), Axis(edges()))) {}

uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  double target = std::ceil(q * static_cast<double>(count_));
  if (target < 1) target = 1;
  double seen = 0;
  const auto& axis = hist_.axis(0);
  for (int i = 0; i <= axis.size(); ++i) {  // i == size is the overflow bin
    seen += static_cast<double>(hist_.at(i));
    if (seen >= target) {
      uint64_t edge = i < axis.size() ? static_cast<uint64_t>(axis.value(i)) : max_;
      return std::clamp(edge, min(), max());
    }
  }
  return max_;
}

}  // namespace cowsim
