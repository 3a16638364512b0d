// Executor: runs trace records of a process against a Translator and an ExecEnv. Here both are
// fakes that log what the executor asks, so accesses, retries, costs and stop reasons can be
// checked exactly.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "models/core/executor.h"
#include "testbenches/common/vector_stream.h"
#include "traces/trace_io.h"

namespace cowsim {
namespace {

using trace::Op;
using trace::Record;

constexpr uint64_t kBase = 0x7f0000000000;

// An MMU whose pages are not present until the fake kernel maps them.
class FakeMmu : public Translator {
 public:
  TranslateResult translate(Pfn, VirtAddr va, AccessType type, Cycles) override {
    log.push_back(va.value);
    TranslateResult r;
    r.latency = Cycles{kLatency};
    if (always_fault || !mapped.count(va.vpn().value)) {
      r.fault.kind = FaultKind::kNotPresent;
      r.fault.addr = va;
      r.fault.access = type;
    }
    return r;
  }
  static constexpr uint64_t kLatency = 1;
  std::set<uint64_t> mapped;  // page numbers
  std::vector<uint64_t> log;  // every translated address, in order
  bool always_fault = false;
};

class FakeEnv : public ExecEnv {
 public:
  FakeEnv(FakeMmu& mmu, CoreClock& clock) : mmu_(mmu), clock_(clock) {}
  void sync() override {
    ++syncs;
    clock_.base += clock_.offset;
    clock_.offset = 0;
  }
  FaultResult raise_fault(Process& p, const Fault& f) override {
    faults.push_back(f);
    FaultResult r;
    r.cycles = Cycles{kFaultCycles};
    if (kill) {  // as the kernel does: the process is gone when the handler returns
      p.state = TaskState::kExited;
      return r;
    }
    mmu_.mapped.insert(f.addr.vpn().value);
    r.resolved = true;
    r.outcome = FaultOutcome::kAnonZeroFill;
    return r;
  }
  Cycles syscall(Process& p, const Record& r) override {
    syscalls.push_back(r.op);
    syncs_at_syscall.push_back(syncs);
    if (r.op == Op::kExit) p.state = TaskState::kExited;
    if (r.op == Op::kWait) p.state = TaskState::kBlocked;
    if (r.op == Op::kCpu) p.core = static_cast<unsigned>(r.addr);
    return Cycles{kSyscallCycles};
  }
  void exit(Process& p, const std::string& reason) override {
    exits.push_back(reason);
    p.state = TaskState::kExited;
  }
  bool others_runnable() override { return others; }

  static constexpr uint64_t kFaultCycles = 100, kSyscallCycles = 1000;
  bool kill = false, others = false;
  int syncs = 0;
  std::vector<Fault> faults;
  std::vector<Op> syscalls;
  std::vector<int> syncs_at_syscall;
  std::vector<std::string> exits;

 private:
  FakeMmu& mmu_;
  CoreClock& clock_;
};

Record access(Op op, uint64_t addr, uint64_t len = 0, uint32_t size = 8) {
  Record r;
  r.op = op;
  r.addr = addr;
  r.len = len;
  r.size = size;
  return r;
}
Record op(Op o, uint64_t addr = 0) {
  Record r;
  r.op = o;
  r.addr = addr;
  return r;
}

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() : env_(mmu_, clock_) {
    clock_.quantum = 1'000'000;  // no quantum syncs unless a test asks for them
    proc_.pid = 1;
    proc_.mm = std::make_shared<AddressSpace>();
    proc_.state = TaskState::kRunning;
  }
  StopReason run(std::vector<Record> records, double ipc = 1.0, uint64_t slice = UINT64_MAX / 2) {
    CoreParams p;
    p.ipc = ipc;
    exec_ = std::make_unique<Executor>(p, 0, clock_, mmu_, env_);
    auto s = std::make_unique<test::VectorStream>(std::move(records));
    stream_ = s.get();
    ctx_.stream = std::move(s);
    ctx_.pending = false;
    return exec_->run(proc_, ctx_, Cycles{slice});
  }
  StopReason resume(uint64_t slice = UINT64_MAX / 2) { return exec_->run(proc_, ctx_, Cycles{slice}); }

  CoreClock clock_;
  FakeMmu mmu_;
  FakeEnv env_;
  Process proc_;
  TaskContext ctx_;
  test::VectorStream* stream_ = nullptr;
  std::unique_ptr<Executor> exec_;
};

TEST_F(ExecutorTest, RangeRecordDoesOneAccessPerStride) {
  // "w base +16K": 16 KiB with the default 4 KiB stride = 4 accesses, one per page.
  EXPECT_EQ(run({access(Op::kWrite, kBase, 16 << 10)}), StopReason::kExited);
  EXPECT_EQ(exec_->accesses(), 4u);
  EXPECT_EQ(proc_.accesses, 4u);
  EXPECT_EQ(exec_->records(), 1u);
  // Each page faults once; the access is retried after the handler and then succeeds.
  EXPECT_EQ(mmu_.log, (std::vector<uint64_t>{kBase, kBase, kBase + 0x1000, kBase + 0x1000, kBase + 0x2000,
                                             kBase + 0x2000, kBase + 0x3000, kBase + 0x3000}));
  ASSERT_EQ(env_.faults.size(), 4u);
  EXPECT_EQ(exec_->faults(), 4u);
  EXPECT_EQ(env_.faults[2].addr, VirtAddr{kBase + 0x2000});
  EXPECT_EQ(env_.faults[2].access, AccessType::kWrite);
  // Time: 8 translations x 1 cycle + 4 handled faults x 100 cycles.
  EXPECT_EQ(exec_->busy_cycles(), 8 * FakeMmu::kLatency + 4 * FakeEnv::kFaultCycles);
  EXPECT_EQ(clock_.now(), Cycles{408});
  // The stream ended: the process exits with "end of trace", after a sync.
  EXPECT_EQ(env_.exits, std::vector<std::string>{"end of trace"});
  EXPECT_EQ(env_.syncs, 1);
}

TEST_F(ExecutorTest, StrideAndPartialLastAccess) {
  Record r = access(Op::kRead, kBase, 10000);
  r.stride = 3000;  // accesses at 0, 3000, 6000, 9000: ceil(10000 / 3000) = 4
  mmu_.mapped = {kBase >> 12, (kBase >> 12) + 1, (kBase >> 12) + 2};
  run({r});
  EXPECT_EQ(mmu_.log, (std::vector<uint64_t>{kBase, kBase + 3000, kBase + 6000, kBase + 9000}));
  EXPECT_TRUE(env_.faults.empty());
}

TEST_F(ExecutorTest, AccessCrossingAPageTranslatesBothPages) {
  mmu_.mapped = {kBase >> 12, (kBase >> 12) + 1};
  run({access(Op::kRead, kBase + 4092, 0, 8),     // bytes 4092..4099: two pages
       access(Op::kRead, kBase + 4088, 0, 8),     // bytes 4088..4095: one page
       access(Op::kRead, kBase + 0, 0, 4096)});   // exactly one page
  EXPECT_EQ(mmu_.log, (std::vector<uint64_t>{kBase + 4092, kBase + 4096, kBase + 4088, kBase}));
  EXPECT_EQ(exec_->accesses(), 3u);  // still three accesses
}

TEST_F(ExecutorTest, CrossingAccessFaultsOnEachPage) {
  run({access(Op::kWrite, kBase + 4092, 0, 8)});
  ASSERT_EQ(env_.faults.size(), 2u);
  EXPECT_EQ(env_.faults[0].addr, VirtAddr{kBase + 4092});
  EXPECT_EQ(env_.faults[1].addr, VirtAddr{kBase + 4096});  // the second page's first byte
}

TEST_F(ExecutorTest, ComputeCyclesAreInstructionsOverIpcRoundedUp) {
  mmu_.mapped = {};
  run({op(Op::kCompute, 10)}, 3.0);
  EXPECT_EQ(exec_->busy_cycles(), 4u);  // ceil(10 / 3)
  run({op(Op::kCompute, 10)}, 0.5);
  EXPECT_EQ(exec_->busy_cycles(), 20u);  // 10 / 0.5
  run({op(Op::kCompute, 7), op(Op::kCompute, 9)}, 1.0);
  EXPECT_EQ(exec_->busy_cycles(), 16u);
  EXPECT_EQ(exec_->accesses(), 0u);
}

TEST_F(ExecutorTest, KilledProcessStopsTheRun) {
  env_.kill = true;
  EXPECT_EQ(run({access(Op::kWrite, kBase, 16 << 10), op(Op::kCompute, 1000), access(Op::kRead, kBase)}),
            StopReason::kExited);
  EXPECT_EQ(mmu_.log.size(), 1u);  // the first access faulted and the handler killed it
  EXPECT_EQ(env_.faults.size(), 1u);
  EXPECT_EQ(stream_->consumed(), 1u);  // nothing after it ran
  EXPECT_EQ(exec_->busy_cycles(), FakeMmu::kLatency + FakeEnv::kFaultCycles);  // the handler's cycles are paid
  EXPECT_TRUE(env_.exits.empty());  // the kernel already ended it
}

TEST_F(ExecutorTest, AFaultThatComesBackIsABug) {
  mmu_.always_fault = true;  // the "kernel" resolves it but the translation never appears
  EXPECT_THROW(run({access(Op::kRead, kBase)}), std::logic_error);
  EXPECT_EQ(mmu_.log.size(), 4u);  // bounded retries, not an endless loop
}

TEST_F(ExecutorTest, SystemCallsSyncFirstAndReportTheProcessState) {
  mmu_.mapped = {kBase >> 12};
  EXPECT_EQ(run({access(Op::kRead, kBase), op(Op::kMmap), op(Op::kWait, 2), op(Op::kCompute, 5)}),
            StopReason::kBlocked);
  EXPECT_EQ(env_.syscalls, (std::vector<Op>{Op::kMmap, Op::kWait}));
  EXPECT_EQ(env_.syncs_at_syscall, (std::vector<int>{1, 2}));  // each one after a sync
  EXPECT_EQ(exec_->busy_cycles(), 1 + 2 * FakeEnv::kSyscallCycles);
  // Woken later, it goes on with the next record.
  proc_.state = TaskState::kRunning;
  EXPECT_EQ(resume(), StopReason::kExited);
  EXPECT_EQ(exec_->busy_cycles(), 1 + 2 * FakeEnv::kSyscallCycles + 5);
  EXPECT_EQ(env_.exits, std::vector<std::string>{"end of trace"});
}

TEST_F(ExecutorTest, ExitAndMigrationStopTheRun) {
  EXPECT_EQ(run({op(Op::kCpu, 3), op(Op::kExit)}), StopReason::kMigrated);
  EXPECT_EQ(proc_.core, 3u);
  EXPECT_EQ(resume(), StopReason::kExited);
  EXPECT_EQ(env_.syscalls, (std::vector<Op>{Op::kCpu, Op::kExit}));
  EXPECT_TRUE(env_.exits.empty());  // exit was the trace's own record
}

TEST_F(ExecutorTest, PreemptionInsideARangeResumesWhereItStopped) {
  mmu_.mapped = {};
  for (uint64_t i = 0; i < 8; ++i) mmu_.mapped.insert((kBase >> 12) + i);
  env_.others = true;
  // Each access costs 1 cycle: with the slice ending at cycle 3, the run stops after the third.
  EXPECT_EQ(run({access(Op::kRead, kBase, 8 << 12), op(Op::kCompute, 1)}, 1.0, 3), StopReason::kPreempted);
  EXPECT_EQ(exec_->accesses(), 3u);
  EXPECT_TRUE(ctx_.pending);
  EXPECT_EQ(ctx_.position, 3u);
  EXPECT_EQ(resume(6), StopReason::kPreempted);  // 3 more
  EXPECT_EQ(exec_->accesses(), 6u);
  EXPECT_EQ(resume(), StopReason::kExited);
  EXPECT_EQ(exec_->accesses(), 8u);  // every access exactly once
  EXPECT_EQ(mmu_.log.size(), 8u);
  EXPECT_EQ(exec_->records(), 2u);
}

TEST_F(ExecutorTest, NoPreemptionWhenNobodyElseWaits) {
  env_.others = false;
  for (uint64_t i = 0; i < 8; ++i) mmu_.mapped.insert((kBase >> 12) + i);
  EXPECT_EQ(run({access(Op::kRead, kBase, 8 << 12)}, 1.0, 1), StopReason::kExited);
  EXPECT_EQ(exec_->accesses(), 8u);
}

TEST_F(ExecutorTest, QuantumForcesASync) {
  clock_.quantum = 250;  // a sync whenever the core is 250 cycles or more ahead
  // 4 pages, each: translate (1), fault (100), retry (1). The offset is checked after every
  // step: 1 101 102 | 103 203 204 | 205 305 -> sync (0), 1 | 2 102 103; the end of trace syncs.
  // Two syncs, and syncing loses no time.
  run({access(Op::kWrite, kBase, 16 << 10)});
  EXPECT_EQ(env_.syncs, 2);
  EXPECT_EQ(clock_.now(), Cycles{408});
}

}  // namespace
}  // namespace cowsim
