// End-to-end runs through the real SystemC modules, one simulation per test process.
// Expected numbers are derived by hand from the trace and the configured costs.
#include <gtest/gtest.h>

#include "models/common/error.h"
#include "platform/sim_config.h"
#include "platform/system.h"
#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

const char* kTouch1M = R"(cowsim-trace 1
1 mmap 0x7f0000000000 1M rw private,anon
1 w 0x7f0000000000 +1M
1 exit
)";

// Every cache level and DRAM at the same latency, so each memory access (PTE or data) costs
// kFlatLatency wherever it hits, and the cycle count can be derived by hand.
constexpr uint64_t kFlatLatency = 20;
const std::vector<std::string> kFlat = {"memory.l1d.latency=20", "memory.l2.latency=20", "memory.llc.latency=20",
                                        "memory.dram.latency=20"};
SimConfig flat_config(std::vector<std::string> more = {}) {
  ConfigSources src;
  src.overrides = kFlat;
  src.overrides.insert(src.overrides.end(), more.begin(), more.end());
  return load_config(src);
}

// Cycles of kTouch1M on an otherwise idle core, from the configuration's costs (kFlat caches).
// 0x7f0000000000 is 2 MiB aligned, so all 256 pages share one page-table page.
uint64_t touch_1m_cycles(const SimConfig& c) {
  const KernelCosts k = kernel_params(c).cost;  // page zeroing derived from DRAM bandwidth
  // Every TLB miss looks up the L1 DTLB and then the STLB before walking.
  uint64_t tlb = c.tlb.l1d.latency + c.tlb.stlb.latency, setup = c.walker.setup_latency, mem = kFlatLatency;
  uint64_t switch_in = k.context_switch + k.full_flush;  // the core had no mm loaded
  uint64_t mmap = k.syscall + k.vma_op;
  uint64_t fault = k.exception_entry + k.fault_base + k.page_alloc + k.page_zero + k.pte_update + k.exception_return;
  // Page 0: the walk stops at the empty PML4 entry (1 read); the fault also builds the
  // PDPT, PD and PT (3 table pages); the retry reads 4 levels, sets Accessed in the 3 upper
  // entries (the kernel wrote the leaf with A and D already set) and fills the
  // paging-structure caches.
  // Each page's store, once translated, is one data access (mem).
  uint64_t first = (tlb + setup + mem) + (fault + 3 * k.table_alloc) + (tlb + setup + 4 * mem + 3 * mem) + mem;
  // Pages 1..255: the PDE cache knows the page table, so the walk reads only the empty PTE;
  // the fault drops the cached entries for the address, so the retry reads all 4 levels.
  uint64_t psc = c.walker.psc_latency;
  uint64_t other = (tlb + setup + psc + mem) + fault + (tlb + setup + 4 * mem) + mem;
  uint64_t exit = k.exit_base + 256 * k.zap_per_page;
  return switch_in + mmap + first + 255 * other + exit;
}

TEST(Run, Touch1MiBGivesOneZeroFillFaultPerPage) {
  RunResult r = run_text(kTouch1M, kFlat);
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "processes.1.minflt"), 256u);
  EXPECT_EQ(at(s, "processes.1.faults.anon_zero_fill"), 256u);
  EXPECT_EQ(at(s, "processes.1.smaps_rollup.Rss"), 1024u);
  EXPECT_EQ(at(s, "processes.1.smaps_rollup.Private_Dirty"), 1024u);
  EXPECT_EQ(at(s, "processes.1.smaps_rollup.Anonymous"), 1024u);
  EXPECT_EQ(at(s, "sim.accesses"), 256u);
  EXPECT_EQ(at(s, "sim.records"), 3u);
  // Every access misses, walks, faults, then misses and walks again.
  EXPECT_EQ(at(s, "cores.0.tlb.l1d.misses"), 512u);
  EXPECT_EQ(at(s, "cores.0.tlb.l1d.hits"), 0u);
  EXPECT_EQ(at(s, "cores.0.tlb.stlb.misses"), 512u);
  EXPECT_EQ(at(s, "cores.0.walks"), 512u);
  // PTE reads: 1 + 4 for page 0, 1 + 4 for each of the other 255.
  EXPECT_EQ(at(s, "cores.0.walker.pte_reads"), 1u + 4u + 255u * 5u);
  EXPECT_EQ(at(s, "cores.0.walker.psc.pde.hits"), 255u);
  EXPECT_EQ(at(s, "cores.0.walker.ad_writes"), 3u);
  EXPECT_EQ(at(s, "sim.cycles"), touch_1m_cycles(flat_config()));
}

TEST(Run, RereadingResidentPagesHitsTheTlb) {
  // 16 pages fit the 64-entry DTLB: the second pass hits on every access.
  RunResult r = run_text(R"(cowsim-trace 1
1 mmap 0x7f0000000000 64K rw private,anon
1 w 0x7f0000000000 +64K
1 r 0x7f0000000000 +64K
1 exit
)");
  EXPECT_EQ(at(r.stats, "cores.0.tlb.l1d.hits"), 16u);
  EXPECT_EQ(at(r.stats, "cores.0.tlb.l1d.misses"), 32u);
}

TEST(Run, TwoProcessesRunInParallelOnTwoCoresAndSerialOnOne) {
  std::string two = std::string(kTouch1M) + "2 mmap 0x7f0000000000 1M rw private,anon\n2 w 0x7f0000000000 +1M\n2 exit\n";
  uint64_t one_run = touch_1m_cycles(flat_config({"cores=2"}));
  std::vector<std::string> sets = kFlat;
  sets.push_back("cores=2");
  // Without contention for DRAM channels and kernel locks: each on its own core, same work.
  std::vector<std::string> off = sets;
  off.push_back("memory.dram.contention=false");
  off.push_back("kernel.locks.enabled=false");
  RunResult r = run_text(two, off);
  EXPECT_EQ(at(r.stats, "sim.cycles"), one_run);
  EXPECT_EQ(at(r.stats, "cores.1.walks"), 512u);
  // With it (the default), the two zero-fill streams overlap: longer by at most what the cores
  // waited (docs/memory-contention.md).
  // (A second simulation needs its own process: through the binary.)
  const std::string dir = temp_dir() + "/c";
  std::string args = "run " + write_temp(two) + " -q --out " + dir;
  for (const auto& kv : sets) args += " --set " + kv;
  ASSERT_EQ(cli(args).code, 0) << args;
  const nlohmann::json c = stable_stats(dir + "/stats.json");
  uint64_t waits = at(c, "kernel.locks.zone.wait_cycles") + at(c, "kernel.locks.lru.wait_cycles");
  for (const char* u : {"copy", "zero", "data", "walk"}) waits += at(c, std::string("dram.") + u + ".wait_cycles");
  EXPECT_GT(waits, 0u);
  EXPECT_GT(at(c, "sim.cycles"), one_run);
  EXPECT_LE(at(c, "sim.cycles"), one_run + waits);
}

TEST(Run, OneCoreTimeSharesTwoProcesses) {
  std::string two = std::string(kTouch1M) + "2 mmap 0x7f0000000000 1M rw private,anon\n2 w 0x7f0000000000 +1M\n2 exit\n";
  uint64_t one_run = touch_1m_cycles(flat_config({"cores=1"}));
  std::vector<std::string> sets = kFlat;
  sets.push_back("cores=1");
  RunResult r = run_text(two, sets);
  // The slice (12 M cycles) outlasts each process: they run back to back, and the second
  // switch also loads a new address space (same switch cost as the first).
  EXPECT_EQ(at(r.stats, "sim.cycles"), 2 * one_run);
  EXPECT_EQ(at(r.stats, "cores.0.context_switches"), 2u);
}

TEST(Run, ForkThenChildWritesHalf) {
  RunResult r = run_text(R"(cowsim-trace 1
1 mmap 0x7f0000000000 4M rw private,anon
1 w 0x7f0000000000 +4M
1 fork 2
2 snapshot after-fork
2 w 0x7f0000000000 +2M
2 exit
1 wait 2
1 w 0x7f0000000000 +4M
1 exit
)");
  const auto& s = r.stats;
  EXPECT_EQ(at(s, "processes.1.faults.anon_zero_fill"), 1024u);
  EXPECT_EQ(at(s, "processes.2.faults.cow_copy"), 512u);  // first writer copies
  EXPECT_EQ(at(s, "processes.2.minflt"), 512u);
  EXPECT_EQ(at(s, "processes.2.faults.bytes_copied"), 512u * 4096u);
  // The child maps all 1024 pages at exit: its 512 copies are private, the rest shared.
  EXPECT_EQ(at(s, "processes.2.smaps_rollup.Rss"), 4096u);
  EXPECT_EQ(at(s, "processes.2.smaps_rollup.Private_Dirty"), 2048u);
  EXPECT_EQ(at(s, "processes.2.smaps_rollup.Shared_Dirty"), 2048u);
  EXPECT_EQ(at(s, "processes.2.smaps_rollup.Pss"), 2048u + 1024u);
  // After the child exits, every parent page has one reference: each write reuses.
  EXPECT_EQ(at(s, "processes.1.faults.cow_reuse"), 1024u);
  EXPECT_EQ(at(s, "processes.1.faults.cow_copy"), 0u);
  EXPECT_EQ(at(s, "processes.1.smaps_rollup.Private_Dirty"), 4096u);
  EXPECT_EQ(at(s, "kernel.fork_ptes_copied"), 1024u);
  // Right after fork, the child sees the whole heap as Shared_Dirty (written before fork).
  ASSERT_EQ(r.snapshots.size(), 2u);
  for (const auto& snap : r.snapshots) {
    EXPECT_EQ(snap.label, "after-fork");
    EXPECT_NE(snap.text.find("Shared_Dirty:       4096 kB"), std::string::npos) << snap.text;
    EXPECT_NE(snap.text.find("Private_Dirty:         0 kB"), std::string::npos) << snap.text;
  }
}

TEST(Run, AccessOutsideAnyMappingIsSigsegvNotACrash) {
  RunResult r = run_text("cowsim-trace 1\n1 w 0x7f0000000000\n1 w 0x7f0000001000\n");
  EXPECT_EQ(at(r.stats, "processes.1.faults.segv"), 1u);
  EXPECT_EQ(at(r.stats, "processes.1.minflt"), 0u);
  EXPECT_NE(r.stats["processes"]["1"]["exit"].get<std::string>().find("SIGSEGV"), std::string::npos);
  EXPECT_EQ(at(r.stats, "sim.accesses"), 1u);  // the second store never runs
}

TEST(Run, AwaitThatIsNeverPostedIsReportedAsADeadlock) {
  try {
    run_text("cowsim-trace 1\n1 await never\n1 exit\n");
    FAIL() << "expected a deadlock error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("never"), std::string::npos) << e.what();
  }
}

TEST(Run, PostWakesAnAwaitingProcessOnAnotherCore) {
  RunResult r = run_text(R"(cowsim-trace 1
1 mmap 0x7f0000000000 64K rw shared,anon
1 fork 2
1 compute 1000000
1 w 0x7f0000000000 +64K
1 post ready
1 wait 2
1 exit
2 await ready
2 r 0x7f0000000000 +64K
2 exit
)");
  // The child reads after the parent wrote: one lazy shared fault, which maps all 16 cached
  // pages of the 64 KiB (Linux's fault-around), and no copies.
  EXPECT_EQ(at(r.stats, "processes.2.faults.shared_map"), 1u);
  EXPECT_EQ(at(r.stats, "processes.2.faults.cow_copy"), 0u);
  EXPECT_GT(at(r.stats, "processes.2.end_cycle"), 1000000u);
}

TEST(Run, ForkedChildOnAnotherCoreStartsWhenItsForkReturns) {
  // A 64 MiB parent: its fork copies 16384 PTEs and takes far longer than the child's
  // 1000-cycle compute. The child, placed on the idle core 1, may only start when fork returns
  // in the parent, so it starts at the fork's end and ends at least 1000 cycles later.
  RunResult r = run_text(R"(cowsim-trace 1
1 mmap 0x7f0000000000 64M rw private,anon
1 w 0x7f0000000000 +64M /4K
1 fork 2
1 wait 2
1 exit
2 compute 1000
2 exit
)");
  uint64_t fork_start = at(r.stats, "kernel.forks.0.start_cycle");
  uint64_t fork_cycles = at(r.stats, "kernel.forks.0.cycles");
  EXPECT_GT(fork_cycles, 100000u);  // 16384 PTEs
  EXPECT_EQ(at(r.stats, "processes.2.start_cycle"), fork_start + fork_cycles);
  EXPECT_GE(at(r.stats, "processes.2.end_cycle"), fork_start + fork_cycles + 1000);
  // Parent in, child in on core 1, parent in again after its wait.
  EXPECT_EQ(at(r.stats, "cores.0.context_switches") + at(r.stats, "cores.1.context_switches"), 3u);
}

}  // namespace
}  // namespace cowsim::test
