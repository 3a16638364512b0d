#include "models/memory/dram_channels.h"

#include <algorithm>

#include "models/common/error.h"

namespace cowsim {

namespace {
constexpr uint64_t kLine = 64;
constexpr uint64_t kOne = uint64_t{1} << DramChannels::kFrac;
uint64_t ceil_cycles(uint64_t fp) { return (fp + kOne - 1) >> DramChannels::kFrac; }
}  // namespace

const char* dram_user_name(DramUser u) {
  switch (u) {
    case DramUser::kCopy: return "copy";
    case DramUser::kZero: return "zero";
    case DramUser::kData: return "data";
    case DramUser::kWalk: return "walk";
  }
  return "?";
}

DramChannels::DramChannels(const DramMapParams& map, uint32_t channel_mbps, uint32_t core_mhz, unsigned cores)
    : ch_(size_t{1} << map.channel_bits), column_bits_(map.column_bits), mhz_(core_mhz), mbps_(channel_mbps),
      read_(ch_.size()), write_(ch_.size()) {
  if (!channel_mbps) throw InputError("memory.dram.channel_bandwidth must be positive");
  line_svc_fp_ = service_fp(kLine);
  for (Channel& c : ch_) {
    c.own.assign(cores, 0);
    c.streams.assign(cores, {});
  }
}

uint64_t DramChannels::service_fp(uint64_t bytes) const {
  // bytes / (mbps * 10^6 bytes/s) seconds = bytes * mhz / mbps cycles.
  const unsigned __int128 num = (static_cast<unsigned __int128>(bytes) * mhz_) << kFrac;
  return static_cast<uint64_t>((num + mbps_ - 1) / mbps_);
}

void DramChannels::UserCounts::add(uint64_t wait, uint64_t b) {
  ++requests;
  bytes += b;
  if (!wait) return;
  ++delayed;
  wait_cycles += wait;
  max_wait = std::max(max_wait, wait);
}

uint64_t DramChannels::occupy(unsigned c, uint64_t at, unsigned core, uint64_t bytes, uint64_t own_fp, bool line,
                              DramUser who) {
  Channel& ch = ch_[c];
  const uint64_t ref = std::max(at, ch.latest);  // out of time order: as if it came with the newest
  ch.latest = ref;
  const uint64_t ref_fp = ref << kFrac;
  uint64_t& mine = ch.own.at(core);
  // Ahead of it: what others queued after this core's own latest request.
  const uint64_t from = std::max(ref_fp, mine);
  uint64_t backlog = ch.free_at > from ? ch.free_at - from : 0;
  const uint64_t svc = line ? line_svc_fp_ : service_fp(bytes);
  // Other cores' copies trickle their bytes over their own stream time: the part they have not
  // issued yet is not ahead of this request; what they issue while this one streams competes.
  const uint64_t window = line ? 0 : own_fp >> kFrac;
  uint64_t left = 0, during = 0;
  for (size_t j = 0; j < ch.streams.size(); ++j) {
    const Channel::Stream& st = ch.streams[j];
    if (j == core || st.end <= ref) continue;
    using U = unsigned __int128;
    const uint64_t len = st.end - st.start;
    left += static_cast<uint64_t>(U{st.svc_fp} * (st.end - ref) / len);
    during += static_cast<uint64_t>(U{st.svc_fp} * (std::min(st.end, ref + window) - ref) / len);
  }
  backlog = (backlog > left ? backlog - left : 0) + during;
  if (!line && window) ch.streams.at(core) = {ref, ref + window, svc};
  ch.free_at = std::max(ch.free_at, ref_fp) + svc;
  mine = ch.free_at;
  ch.busy_fp += svc;
  const uint64_t wait = line ? backlog : (backlog + svc > own_fp ? backlog + svc - own_fp : 0);
  ch.users[static_cast<size_t>(who)].add(ceil_cycles(wait), bytes);
  return wait;
}

uint64_t DramChannels::line(PhysAddr pa, uint64_t at, unsigned core, DramUser who) {
  const uint64_t wait = ceil_cycles(occupy(channel_of(pa), at, core, kLine, 0, true, who));
  totals_[static_cast<size_t>(who)].add(wait, kLine);
  return wait;
}

void DramChannels::spread(PhysAddr pa, uint64_t len, std::vector<uint64_t>& per) const {
  const uint64_t chunk = uint64_t{1} << column_bits_, round = chunk * ch_.size();
  uint64_t a = pa.value, end = pa.value + len;
  if (len >= 2 * round) {  // whole interleave rounds give every channel the same share
    const uint64_t first = (a + round - 1) / round * round, last = end / round * round;
    for (auto& b : per) b += (last - first) / ch_.size();
    spread(PhysAddr{a}, first - a, per);
    a = last;
  }
  while (a < end) {
    const uint64_t next = std::min(end, (a / chunk + 1) * chunk);
    per[channel_of(PhysAddr{a})] += next - a;
    a = next;
  }
}

uint64_t DramChannels::stream(uint64_t at, unsigned core, PhysAddr src, uint64_t read, PhysAddr dst, uint64_t write, uint64_t own,
                              DramUser who) {
  std::fill(read_.begin(), read_.end(), 0);
  std::fill(write_.begin(), write_.end(), 0);
  if (read) spread(src, read, read_);
  if (write) spread(dst, write, write_);
  uint64_t wait = 0;
  for (unsigned c = 0; c < ch_.size(); ++c)
    if (const uint64_t b = read_[c] + write_[c]) wait = std::max(wait, occupy(c, at, core, b, own << kFrac, false, who));
  const uint64_t cycles = ceil_cycles(wait);
  totals_[static_cast<size_t>(who)].add(cycles, read + write);
  return cycles;
}

uint64_t DramChannels::wait_cycles(DramUser who) const { return totals_[static_cast<size_t>(who)].wait_cycles; }

void DramChannels::report(StatSink& s) const {
  auto users = [&s](const std::array<UserCounts, kDramUsers>& u, const char* per) {
    for (size_t i = 0; i < kDramUsers; ++i) {
      StatSink::Scope sc(s, dram_user_name(static_cast<DramUser>(i)));
      const UserCounts& n = u[i];
      s.counter("requests", n.requests, "requests",
                (std::string("Requests of this source (copy, zero: one per page transfer; data, walk: one per line "
                             "that missed every cache level)") + per).c_str());
      s.counter("bytes", n.bytes, "bytes", "Bytes this source moved");
      s.counter("delayed", n.delayed, "requests", "Requests that waited for the channel");
      s.counter("wait_cycles", n.wait_cycles, "cycles", "Cycles these requests waited for the channel (queueing delay)");
      s.gauge("max_wait", n.max_wait, "cycles", "Longest wait of one request");
    }
  };
  users(totals_, "");
  for (size_t c = 0; c < ch_.size(); ++c) {
    StatSink::Scope sc(s, "channels." + std::to_string(c));
    s.counter("busy_cycles", ceil_cycles(ch_[c].busy_fp), "cycles", "Cycles this channel spent moving bytes");
    users(ch_[c].users, ", on this channel (a transfer over two channels counts on each)");
  }
}

}  // namespace cowsim
