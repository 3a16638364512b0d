// Issue 14: a trace of 2,000 processes, its statistics computed by hand. The scaling work
// (one trace reader for all processes, linear kernel bookkeeping) must not change what a
// run of many processes reports.
//
// pid 1 maps 64 KiB (16 pages) and writes them, then forks pids 2..2000 (1,999 children).
//   even child k (2, 4, ..., 2000: 1,000 of them): writes pages 0-3, exits.
//   odd child k (3, 5, ..., 1999: 999 of them): writes pages 0-1, reads all 16 pages, posts
//     done-k, awaits "release", exits.
//   pid 1: waits for every even child, awaits every done-k, takes the snapshot "survivors",
//     posts "release", waits for every odd child, exits.
// pid 1 maps all 16 of its pages until after the snapshot, so every child's first write to a
// page finds it shared (reference count >= 2): a CoW copy, never a reuse.
#include <gtest/gtest.h>

#include <sstream>

#include "testbenches/platform/run_helpers.h"

namespace cowsim::test {
namespace {

std::string trace() {
  std::ostringstream t;
  t << "cowsim-trace 1\n1 mmap 0x7f0000000000 64K rw private,anon\n1 w 0x7f0000000000 +64K\n";
  for (int k = 2; k <= 2000; ++k) t << "1 fork " << k << "\n";
  for (int k = 2; k <= 2000; ++k) {
    if (k % 2 == 0) {
      t << k << " w 0x7f0000000000 +16K\n" << k << " exit\n";
    } else {
      t << k << " w 0x7f0000000000 +8K\n" << k << " r 0x7f0000000000 +64K\n";
      t << k << " post done-" << k << "\n" << k << " await release\n" << k << " exit\n";
    }
  }
  for (int k = 2; k <= 2000; k += 2) t << "1 wait " << k << "\n";
  for (int k = 3; k <= 1999; k += 2) t << "1 await done-" << k << "\n";
  t << "1 snapshot survivors\n1 post release\n";
  for (int k = 3; k <= 1999; k += 2) t << "1 wait " << k << "\n";
  t << "1 exit\n";
  return t.str();
}

// The value (kB) of `field` in a one-VMA smaps text.
uint64_t smaps_kb(const std::string& text, const std::string& field) {
  size_t at = text.find("\n" + field + ":");
  if (at == std::string::npos) throw std::runtime_error("no " + field + " in\n" + text);
  return std::stoull(text.substr(at + field.size() + 2));
}

TEST(ManyProcesses, TwoThousandProcessesByHand) {
  RunResult r = run_text(trace());
  const auto& s = r.stats;

  // Faults. pid 1: 16 zero fills. Even children: 4 CoW copies each; odd children: 2 each
  // (their reads of all 16 pages find present, readable PTEs: no fault).
  EXPECT_EQ(at(s, "processes.1.faults.anon_zero_fill"), 16u);
  EXPECT_EQ(at(s, "processes.1.minflt"), 16u);
  for (int k : {2, 1000, 2000}) {
    const std::string p = "processes." + std::to_string(k);
    EXPECT_EQ(at(s, p + ".faults.cow_copy"), 4u) << k;
    EXPECT_EQ(at(s, p + ".faults.cow_reuse"), 0u) << k;
    EXPECT_EQ(at(s, p + ".minflt"), 4u) << k;
    EXPECT_EQ(at(s, p + ".faults.bytes_copied"), 4u * 4096u) << k;
    EXPECT_EQ(at(s, p + ".accesses"), 4u) << k;
  }
  for (int k : {3, 1001, 1999}) {
    const std::string p = "processes." + std::to_string(k);
    EXPECT_EQ(at(s, p + ".faults.cow_copy"), 2u) << k;
    EXPECT_EQ(at(s, p + ".minflt"), 2u) << k;
    EXPECT_EQ(at(s, p + ".accesses"), 2u + 16u) << k;
  }
  // Every process, summed: 16 zero fills; 1,000 x 4 + 999 x 2 = 5,998 copies.
  uint64_t zero_fills = 0, copies = 0, reuses = 0, exits = 0, accesses = 0;
  for (const auto& [pid, p] : s["processes"].items()) {
    zero_fills += p["faults"]["anon_zero_fill"].get<uint64_t>();
    copies += p["faults"]["cow_copy"].get<uint64_t>();
    reuses += p["faults"]["cow_reuse"].get<uint64_t>();
    exits += p["exit"] == "exit";
    accesses += p["accesses"].get<uint64_t>();
  }
  EXPECT_EQ(s["processes"].size(), 2000u);
  EXPECT_EQ(zero_fills, 16u);
  EXPECT_EQ(copies, 5998u);
  EXPECT_EQ(reuses, 0u);
  // Every process ends with its exit record.
  EXPECT_EQ(exits, 2000u);
  // Accesses: 16 (pid 1) + 1,000 x 4 + 999 x (2 + 16) = 16 + 4,000 + 17,982 = 21,998.
  EXPECT_EQ(at(s, "sim.accesses"), 21998u);

  // Forks: 1,999, each copying pid 1's 16 PTEs.
  EXPECT_EQ(at(s, "kernel.fork_calls"), 1999u);
  EXPECT_EQ(at(s, "kernel.fork_ptes_copied"), 1999u * 16u);
  EXPECT_EQ(at(s, "kernel.forks.0.child"), 2u);
  EXPECT_EQ(at(s, "kernel.forks.1998.child"), 2000u);
  EXPECT_EQ(at(s, "kernel.forks.1998.ptes_copied"), 16u);
  // Everything exited: no frame or table page left.
  EXPECT_EQ(at(s, "kernel.memory.frames_in_use"), 0u);
  EXPECT_EQ(at(s, "kernel.memory.table_pages"), 0u);

  // The snapshot: the survivors are pid 1 and the 999 odd children (the even ones were
  // waited for). Pages 0-1: each odd child maps its own copy; pid 1 alone maps its originals
  // (every child replaced its mapping by a copy). Pages 2-15: pid 1 and the 999 odd children
  // map the originals (the even children that copied 2-3 have exited): map count 1,000.
  //   Rss = 16 x 4 = 64 kB, Private_Dirty = 2 x 4 = 8 kB, Shared_Dirty = 14 x 4 = 56 kB.
  //   Pss, in 1/4096 bytes as task_mmu.c: 2 x (4096 << 12) + 14 x ((4096 << 12) / 1000)
  //     = 33,554,432 + 14 x 16,777 = 33,789,310; >> 12 = 8,249 bytes = 8 kB.
  ASSERT_EQ(r.snapshots.size(), 1000u);
  uint64_t odd = 0;
  for (const auto& snap : r.snapshots) {
    EXPECT_EQ(snap.label, "survivors");
    EXPECT_TRUE(snap.pid == 1 || snap.pid % 2 == 1) << snap.pid;
    odd += snap.pid != 1;
    EXPECT_EQ(smaps_kb(snap.text, "Rss"), 64u) << snap.text;
    EXPECT_EQ(smaps_kb(snap.text, "Private_Dirty"), 8u) << snap.text;
    EXPECT_EQ(smaps_kb(snap.text, "Shared_Dirty"), 56u) << snap.text;
    EXPECT_EQ(smaps_kb(snap.text, "Private_Clean"), 0u) << snap.text;
    EXPECT_EQ(smaps_kb(snap.text, "Pss"), 8u) << snap.text;
    EXPECT_EQ(smaps_kb(snap.text, "Anonymous"), 64u) << snap.text;
  }
  EXPECT_EQ(odd, 999u);
}

}  // namespace
}  // namespace cowsim::test
