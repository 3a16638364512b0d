// The scheduler's bookkeeping (models/kernel/sched.cpp): a new process goes to the core with the
// fewest runnable or running processes (the first such core on a tie), run queues are FIFO, a
// process killed while queued is never picked, and migration moves a process's load. The
// loads and queue counts are kept incrementally (issue 14); these tests pin the decisions the
// old full scan over all processes made.
#include <gtest/gtest.h>

#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim::test {
namespace {

class Scheduler : public KernelTest {
 protected:
  Scheduler() : KernelTest(64 * kMiB, 3) {}
  Process& fork(Process& parent, uint32_t child) {
    k().fork(parent, child, false, 0, Cycles{0});
    return *k().process(child);
  }
};

TEST_F(Scheduler, NewProcessesGoToTheLeastLoadedCoreFirstOnATie) {
  // Loads are listed per core [0, 1, 2]; runnable and running processes count.
  Process& p1 = start(1);         // all 0: core 0           -> [1, 0, 0]
  EXPECT_EQ(p1.core, 0u);
  EXPECT_EQ(fork(p1, 2).core, 1u);  // least is core 1 (tie with 2, first wins) -> [1, 1, 0]
  EXPECT_EQ(fork(p1, 3).core, 2u);  //                               -> [1, 1, 1]
  EXPECT_EQ(fork(p1, 4).core, 0u);  // three-way tie: core 0         -> [2, 1, 1]
  k().exit(*k().process(3), "killed", Cycles{0});  // queued on core 2 -> [2, 1, 0]
  EXPECT_EQ(fork(p1, 5).core, 2u);  //                               -> [2, 1, 1]
  ASSERT_EQ(k().pick_next(0), &p1); // running still counts           -> [2, 1, 1]
  EXPECT_FALSE(k().wait(p1, 2));    // blocked: no longer counts      -> [1, 1, 1]
  EXPECT_EQ(fork(*k().process(4), 6).core, 0u);  // tie: core 0         -> [2, 1, 1]
  Process& p2 = *k().pick_next(1);  // pid 2 runs on core 1
  EXPECT_EQ(p2.pid, 2u);
  k().migrate(p2, 2);               // its load moves with it         -> [2, 0, 2]
  EXPECT_EQ(fork(p2, 7).core, 1u);  //                               -> [2, 1, 2]
  EXPECT_EQ(fork(p2, 8).core, 1u);  // core 1 (1) is below 0 and 2 (2) -> [2, 2, 2]
}

TEST_F(Scheduler, AProcessKilledWhileQueuedIsNeverPicked) {
  Process& p1 = start(1);  // core 0
  // Children alternate cores 1, 2, 0, 1, 2 ... by the least-load rule; pid 4 lands on core 0.
  fork(p1, 2), fork(p1, 3);
  Process& p4 = fork(p1, 4);
  Process& p7 = (fork(p1, 5), fork(p1, 6), fork(p1, 7));
  ASSERT_EQ(p4.core, 0u);
  ASSERT_EQ(p7.core, 0u);  // 5 on core 1, 6 on core 2, 7 on core 0 again
  EXPECT_TRUE(k().others_runnable(0));  // 1, 4 and 7 queued on core 0
  k().exit(p4, "killed", Cycles{0});    // from the middle of the queue
  EXPECT_EQ(k().pick_next(0), &p1);     // FIFO: 1, then 7; 4 is skipped
  EXPECT_TRUE(k().others_runnable(0));
  EXPECT_EQ(k().pick_next(0), &p7);
  EXPECT_FALSE(k().others_runnable(0));
  EXPECT_EQ(k().pick_next(0), nullptr);
  k().exit(p7, "exit", Cycles{0});      // running: in no queue
  k().exit(*k().process(3), "killed", Cycles{0});  // the head of core 2's queue [3, 6]
  EXPECT_TRUE(k().others_runnable(2));
  EXPECT_EQ(k().pick_next(2), k().process(6));
  EXPECT_EQ(k().pick_next(2), nullptr);
}

TEST_F(Scheduler, AnyAliveCountsProcessesNotExited) {
  Process& p1 = start(1);
  Process& p2 = fork(p1, 2);
  EXPECT_TRUE(k().any_alive());
  k().exit(p2, "exit", Cycles{0});
  EXPECT_TRUE(k().any_alive());
  k().exit(p2, "exit", Cycles{0});  // a second exit is a no-op: still one alive
  EXPECT_TRUE(k().any_alive());
  k().exit(p1, "exit", Cycles{0});
  EXPECT_FALSE(k().any_alive());
}

}  // namespace
}  // namespace cowsim::test
