// Statistics output. Every model writes its counters into a StatSink under a scope named after
// its place in the module tree, so stats.json nests like the system ("cores.0.tlb.l1d.hits")
// and stats.txt has one `path value # description (unit)` line per statistic, like gem5.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/histogram.h"

namespace cowsim {

// The raw counts of one report, by statistic path: what a region of interest or a warm-up
// subtracts (docs/statistics.md, "Regions of interest and warm-up"). Taken only at marks.
struct StatBaseline {
  std::unordered_map<std::string, uint64_t> counters;
  std::unordered_map<std::string, LatencyHistogram> histograms;
  std::unordered_map<std::string, bool> records;  // one-off records (kernel.forks.<i>) already written
};

// stats.txt, compactly: each line's `path value` back to back in large blocks (appending never
// copies what is already there), and its ` # description (unit)` once per distinct text. A
// run with 20,000 processes has ~1.8 M lines but only ~150 distinct descriptions.
class StatText {
 public:
  void add(const std::string& prefix, const std::string& name, const std::string& shown, const char* desc,
           const char* unit);
  void write(std::ostream& out) const;
  std::string str() const;
  bool empty() const { return lines_.empty(); }

 private:
  struct Line {
    uint32_t length;  // of `path value` in its block
    uint32_t suffix;  // index into suffixes_
  };
  std::vector<std::string> blocks_;
  std::vector<Line> lines_;
  std::vector<std::string> suffixes_;
  std::unordered_map<std::string, uint32_t> suffix_ids_;
  std::string scratch_;
};

class StatSink {
 public:
  StatSink() = default;
  // Scopes keep pointers into the tree: a copied or moved sink would point into another's.
  StatSink(const StatSink&) = delete;
  StatSink& operator=(const StatSink&) = delete;
  class Scope {
   public:
    Scope(StatSink& s, const std::string& name);
    ~Scope();
   private:
    StatSink& s_;
    size_t saved_;
    size_t depth_;
  };

  // A count that only grows: a region reports its growth (returned: the value written).
  uint64_t counter(const std::string& name, uint64_t value, const char* unit, const char* desc);
  // A level (memory in use, a pid, a time stamp): a region reports its value at the region's end.
  void gauge(const std::string& name, uint64_t value, const char* unit, const char* desc);
  // numerator / denominator (0 when it is 0), both counts: a region divides their growths.
  void ratio(const std::string& name, uint64_t numerator, uint64_t denominator, const char* unit, const char* desc);
  void value(const std::string& name, double value, const char* unit, const char* desc);
  void text(const std::string& name, const std::string& value, const char* desc);
  // Writes name.{count,mean,p50,p90,p99,p999,p9999,max} (p999: 99.9th percentile, p9999:
  // 99.99th); the non-empty bins go to bins() (histograms.json).
  void histogram(const std::string& name, const LatencyHistogram& h, const char* unit, const char* desc);

  const nlohmann::json& json() const { return root_; }
  std::string text() const { return text_.str(); }
  // The finished report, moved out (the sink is empty afterwards): no second copy at the peak.
  nlohmann::json take_json() { return std::move(root_); }
  StatText take_text() { return std::move(text_); }
  nlohmann::json take_bins() { return std::move(bins_); }
  // {"cores.0.walker.latency": {"unit": "cycles", "lower_edges": [...], "counts": [...]}, ...}:
  // every histogram's non-empty bins, for CDFs (the overflow bin's edge is its maximum).
  const nlohmann::json& bins() const { return bins_; }

  // Whether to write the one-off record `name` (a fork): not when the baseline holds it already.
  bool keep_record(const std::string& name);

  // Record every counter and histogram written from now on into `into` (a region's start).
  void capture(StatBaseline* into) { capture_ = into; }
  // Write counters, ratios and histograms minus `base` (a region's end, or after a warm-up).
  void subtract(const StatBaseline* base) { base_ = base; }

 private:
  void put(const std::string& name, nlohmann::json v, const std::string& shown, const char* unit,
           const char* desc);
  // The JSON node of the innermost scope, created on first use (a scope that writes nothing
  // leaves no empty object, as when every path was walked from the root).
  nlohmann::json& scope_node(size_t level);
  struct Level {
    size_t prefix_length;          // prefix_.size() inside this scope
    nlohmann::json* node;          // nullptr until a statistic is written under it
  };
  nlohmann::json root_ = nlohmann::json::object();
  nlohmann::json bins_ = nlohmann::json::object();
  StatText text_;
  std::string prefix_;
  std::vector<Level> levels_{{0, nullptr}};
  StatBaseline* capture_ = nullptr;
  const StatBaseline* base_ = nullptr;
};

}  // namespace cowsim
