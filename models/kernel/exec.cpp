// exec (fs/exec.c): a fresh address space, the old one torn down unless a vfork parent shares it.
#include "models/kernel/kernel.h"

namespace cowsim {

Cycles Kernel::exec(Process& p, unsigned core) {
  ++p.syscalls;
  Cost c;
  c.add(Step::kEntry, cost_.syscall);
  c.add(Step::kHandler, cost_.exec_base);
  auto old = p.mm;
  p.mm = new_mm();
  if (!p.mm) {
    p.mm = old;
    exit(p, "killed: out of memory in exec", Cycles{0});
    return c.total();
  }
  if (old.use_count() == 1) {
    c.add(Step::kZap, cost_.zap_per_page * exit_mmap(*old));
  } else if (p.parent) {  // a vfork child leaves the shared mm: its parent resumes
    Process* parent = process(p.parent);
    if (parent && parent->blocked_on == BlockReason::kVforkChild && parent->block_arg == p.pid) wake(*parent);
  }
  cores_[core].mm = p.mm->id;
  if (cores_[core].tlb) {
    cores_[core].tlb->set_pcid(pcid_of(*p.mm));
    if (!pcid_) cores_[core].tlb->flush_all();
  }
  c.add(Step::kFlush, cost_.full_flush);
  return c.total();
}

}  // namespace cowsim
