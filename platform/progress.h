// The progress line of `cowsim run` on a terminal: records done, simulated time, host rate
// and time left. The simulation loop calls update() between slices of simulated time (never
// from the hot path); the line appears after `delay` seconds and is redrawn at most every
// `period` seconds, then erased by finish() so only the summary remains.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace cowsim {

class ProgressLine {
 public:
  // `out`: where to draw (stderr); nullptr draws nothing.
  // `unit`: what `total` counts ("accesses", or "records" for a trace without accesses).
  ProgressLine(std::FILE* out, uint64_t total, const char* unit, double delay = 2.0, double period = 0.25)
      : out_(out), total_(total), unit_(unit), delay_(delay), period_(period) {}
  // `host`: seconds since the run started; `done`: units done so far.
  void update(double host, uint64_t done, double sim_seconds);
  void finish();

  // The text of the line (no carriage return), e.g.
  // "cowsim: 1234567/2000000 accesses (61.7%), 12.345 ms simulated, 0.52 M accesses/s, 1.5 s left".
  static std::string format(uint64_t done, uint64_t total, const char* unit, double sim_seconds, double host);

 private:
  std::FILE* out_;
  uint64_t total_;
  const char* unit_;
  double delay_, period_, last_ = -1;
  size_t shown_ = 0;  // width of the line on screen
};

// True if `cowsim run` should draw a progress line: stderr is a terminal and not --quiet.
bool progress_wanted(bool quiet);

}  // namespace cowsim
