#include "platform/progress.h"

#include <unistd.h>

namespace cowsim {

std::string ProgressLine::format(uint64_t records, uint64_t total, const char* unit, double sim_seconds, double host) {
  char buf[200];
  double rate = host > 0 ? records / host : 0;
  int n = std::snprintf(buf, sizeof buf, "cowsim: %llu/%llu %s (%.1f%%), %.3f ms simulated, %.2f M %s/s",
                        (unsigned long long)records, (unsigned long long)total, unit,
                        total ? 100.0 * records / total : 100.0, sim_seconds * 1e3, rate / 1e6, unit);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  if (rate > 0 && total >= records) {
    std::snprintf(buf, sizeof buf, ", %.1f s left", (total - records) / rate);
    s += buf;
  }
  return s;
}

void ProgressLine::update(double host, uint64_t records, double sim_seconds) {
  if (records > total_) records = total_;
  if (!out_ || host < delay_ || (last_ >= 0 && host - last_ < period_)) return;
  last_ = host;
  std::string s = format(records, total_, unit_, sim_seconds, host);
  // Pad over the previous, longer line instead of relying on terminal escape codes.
  size_t width = s.size();
  if (width < shown_) s.append(shown_ - width, ' ');
  shown_ = width;
  std::fprintf(out_, "\r%s", s.c_str());
  std::fflush(out_);
}

void ProgressLine::finish() {
  if (!out_ || !shown_) return;
  std::fprintf(out_, "\r%s\r", std::string(shown_, ' ').c_str());
  std::fflush(out_);
  shown_ = 0;
}

bool progress_wanted(bool quiet) { return !quiet && isatty(STDERR_FILENO); }

}  // namespace cowsim
