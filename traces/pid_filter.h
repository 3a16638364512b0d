// One process's records out of a multi-process trace: every process reads the trace through
// its own filter, so memory stays bounded however the pids interleave in the file.
#pragma once

#include <memory>

#include "traces/trace_io.h"

namespace cowsim::trace {

class PidFilter final : public RecordStream {
 public:
  PidFilter(std::unique_ptr<RecordStream> all, uint32_t pid) : all_(std::move(all)), pid_(pid) {}
  bool next(Record& r) override {
    while (all_->next(r))
      if (r.pid == pid_) return true;
    return false;
  }
  // Known when the trace's next record is this process's (else records would be skipped).
  bool peek(Record& r) override { return all_->peek(r) && r.pid == pid_; }
  std::string where() const override { return all_->where(); }

 private:
  std::unique_ptr<RecordStream> all_;
  uint32_t pid_;
};

}  // namespace cowsim::trace
