#include "models/core/executor.h"

#include <cmath>
#include <stdexcept>

#include "traces/trace_io.h"

namespace cowsim {

using trace::Op;

Executor::Executor(const CoreParams& p, unsigned core, CoreClock& clock, Translator& mmu, ExecEnv& env,
                   DataMemory* data)
    : core_(core), ipc_(p.ipc), clock_(clock), mmu_(mmu), env_(env), data_(data) {}

bool Executor::translate(Process& p, VirtAddr va, AccessType type) {
  // A handled fault makes the retry succeed; a second fault on the same access would mean the
  // kernel model fixed the wrong thing, so it is bounded rather than looping forever.
  for (int attempt = 0; attempt < 4; ++attempt) {
    TranslateResult r = mmu_.translate(p.mm->root, va, type);
    advance(r.latency);
    if (r.ok()) {
      if (data_) advance(data_->data_access(frame_address(r.pfn) + va.page_offset(), type == AccessType::kWrite));
      return true;
    }
    ++faults_;
    FaultResult f = env_.raise_fault(p, r.fault);
    advance(f.cycles);
    if (!f.resolved) return false;
  }
  throw std::logic_error("access at " + std::to_string(va.value) + " faults again after its fault was handled");
}

bool Executor::access(Process& p, VirtAddr va, uint32_t size, AccessType type) {
  ++accesses_;
  ++p.accesses;
  if (!translate(p, va, type)) return false;
  // An access that crosses into the next page needs that page's translation too.
  if (va.page_offset() + size > kPageSize) return translate(p, VirtAddr{(va.value | (kPageSize - 1)) + 1}, type);
  return true;
}

StopReason Executor::run(Process& p, TaskContext& ctx, Cycles slice_end) {
  for (;;) {
    if (!ctx.pending) {
      if (!ctx.stream->next(ctx.record)) {
        env_.sync();
        env_.exit(p, "end of trace");
        return StopReason::kExited;
      }
      ctx.pending = true;
      ctx.position = 0;
      ++records_;
      ++p.records;
    }
    const trace::Record& r = ctx.record;
    if (r.is_access()) {
      AccessType type = r.op == Op::kRead ? AccessType::kRead : r.op == Op::kWrite ? AccessType::kWrite : AccessType::kFetch;
      uint64_t count = r.accesses();
      while (ctx.position < count) {
        if (!access(p, VirtAddr{r.addr + ctx.position * r.stride}, r.size, type)) return StopReason::kExited;
        ++ctx.position;
        if (clock_.now() >= slice_end && ctx.position < count && env_.others_runnable()) return StopReason::kPreempted;
      }
    } else if (r.op == Op::kCompute) {
      advance(Cycles{static_cast<uint64_t>(std::ceil(static_cast<double>(r.addr) / ipc_))});
    } else {
      env_.sync();  // system calls see, and act at, a globally consistent time
      unsigned before = p.core;
      advance(env_.syscall(p, r));
      ctx.pending = false;
      if (!p.alive()) return StopReason::kExited;
      if (p.state == TaskState::kBlocked) return StopReason::kBlocked;
      if (p.core != before) return StopReason::kMigrated;
    }
    ctx.pending = false;
    if (clock_.now() >= slice_end && env_.others_runnable()) return StopReason::kPreempted;
  }
}

}  // namespace cowsim
