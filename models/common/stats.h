// Statistics output. Every model writes its counters into a StatSink under a scope named after
// its place in the module tree, so stats.json nests like the system ("cores.0.tlb.l1d.hits")
// and stats.txt has one `path value # description (unit)` line per statistic, like gem5.
#pragma once

#include <cstdint>
#include <string>

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
  // Writes name.{count,mean,p50,p90,p99,p999,p9999,max} (p999: 99.9th percentile, p9999:
  // 99.99th); the non-empty bins go to bins() (histograms.json).
  void histogram(const std::string& name, const LatencyHistogram& h, const char* unit, const char* desc);

  const nlohmann::json& json() const { return root_; }
  const std::string& text() const { return text_; }
  // {"cores.0.walker.latency": {"unit": "cycles", "lower_edges": [...], "counts": [...]}, ...}:
  // every histogram's non-empty bins, for CDFs (the overflow bin's edge is its maximum).
  const nlohmann::json& bins() const { return bins_; }

 private:
  void put(const std::string& name, nlohmann::json v, const std::string& shown, const char* unit,
           const char* desc);
  nlohmann::json root_ = nlohmann::json::object();
  nlohmann::json bins_ = nlohmann::json::object();
  std::string text_;
  std::string prefix_;
};

}  // namespace cowsim
