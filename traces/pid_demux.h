// Per-process streams over one trace, read once. Each process of a run reads its own records
// in trace order; a PidFilter per process re-reads the whole trace for each, which costs
// O(processes x records) (20,000 children of one parent: 2 x 10^9 records). PidDemux reads the
// trace once and queues the records of the other processes until they ask for them.
//
// The queues are bounded: a process that reads far ahead of another (a parent whose next
// record, its wait, comes after all of a child's single accesses) would otherwise hold the
// whole trace in memory. Past `max_queued` records the demux stops queueing, and every stream
// falls back to a private PidFilter that skips the records its process already consumed:
// the old cost, the same records.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

#include "traces/trace_io.h"

namespace cowsim::trace {

class PidDemux : public std::enable_shared_from_this<PidDemux> {
 public:
  using Opener = std::function<std::unique_ptr<RecordStream>()>;
  static constexpr size_t kDefaultMaxQueued = size_t{1} << 18;  // 256 Ki records, ~12 MiB

  explicit PidDemux(Opener open, size_t max_queued = kDefaultMaxQueued)
      : open_(std::move(open)), max_queued_(max_queued) {}

  // The records of `pid`, in trace order. The demux must be held by a shared_ptr (the streams
  // keep it alive). A second stream for the same pid starts over from the first record, as a
  // fresh PidFilter would.
  std::unique_ptr<RecordStream> stream(uint32_t pid);

  bool overflowed() const { return overflowed_; }
  size_t queued() const { return queued_; }

 private:
  class View;
  struct Queue {
    std::deque<Record> records;
    bool has_view = false;
    View* view = nullptr;
  };
  // The next record of `pid` from the shared reader, queueing other processes' records.
  // False at the end of the trace, or when the queues overflowed (the caller then goes private).
  bool pull(uint32_t pid, Record& r);

  Opener open_;
  size_t max_queued_;
  std::unique_ptr<RecordStream> all_;
  std::unordered_map<uint32_t, Queue> queues_;
  size_t queued_ = 0;
  bool overflowed_ = false;
};

}  // namespace cowsim::trace
