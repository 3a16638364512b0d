// A trace generated on the fly: a few fixed records, then `count` records computed from their
// index, then a few more. Benchmark workloads of 100 M accesses are streams like this, never
// materialised vectors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "traces/trace_io.h"

namespace cowsim::bench {

class GeneratedStream final : public trace::RecordStream {
 public:
  using Gen = std::function<void(uint64_t i, trace::Record& r)>;
  GeneratedStream(std::string label, std::vector<trace::Record> head, uint64_t count, Gen gen,
                  std::vector<trace::Record> tail)
      : label_(std::move(label)), head_(std::move(head)), tail_(std::move(tail)), count_(count), gen_(std::move(gen)) {}

  bool next(trace::Record& r) override {
    if (!at(pos_, r)) return false;  // past the end: stays there
    ++pos_;
    return true;
  }
  // Records are a function of their index: the next one costs what next() does.
  bool peek(trace::Record& r) override { return at(pos_, r); }
  std::string where() const override { return label_ + ": record " + std::to_string(pos_); }

 private:
  bool at(uint64_t i, trace::Record& r) const {
    if (i < head_.size()) {
      r = head_[i];
      return true;
    }
    if (i - head_.size() < count_) {
      r = trace::Record{};
      gen_(i - head_.size(), r);
      return true;
    }
    const uint64_t t = i - head_.size() - count_;
    if (t < tail_.size()) {
      r = tail_[t];
      return true;
    }
    return false;
  }

  std::string label_;
  std::vector<trace::Record> head_, tail_;
  uint64_t count_;
  Gen gen_;
  uint64_t pos_ = 0;
};

// Deterministic 64-bit mixing of an index (splitmix64's finaliser): random-looking addresses
// from (seed, i) without generator state, so every reopened stream is the same.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace cowsim::bench
