// StatSink (stats.json nesting and the gem5-style stats.txt lines) and LatencyHistogram
// percentiles.
#include <gtest/gtest.h>

#include <cmath>

#include "models/common/histogram.h"
#include "models/common/stats.h"

namespace cowsim {
namespace {

TEST(StatSink, ScopesNestJsonAndPrefixText) {
  StatSink s;
  {
    StatSink::Scope cores(s, "cores");
    StatSink::Scope c0(s, "0");
    s.counter("hits", 42, "lookups", "Lookups that hit");
  }
  s.value("ratio", 0.125, "", "A ratio");
  s.text("name", "cowsim", "The name");
  // Numeric scope names stay object keys (not array indices).
  EXPECT_EQ(s.json()["cores"]["0"]["hits"], 42);
  EXPECT_TRUE(s.json()["cores"].is_object());
  EXPECT_DOUBLE_EQ(s.json()["ratio"].get<double>(), 0.125);
  EXPECT_EQ(s.json()["name"], "cowsim");
  // One line per statistic: path value # description (unit); no unit, no parentheses.
  EXPECT_EQ(s.text(),
            "cores.0.hits 42 # Lookups that hit (lookups)\n"
            "ratio 0.125 # A ratio\n"
            "name cowsim # The name\n");
}

TEST(StatSink, HistogramWritesSixStatistics) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 10; ++v) h.add(v);
  StatSink s;
  s.histogram("lat", h, "cycles", "Walk latency");
  const auto& j = s.json()["lat"];
  EXPECT_EQ(j["count"], 10);
  EXPECT_DOUBLE_EQ(j["mean"].get<double>(), 5.5);  // (1 + ... + 10) / 10 = 55 / 10
  EXPECT_EQ(j["p50"], 5);                         // 5 of 10 samples are <= 5
  EXPECT_EQ(j["p90"], 9);
  EXPECT_EQ(j["p99"], 10);                        // ceil(9.9) = 10th sample
  EXPECT_EQ(j["max"], 10);
  EXPECT_NE(s.text().find("lat.p90 9 # Walk latency: 90th percentile (cycles)\n"), std::string::npos);
}

TEST(StatSink, HistogramTailPercentilesAreExactInTheExactRange) {
  // 10,000 samples: 1..1000 ten times each (all below kExact = 1024, one bin per value).
  // p99.9: ceil(0.999 * 10000) = 9990th sample; values 1..998 hold 9980 samples, 999 holds
  // samples 9981..9990, so p999 = 999. p99.99: the 9999th sample is in 1000 (9991..10000).
  LatencyHistogram h;
  for (int rep = 0; rep < 10; ++rep)
    for (uint64_t v = 1; v <= 1000; ++v) h.add(v);
  StatSink s;
  s.histogram("lat", h, "cycles", "Walk latency");
  const auto& j = s.json()["lat"];
  EXPECT_EQ(j["p99"], 990);  // 9900th sample: 990 holds 9891..9900
  EXPECT_EQ(j["p999"], 999);
  EXPECT_EQ(j["p9999"], 1000);
  EXPECT_NE(s.text().find("lat.p999 999 # Walk latency: 99.9th percentile (cycles)\n"), std::string::npos);
  // A single outlier above the 99.99th: p9999 stays in the body, max shows the outlier.
  LatencyHistogram g;
  g.add(5, 9999);
  g.add(2000000);
  StatSink t;
  t.histogram("g", g, "cycles", "x");
  EXPECT_EQ(t.json()["g"]["p9999"], 5);  // 9999th of 10,000 samples
  EXPECT_EQ(t.json()["g"]["max"], 2000000);
}

TEST(LatencyHistogram, EmptyIsAllZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogram, ExactPercentilesOfOneToHundred) {
  LatencyHistogram h;
  for (uint64_t v = 100; v >= 1; --v) h.add(v);  // order must not matter
  // Below 1024 every integer has its own bin, so the q-quantile is the ceil(q * 100)-th value.
  EXPECT_EQ(h.percentile(0.50), 50u);
  EXPECT_EQ(h.percentile(0.90), 90u);
  EXPECT_EQ(h.percentile(0.99), 99u);
  EXPECT_EQ(h.percentile(1.0), 100u);
  EXPECT_EQ(h.percentile(0.0), 1u);  // at least the first sample
  EXPECT_EQ(h.max(), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);  // 5050 / 100
}

TEST(LatencyHistogram, RepeatedValuesAndZero) {
  LatencyHistogram h;
  for (int i = 0; i < 9; ++i) h.add(0);
  h.add(1023);
  EXPECT_EQ(h.percentile(0.9), 0u);    // 9 of 10 samples are 0
  EXPECT_EQ(h.percentile(0.91), 1023u);  // ceil(9.1) = 10th sample
  EXPECT_EQ(h.max(), 1023u);
}

TEST(LatencyHistogram, LargeValuesWithinTwoPercent) {
  LatencyHistogram h;
  h.add(1000);
  h.add(5000);
  h.add(1000000);
  // p50 is the 2nd sample (5000), p99 the 3rd (1e6); above 1024 the bins are 1/64 of an
  // octave wide, so a reported percentile is a bin's lower edge: at most the value, and
  // within 1/64 < 2% below it.
  uint64_t p50 = h.percentile(0.5), p99 = h.percentile(0.99);
  EXPECT_LE(p50, 5000u);
  EXPECT_GE(p50, 4900u);
  EXPECT_LE(p99, 1000000u);
  EXPECT_GE(p99, 980000u);
  EXPECT_EQ(h.percentile(0.01), 1000u);  // exact region
  EXPECT_EQ(h.max(), 1000000u);
}

TEST(LatencyHistogram, EveryValueInRangeWithinTwoPercent) {
  // Sweep a geometric range: a single-sample histogram answers with the value itself (the
  // result is clamped to [min, max]), a two-sample one with the lower sample's bin edge.
  for (double x = 1100; x < 1e12; x *= 1.37) {
    uint64_t v = static_cast<uint64_t>(x);
    LatencyHistogram h;
    h.add(v);
    h.add(v * 4);
    uint64_t p = h.percentile(0.5);  // 1st of 2 samples
    ASSERT_LE(p, v) << v;
    ASSERT_GE(static_cast<double>(p), 0.98 * static_cast<double>(v)) << v;
  }
}

TEST(LatencyHistogram, BeyondTheLastBinReportsTheMaximum) {
  LatencyHistogram h;
  uint64_t huge = uint64_t{1} << 50;  // past the last bin edge (2^44): the overflow bin
  h.add(10);
  h.add(huge);
  EXPECT_EQ(h.percentile(1.0), huge);
  EXPECT_EQ(h.percentile(0.5), 10u);
}

}  // namespace
}  // namespace cowsim

namespace cowsim {
namespace {

TEST(LatencyHistogram, WeightedAddEqualsThatManySingleAdds) {
  LatencyHistogram bulk, single;
  bulk.add(5, 3);
  bulk.add(5000, 2);
  bulk.add(7, 0);  // nothing
  for (int i = 0; i < 3; ++i) single.add(5);
  for (int i = 0; i < 2; ++i) single.add(5000);
  EXPECT_EQ(bulk.count(), 5u);
  EXPECT_EQ(bulk.min(), 5u);
  EXPECT_EQ(bulk.max(), 5000u);
  EXPECT_DOUBLE_EQ(bulk.mean(), (3 * 5 + 2 * 5000) / 5.0);
  for (double q : {0.5, 0.6, 0.61, 0.9, 0.99, 1.0}) EXPECT_EQ(bulk.percentile(q), single.percentile(q)) << q;
  EXPECT_EQ(bulk.percentile(0.6), 5u);   // 3 of 5 samples are 5
  EXPECT_GT(bulk.percentile(0.61), 4900u);
}

}  // namespace
}  // namespace cowsim
