// Core sc_module: one trace-driven CPU core. Its thread asks the OS model for the next
// runnable process, switches to it and lets the Executor run its records with temporal
// decoupling: the core runs ahead in local cycles and only yields to the SystemC kernel when
// its quantum is used up, before system calls, and when it has nothing to run.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/common/stats.h"
#include "models/core/executor.h"
#include "models/kernel/os_if.h"
#include "models/memory/caches.h"
#include "models/tlb/translate_if.h"

namespace cowsim {

// One value change of a core's waveform signal, at a cycle of simulated time.
enum class WaveSignal : uint8_t { kState, kPid, kFault, kShootdown };
struct WaveEvent {
  uint64_t cycle;
  WaveSignal signal;
  uint32_t value;
};

class Core : public sc_core::sc_module, private ExecEnv {
 public:
  using StreamFactory = std::function<std::unique_ptr<trace::RecordStream>(uint32_t pid)>;

  sc_core::sc_port<TranslateIf> mmu;                 // to this core's TLB
  sc_core::sc_port<DataMemIf> data;                  // to this core's caches
  sc_core::sc_port<OsIf> os;                         // scheduling and system calls
  tlm_utils::simple_initiator_socket<Core> fault;    // page faults, to the kernel

  Core(sc_core::sc_module_name name, unsigned id, const CoreParams& p, uint64_t quantum, uint64_t timeslice,
       sc_core::sc_time cycle, StreamFactory streams);
  ~Core() override { tx_.clear_extension(&ext_); }  // the payload would delete it: it is a member
  const char* kind() const override { return "cowsim::Core"; }

  void report(StatSink& s) const;
  // Records this core's signals for a waveform: state (CoreState), pid, fault, shootdown,
  // each change with the cycle it happens at. Recording never waits in SystemC time, so a
  // traced run simulates exactly like one without (platform/waveform.h writes the file).
  void record_waveform() { tracing_ = true; }
  void record_spans(SpanStats* s) { spans_ = s; }  // before elaboration ends
  void record_marks(const MarkHook* m) { marks_ = m; }  // before elaboration ends
  const std::vector<WaveEvent>& wave() const { return wave_; }
  uint64_t accesses() const { return exec_ ? exec_->accesses() : 0; }
  const CoreClock& clock() const { return clock_; }  // its local time (shared DRAM channels read it)
  uint64_t records() const { return exec_ ? exec_->records() : 0; }
  // What stopped this core's thread with an exception, if anything did.
  std::exception_ptr error() const { return error_; }

 private:
  void thread();
  void run_processes();
  void end_of_elaboration() override;

  // ExecEnv
  void sync() override;
  FaultResult raise_fault(Process& p, const Fault& f) override;
  Cycles syscall(Process& p, const trace::Record& r) override { return os_->syscall(p, r, id_, clock_.now()); }
  void exit(Process& p, const std::string& reason) override { os_->exit(p, reason, clock_.now()); }
  bool others_runnable() override { return os_->others_runnable(id_); }
  void trace_state(CoreState s, Cycles at, bool fault) override;
  void record(uint64_t cycle, WaveSignal s, uint32_t v) { wave_.push_back({cycle, s, v}); }

  unsigned id_;
  CoreParams params_;
  uint64_t timeslice_;
  sc_core::sc_time cycle_;
  StreamFactory streams_;
  CoreClock clock_;
  OsIf* os_ = nullptr;
  std::unique_ptr<Executor> exec_;
  SpanStats* spans_ = nullptr;
  const MarkHook* marks_ = nullptr;
  sc_core::sc_event wake_;
  tlm::tlm_generic_payload tx_;  // the fault transaction, reused
  FaultExtension ext_;
  uint64_t switches_ = 0, syncs_ = 0, idle_waits_ = 0;
  std::exception_ptr error_;
  // Waveform (recorded only when tracing).
  bool tracing_ = false;
  uint64_t traced_at_ = 0;  // state changes are recorded in order, never ahead of local time
  std::vector<WaveEvent> wave_;
};

}  // namespace cowsim
