// Scheduling (kernel/sched): run queues, context switches, migration, and the trace's
// await/post synchronisation that blocks and wakes processes.
#include "models/kernel/kernel.h"

#include <algorithm>
#include <string>

#include "models/common/error.h"

namespace cowsim {

Process& Kernel::new_process(uint32_t pid, uint32_t parent, Cycles now) {
  if (by_pid_.count(pid)) throw InputError("pid " + std::to_string(pid) + " is created twice");
  procs_.push_back(std::make_unique<Process>());
  Process& p = *procs_.back();
  p.pid = pid;
  p.parent = parent;
  p.state = TaskState::kBlocked;  // not runnable until enqueued
  p.start_time = now;
  by_pid_[pid] = &p;
  ++alive_;
  return p;
}

std::shared_ptr<AddressSpace> Kernel::new_mm() {
  auto root = tables_.create_root();
  if (!root) return nullptr;
  auto mm = std::make_shared<AddressSpace>();
  mm->root = *root;
  mm->id = next_mm_id_++;
  // PCIDs are recycled after 4095 address spaces: stale entries of the old owner must go.
  if (pcid_ && mm->id > 4095)
    for (auto& c : cores_)
      if (c.tlb) c.tlb->flush_pcid(pcid_of(*mm));
  return mm;
}

namespace {
bool counts_as_load(TaskState s) { return s == TaskState::kRunnable || s == TaskState::kRunning; }
}  // namespace

void Kernel::set_state(Process& p, TaskState s) {
  if (counts_as_load(p.state)) --cores_[p.core].load;
  if (p.state != TaskState::kExited && s == TaskState::kExited) --alive_;
  p.state = s;
  if (counts_as_load(s)) ++cores_[p.core].load;
}

// The first core with the fewest runnable or running processes.
unsigned Kernel::least_loaded_core() const {
  unsigned best = 0;
  for (unsigned c = 1; c < cores_.size(); ++c)
    if (cores_[c].load < cores_[best].load) best = c;
  return best;
}

void Kernel::enqueue(Process& p) {
  set_state(p, TaskState::kRunnable);
  cores_[p.core].runqueue.push_back(&p);
  ++cores_[p.core].queued;
  if (wakeup_) wakeup_(p.core, p.ready_at);
}

void Kernel::wake(Process& p) {
  p.blocked_on = BlockReason::kNone;
  enqueue(p);
}

Process& Kernel::start_process(uint32_t pid, Cycles now) {
  unsigned core = least_loaded_core();
  Process& p = new_process(pid, 0, now);
  p.mm = new_mm();
  if (!p.mm) throw InputError("out of simulated memory before pid " + std::to_string(pid) + " could start");
  p.core = core;
  enqueue(p);
  return p;
}

Process* Kernel::process(uint32_t pid) {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : it->second;
}

Process* Kernel::pick_next(unsigned core) {
  CoreState& c = cores_[core];
  while (!c.runqueue.empty() && c.runqueue.front()->state == TaskState::kExited) c.runqueue.pop_front();
  if (c.runqueue.empty()) return nullptr;
  Process* p = c.runqueue.front();
  c.runqueue.pop_front();
  --c.queued;
  set_state(*p, TaskState::kRunning);
  return p;
}

void Kernel::yield(Process& p) { enqueue(p); }

Cycles Kernel::switch_to(unsigned core, Process& p) {
  CoreState& c = cores_[core];
  if (c.mm == p.mm->id) return Cycles{0};
  c.mm = p.mm->id;
  if (c.tlb) c.tlb->set_pcid(pcid_of(*p.mm));
  if (pcid_) return Cycles{cost_.context_switch};  // other contexts' entries stay, tagged
  if (c.tlb) c.tlb->flush_all();                   // no PCIDs: loading CR3 flushes the TLB
  return Cycles{cost_.context_switch + cost_.full_flush};
}

Cycles Kernel::migrate(Process& p, unsigned core) {  // `p` is running: in no run queue
  if (counts_as_load(p.state)) --cores_[p.core].load, ++cores_[core].load;
  p.core = core;
  return Cycles{cost_.syscall + cost_.context_switch};
}

bool Kernel::any_alive() const { return alive_ != 0; }

bool Kernel::await(Process& p, uint32_t name) {
  if (name < posted_.size() && posted_[name]) return true;
  set_state(p, TaskState::kBlocked);
  p.blocked_on = BlockReason::kAwait;
  p.block_arg = name;
  return false;
}

void Kernel::post(uint32_t name) {
  if (name >= posted_.size()) posted_.resize(name + 1, false);
  posted_[name] = true;
  for (auto& p : procs_)
    if (p->state == TaskState::kBlocked && p->blocked_on == BlockReason::kAwait && p->block_arg == name) wake(*p);
}

}  // namespace cowsim
