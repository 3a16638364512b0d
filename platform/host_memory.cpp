#include "platform/host_memory.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace cowsim {

uint64_t available_host_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kb << 10;
  }
  return UINT64_MAX;
}

uint64_t resident_host_memory() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t estimate_host_memory(const SimConfig& cfg, const TracePlan& plan) {
  constexpr uint64_t kFixed = uint64_t{30} << 20, kPerPage = 64, kPerProcess = uint64_t{64} << 10;
  const uint64_t frames = cfg.memory.size >> 12;
  const uint64_t pages = std::min(plan.touched_pages, frames);
  return kFixed + pages * kPerPage + plan.processes * kPerProcess;
}

namespace {
std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }
}  // namespace

HostMemoryWatch::HostMemoryWatch(uint64_t limit) : limit_(limit) {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(m_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stop_; })) {
      const uint64_t rss = resident_host_memory();
      if (rss > limit_) {
        std::string msg = "cowsim run: the run holds " + mib(rss) + " of host memory, more than --max-host-memory " +
                          mib(limit_) + " (default: the memory available when it started); stopped, nothing written\n";
        if (::write(2, msg.data(), msg.size()) < 0) {
        }
        ::_exit(2);
      }
    }
  });
}

HostMemoryWatch::~HostMemoryWatch() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

}  // namespace cowsim
