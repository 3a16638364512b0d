// End-of-run invariants (docs/reliability.md, "Invariants"). A violation is a bug in the
// model, not in the input: it throws std::logic_error, which the CLI reports as an internal
// error (exit 1). Only what can be checked from the kernel's public state lives here; the
// frame and mapping counts wait for the kernel model's file split (issue 13, §3).
#pragma once

#include "models/kernel/kernel.h"
#include "models/memory/physical_memory.h"

namespace cowsim {

// Once every process has exited, no page-table page may remain: each exited process's tables
// (and the page tables THP deposited for it) were freed. One pass over the processes; costs
// nothing per access.
void check_tables_freed(const Kernel& kernel, const PhysicalMemory& mem);

}  // namespace cowsim
