#include "models/common/stats.h"

#include <cstdio>

#include "models/common/histogram.h"

namespace cowsim {

StatSink::Scope::Scope(StatSink& s, const std::string& name) : s_(s), saved_(s.prefix_.size()) {
  s_.prefix_ += name + ".";
}
StatSink::Scope::~Scope() { s_.prefix_.resize(saved_); }

void StatSink::put(const std::string& name, nlohmann::json v, const std::string& shown, const char* unit,
                   const char* desc) {
  std::string path = prefix_ + name;
  // Walk by string keys: a json_pointer would turn numeric keys ("cores.0") into arrays.
  nlohmann::json* node = &root_;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
    node = &(*node)[path.substr(start, dot - start)];
  (*node)[path.substr(start)] = std::move(v);
  text_ += path + " " + shown + " # " + desc;
  if (unit && *unit) text_ += std::string(" (") + unit + ")";
  text_ += "\n";
}

void StatSink::counter(const std::string& name, uint64_t v, const char* unit, const char* desc) {
  put(name, v, std::to_string(v), unit, desc);
}

void StatSink::value(const std::string& name, double v, const char* unit, const char* desc) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  put(name, v, buf, unit, desc);
}

void StatSink::text(const std::string& name, const std::string& v, const char* desc) {
  put(name, v, v, "", desc);
}

void StatSink::histogram(const std::string& name, const LatencyHistogram& h, const char* unit, const char* desc) {
  {
    nlohmann::json edges = nlohmann::json::array(), counts = nlohmann::json::array();
    for (unsigned b = 0; b <= LatencyHistogram::kBins; ++b) {
      if (!h.bin_count(b)) continue;
      edges.push_back(b < LatencyHistogram::kBins ? LatencyHistogram::lower_edge(b) : h.max());
      counts.push_back(h.bin_count(b));
    }
    bins_[prefix_ + name] = {{"unit", unit}, {"lower_edges", edges}, {"counts", counts}};
  }
  Scope s(*this, name);
  std::string d(desc);
  counter("count", h.count(), "samples", (d + ": number of samples").c_str());
  value("mean", h.mean(), unit, (d + ": mean").c_str());
  counter("p50", h.percentile(0.50), unit, (d + ": median").c_str());
  counter("p90", h.percentile(0.90), unit, (d + ": 90th percentile").c_str());
  counter("p99", h.percentile(0.99), unit, (d + ": 99th percentile").c_str());
  counter("p999", h.percentile(0.999), unit, (d + ": 99.9th percentile").c_str());
  counter("p9999", h.percentile(0.9999), unit, (d + ": 99.99th percentile").c_str());
  counter("max", h.max(), unit, (d + ": maximum").c_str());
}

}  // namespace cowsim
