// The kernel model's hot operations, timed on the logic alone: an anonymous zero-fill fault,
// a copy-on-write copy fault, and fork (per PTE copied).
#include <benchmark/benchmark.h>

#include "models/kernel/kernel.h"
#include "models/memory/physical_memory.h"

namespace cowsim {
namespace {

constexpr uint64_t kBase = 0x7f0000000000;
constexpr uint8_t kRw = trace::kProtRead | trace::kProtWrite;

struct Machine {
  Machine() : mem(params()), kernel(KernelParams{}, mem, 4, 1, false) {}
  static MemoryParams params() {
    MemoryParams m;
    m.size = uint64_t{64} << 30;  // frame metadata is allocated lazily: only touched frames cost
    return m;
  }
  FaultResult write(Process& p, uint64_t va, bool present) {
    Fault f;
    f.kind = present ? FaultKind::kWriteProtect : FaultKind::kNotPresent;
    f.addr = VirtAddr{va};
    f.access = AccessType::kWrite;
    f.error_code = pf_error::kUser | pf_error::kWrite | (present ? pf_error::kPresent : 0);
    return kernel.handle_fault(p, f, 0);
  }
  void populate(Process& p, uint64_t pages) {
    kernel.mmap(p, kBase, pages * kPageSize, kRw, trace::kMapPrivate, trace::kNoName, 0);
    for (uint64_t i = 0; i < pages; ++i) write(p, kBase + i * kPageSize, false);
  }
  PhysicalMemory mem;
  Kernel kernel;
};

// First writes to fresh private anonymous pages, 1 GiB at a time (then unmapped, untimed).
void AnonZeroFillFault(benchmark::State& state) {
  constexpr uint64_t kBatch = 262144;
  Machine m;
  Process& p = m.kernel.start_process(1, Cycles{0});
  m.kernel.mmap(p, kBase, kBatch * kPageSize, kRw, trace::kMapPrivate, trace::kNoName, 0);
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.write(p, kBase + i * kPageSize, false));
    if (++i == kBatch) {
      state.PauseTiming();
      m.kernel.munmap(p, kBase, kBatch * kPageSize, 0);
      m.kernel.mmap(p, kBase, kBatch * kPageSize, kRw, trace::kMapPrivate, trace::kNoName, 0);
      i = 0;
      state.ResumeTiming();
    }
  }
  if (p.faults[static_cast<size_t>(FaultOutcome::kAnonZeroFill)] != static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("not every fault was a zero fill");
}
BENCHMARK(AnonZeroFillFault);

// A child's first writes to pages it shares with its parent after fork: each copies.
void CowCopyFault(benchmark::State& state) {
  constexpr uint64_t kPages = 65536;
  Machine m;
  Process& parent = m.kernel.start_process(1, Cycles{0});
  m.populate(parent, kPages);
  uint32_t pid = 2;
  m.kernel.fork(parent, pid, false, 0, Cycles{0});
  Process* child = m.kernel.process(pid);
  uint64_t i = 0, copies = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.write(*child, kBase + i * kPageSize, true));
    if (++i == kPages) {
      state.PauseTiming();
      copies += child->faults[static_cast<size_t>(FaultOutcome::kCowCopy)];
      m.kernel.exit(*child, "exit", Cycles{0});
      m.kernel.fork(parent, ++pid, false, 0, Cycles{0});
      child = m.kernel.process(pid);
      i = 0;
      state.ResumeTiming();
    }
  }
  copies += child->faults[static_cast<size_t>(FaultOutcome::kCowCopy)];
  if (copies != static_cast<uint64_t>(state.iterations())) state.SkipWithError("not every fault was a CoW copy");
}
BENCHMARK(CowCopyFault);

// fork() of a process with 256 MiB written (65536 PTEs); the child exits untimed.
void ForkPerPte(benchmark::State& state) {
  constexpr uint64_t kPages = 65536;
  Machine m;
  Process& parent = m.kernel.start_process(1, Cycles{0});
  m.populate(parent, kPages);
  uint32_t pid = 2;
  for (auto _ : state) {
    m.kernel.fork(parent, pid, false, 0, Cycles{0});
    state.PauseTiming();
    m.kernel.exit(*m.kernel.process(pid++), "exit", Cycles{0});
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPages));
  state.counters["s_per_pte"] = benchmark::Counter(static_cast<double>(state.iterations() * kPages),
                                                benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(ForkPerPte)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cowsim
