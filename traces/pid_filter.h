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
  std::string where() const override { return all_->where(); }

 private:
  std::unique_ptr<RecordStream> all_;
  uint32_t pid_;
};

// Records held in memory (built-in scenarios build their traces this way).
class VectorStream final : public RecordStream {
 public:
  VectorStream(std::string name, std::shared_ptr<const std::vector<Record>> records)
      : name_(std::move(name)), records_(std::move(records)) {}
  bool next(Record& r) override {
    if (i_ >= records_->size()) return false;
    r = (*records_)[i_++];
    return true;
  }
  std::string where() const override { return name_ + ": record " + std::to_string(i_); }

 private:
  std::string name_;
  std::shared_ptr<const std::vector<Record>> records_;
  size_t i_ = 0;
};

}  // namespace cowsim::trace
