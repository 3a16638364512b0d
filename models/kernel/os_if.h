// What a core asks of the operating-system model, besides page faults (which travel as TLM
// transactions, see FaultExtension): scheduling, and the trace's system-call records.
#pragma once

#include <string>

#include <systemc>
#include <tlm>

#include "models/kernel/kernel.h"
#include "traces/record.h"

namespace cowsim {

class OsIf : public virtual sc_core::sc_interface {
 public:
  virtual void attach_core(unsigned core, sc_core::sc_event* wake) = 0;
  virtual Process* pick_next(unsigned core) = 0;
  virtual Cycles switch_to(unsigned core, Process& p) = 0;
  // Kernel work before a process's first record (Kernel::begin_task).
  virtual Cycles begin_task(unsigned /*core*/, Process& /*p*/, Cycles /*now*/) { return Cycles{0}; }
  virtual void yield(Process& p) = 0;
  virtual bool others_runnable(unsigned core) const = 0;
  virtual bool any_alive() const = 0;
  // Executes a non-access, non-compute record of `p` at time `now`; returns its cost. The
  // process may come back blocked, exited, or moved to another core.
  virtual Cycles syscall(Process& p, const trace::Record& r, unsigned core, Cycles now) = 0;
  virtual void exit(Process& p, const std::string& reason, Cycles now) = 0;
  // Cycles of interrupts (shootdown IPIs) the core received and has not paid yet.
  virtual uint64_t take_interrupt_cycles(unsigned core) = 0;
};

// Carried by the fault transaction from a core to the kernel: the x86 fault (address and error
// code) in, the handler's verdict out.
struct FaultExtension : tlm::tlm_extension<FaultExtension> {
  Process* process = nullptr;
  Fault fault;
  unsigned core = 0;
  Cycles now{0};  // the core's local time when the fault was taken
  FaultResult result;

  tlm::tlm_extension_base* clone() const override { return new FaultExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const FaultExtension&>(other);
  }
};

}  // namespace cowsim
