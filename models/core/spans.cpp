#include "models/core/spans.h"

#include <algorithm>

#include "models/common/error.h"

namespace cowsim {

void SpanStats::open_window(uint32_t name, uint64_t begin, const std::string& where) {
  if (window_)
    throw InputError(where + ": a second window span ('span window'); a run has at most one fork window");
  window_ = true;
  window_name_ = name;
  window_begin_ = begin;
}

SpanStats::Series& SpanStats::series(uint32_t name) {
  if (last_ < series_.size() && series_[last_].name == name) return series_[last_];
  for (size_t i = 0; i < series_.size(); ++i)
    if (series_[i].name == name) return series_[last_ = i];
  series_.push_back(Series{name, {}, {}, {}});
  last_ = series_.size() - 1;
  return series_.back();
}

// By arrival: a request that arrived before the window opened counts as before even if it
// finished during it (it queued behind the fork); the window as known when the span ends.
SpanStats::Phase SpanStats::phase_of(uint64_t arrival) const {
  if (arrival < window_begin_) return kBefore;
  if (!window_closed_ || arrival < window_end_) return kDuring;
  return kAfter;
}

void SpanStats::add(uint32_t name, uint32_t pid, uint64_t arrival, uint64_t done, bool window) {
  const uint64_t latency = done > arrival ? done - arrival : 0;
  if (window) {
    window_end_ = done;
    window_closed_ = true;
  }
  Series& s = series(name);
  s.all.add(latency);
  if (!window_) s.phase[kBefore].add(latency);  // a window may still come
  else if (name != window_name_) s.phase[phase_of(arrival)].add(latency);
  auto it = std::lower_bound(s.pids.begin(), s.pids.end(), pid,
                             [](const auto& e, uint32_t p) { return e.first < p; });
  if (it == s.pids.end() || it->first != pid) it = s.pids.insert(it, {pid, std::make_unique<LatencyHistogram>()});
  it->second->add(latency);
}

void SpanStats::report(StatSink& s) const {
  StatSink::Scope top(s, "spans");
  for (const Series& x : series_) {
    const std::string& name = names_[x.name];
    s.histogram(name, x.all, "cycles", "Spans of this name that ended, all processes");
    StatSink::Scope n(s, name);
    if (window_ && x.name == window_name_) {
      StatSink::Scope w(s, "window");
      s.gauge("begin_cycle", window_begin_, "cycles", "Cycle at which the window span began");
      s.gauge("end_cycle", window_end_, "cycles", "Cycle at which the window span ended");
    }
    if (window_ && x.name != window_name_) {
      const auto& ph = x.phase;
      s.histogram("before", ph[kBefore], "cycles", "Spans that arrived before the window span began");
      s.histogram("during", ph[kDuring], "cycles", "Spans that arrived while the window span was open");
      s.histogram("after", ph[kAfter], "cycles", "Spans that arrived after the window span ended");
    }
    StatSink::Scope p(s, "processes");
    for (const auto& [pid, h] : x.pids) s.histogram(std::to_string(pid), *h, "cycles", "Spans of this name that ended in this process");
  }
}

}  // namespace cowsim
