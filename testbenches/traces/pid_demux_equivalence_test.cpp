// trace::PidDemux (one reader, per-process queues) against the PidFilter per process it
// replaced: every process's stream must return exactly the records a fresh PidFilter returns,
// whatever order the processes read in, when streams are opened late, reopened, or dropped,
// and after the queues overflow (small bounds force the fallback to private filters). Each
// stream's peek() (a host prefetch hint), when it answers, must announce exactly the record
// next() then returns.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "traces/pid_demux.h"
#include "traces/pid_filter.h"

namespace cowsim::trace {
namespace {

class VectorStream final : public RecordStream {
 public:
  VectorStream(const std::vector<Record>* v, int* opens) : v_(v) { ++*opens; }
  bool next(Record& r) override {
    if (i_ == v_->size()) return false;
    r = (*v_)[i_++];
    return true;
  }
  bool peek(Record& r) override {
    if (i_ == v_->size()) return false;
    r = (*v_)[i_];
    return true;
  }
  std::string where() const override { return "record " + std::to_string(i_); }

 private:
  const std::vector<Record>* v_;
  size_t i_ = 0;
};

std::vector<Record> filtered(const std::vector<Record>& all, uint32_t pid) {
  std::vector<Record> out;
  for (const Record& r : all)
    if (r.pid == pid) out.push_back(r);
  return out;
}

// One random run: `pids` processes, records spread over them with skew (some pids have long
// bursts, as a child's accesses before its parent's wait), read in random interleavings.
void check(uint64_t seed, size_t max_queued, bool* overflowed, uint64_t* peeked) {
  std::mt19937_64 rng(seed);
  const uint32_t pids = 1 + rng() % 12;
  std::vector<Record> all;
  const size_t n = 200 + rng() % 3000;
  while (all.size() < n) {
    const uint32_t pid = 1 + static_cast<uint32_t>(rng() % pids);
    const size_t burst = rng() % 4 == 0 ? rng() % 200 : 1;
    for (size_t b = 0; b < burst && all.size() < n; ++b) {
      Record r;
      r.op = Op::kRead;
      r.pid = pid;
      r.addr = all.size();  // unique: the position in the trace
      all.push_back(r);
    }
  }
  int opens = 0;
  auto demux = std::make_shared<PidDemux>([&] { return std::make_unique<VectorStream>(&all, &opens); }, max_queued);
  std::map<uint32_t, std::unique_ptr<RecordStream>> open;
  std::map<uint32_t, std::vector<Record>> got;
  std::map<uint32_t, bool> done;
  for (int step = 0; step < 100000; ++step) {
    const uint32_t pid = 1 + static_cast<uint32_t>(rng() % pids);
    if (!open.count(pid)) {  // opened late, in random order
      open[pid] = demux->stream(pid);
      got[pid].clear();
      done[pid] = false;
    }
    if (done[pid]) continue;
    const int reads = rng() % 8 == 0 ? 300 : 1;
    for (int k = 0; k < reads; ++k) {
      Record r, ahead;
      const bool known = open[pid]->peek(ahead);
      if (known) {
        ASSERT_EQ(ahead.pid, pid) << "seed " << seed;
        ++*peeked;
      }
      if (!open[pid]->next(r)) {
        ASSERT_FALSE(known) << "seed " << seed << ": peek announced a record past the end";
        done[pid] = true;
        ASSERT_EQ(got[pid], filtered(all, pid)) << "seed " << seed << " pid " << pid;
        break;
      }
      ASSERT_EQ(r.pid, pid);
      if (known) ASSERT_EQ(ahead, r) << "seed " << seed << " pid " << pid;
      got[pid].push_back(r);
    }
    if (rng() % 500 == 0) open.erase(pid);  // dropped; a later stream starts over
  }
  for (auto& [pid, s] : open) {  // drain what is left
    Record r;
    while (!done[pid] && s->next(r)) got[pid].push_back(r);
    EXPECT_EQ(got[pid], filtered(all, pid)) << "seed " << seed << " pid " << pid;
  }
  *overflowed |= demux->overflowed();
}

TEST(PidDemux, EveryStreamEqualsItsPidFilter) {
  bool overflowed = false;
  uint64_t peeked = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) check(seed, PidDemux::kDefaultMaxQueued, &overflowed, &peeked);
  EXPECT_FALSE(overflowed) << "these traces fit the default bound";
  EXPECT_GT(peeked, 10000u) << "peek must answer from the queues and the shared reader";
}

TEST(PidDemux, EveryStreamEqualsItsPidFilterAfterOverflow) {
  bool overflowed = false;
  uint64_t peeked = 0;
  for (uint64_t seed = 100; seed <= 160; ++seed) check(seed, 1 + seed % 50, &overflowed, &peeked);
  EXPECT_TRUE(overflowed) << "the small bounds must exercise the fallback";
  EXPECT_GT(peeked, 10000u) << "peek must answer through the private filters too";
}

TEST(PidDemux, ReadsTheTraceOnceForManyProcesses) {
  // 2,000 processes of 3 records each, interleaved: one opening, not one per process.
  std::vector<Record> all;
  for (int round = 0; round < 3; ++round)
    for (uint32_t pid = 1; pid <= 2000; ++pid) {
      Record r;
      r.pid = pid;
      r.addr = static_cast<uint64_t>(round);
      all.push_back(r);
    }
  int opens = 0;
  auto demux = std::make_shared<PidDemux>([&] { return std::make_unique<VectorStream>(&all, &opens); });
  for (uint32_t pid = 1; pid <= 2000; ++pid) {
    auto s = demux->stream(pid);
    Record r;
    for (uint64_t round = 0; round < 3; ++round) {
      ASSERT_TRUE(s->next(r));
      EXPECT_EQ(r.pid, pid);
      EXPECT_EQ(r.addr, round);
    }
    EXPECT_FALSE(s->next(r));
  }
  EXPECT_EQ(opens, 1);
}

}  // namespace
}  // namespace cowsim::trace
