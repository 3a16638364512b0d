// Page-table walks over tables the kernel model built, through a flat-latency memory port (so
// the walker's own work is measured, not a cache model): with warm paging-structure caches
// (the PDE cache skips three levels) and cold (caches flushed: all four levels read).
#include <benchmark/benchmark.h>

#include "models/kernel/kernel.h"
#include "models/memory/physical_memory.h"
#include "models/walker/walker.h"

namespace cowsim {
namespace {

constexpr uint64_t kBase = 0x7f0000000000;

class FlatPort : public PteMemory {
 public:
  explicit FlatPort(PhysicalMemory& m) : mem_(m) {}
  uint64_t read_pte(PhysAddr pa, Cycles& latency, Level& served_by) override {
    latency += Cycles{20};
    served_by = Level::kL2;
    return mem_.read64(pa);
  }
  void write_pte(PhysAddr pa, uint64_t value, Cycles& latency) override {
    latency += Cycles{20};
    mem_.write64(pa, value);
  }

 private:
  PhysicalMemory& mem_;
};

// A process with 2 MiB of written pages: 512 PTEs in one page table.
struct Mapped {
  Mapped() : mem(params()), kernel(KernelParams{}, mem, 4, 1, false), port(mem) {
    Process& p = kernel.start_process(1, Cycles{0});
    kernel.mmap(p, kBase, kHugePageSize, trace::kProtRead | trace::kProtWrite, trace::kMapPrivate, trace::kNoName, 0);
    for (uint64_t a = kBase; a < kBase + kHugePageSize; a += kPageSize) {
      Fault f;
      f.kind = FaultKind::kNotPresent;
      f.addr = VirtAddr{a};
      f.access = AccessType::kWrite;
      f.error_code = pf_error::kUser | pf_error::kWrite;
      kernel.handle_fault(p, f, 0);
    }
    root = p.mm->root;
  }
  static MemoryParams params() {
    MemoryParams m;
    m.size = uint64_t{1} << 30;
    return m;
  }
  PhysicalMemory mem;
  Kernel kernel;
  FlatPort port;
  Pfn root;
};

void WalkWarmPsc(benchmark::State& state) {
  Mapped m;
  Walker w(WalkerParams{}, m.port);
  uint64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(w.walk(m.root, VirtAddr{kBase + (i++ & 511) * kPageSize}, AccessType::kRead));
  state.counters["pte_reads/walk"] = static_cast<double>(w.pte_reads()) / static_cast<double>(w.walks());
}
BENCHMARK(WalkWarmPsc);

void WalkCold(benchmark::State& state) {
  Mapped m;
  Walker w(WalkerParams{}, m.port);
  uint64_t i = 0;
  for (auto _ : state) {
    w.flush_caches();
    benchmark::DoNotOptimize(w.walk(m.root, VirtAddr{kBase + (i++ & 511) * kPageSize}, AccessType::kRead));
  }
  state.counters["pte_reads/walk"] = static_cast<double>(w.pte_reads()) / static_cast<double>(w.walks());
}
BENCHMARK(WalkCold);

}  // namespace
}  // namespace cowsim
