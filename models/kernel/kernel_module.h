// Kernel sc_module: the Kernel logic behind a TLM-2.0 target socket for page faults, an
// OsIf export for the cores, and a multi-port to every core's TLB for shootdowns.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "models/kernel/kernel.h"
#include "models/kernel/os_if.h"
#include "models/tlb/translate_if.h"

namespace cowsim {

struct SmapsSnapshot {
  std::string label;
  uint32_t pid;
  std::string text;
};

class KernelModule : public sc_core::sc_module, public OsIf {
 public:
  tlm_utils::multi_passthrough_target_socket<KernelModule> fault;  // page faults, one binding per core
  sc_core::sc_export<OsIf> os;                          // scheduling and system calls
  sc_core::sc_port<TlbControlIf, 0> tlbs;               // one per core, in core order

  KernelModule(sc_core::sc_module_name name, Kernel& kernel, const trace::NameTable& names, sc_core::sc_time cycle);
  const char* kind() const override { return "cowsim::KernelModule"; }

  void attach_core(unsigned core, sc_core::sc_event* wake) override;
  Process* pick_next(unsigned core) override { return kernel_.pick_next(core); }
  Cycles switch_to(unsigned core, Process& p) override { return kernel_.switch_to(core, p); }
  Cycles begin_task(unsigned core, Process& p, Cycles now) override { return kernel_.begin_task(p, core, now); }
  void yield(Process& p) override { kernel_.yield(p); }
  bool others_runnable(unsigned core) const override { return kernel_.others_runnable(core); }
  bool any_alive() const override { return kernel_.any_alive(); }
  Cycles syscall(Process& p, const trace::Record& r, unsigned core, Cycles now) override;
  void exit(Process& p, const std::string& reason, Cycles now) override {
    kernel_.exit(p, reason, now);
    if (after_call_) after_call_("exit", p.pid);
  }
  uint64_t take_interrupt_cycles(unsigned core) override { return kernel_.take_interrupt_cycles(core); }

  const std::vector<SmapsSnapshot>& snapshots() const { return snapshots_; }
  // Called after every system-call record (fork and exit included) and every fault that
  // killed its process, with the record's name and the pid: `cowsim run --check` checks the
  // invariants there. Unset, it costs one test per system call.
  void set_after_call(std::function<void(const char* what, uint32_t pid)> fn) { after_call_ = std::move(fn); }
  const std::function<void(const char*, uint32_t)>& after_call() const { return after_call_; }
  // Called at `snapshot` records, after the smaps snapshot, with the record and its cycle:
  // the platform writes its statistics there too (platform/marks.h).
  using SnapshotHook = std::function<void(const trace::Record&, Cycles now)>;
  void set_snapshot_hook(SnapshotHook hook) { snapshot_hook_ = std::move(hook); }

 private:
  void b_transport(int from, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  void end_of_elaboration() override;
  void snapshot(const std::string& label);
  Cycles dispatch(Process& p, const trace::Record& r, unsigned core, Cycles now);

  Kernel& kernel_;
  const trace::NameTable& names_;
  sc_core::sc_time cycle_;
  std::vector<sc_core::sc_event*> wake_;
  std::vector<SmapsSnapshot> snapshots_;
  std::function<void(const char*, uint32_t)> after_call_;
  SnapshotHook snapshot_hook_;
};

}  // namespace cowsim
