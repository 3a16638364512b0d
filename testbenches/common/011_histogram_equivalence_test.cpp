// LatencyHistogram computes its bin from the value's leading bit (models/common/histogram.h).
// The reference here is the implementation it replaced: a Boost.Histogram variable axis over
// the same edges, searched per sample. Both must agree on every bin and every percentile.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include <boost/histogram.hpp>

#include "models/common/histogram.h"

namespace cowsim {
namespace {

// The original edges: 0..1024, then 64 per octave from 2^10 to 2^44.
std::vector<double> reference_edges() {
  std::vector<double> e;
  for (int i = 0; i <= 1024; ++i) e.push_back(i);
  for (int octave = 10; octave < 44; ++octave)
    for (int k = 1; k <= 64; ++k) e.push_back(std::floor(std::ldexp(1.0 + k / 64.0, octave)));
  e.erase(std::unique(e.begin(), e.end()), e.end());
  return e;
}

using Axis = boost::histogram::axis::variable<double, boost::use_default, boost::histogram::axis::option::overflow_t>;

// The original LatencyHistogram, verbatim apart from the name.
class ReferenceHistogram {
 public:
  ReferenceHistogram()
      : hist_(boost::histogram::make_histogram_with(boost::histogram::unlimited_storage<>(), Axis(reference_edges()))) {}
  void add(uint64_t cycles) {
    hist_(static_cast<double>(cycles));
    ++count_;
    if (cycles > max_) max_ = cycles;
    if (cycles < min_) min_ = cycles;
  }
  uint64_t percentile(double q) const {
    if (count_ == 0) return 0;
    double target = std::ceil(q * static_cast<double>(count_));
    if (target < 1) target = 1;
    double seen = 0;
    const auto& axis = hist_.axis(0);
    for (int i = 0; i <= axis.size(); ++i) {
      seen += static_cast<double>(hist_.at(i));
      if (seen >= target) {
        uint64_t edge = i < axis.size() ? static_cast<uint64_t>(axis.value(i)) : max_;
        return std::clamp(edge, count_ ? min_ : 0, count_ ? max_ : 0);
      }
    }
    return max_;
  }
  // Through a const reference, as percentile() does: a copy of this axis loses its last bin.
  int index(uint64_t v) const {
    const auto& axis = hist_.axis(0);
    return axis.index(static_cast<double>(v));
  }
  int bins() const {
    const auto& axis = hist_.axis(0);
    return axis.size();
  }
  uint64_t edge(int i) const {
    const auto& axis = hist_.axis(0);
    return static_cast<uint64_t>(axis.value(i));
  }

 private:
  boost::histogram::histogram<std::tuple<Axis>, boost::histogram::unlimited_storage<>> hist_;
  uint64_t count_ = 0, max_ = 0, min_ = UINT64_MAX;
};

TEST(HistogramEquivalence, SameBinsAndEdgesAsTheBoostAxis) {
  ReferenceHistogram ref;
  ASSERT_EQ(ref.bins(), static_cast<int>(LatencyHistogram::kBins));
  for (unsigned b = 0; b < LatencyHistogram::kBins; ++b)
    ASSERT_EQ(LatencyHistogram::lower_edge(b), ref.edge(static_cast<int>(b))) << b;
  // Every bin's edges and their neighbours, and every power of two and its neighbours.
  std::vector<uint64_t> probes;
  for (unsigned b = 0; b < LatencyHistogram::kBins; ++b)
    for (int64_t d : {-1, 0, 1}) probes.push_back(LatencyHistogram::lower_edge(b) + d);
  for (unsigned s = 0; s < 64; ++s)
    for (int64_t d : {-1, 0, 1}) probes.push_back((uint64_t{1} << s) + d);
  for (uint64_t v : probes) {
    if (v > (uint64_t{1} << 53)) continue;  // beyond exact doubles the old code rounded: overflow either way
    ASSERT_EQ(LatencyHistogram::bin(v), static_cast<unsigned>(ref.index(v))) << v;
  }
  EXPECT_EQ(LatencyHistogram::bin(UINT64_MAX), LatencyHistogram::kBins);
}

TEST(HistogramEquivalence, SamePercentilesOnRandomSamples) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    LatencyHistogram h;
    ReferenceHistogram ref;
    const int n = 1 + static_cast<int>(rng() % 5000);
    for (int i = 0; i < n; ++i) {
      // Log-uniform over 0 .. 2^46: every region, the overflow bin included.
      uint64_t v = rng() >> (rng() % 64);
      v &= (uint64_t{1} << 46) - 1;
      h.add(v);
      ref.add(v);
    }
    for (int k = 0; k <= 1000; ++k) {
      double q = k / 1000.0;
      ASSERT_EQ(h.percentile(q), ref.percentile(q)) << "round " << round << " q " << q;
    }
  }
}

}  // namespace
}  // namespace cowsim
