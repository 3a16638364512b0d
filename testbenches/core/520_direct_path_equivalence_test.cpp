// The executor calls the TLB hierarchy and the cache hierarchy directly when its ports offer
// them (Translator::direct, DataMemory::direct), so L1 hits are inline; otherwise it goes
// through the virtual interfaces (models/core/executor.h). Here the same random traces run on
// two executors over identical TLBs and caches, one given the direct paths and one given
// wrappers that hide them: times, preemptions, faults and every statistic must be equal.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "models/common/stats.h"
#include "models/core/executor.h"
#include "models/memory/memory_hierarchy.h"
#include "models/tlb/tlb_hierarchy.h"
#include "testbenches/common/vector_stream.h"
#include "traces/trace_io.h"

namespace cowsim {
namespace {

using trace::Op;
using trace::Record;

constexpr uint64_t kBase = 0x7f0000000000;
constexpr uint64_t kPages = 4096;  // 16 MiB: beyond the STLB's reach

// Page tables as a map: a page is mapped (read-only or writable) once the kernel fault
// handler has seen it; walks cost 30 cycles plus 1 per page-number bit set, so they differ.
class MapWalker : public PageWalker {
 public:
  WalkResult walk(Pfn, VirtAddr va, AccessType type, uint16_t) override {
    WalkResult r;
    const uint64_t page = va.vpn().value;
    r.latency = Cycles{30 + static_cast<uint64_t>(__builtin_popcountll(page))};
    auto it = mapped.find(page);
    if (it == mapped.end() || (type == AccessType::kWrite && !it->second)) {
      r.fault.kind = it == mapped.end() ? FaultKind::kNotPresent : FaultKind::kWriteProtect;
      r.fault.addr = va;
      r.fault.access = type;
      return r;
    }
    r.translation = {Pfn{page & 0xFFFFF}, kPageShift, it->second, true, false, type == AccessType::kWrite, false};
    return r;
  }
  void flush_caches(uint16_t) override {}
  void flush_caches() override {}
  void invalidate_caches(VirtAddr, uint16_t) override {}
  std::map<uint64_t, bool> mapped;  // page -> writable
};

// Faults map the page (a write fault makes it writable); other processes wait for the core
// in some stretches of the run, which changes only when the kernel is entered.
class Env : public ExecEnv {
 public:
  Env(MapWalker& w, CoreClock& clock, TlbHierarchy& tlbs) : walker_(w), clock_(clock), tlbs_(tlbs) {}
  void sync() override {
    ++syncs;
    clock_.base += clock_.offset;
    clock_.offset = 0;
    others = (clock_.base / 5000) % 3 == 0;
  }
  FaultResult raise_fault(Process&, const Fault& f) override {
    walker_.mapped[f.addr.vpn().value] |= f.access == AccessType::kWrite;
    tlbs_.invalidate_page(0, f.addr);
    FaultResult r;
    r.cycles = Cycles{500};
    r.resolved = true;
    r.outcome = FaultOutcome::kAnonZeroFill;
    return r;
  }
  Cycles syscall(Process&, const Record&) override { return Cycles{700}; }
  void exit(Process& p, const std::string&) override { p.state = TaskState::kExited; }
  bool others_runnable() override {
    ++others_calls;
    return others;
  }
  bool others = false;
  uint64_t syncs = 0, others_calls = 0;

 private:
  MapWalker& walker_;
  CoreClock& clock_;
  TlbHierarchy& tlbs_;
};

// The interfaces without their direct paths.
class HiddenTlbs : public Translator {
 public:
  explicit HiddenTlbs(TlbHierarchy& t) : t_(t) {}
  TranslateResult translate(Pfn root, VirtAddr va, AccessType type, Cycles now) override {
    return t_.translate(root, va, type, now);
  }

 private:
  TlbHierarchy& t_;
};
class HiddenCaches : public DataMemory {
 public:
  explicit HiddenCaches(MemoryHierarchy& h) : h_(h) {}
  Cycles data_access(PhysAddr pa, bool write) override { return h_.access(pa, write, Source::kData).latency; }

 protected:
  MemoryHierarchy& h_;
};
// As CachesModule: the same port, offering its hierarchy.
class DirectCaches : public HiddenCaches {
 public:
  using HiddenCaches::HiddenCaches;
  MemoryHierarchy* direct() override { return &h_; }
};

// Ranges, single accesses of every kind (some crossing a page), compute and system calls.
std::vector<Record> random_trace(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Record> out;
  for (int i = 0; i < 3000; ++i) {
    Record r;
    const uint64_t page = (rng() % 8 == 0) ? rng() % kPages : rng() % 48;  // mostly a hot set
    r.addr = kBase + page * kPageSize + (rng() % kPageSize);
    const unsigned kind = rng() % 20;
    if (kind < 12) {
      r.op = kind < 7 ? Op::kRead : kind < 10 ? Op::kWrite : Op::kFetch;
      r.size = 1 + rng() % 16;
    } else if (kind < 17) {
      r.op = kind < 15 ? Op::kRead : Op::kWrite;
      r.addr &= ~uint64_t{7};
      r.len = 8 * (1 + rng() % 2000);
      r.stride = 8 * (1 + rng() % 4);
    } else if (kind < 19) {
      r.op = Op::kCompute;
      r.addr = rng() % 300;
    } else {
      r.op = Op::kMadvise;  // any system call: the env charges it
    }
    out.push_back(r);
  }
  return out;
}

struct Outcome {
  std::vector<int> stops;
  uint64_t now = 0, busy = 0, accesses = 0, faults = 0, syncs = 0;
  nlohmann::json stats;
};

Outcome run(const std::vector<Record>& trace, uint32_t window, bool direct) {
  TlbHierarchyParams tp;
  TlbHierarchy tlbs(tp, 2, 5);
  MapWalker walker;
  tlbs.attach(walker);
  MemoryHierarchyParams mp;
  mp.l1d.size = 4 * 1024;  // small, so data misses too
  mp.l2.size = 64 * 1024;
  MemoryHierarchy caches(mp, 9, nullptr, uint64_t{64} << 30);
  HiddenTlbs hidden_tlbs(tlbs);
  HiddenCaches hidden_caches(caches);
  DirectCaches direct_caches(caches);
  CoreClock clock;
  clock.quantum = 3000;
  Env env(walker, clock, tlbs);
  CoreParams cp;
  cp.window = window;
  Executor exec(cp, 0, clock, direct ? static_cast<Translator&>(tlbs) : hidden_tlbs, env,
                direct ? static_cast<DataMemory*>(&direct_caches) : &hidden_caches);
  Process p;
  p.pid = 1;
  p.mm = std::make_shared<AddressSpace>();
  p.state = TaskState::kRunning;
  TaskContext ctx;
  ctx.stream = std::make_unique<test::VectorStream>(trace);
  Outcome o;
  // Slices of 4000 cycles: the run stops whenever others wait, and resumes.
  for (int i = 0; i < 100000; ++i) {
    const StopReason why = exec.run(p, ctx, clock.now() + Cycles{4000});
    o.stops.push_back(static_cast<int>(why));
    if (why == StopReason::kExited) break;
  }
  o.now = clock.now().value;
  o.busy = exec.busy_cycles();
  o.accesses = exec.accesses();
  o.faults = exec.faults();
  o.syncs = env.syncs;
  StatSink s;
  tlbs.report(s);
  caches.report(s);
  o.stats = s.json();
  return o;
}

TEST(ExecutorDirectPath, SameRunsWithAndWithoutDirectPaths) {
  for (uint32_t window : {1u, 8u}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      SCOPED_TRACE("window " + std::to_string(window) + " seed " + std::to_string(seed));
      const std::vector<Record> trace = random_trace(seed);
      const Outcome a = run(trace, window, true), b = run(trace, window, false);
      EXPECT_EQ(a.stops, b.stops);
      EXPECT_GT(a.stops.size(), 5u);  // preempted several times
      EXPECT_EQ(a.now, b.now);
      EXPECT_EQ(a.busy, b.busy);
      EXPECT_EQ(a.accesses, b.accesses);
      EXPECT_GT(a.faults, 100u);
      EXPECT_EQ(a.faults, b.faults);
      EXPECT_EQ(a.syncs, b.syncs);
      EXPECT_EQ(a.stats, b.stats);
    }
  }
}

}  // namespace
}  // namespace cowsim
