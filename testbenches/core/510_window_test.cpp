// The core's window of independent outstanding accesses (core.window): accesses overlap up
// to the window, compute overlaps with accesses in flight, and faults and system calls wait
// for everything older (precise, serialising). The MMU is a fake with a latency per page, so
// every expected cycle count is worked out by hand in the comments.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "models/core/executor.h"
#include "testbenches/common/vector_stream.h"
#include "traces/trace_io.h"

namespace cowsim {
namespace {

using trace::Op;
using trace::Record;

constexpr uint64_t kBase = 0x7f0000000000;
constexpr uint64_t kFaultCycles = 100, kSyscallCycles = 1000;

// Translation latency 10 unless set per page; pages in `unmapped` fault until the kernel maps them.
class SlowMmu : public Translator {
 public:
  TranslateResult translate(Pfn, VirtAddr va, AccessType type, Cycles now) override {
    issued_at.push_back(now.value);
    uint64_t page = (va.value - kBase) / 4096;
    TranslateResult r;
    r.latency = Cycles{latency.count(page) ? latency[page] : 10};
    if (unmapped.count(page)) {
      r.fault.kind = FaultKind::kNotPresent;
      r.fault.addr = va;
      r.fault.access = type;
    }
    return r;
  }
  std::map<uint64_t, uint64_t> latency;
  std::set<uint64_t> unmapped;
  std::vector<uint64_t> issued_at;
};

class Env : public ExecEnv {
 public:
  Env(SlowMmu& mmu, CoreClock& clock) : mmu_(mmu), clock_(clock) {}
  void sync() override {
    clock_.base += clock_.offset;
    clock_.offset = 0;
  }
  FaultResult raise_fault(Process&, const Fault& f) override {
    fault_at.push_back(clock_.now().value);
    mmu_.unmapped.erase((f.addr.value - kBase) / 4096);
    FaultResult r;
    r.cycles = Cycles{kFaultCycles};
    r.resolved = true;
    r.outcome = FaultOutcome::kAnonZeroFill;
    return r;
  }
  Cycles syscall(Process& p, const Record& r) override {
    syscall_at.push_back(clock_.now().value);
    if (r.op == Op::kExit) p.state = TaskState::kExited;
    return Cycles{kSyscallCycles};
  }
  void exit(Process& p, const std::string&) override { p.state = TaskState::kExited; }
  bool others_runnable() override { return false; }
  std::vector<uint64_t> fault_at, syscall_at;

 private:
  SlowMmu& mmu_;
  CoreClock& clock_;
};

Record read(uint64_t page) {
  Record r;
  r.op = Op::kRead;
  r.addr = kBase + page * 4096;
  return r;
}
Record op(Op o, uint64_t arg = 0) {
  Record r;
  r.op = o;
  r.addr = arg;
  return r;
}

class WindowTest : public ::testing::Test {
 protected:
  WindowTest() : env_(mmu_, clock_) {
    clock_.quantum = 1'000'000;
    proc_.pid = 1;
    proc_.mm = std::make_shared<AddressSpace>();
    proc_.state = TaskState::kRunning;
  }
  // Cycles the records take on a core with the given window (the trace ends with a drain).
  uint64_t run(uint32_t window, std::vector<Record> records) {
    CoreParams p;
    p.window = window;
    Executor exec(p, 0, clock_, mmu_, env_);
    TaskContext ctx;
    ctx.stream = std::make_unique<test::VectorStream>(std::move(records));
    exec.run(proc_, ctx, Cycles{UINT64_MAX / 2});
    return clock_.now().value;
  }

  SlowMmu mmu_;
  CoreClock clock_;
  Env env_;
  Process proc_;
};

TEST_F(WindowTest, FourIndependentReadsOverlapUpToTheWindow) {
  std::vector<Record> four = {read(0), read(1), read(2), read(3)};  // 10 cycles each
  EXPECT_EQ(run(1, four), 40u);  // blocking: one after the other
  clock_ = CoreClock{0, 0, 1'000'000};
  EXPECT_EQ(run(2, four), 20u);  // two at a time: 0-10, 0-10, 10-20, 10-20
  clock_ = CoreClock{0, 0, 1'000'000};
  EXPECT_EQ(run(4, four), 10u);  // all four at cycle 0
  clock_ = CoreClock{0, 0, 1'000'000};
  EXPECT_EQ(run(8, four), 10u);  // a bigger window than there is work changes nothing
}

TEST_F(WindowTest, AccessIssuesWhenAnySlotFreesNotTheOldest) {
  mmu_.latency[0] = 100;  // a slow access, then fast ones, window 2
  // read 0 at 0 (until 100); read 1 at 0 (until 10); read 2 takes read 1's slot at 10
  // (until 20); read 3 at 20 (until 30); the trace ends: wait for read 0 until 100.
  EXPECT_EQ(run(2, {read(0), read(1), read(2), read(3)}), 100u);
  EXPECT_EQ(mmu_.issued_at, (std::vector<uint64_t>{0, 0, 10, 20}));
}

TEST_F(WindowTest, ComputeOverlapsAccessesInFlight) {
  // Four reads at 0 (until 10), compute 5 takes the core to 5, the end waits until 10.
  EXPECT_EQ(run(4, {read(0), read(1), read(2), read(3), op(Op::kCompute, 5)}), 10u);
  clock_ = CoreClock{0, 0, 1'000'000};
  EXPECT_EQ(run(1, {read(0), read(1), read(2), read(3), op(Op::kCompute, 5)}), 45u);
}

TEST_F(WindowTest, FaultIsTakenAfterEveryOlderAccessCompletes) {
  mmu_.latency[0] = 50;
  mmu_.unmapped = {1};
  // read 0 at 0 (until 50); read 1 at 0 faults at 10, waits for read 0 (50), handler 50-150,
  // retried at 150 (until 160).
  EXPECT_EQ(run(4, {read(0), read(1)}), 160u);
  EXPECT_EQ(env_.fault_at, (std::vector<uint64_t>{50}));
  // Blocking: 50, fault at 60, handler until 160, retry until 170.
  mmu_.unmapped = {1};
  env_.fault_at.clear();
  clock_ = CoreClock{0, 0, 1'000'000};
  EXPECT_EQ(run(1, {read(0), read(1)}), 170u);
  EXPECT_EQ(env_.fault_at, (std::vector<uint64_t>{60}));
}

TEST_F(WindowTest, SystemCallWaitsForAccessesInFlight) {
  mmu_.latency[0] = 50;
  // read 0 until 50; the system call starts at 50 and costs 1000; exit is the next one.
  run(4, {read(0), op(Op::kMadvise), op(Op::kExit)});
  EXPECT_EQ(env_.syscall_at, (std::vector<uint64_t>{50, 1050}));
}

}  // namespace
}  // namespace cowsim
