// Records held in memory, for tests that run an Executor without a trace file.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "traces/trace_io.h"

namespace cowsim::test {

class VectorStream : public trace::RecordStream {
 public:
  explicit VectorStream(std::vector<trace::Record> r) : records_(std::move(r)) {}
  bool next(trace::Record& r) override {
    if (i_ == records_.size()) return false;
    r = records_[i_++];
    return true;
  }
  std::string where() const override { return "test:" + std::to_string(i_); }
  size_t consumed() const { return i_; }

 private:
  std::vector<trace::Record> records_;
  size_t i_ = 0;
};

}  // namespace cowsim::test
