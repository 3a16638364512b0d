// Host memory of a run (docs/reliability.md, "Limits"): a run that would need more than
// --max-host-memory (default: the memory the host has available when the run starts) is
// refused before it starts, from an estimate, and stopped with a clear error if it gets there
// anyway, instead of being killed by the OOM killer with nothing said.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "platform/sim_config.h"
#include "platform/trace_plan.h"

namespace cowsim {

// MemAvailable of /proc/meminfo, in bytes (UINT64_MAX if it cannot be read).
uint64_t available_host_memory();
// Resident set size of this process, in bytes (0 if it cannot be read).
uint64_t resident_host_memory();

// What a run of `plan` on `cfg` is expected to hold at its peak. An estimate, not a bound:
// a fixed part (the program, SystemC, the cache and TLB models: measured at about 30 MiB
// with one core) plus 64 bytes per page the trace touches (frame metadata and page-table
// pages; 45-65 bytes were measured with `touch` and `fork-cow` at 1-4 GiB), capped at the
// simulated memory's frames, plus 64 KiB per process.
uint64_t estimate_host_memory(const SimConfig& cfg, const TracePlan& plan);

// While it lives, a thread checks the resident set every 20 ms; past `limit` bytes it prints
// the error and ends the process with exit code 2 (no results are written: they only are
// after the simulation has returned). The thread reads /proc only and shares nothing with
// the simulation but the stop flag.
class HostMemoryWatch {
 public:
  explicit HostMemoryWatch(uint64_t limit);
  ~HostMemoryWatch();
  HostMemoryWatch(const HostMemoryWatch&) = delete;
  HostMemoryWatch& operator=(const HostMemoryWatch&) = delete;

 private:
  uint64_t limit_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cowsim
