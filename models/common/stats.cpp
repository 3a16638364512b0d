#include "models/common/stats.h"

#include <algorithm>
#include <cstdio>

#include "models/common/histogram.h"

namespace cowsim {

void StatText::add(const std::string& prefix, const std::string& name, const std::string& shown, const char* desc,
                   const char* unit) {
  scratch_.assign(" # ").append(desc);
  if (unit && *unit) scratch_.append(" (").append(unit).append(")");
  scratch_ += '\n';
  auto [it, fresh] = suffix_ids_.try_emplace(scratch_, static_cast<uint32_t>(suffixes_.size()));
  if (fresh) suffixes_.push_back(scratch_);
  const size_t length = prefix.size() + name.size() + 1 + shown.size();
  // Blocks of 256 KiB (or one line, if longer), reserved once: appending never reallocates.
  constexpr size_t kBlock = size_t{1} << 18;
  if (blocks_.empty() || blocks_.back().size() + length > blocks_.back().capacity()) {
    blocks_.emplace_back();
    blocks_.back().reserve(std::max(kBlock, length));
  }
  std::string& b = blocks_.back();
  b.append(prefix).append(name).append(1, ' ').append(shown);
  lines_.push_back({static_cast<uint32_t>(length), it->second});
}

void StatText::write(std::ostream& out) const {
  size_t block = 0, at = 0;
  for (const Line& l : lines_) {
    if (at + l.length > blocks_[block].size()) ++block, at = 0;
    out.write(blocks_[block].data() + at, static_cast<std::streamsize>(l.length));
    const std::string& suffix = suffixes_[l.suffix];
    out.write(suffix.data(), static_cast<std::streamsize>(suffix.size()));
    at += l.length;
  }
}

std::string StatText::str() const {
  std::string s;
  size_t block = 0, at = 0;
  for (const Line& l : lines_) {
    if (at + l.length > blocks_[block].size()) ++block, at = 0;
    s.append(blocks_[block], at, l.length).append(suffixes_[l.suffix]);
    at += l.length;
  }
  return s;
}

StatSink::Scope::Scope(StatSink& s, const std::string& name) : s_(s), saved_(s.prefix_.size()), depth_(s.levels_.size()) {
  s_.prefix_.append(name).append(1, '.');
  s_.levels_.push_back({s_.prefix_.size(), nullptr});
}
StatSink::Scope::~Scope() {
  s_.prefix_.resize(saved_);
  s_.levels_.resize(depth_);
}

nlohmann::json& StatSink::scope_node(size_t level) {
  Level& l = levels_[level];
  if (l.node) return *l.node;
  // Walk by string keys from the enclosing scope's node: a json_pointer would turn numeric
  // keys ("cores.0") into arrays. A scope's name may hold dots ("tlb.l1d").
  nlohmann::json* node = level ? &scope_node(level - 1) : &root_;
  if (level) {
    size_t start = levels_[level - 1].prefix_length;
    const size_t end = l.prefix_length;  // just past this scope's trailing dot
    for (size_t dot; start < end && (dot = prefix_.find('.', start)) < end; start = dot + 1)
      node = &(*node)[prefix_.substr(start, dot - start)];
  }
  return *(l.node = node);
}

void StatSink::put(const std::string& name, nlohmann::json v, const std::string& shown, const char* unit,
                   const char* desc) {
  nlohmann::json* node = &scope_node(levels_.size() - 1);
  size_t start = 0;
  for (size_t dot; (dot = name.find('.', start)) != std::string::npos; start = dot + 1)
    node = &(*node)[name.substr(start, dot - start)];
  (*node)[start ? name.substr(start) : name] = std::move(v);
  text_.add(prefix_, name, shown, desc, unit);
}

uint64_t StatSink::counter(const std::string& name, uint64_t v, const char* unit, const char* desc) {
  if (capture_ || base_) {
    const std::string path = prefix_ + name;
    if (capture_) capture_->counters[path] = v;
    if (base_) {
      auto it = base_->counters.find(path);
      if (it != base_->counters.end()) v = v >= it->second ? v - it->second : 0;
    }
  }
  put(name, v, std::to_string(v), unit, desc);
  return v;
}

bool StatSink::keep_record(const std::string& name) {
  if (capture_) capture_->records[prefix_ + name] = true;
  return !base_ || !base_->records.count(prefix_ + name);
}

void StatSink::gauge(const std::string& name, uint64_t v, const char* unit, const char* desc) {
  put(name, v, std::to_string(v), unit, desc);
}

void StatSink::ratio(const std::string& name, uint64_t num, uint64_t den, const char* unit, const char* desc) {
  if (capture_ || base_) {
    const std::string n = prefix_ + name + "/numerator", d = prefix_ + name + "/denominator";
    if (capture_) capture_->counters[n] = num, capture_->counters[d] = den;
    if (base_) {
      auto a = base_->counters.find(n), b = base_->counters.find(d);
      if (a != base_->counters.end() && b != base_->counters.end()) num -= a->second, den -= b->second;
    }
  }
  value(name, den ? static_cast<double>(num) / den : 0.0, unit, desc);
}

void StatSink::value(const std::string& name, double v, const char* unit, const char* desc) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  put(name, v, buf, unit, desc);
}

void StatSink::text(const std::string& name, const std::string& v, const char* desc) {
  put(name, v, v, "", desc);
}

void StatSink::histogram(const std::string& name, const LatencyHistogram& whole, const char* unit, const char* desc) {
  const LatencyHistogram* hp = &whole;
  LatencyHistogram since;
  if (capture_ || base_) {
    const std::string path = prefix_ + name;
    if (capture_) capture_->histograms[path] = whole;
    if (base_) {
      auto it = base_->histograms.find(path);
      if (it != base_->histograms.end()) hp = &(since = whole.since(it->second));
    }
  }
  const LatencyHistogram& h = *hp;
  {
    nlohmann::json edges = nlohmann::json::array(), counts = nlohmann::json::array();
    for (unsigned b = 0; b <= LatencyHistogram::kBins; ++b) {
      if (!h.bin_count(b)) continue;
      edges.push_back(b < LatencyHistogram::kBins ? LatencyHistogram::lower_edge(b) : h.max());
      counts.push_back(h.bin_count(b));
    }
    bins_[prefix_ + name] = {{"unit", unit}, {"lower_edges", edges}, {"counts", counts}};
  }
  // Already the samples since the baseline: written as they are, not subtracted again.
  Scope s(*this, name);
  std::string d(desc);
  gauge("count", h.count(), "samples", (d + ": number of samples").c_str());
  value("mean", h.mean(), unit, (d + ": mean").c_str());
  gauge("p50", h.percentile(0.50), unit, (d + ": median").c_str());
  gauge("p90", h.percentile(0.90), unit, (d + ": 90th percentile").c_str());
  gauge("p99", h.percentile(0.99), unit, (d + ": 99th percentile").c_str());
  gauge("p999", h.percentile(0.999), unit, (d + ": 99.9th percentile").c_str());
  gauge("p9999", h.percentile(0.9999), unit, (d + ": 99.99th percentile").c_str());
  gauge("max", h.max(), unit, (d + ": maximum").c_str());
}

}  // namespace cowsim
