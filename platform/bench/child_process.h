// Runs one measurement in a child process, so each has its own peak RSS (getrusage of the
// child) and its own SystemC kernel (SystemC elaborates once per process).
#pragma once

#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

namespace cowsim::bench {

struct ChildResult {
  nlohmann::json result;        // what `work` returned
  uint64_t peak_rss_bytes = 0;  // the child's maximum resident set size
  double user_seconds = 0;      // the child's user CPU time: steadier than wall time on a shared host
  double system_seconds = 0;    // the child's system CPU time (page faults on fresh memory, mostly)
};

// Forks; the child runs `work` and sends its JSON back through a pipe. An InputError in the
// child is rethrown here as an InputError, anything else as std::runtime_error.
ChildResult run_in_child(const std::function<nlohmann::json()>& work);

}  // namespace cowsim::bench
