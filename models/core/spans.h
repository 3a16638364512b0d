// Request latency from trace `span` records (docs/trace-format.md, "Spans"): each process
// keeps its open spans; a finished span's latency (completion minus arrival, in cycles) goes
// into a LatencyHistogram per name, per name and process, and per name and phase of the
// window span (before / during / after). Spans are per request, not per access: nothing
// here is on the access path, and a trace without spans never reaches it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/histogram.h"
#include "models/common/stats.h"
#include "traces/record.h"

namespace cowsim {

struct OpenSpan {
  uint32_t name;
  bool window;
  unsigned __int128 arrival;  // in thousandths of a cycle (ns x MHz): `at +T` chains stay exact
  std::string where;          // the begin record's location, for "never ends" errors
};

// A process's spans, kept with its trace position (TaskContext).
struct SpanState {
  std::vector<OpenSpan> open;             // in begin order; `end` closes the latest of its name
  unsigned __int128 last_arrival = 0;     // thousandths of a cycle; `at +T` counts from here
};

class SpanStats {
 public:
  explicit SpanStats(const trace::NameTable& names) : names_(names) {}

  // The window span began at `begin` (cycles); `where` locates its record. One per run.
  void open_window(uint32_t name, uint64_t begin, const std::string& where);
  // A finished span of process `pid`: arrival and completion in cycles.
  void add(uint32_t name, uint32_t pid, uint64_t arrival, uint64_t done, bool window);

  bool empty() const { return series_.empty() && !window_; }
  const trace::NameTable& names() const { return names_; }
  // spans.<name>.{count,mean,p50,p90,p99,p999,p9999,max} (StatSink::histogram), .before/.during/.after when a window span
  // was seen, .processes.<pid>.*; the window span's own .window.{begin_cycle,end_cycle}.
  void report(StatSink& s) const;

 private:
  enum Phase { kBefore, kDuring, kAfter };
  struct Series {
    uint32_t name;
    LatencyHistogram all;
    std::array<LatencyHistogram, 3> phase;  // reported when a window span was seen
    std::vector<std::pair<uint32_t, std::unique_ptr<LatencyHistogram>>> pids;  // sorted by pid
  };
  Series& series(uint32_t name);
  Phase phase_of(uint64_t arrival) const;

  const trace::NameTable& names_;
  std::vector<Series> series_;  // in order of first completion; names are few
  size_t last_ = 0;             // series of the previous add: a loop of one name finds it at once
  bool window_ = false, window_closed_ = false;
  uint32_t window_name_ = trace::kNoName;
  uint64_t window_begin_ = 0, window_end_ = 0;
};

}  // namespace cowsim
