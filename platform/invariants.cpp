#include "platform/invariants.h"

#include <stdexcept>
#include <string>

namespace cowsim {

void check_tables_freed(const Kernel& kernel, const PhysicalMemory& mem) {
  for (const auto& p : kernel.processes())
    if (p->alive()) return;  // live processes hold tables; nothing to say
  if (mem.tables_in_use() != 0)
    throw std::logic_error("invariant violated: " + std::to_string(mem.tables_in_use()) +
                           " page-table page(s) still allocated after every process exited (an exited "
                           "process's page tables were not all freed)");
}

}  // namespace cowsim
