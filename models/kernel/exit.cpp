// exit and wait (kernel/exit.c).
#include "models/kernel/kernel.h"

#include "models/common/error.h"

namespace cowsim {

Cycles Kernel::exit(Process& p, const std::string& reason, Cycles now) {
  if (!p.alive()) return Cycles{0};
  Cost c;
  c.add(Step::kHandler, cost_.exit_base);
  p.rollup = rollup(p);
  p.rollup_final = true;
  p.exit_reason = reason;
  p.end_time = now;
  // Out of its run queue (a killed process may be queued): pick_next drops the entry.
  if (p.state == TaskState::kRunnable) --cores_[p.core].queued;
  set_state(p, TaskState::kExited);
  if (p.mm.use_count() == 1) c.add(Step::kZap, cost_.zap_per_page * exit_mmap(*p.mm));
  p.mm.reset();
  if (Process* parent = p.parent ? process(p.parent) : nullptr) {
    bool waiting = parent->state == TaskState::kBlocked && parent->block_arg == p.pid &&
                   (parent->blocked_on == BlockReason::kWaitChild || parent->blocked_on == BlockReason::kVforkChild);
    if (waiting) wake(*parent);
  }
  return c.total();  // the core that ran `p` releases its user context

}

bool Kernel::wait(Process& p, uint32_t child) {
  Process* c = process(child);
  if (!c || c->parent != p.pid)
    throw InputError("pid " + std::to_string(p.pid) + " waits for " + std::to_string(child) + ", which is not its child");
  if (!c->alive()) return true;
  set_state(p, TaskState::kBlocked);
  p.blocked_on = BlockReason::kWaitChild;
  p.block_arg = child;
  return false;
}

}  // namespace cowsim
