#include "models/kernel/kernel_module.h"

#include <stdexcept>

namespace cowsim {

using trace::Op;

KernelModule::KernelModule(sc_core::sc_module_name name, Kernel& kernel, const trace::NameTable& names,
                           sc_core::sc_time cycle)
    : sc_module(name), fault("fault"), os("os"), tlbs("tlbs"), kernel_(kernel), names_(names), cycle_(cycle) {
  fault.register_b_transport(this, &KernelModule::b_transport);
  os.bind(*this);
  kernel_.set_wakeup([this](unsigned core, Cycles ready_at) {
    if (core >= wake_.size() || !wake_[core]) return;
    uint64_t now = sc_core::sc_time_stamp().value() / cycle_.value();
    uint64_t delay = ready_at.value > now ? ready_at.value - now : 0;  // an idle core wakes when it may run it
    wake_[core]->notify(sc_core::sc_time::from_value(cycle_.value() * delay));
  });
}

void KernelModule::end_of_elaboration() {
  for (int i = 0; i < tlbs.size(); ++i) kernel_.attach_core(static_cast<unsigned>(i), tlbs[i]);
}

void KernelModule::attach_core(unsigned core, sc_core::sc_event* wake) {
  if (wake_.size() <= core) wake_.resize(core + 1, nullptr);
  wake_[core] = wake;
}

void KernelModule::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  FaultExtension* ext = nullptr;
  tx.get_extension(ext);
  if (!ext || !ext->process) {
    tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  ext->result = kernel_.handle_fault(*ext->process, ext->fault, ext->core, ext->now);
  if (!ext->result.resolved && after_call_) after_call_("fatal fault", ext->process->pid);
  delay += sc_core::sc_time::from_value(cycle_.value() * ext->result.cycles.value);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

void KernelModule::snapshot(const std::string& label) {
  // A label used again gets a numeric suffix, so no snapshot overwrites another.
  std::string unique = label;
  for (int n = 2;; ++n) {
    bool taken = false;
    for (const auto& s : snapshots_) taken |= s.label == unique;
    if (!taken) break;
    unique = label + "." + std::to_string(n);
  }
  for (const auto& p : kernel_.processes())
    if (p->alive()) snapshots_.push_back({unique, p->pid, kernel_.smaps(*p, names_)});
}

Cycles KernelModule::syscall(Process& p, const trace::Record& r, unsigned core, Cycles now) {
  Cycles c = dispatch(p, r, core, now);
  if (after_call_) after_call_(trace::op_name(r.op), p.pid);
  return c;
}

Cycles KernelModule::dispatch(Process& p, const trace::Record& r, unsigned core, Cycles now) {
  switch (r.op) {
    case Op::kMmap: return kernel_.mmap(p, r.addr, r.len, r.prot, r.flags, r.name, core);
    case Op::kMunmap: return kernel_.munmap(p, r.addr, r.len, core);
    case Op::kMprotect: return kernel_.mprotect(p, r.addr, r.len, r.prot, core);
    case Op::kMadvise: return kernel_.madvise(p, r.addr, r.len, r.advice, core);
    case Op::kFork:
    case Op::kVfork: return kernel_.fork(p, static_cast<uint32_t>(r.addr), r.op == Op::kVfork, core, now);
    case Op::kExec: return kernel_.exec(p, core);
    case Op::kExit: return kernel_.exit(p, "exit", now);
    case Op::kWait: kernel_.wait(p, static_cast<uint32_t>(r.addr)); return Cycles{0};
    case Op::kAwait: kernel_.await(p, r.name); return Cycles{0};
    case Op::kPost: kernel_.post(r.name); return Cycles{0};
    case Op::kCpu: return kernel_.migrate(p, static_cast<unsigned>(r.addr));
    case Op::kSnapshot:
      snapshot(names_[r.name]);
      if (snapshot_hook_) snapshot_hook_(r, now);
      return Cycles{0};
    default: throw std::logic_error(std::string("not a system-call record: ") + trace::op_name(r.op));
  }
}

}  // namespace cowsim
