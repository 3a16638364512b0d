// The simulation harness's machine: the model's SystemC-free logic (kernel, TLBs, walkers,
// caches, executors) wired as the System wires its modules, but scheduled by a plain loop
// instead of SystemC, so one process can simulate thousands of fuzz inputs (SystemC cannot
// elaborate twice). Cores take turns one time slice at a time; timing is not the point here,
// the kernel model and the hardware meeting arbitrary record sequences is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/core/executor.h"
#include "models/kernel/kernel.h"
#include "models/memory/memory_hierarchy.h"
#include "models/memory/pte_memory.h"
#include "models/tlb/tlb_hierarchy.h"
#include "models/walker/walker.h"
#include "platform/sim_config.h"
#include "platform/trace_plan.h"

namespace cowsim::fuzz {

class TinyMachine {
 public:
  TinyMachine(const SimConfig& cfg, trace::NameTable& names);
  ~TinyMachine();
  // Runs the processes of `open`'s trace (roots from `plan`) until all have exited, none can
  // run (a deadlock: returns false), or `max_turns` scheduling turns have passed (false).
  bool run(const StreamOpener& open, const TracePlan& plan, uint64_t max_turns);
  Kernel& kernel() { return *kernel_; }

 private:
  struct CoreParts;
  SimConfig cfg_;
  PhysicalMemory mem_;
  std::unique_ptr<Kernel> kernel_;
  std::vector<std::unique_ptr<CoreParts>> cores_;
};

}  // namespace cowsim::fuzz
