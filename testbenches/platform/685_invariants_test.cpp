// End-of-run invariants (platform/invariants.h): the check passes on a kernel whose processes
// all exited cleanly, and catches a seeded corruption: a page-table page left allocated, as
// an exit that forgot to free a process's tables would leave it. Every whole-run test also
// runs the check (simulate() calls it at the end of each run).
#include <gtest/gtest.h>

#include "platform/invariants.h"
#include "testbenches/kernel/kernel_test_util.h"

namespace cowsim::test {
namespace {

class Invariants : public KernelTest {};

TEST_F(Invariants, TablesOfExitedProcessesAreFreedAndALeakedTableIsCaught) {
  Process& p = start(1);
  map_anon(p, kBase, 4 * kMiB);
  ASSERT_TRUE(touch(p, kBase, AccessType::kWrite));  // a fault: PUD, PMD and PTE tables made
  k().fork(p, 2, false, 0, Cycles{0});
  ASSERT_GT(mem_.tables_in_use(), 0u);
  // A process still alive holds its tables: nothing to check yet.
  EXPECT_NO_THROW(check_tables_freed(k(), mem_));
  k().exit(*k().process(2), "exit", Cycles{0});
  k().exit(p, "exit", Cycles{0});
  EXPECT_EQ(mem_.tables_in_use(), 0u);
  EXPECT_NO_THROW(check_tables_freed(k(), mem_));

  // Seeded corruption: one table page that no process owns any more.
  mem_.attach_table(Pfn{mem_.frame_count() - 1});
  try {
    check_tables_freed(k(), mem_);
    ADD_FAILURE() << "a leaked page-table page was not caught";
  } catch (const std::logic_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "invariant violated: 1 page-table page(s) still allocated after every process exited (an exited "
              "process's page tables were not all freed)");
  }
}

}  // namespace
}  // namespace cowsim::test
