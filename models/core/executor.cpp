#include "models/core/executor.h"

#include <cmath>
#include <stdexcept>

#include "models/common/error.h"
#include "models/kernel/overlay.h"
#include "traces/trace_io.h"

namespace cowsim {

using trace::Op;

Executor::Executor(const CoreParams& p, unsigned core, CoreClock& clock, Translator& mmu, ExecEnv& env,
                   DataMemory* data)
    : core_(core), ipc_(p.ipc), mhz_(p.frequency_mhz), window_(p.window), in_flight_(p.window, 0), clock_(clock), mmu_(mmu), env_(env),
      data_(data), tlbs_(mmu.direct()), caches_(data ? data->direct() : nullptr) {}

void Executor::wait_for_slot() {
  // Any slot whose access has completed will do: the accesses are independent.
  auto it = std::min_element(in_flight_.begin(), in_flight_.end());
  next_slot_ = static_cast<uint32_t>(it - in_flight_.begin());
  advance_to(*it);
}

void Executor::retire(uint64_t done) {
  if (window_ == 1) {  // blocking: the core waits for every access
    advance_to(done);
    return;
  }
  in_flight_[next_slot_] = done;
  last_done_ = std::max(last_done_, done);
}

void Executor::trace_translation(Cycles issue, const TranslateResult& r) {
  if (!r.miss_at.value) return;  // an L1 hit: the core kept running
  trace(CoreState::kTlbMiss, issue + r.miss_at, false);
  if (r.walk_at.value) trace(CoreState::kWalking, issue + r.walk_at, false);
  if (r.ok()) trace(CoreState::kRunning, issue + r.latency, false);
}

bool Executor::finish_translation(Process& p, VirtAddr va, AccessType type, Cycles issue, const TranslateResult& r) {
  if (r.ok()) {
    complete(issue, r.latency, frame_address(r.pfn) + va.page_offset(), type);
    if (tracing_) trace_translation(issue, r);
    return true;
  }
  drain((issue + r.latency).value);  // precise: every older access completes first
  if (tracing_) {
    trace_translation(issue, r);
    trace(CoreState::kInKernel, clock_.now(), true);
  }
  ++faults_;
  FaultResult f = env_.raise_fault(p, r.fault);
  others_known_ = false;
  advance(f.cycles);
  if (tracing_) trace(CoreState::kRunning, clock_.now(), false);
  return f.resolved;
}

bool Executor::translate_slow(Process& p, VirtAddr va, AccessType type, int attempt) {
  // A handled fault makes the retry succeed; a second fault on the same access would mean the
  // kernel model fixed the wrong thing, so it is bounded rather than looping forever.
  for (; attempt < 4; ++attempt) {
    if (window_ > 1) wait_for_slot();
    const Cycles issue = clock_.now();
    // TlbHierarchy is final: through tlbs_ the call is direct.
    TranslateResult r = tlbs_ ? tlbs_->translate(p.mm->root, va, type, issue) : mmu_.translate(p.mm->root, va, type, issue);
    const bool faulted = !r.ok();
    if (!finish_translation(p, va, type, issue, r)) return false;
    if (!faulted) return true;
  }
  throw std::logic_error("access at " + std::to_string(va.value) + " faults again after its fault was handled");
}

bool Executor::overlay_access(Process& p, VirtAddr va, AccessType type) {
  const FaultResult r = p.mm->overlays->owner().access(p, va, type == AccessType::kWrite, core_, clock_.now());
  advance(r.cycles);
  return r.resolved;
}

bool Executor::next_access(VirtAddr& va) {
  if (!ctx_ || !ctx_->pending) return false;
  const trace::Record& r = ctx_->record;
  if (r.is_access() && ctx_->position + 1 < r.accesses()) {
    va = VirtAddr{r.addr + (ctx_->position + 1) * r.stride};
    return true;
  }
  if (!ctx_->stream->peek(ahead_) || !ahead_.is_access()) return false;
  va = VirtAddr{ahead_.addr};
  return true;
}

bool Executor::access(Process& p, VirtAddr va, uint32_t size, AccessType type) {
  ++accesses_;
  ++p.accesses;
  if (!translate(p, va, type)) return false;
  if (p.mm->overlays && !overlay_access(p, va, type)) return false;  // only with kernel.cow.granularity=line
  // An access that crosses into the next page needs that page's translation too.
  if (va.page_offset() + size > kPageSize) {
    const VirtAddr next{(va.value | (kPageSize - 1)) + 1};
    if (!translate(p, next, type)) return false;
    if (p.mm->overlays && !overlay_access(p, next, type)) return false;
  }
  return true;
}

void Executor::span(Process& p, TaskContext& ctx) {
  const trace::Record& r = ctx.record;
  SpanState& st = ctx.spans;
  // An operation completes when its accesses have: those still in the window count.
  const uint64_t now = std::max(clock_.now().value, last_done_);
  using U128 = unsigned __int128;
  if (r.op == Op::kSpanEnd) {
    auto it = std::find_if(st.open.rbegin(), st.open.rend(), [&](const OpenSpan& o) { return o.name == r.name; });
    if (it == st.open.rend())
      throw InputError(ctx.stream->where() + ": span end '" + span_name(r.name) +
                       "' without a matching span begin in process " + std::to_string(p.pid));
    const auto arrival = static_cast<uint64_t>(it->arrival / 1000);
    if (spans_) spans_->add(r.name, p.pid, arrival, now, it->window);
    st.open.erase(std::next(it).base());
    return;
  }
  // Arrival in thousandths of a cycle: ns x MHz is exact, so `at +T` chains do not drift.
  U128 arrival = U128{clock_.now().value} * 1000;
  if (r.flags == trace::kArriveAt) arrival = U128{r.addr} * mhz_;
  if (r.flags == trace::kArriveAfter) arrival = st.last_arrival + U128{r.addr} * mhz_;
  st.last_arrival = arrival;
  const auto at = static_cast<uint64_t>(arrival / 1000);
  // An operation that has not arrived yet: the process waits for it, idle, on its core.
  if (at > clock_.now().value) {
    clock_.offset += at - clock_.now().value;
    if (clock_.due()) sync();
  }
  if (r.flags == trace::kSpanWindow && spans_) spans_->open_window(r.name, at, ctx.stream->where());
  st.open.push_back(OpenSpan{r.name, r.flags == trace::kSpanWindow, arrival, ctx.stream->where()});
}

std::string Executor::span_name(uint32_t id) const {
  if (spans_ && id < spans_->names().size()) return spans_->names()[id];
  return "#" + std::to_string(id);
}

void Executor::check_spans_ended(const Process& p, const TaskContext& ctx, const std::string& how) const {
  if (ctx.spans.open.empty()) return;
  const OpenSpan& o = ctx.spans.open.front();
  throw InputError(o.where + ": span '" + span_name(o.name) + "' never ends (process " +
                   std::to_string(p.pid) + " " + how + ")");
}

StopReason Executor::run(Process& p, TaskContext& ctx, Cycles slice_end) {
  others_known_ = false;  // the scheduler ran since the last run
  ctx_ = &ctx;
  struct Forget {  // the context may end with this run (the process exits)
    TaskContext*& c;
    ~Forget() { c = nullptr; }
  } forget{ctx_};
  for (;;) {
    if (!ctx.pending) {
      if (!ctx.stream->next(ctx.record)) {
        drain();
        sync();
        check_spans_ended(p, ctx, "reaches the end of its trace");
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
        if (clock_.now() >= slice_end && ctx.position < count && others_waiting()) {
          drain();
          return StopReason::kPreempted;
        }
      }
    } else if (r.op == Op::kCompute) {
      advance(Cycles{static_cast<uint64_t>(std::ceil(static_cast<double>(r.addr) / ipc_))});
    } else if (r.op == Op::kSpanBegin || r.op == Op::kSpanEnd) {
      // Spans take no time and are not counted as records, so a trace's statistics do not
      // change when spans are added to it (apart from waits for future arrivals). Tested
      // here, after accesses and compute, they cost those records nothing.
      --records_;
      --p.records;
      span(p, ctx);
    } else if (r.op == Op::kRoiBegin || r.op == Op::kRoiEnd) {
      // Region marks likewise: no time, no drain, not records, so adding them to a trace
      // leaves its whole-run statistics bit-identical. The mark's cycle is when the accesses
      // before it have completed, as if the trace ended there.
      --records_;
      --p.records;
      if (marks_ && *marks_) (*marks_)(r, Cycles{std::max(clock_.now().value, last_done_)}, ctx.stream->where());
    } else {
      drain();  // a system call is serialising
      sync();   // system calls see, and act at, a globally consistent time
      if (tracing_) trace(CoreState::kInKernel, clock_.now(), false);
      unsigned before = p.core;
      if (r.op == Op::kExit) check_spans_ended(p, ctx, "exits at " + ctx.stream->where());
      const Cycles cost = env_.syscall(p, r);
      others_known_ = false;
      advance(cost);
      if (tracing_) trace(CoreState::kRunning, clock_.now(), false);
      ctx.pending = false;
      if (!p.alive()) return StopReason::kExited;
      if (p.state == TaskState::kBlocked) return StopReason::kBlocked;
      if (p.core != before) return StopReason::kMigrated;
    }
    ctx.pending = false;
    if (clock_.now() >= slice_end && others_waiting()) {
      drain();
      return StopReason::kPreempted;
    }
  }
}

}  // namespace cowsim
