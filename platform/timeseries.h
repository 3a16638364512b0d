// `cowsim run --sample-interval`: memory and event counts per interval of simulated time and
// per process, for timeseries.csv. The simulation is run in slices of one interval
// (platform/simulation.cpp) and sample() is called between slices, so nothing on the hot path
// changes and the statistics are those of a run without it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/common/types.h"
#include "models/kernel/process.h"

namespace cowsim {

class System;

// "--sample-interval" values: a number of cycles ("50000", "50000cycles") or a time with a
// unit ns, us, ms or s ("10us"), converted with the core clock. Throws InputError if it is
// not one, or is zero.
Cycles parse_duration(const std::string& text, uint32_t frequency_mhz, const std::string& what);

class TimeSeries {
 public:
  explicit TimeSeries(const System& system) : system_(system) {}
  // One row per process alive at `now` or ended since the last sample, and a pid-0 row for
  // the whole machine (the sums, plus TLB misses and walks, which are per core, not per
  // process). Counts are for the interval (previous sample, now]; Rss/Private_Dirty at `now`.
  void sample(Cycles now);
  const std::string& csv() const { return csv_; }

  static const char* header();

 private:
  struct Prev {
    std::vector<uint64_t> faults;
    uint64_t pages_copied = 0;
    SmapsRollup memory;
  };
  const System& system_;
  std::unordered_map<uint32_t, Prev> prev_;  // by pid; sampled a few times per run, not per access
  uint64_t prev_dtlb_ = 0, prev_stlb_ = 0, prev_walks_ = 0;
  uint64_t generation_ = UINT64_MAX;  // records + faults + syscalls + processes at the last sample
  std::string csv_ = header();
};

}  // namespace cowsim
