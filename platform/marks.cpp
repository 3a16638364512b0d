#include "platform/marks.h"

#include <deque>

#include "models/common/error.h"

namespace cowsim {

using trace::Op;

Marks::Marks(const trace::NameTable& names, uint32_t warmup_name, Report report)
    : names_(names), warmup_name_(warmup_name), report_(std::move(report)) {}

void Marks::mark(const trace::Record& r, Cycles now, const std::string& where) {
  if (r.op == Op::kRoiBegin && r.name == warmup_name_) {
    StatSink s;
    s.capture(&warmup_);
    report_(s, now);
    warmed_up_ = true;
    return;
  }
  const std::string& name = names_[r.name];
  if (r.op == Op::kSnapshot) {
    // The statistics so far, as the whole run would report them had it ended here.
    StatSink s;
    if (warmed_up_) s.subtract(&warmup_);
    report_(s, now);
    std::string unique = name;  // as the smaps snapshots: a repeated label gets .2, .3, ...
    for (int n = 2; snapshots_.contains(unique); ++n) unique = name + "." + std::to_string(n);
    snapshots_[unique] = s.take_json();
    return;
  }
  // The trace's marks were checked in file order (plan_trace); processes may still run them
  // in another order, which only shows here.
  auto it = open_.begin();
  while (it != open_.end() && (*it)->name != name) ++it;
  if (r.op == Op::kRoiBegin) {
    if (it != open_.end() || regions_.contains(name))
      throw InputError(where + ": roi begin " + name + " (pid " + std::to_string(r.pid) + ", cycle " + std::to_string(now.value) +
                       "): the region is already " + (it != open_.end() ? "open" : "measured") +
                       " when the processes run in simulated-time order");
    auto o = std::make_unique<Open>();
    o->name = name;
    o->begin = now;
    StatSink s;
    s.capture(&o->base);
    report_(s, now);
    open_.push_back(std::move(o));
    return;
  }
  if (it == open_.end())
    throw InputError(where + ": roi end " + name + " (pid " + std::to_string(r.pid) + ", cycle " + std::to_string(now.value) +
                     "): the region has not begun when the processes run in simulated-time order");
  StatSink s;
  s.subtract(&(*it)->base);
  report_(s, now);
  regions_[name] = s.take_json();
  for (const auto& [path, bins] : s.bins().items()) bins_["regions." + name + "." + path] = bins;
  open_.erase(it);
}

void Marks::finish(nlohmann::json& stats, nlohmann::json& histograms) const {
  if (!open_.empty())
    throw InputError("roi begin " + open_.front()->name + " (cycle " + std::to_string(open_.front()->begin.value) +
                     "): the region never ends in simulated-time order");
  if (!regions_.empty()) stats["regions"] = regions_;
  if (!snapshots_.empty()) stats["snapshots"] = snapshots_;
  for (const auto& [path, bins] : bins_.items()) histograms[path] = bins;
}

namespace {

class WarmupStream : public trace::RecordStream {
 public:
  WarmupStream(std::unique_ptr<trace::RecordStream> in, uint64_t records, uint64_t accesses, uint32_t name)
      : in_(std::move(in)), records_(records), accesses_(accesses), name_(name) {}

  bool next(trace::Record& r) override {
    if (!pending_.empty()) {
      r = pending_.front();
      pending_.pop_front();
      return true;
    }
    if (!in_->next(r)) return false;
    if (done_) return true;
    if (records_) {
      if (++seen_ == records_) insert_mark(r.pid);
      return true;
    }
    const uint64_t a = r.accesses();
    if (seen_ + a < accesses_) {
      seen_ += a;
      return true;
    }
    const uint64_t k = accesses_ - seen_;  // accesses of r inside the warm-up, 1..a
    if (k < a) {                           // a range split at the k-th access
      trace::Record rest = r;
      rest.addr += k * r.stride;
      rest.len -= k * r.stride;
      r.len = k * r.stride;
      insert_mark(r.pid);
      pending_.push_back(rest);
    } else {
      insert_mark(r.pid);
    }
    return true;
  }

  std::string where() const override { return in_->where(); }

 private:
  void insert_mark(uint32_t pid) {
    trace::Record m;
    m.op = Op::kRoiBegin;
    m.pid = pid;
    m.name = name_;
    pending_.push_back(m);
    done_ = true;
  }

  std::unique_ptr<trace::RecordStream> in_;
  uint64_t records_, accesses_, seen_ = 0;
  uint32_t name_;
  bool done_ = false;
  std::deque<trace::Record> pending_;
};

}  // namespace

std::unique_ptr<trace::RecordStream> warmup_stream(std::unique_ptr<trace::RecordStream> in, uint64_t records,
                                                   uint64_t accesses, uint32_t name) {
  if (!records && !accesses) return in;
  return std::make_unique<WarmupStream>(std::move(in), records, accesses, name);
}

}  // namespace cowsim
