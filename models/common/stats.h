// Statistics output. Every model writes its counters into a StatSink under a scope named after
// its place in the module tree, so stats.json nests like the system ("cores.0.tlb.l1d.hits")
// and stats.txt has one `path value # description (unit)` line per statistic, like gem5.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cowsim {

class LatencyHistogram;

class StatSink {
 public:
  class Scope {
   public:
    Scope(StatSink& s, const std::string& name);
    ~Scope();
   private:
    StatSink& s_;
    size_t saved_;
  };

  void counter(const std::string& name, uint64_t value, const char* unit, const char* desc);
  void value(const std::string& name, double value, const char* unit, const char* desc);
  void text(const std::string& name, const std::string& value, const char* desc);
  // Writes name.{count,mean,p50,p90,p99,p999,p9999,max} (p999 = 99.9th, p9999 = 99.99th
  // percentile) and keeps the histogram's non-empty bins for `--histograms`.
  void histogram(const std::string& name, const LatencyHistogram& h, const char* unit, const char* desc);

  // One histogram's non-empty bins: [lower, upper) in its unit, and the samples in it.
  struct Bin {
    uint64_t lower, upper, count;
  };
  struct HistogramBins {
    std::string path, unit;
    std::vector<Bin> bins;
  };

  const nlohmann::json& json() const { return root_; }
  const std::string& text() const { return text_; }
  const std::vector<HistogramBins>& histograms() const { return histograms_; }

 private:
  void put(const std::string& name, nlohmann::json v, const std::string& shown, const char* unit,
           const char* desc);
  nlohmann::json root_ = nlohmann::json::object();
  std::string text_;
  std::string prefix_;
  std::vector<HistogramBins> histograms_;
};

}  // namespace cowsim
