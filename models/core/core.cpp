#include "models/core/core.h"

#include <algorithm>

#include "traces/trace_io.h"

namespace cowsim {

Core::Core(sc_core::sc_module_name name, unsigned id, const CoreParams& p, uint64_t quantum, uint64_t timeslice,
           sc_core::sc_time cycle, StreamFactory streams)
    : sc_module(name), mmu("mmu"), data("data"), os("os"), fault("fault"), id_(id), params_(p), timeslice_(timeslice), cycle_(cycle),
      streams_(std::move(streams)) {
  clock_.quantum = quantum;
  tx_.set_extension(&ext_);
  SC_HAS_PROCESS(Core);
  SC_THREAD(thread);
}

void Core::end_of_elaboration() {
  os_ = os.operator->();
  ExecEnv& env = *this;
  exec_ = std::make_unique<Executor>(params_, id_, clock_, *mmu.operator->(), env, data.operator->());
  os_->attach_core(id_, &wake_);
  exec_->set_tracing(tracing_);
  exec_->set_spans(spans_);
  exec_->set_marks(marks_);
}

void Core::trace_state(CoreState s, Cycles at, bool fault) {
  const uint64_t cycle = std::min(std::max(at.value, traced_at_), clock_.now().value);
  traced_at_ = cycle;
  record(cycle, WaveSignal::kState, static_cast<uint32_t>(s));
  record(cycle, WaveSignal::kFault, fault);
}

void Core::sync() {
  ++syncs_;
  uint64_t irq = os_->take_interrupt_cycles(id_);  // shootdowns other cores sent this one
  if (tracing_ && irq) record(clock_.now().value, WaveSignal::kShootdown, 1);
  clock_.offset += irq;
  exec_->add_busy(Cycles{irq});
  if (clock_.offset > 0) sc_core::wait(sc_core::sc_time::from_value(cycle_.value() * clock_.offset));
  clock_.offset = 0;
  clock_.base = sc_core::sc_time_stamp().value() / cycle_.value();
  if (tracing_ && irq) record(clock_.base, WaveSignal::kShootdown, 0);
}

FaultResult Core::raise_fault(Process& p, const Fault& f) {
  ext_.process = &p;
  ext_.fault = f;
  ext_.core = id_;
  ext_.now = clock_.now();
  tx_.set_address(f.addr.value);
  tx_.set_command(f.access == AccessType::kWrite ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tx_.set_data_ptr(nullptr);
  tx_.set_data_length(0);
  tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  fault->b_transport(tx_, delay);
  return ext_.result;  // its cycles equal the annotated delay; the executor pays them
}

void Core::thread() {
  // An exception must not unwind through the SystemC kernel: keep it and stop the simulation;
  // the platform rethrows it after sc_start() returns.
  try {
    run_processes();
  } catch (...) {
    error_ = std::current_exception();
    sc_core::sc_stop();
  }
}

void Core::run_processes() {
  for (;;) {
    Process* p = os_->pick_next(id_);
    if (!p) {
      sync();
      if (!os_->any_alive()) break;
      ++idle_waits_;
      if (tracing_) trace_state(CoreState::kIdle, clock_.now(), false);
      sc_core::wait(wake_);
      clock_.base = sc_core::sc_time_stamp().value() / cycle_.value();
      continue;
    }
    // A forked child may not run before its fork has returned in the parent.
    if (p->ready_at > clock_.now()) clock_.offset += (p->ready_at - clock_.now()).value;
    if (tracing_) {
      record(clock_.now().value, WaveSignal::kPid, p->pid);
      trace_state(CoreState::kInKernel, clock_.now(), false);  // the context switch
    }
    Cycles cs = os_->switch_to(id_, *p);
    clock_.offset += cs.value;
    exec_->add_busy(cs);
    ++switches_;
    if (tracing_) trace_state(CoreState::kRunning, clock_.now(), false);
    if (!p->context) {
      auto ctx = std::make_unique<TaskContext>();
      ctx->stream = streams_(p->pid);
      p->context = std::move(ctx);
    }
    auto& ctx = static_cast<TaskContext&>(*p->context);
    StopReason why = exec_->run(*p, ctx, clock_.now() + Cycles{timeslice_});
    if (why == StopReason::kExited) p->context.reset();
    else if (why == StopReason::kPreempted || why == StopReason::kMigrated) os_->yield(*p);
    // kBlocked: the kernel re-queues the process when whatever it waits for happens.
  }
  // Idle cores leave their thread here; release of the kernel is not needed: any process that
  // could still wake one has exited.
}

void Core::report(StatSink& s) const {
  s.counter("cycles", exec_ ? exec_->busy_cycles() : 0, "cycles", "Cycles this core spent running processes");
  s.counter("accesses", accesses(), "accesses", "Memory accesses executed (range records expanded)");
  s.counter("records", records(), "records", "Trace records executed");
  s.counter("faults", exec_ ? exec_->faults() : 0, "faults", "Page faults raised by accesses on this core");
  s.counter("context_switches", switches_, "switches", "Times a process was switched onto this core");
  s.counter("syncs", syncs_, "syncs", "Synchronisations with the SystemC kernel (quantum ends and system calls)");
}

}  // namespace cowsim
