// The memory channels every core shares (SystemC-free): a bandwidth/queueing model, so that two
// cores copying pages at once, or a core missing while another copies, wait for each other.
//
// Each channel serves bytes first come, first served at memory.dram.channel_bandwidth and keeps
// one number, the cycle its queue empties (`free_at`, fixed point, 16 fraction bits). A request
// of B bytes arriving at cycle t needs svc = B / bandwidth of the channel and finds
// backlog = max(0, free_at - t) ahead of it; the channel is then busy until t + backlog + svc.
// A copy or zero, though, trickles its lines at the requester's own rate over its stream time
// (a copy's svc is shorter than that time), so the part of another core's copy it has not issued
// yet is not ahead of a request; what that copy issues while a later copy streams competes with it.
//   - a cache line that missed every level waits that backlog (its own burst is part of
//     memory.dram.latency);
//   - a bulk transfer (a page copy or zero) is already limited by the requester's own stream
//     time `own` (bytes / memory.dram.bandwidth, the single-core rate), which is longer than svc:
//     it only waits when the queue ahead of it, what other copies issue during its own stream,
//     and its own service do not fit in that time: wait = max(0, backlog + during + svc - own).
// A core never queues behind its own requests (a blocking core's misses follow each other; its
// overlapping misses and a copy's lines are in flight together, not ahead of each other): the
// backlog a core sees is the part of the queue after its own latest request on that channel.
// So one core alone never waits, and two copies started together on one channel by two cores
// finish by t + 2 svc, as the channel's bandwidth says.
//
// Temporal decoupling: cores run up to a quantum apart, so requests reach a channel out of time
// order. A request older than the newest one the channel has seen (`latest`) is treated as
// arriving with it: it waits for the backlog that was there then, never for the time between
// the two (which would charge it for another core's future). Results stay deterministic (the
// SystemC schedule is); docs/memory-contention.md quantifies the approximation.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "models/common/stats.h"
#include "models/common/types.h"
#include "models/memory/dram_map.h"

namespace cowsim {

// Who moves bytes over a channel (statistics): kernel page copies and zeroing, and line misses
// of data accesses and page walks.
enum class DramUser : uint8_t { kCopy, kZero, kData, kWalk };
constexpr size_t kDramUsers = 4;
const char* dram_user_name(DramUser u);  // "copy", "zero", "data", "walk"

// A core's local time (CoreClock's base + offset), read when one of its accesses reaches DRAM.
struct TimeRef {
  const uint64_t* base = nullptr;
  const uint64_t* offset = nullptr;
  uint64_t now() const { return *base + *offset; }
};

class DramChannels {
 public:
  static constexpr unsigned kFrac = 16;  // fraction bits of the fixed-point cycle counts

  // `map`: which channel an address lies in (memory.dram.map); `channel_mbps`: one channel's
  // bandwidth in MB/s (10^6 bytes per second); `core_mhz`: the clock cycles are counted in.
  // `cores`: requesters (core numbers 0 .. cores-1).
  DramChannels(const DramMapParams& map, uint32_t channel_mbps, uint32_t core_mhz, unsigned cores);

  // A cache line (64 bytes) at `pa` missing every level at cycle `at`: the cycles it queues.
  uint64_t line(PhysAddr pa, uint64_t at, unsigned core, DramUser who);
  // A bulk transfer starting at cycle `at`: `read` bytes from [src, +read), `write` bytes to
  // [dst, +write) (0: none), taking the requester `own` cycles alone. Returns the cycles it
  // waits beyond `own` (the most any of its channels makes it wait).
  uint64_t stream(uint64_t at, unsigned core, PhysAddr src, uint64_t read, PhysAddr dst, uint64_t write, uint64_t own,
                  DramUser who);

  // Fixed-point service time of `bytes` on one channel (kFrac fraction bits), rounded up.
  uint64_t service_fp(uint64_t bytes) const;
  unsigned channels() const { return static_cast<unsigned>(ch_.size()); }
  unsigned channel_of(PhysAddr pa) const {
    return static_cast<unsigned>((pa.value >> column_bits_) & (ch_.size() - 1));
  }
  // Cycles requests of `who` waited in all (the statistics' totals).
  uint64_t wait_cycles(DramUser who) const;

  // dram.channels.<i>.* and dram.<user>.* (requests, delayed, wait cycles, largest wait).
  void report(StatSink& s) const;

 private:
  struct UserCounts {
    uint64_t requests = 0, delayed = 0, wait_cycles = 0, max_wait = 0, bytes = 0;
    void add(uint64_t wait, uint64_t b);
  };
  struct Channel {
    uint64_t free_at = 0;  // fixed point: the cycle its queue empties
    uint64_t latest = 0;   // the newest arrival cycle seen
    uint64_t busy_fp = 0;  // fixed point: cycles spent serving
    std::vector<uint64_t> own;  // fixed point, per core: where its latest request ends
    struct Stream {
      uint64_t start = 0, end = 0, svc_fp = 0;  // a core's latest copy or zero: [start, end) cycles
    };
    std::vector<Stream> streams;  // per core
    std::array<UserCounts, kDramUsers> users;
  };
  // Queues `bytes` on channel `c` at `at`; returns the fixed-point wait: the backlog (a line,
  // own_fp == 0) or max(0, backlog + svc - own_fp).
  uint64_t occupy(unsigned c, uint64_t at, unsigned core, uint64_t bytes, uint64_t own_fp, bool line, DramUser who);
  // Adds the bytes of [pa, +len) to `per` by channel (interleaved every 2^column_bits bytes).
  void spread(PhysAddr pa, uint64_t len, std::vector<uint64_t>& per) const;

  std::vector<Channel> ch_;
  unsigned column_bits_;
  uint64_t mhz_, mbps_;
  uint64_t line_svc_fp_ = 0;  // service_fp(64), computed once: a 128-bit division per line miss otherwise
  std::array<UserCounts, kDramUsers> totals_;  // per request (a stream counts once)
  std::vector<uint64_t> read_, write_;         // scratch of stream(): bytes per channel
};

}  // namespace cowsim
