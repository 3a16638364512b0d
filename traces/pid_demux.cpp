#include "traces/pid_demux.h"

#include "traces/pid_filter.h"

namespace cowsim::trace {

class PidDemux::View final : public RecordStream {
 public:
  View(std::shared_ptr<PidDemux> d, uint32_t pid, Queue* q) : d_(std::move(d)), pid_(pid), q_(q) {}
  ~View() override {
    if (!q_) return;
    q_->view = nullptr;  // nobody reads this process's records any more: drop them
    d_->queued_ -= q_->records.size();
    std::deque<Record>().swap(q_->records);
  }

  bool next(Record& r) override {
    if (private_) return private_->next(r);
    if (!q_->records.empty()) {
      r = q_->records.front();
      q_->records.pop_front();
      --d_->queued_;
      ++consumed_;
      return true;
    }
    if (!d_->overflowed_ && d_->pull(pid_, r)) {
      ++consumed_;
      return true;
    }
    if (!d_->overflowed_) return false;  // the end of the trace
    go_private();
    return private_->next(r);
  }

  // The queue's first record, else the shared reader's next one if it is this process's.
  bool peek(Record& r) override {
    if (private_) return private_->peek(r);
    if (!q_->records.empty()) {
      r = q_->records.front();
      return true;
    }
    return !d_->overflowed_ && d_->all_ && d_->all_->peek(r) && r.pid == pid_;
  }

  std::string where() const override {
    if (private_) return private_->where();
    return d_->all_ ? d_->all_->where() : std::string("(no record read)");
  }

  // After an overflow: a PidFilter of its own, past the records already returned.
  void go_private() {
    d_->queued_ -= q_->records.size();
    q_->records.clear();
    q_->view = nullptr;
    q_ = nullptr;
    private_ = std::make_unique<PidFilter>(d_->open_(), pid_);
    Record skip;
    for (uint64_t i = 0; i < consumed_; ++i) private_->next(skip);
  }

 private:
  std::shared_ptr<PidDemux> d_;
  uint32_t pid_;
  Queue* q_;
  std::unique_ptr<RecordStream> private_;
  uint64_t consumed_ = 0;
};

std::unique_ptr<RecordStream> PidDemux::stream(uint32_t pid) {
  Queue& q = queues_[pid];
  if (overflowed_ || q.has_view) return std::make_unique<PidFilter>(open_(), pid);
  q.has_view = true;
  auto v = std::make_unique<View>(shared_from_this(), pid, &q);
  q.view = v.get();
  return v;
}

bool PidDemux::pull(uint32_t pid, Record& r) {
  if (!all_) all_ = open_();
  while (all_->next(r)) {
    if (r.pid == pid) return true;
    Queue& q = queues_[r.pid];
    if (q.has_view && !q.view) continue;  // that stream is gone: nobody reads these
    q.records.push_back(r);
    if (++queued_ > max_queued_) {
      overflowed_ = true;
      for (auto& [unused, other] : queues_)  // processes not started yet will filter privately
        if (!other.has_view) {
          queued_ -= other.records.size();
          std::deque<Record>().swap(other.records);
        }
      return false;
    }
  }
  return false;
}

}  // namespace cowsim::trace
