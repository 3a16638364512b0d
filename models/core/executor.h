// Executes a process's trace records on a core (SystemC-free logic). Accesses go through the
// core's Translator; a fault is precise: the access is not committed, the fault goes to the
// kernel, the handler's cycles are paid, and the access is re-executed from the TLB lookup.
// Time is a local integer offset; the environment synchronises with the rest of the system
// when the quantum is used up and before every system call.
#pragma once

#include <cstdint>
#include <algorithm>
#include <functional>
#include <string>
#include <memory>
#include <vector>

#include "models/core/core_params.h"
#include "models/core/spans.h"
#include "models/kernel/kernel.h"
#include "models/kernel/process.h"
#include "models/memory/data_memory.h"
#include "models/memory/memory_hierarchy.h"
#include "models/tlb/tlb_hierarchy.h"
#include "models/tlb/translator.h"
#include "traces/record.h"

namespace cowsim {

namespace trace { class RecordStream; }

// A process's saved user-mode state: its record stream and how far it got.
struct TaskContext : UserContext {
  std::unique_ptr<trace::RecordStream> stream;
  trace::Record record;
  bool pending = false;   // `record` is started but not finished
  uint64_t position = 0;  // accesses of a range record already done
  SpanState spans;        // open spans (span records)
};

// Local time of a core, in cycles: `base` is where the core last synchronised with the
// simulation kernel, `offset` how far it has run ahead since.
struct CoreClock {
  uint64_t base = 0, offset = 0, quantum = 10000;
  Cycles now() const { return Cycles{base + offset}; }
  bool due() const { return offset >= quantum; }
};

// What a core is doing, for waveforms (--vcd). Values are what the trace shows.
enum class CoreState : uint8_t { kIdle = 0, kRunning = 1, kTlbMiss = 2, kWalking = 3, kInKernel = 4 };

class ExecEnv {
 public:
  virtual ~ExecEnv() = default;
  virtual void sync() = 0;  // bring simulated time up to the core's local time
  virtual FaultResult raise_fault(Process& p, const Fault& f) = 0;
  virtual Cycles syscall(Process& p, const trace::Record& r) = 0;
  virtual void exit(Process& p, const std::string& reason) = 0;
  virtual bool others_runnable() = 0;
  // Called only when tracing is on: the core entered `s` at cycle `at` (<= its local time).
  virtual void trace_state(CoreState s, Cycles at, bool fault) {}
};

enum class StopReason { kExited, kBlocked, kPreempted, kMigrated };

// Called at a `roi begin` / `roi end` record with the cycle its process reached there (its
// accesses in flight completed) and where the record is (file:line, for errors): the platform
// takes its statistics (platform/marks.h).
using MarkHook = std::function<void(const trace::Record&, Cycles now, const std::string& where)>;

class Executor {
 public:
  // `data`: where translated accesses go (null: translation only, no data-access time).
  Executor(const CoreParams& p, unsigned core, CoreClock& clock, Translator& mmu, ExecEnv& env,
           DataMemory* data = nullptr);

  // Runs `p` until it exits, blocks, moves to another core, or its slice ends while another
  // process waits for this core.
  StopReason run(Process& p, TaskContext& ctx, Cycles slice_end);

  uint64_t accesses() const { return accesses_; }
  uint64_t records() const { return records_; }
  uint64_t faults() const { return faults_; }
  uint64_t busy_cycles() const { return busy_; }
  void add_busy(Cycles c) { busy_ += c.value; }
  void set_tracing(bool on) { tracing_ = on; }
  // Where finished spans go (null: spans are still paired and checked, not recorded).
  void set_spans(SpanStats* s) { spans_ = s; }
  // Where region marks go (null or empty: they are checked by the trace plan only).
  void set_marks(const MarkHook* m) { marks_ = m; }

 private:
  // A span begin or end record (never on the access path).
  void span(Process& p, TaskContext& ctx);
  // A process that exits must have ended its spans: else an error at the first open one.
  void check_spans_ended(const Process& p, const TaskContext& ctx, const std::string& how) const;
  std::string span_name(uint32_t id) const;
  // One access of `size` bytes; false if the process died on it.
  bool access(Process& p, VirtAddr va, uint32_t size, AccessType type);
  // kernel.cow.granularity=line: the overlay part of a translated access to `va`.
  bool overlay_access(Process& p, VirtAddr va, AccessType type);
  bool translate(Process& p, VirtAddr va, AccessType type) {
    // The common case inline: a direct TLB hierarchy, an L1 hit, the data access.
    if (tlbs_) {
      if (window_ > 1) wait_for_slot();
      const Cycles issue = clock_.now();
      const TlbEntry* e;
      Pfn pfn;
      uint32_t latency;
      if (tlbs_->translate_l1(va, type, issue, e, pfn, latency)) {  // an L1 hit: nothing to trace
        complete(issue, Cycles{latency}, frame_address(pfn) + va.page_offset(), type);
        return true;
      }
      // Walks come in runs: while this one is served, the host fetches the next one's lines.
      VirtAddr next;
      const PhysAddr leaf = tlbs_->walking() && next_access(next) ? tlbs_->prefetch_path(p.mm->root, next) : PhysAddr{0};
      const TranslateResult r = tlbs_->translate_after_l1(p.mm->root, va, type, issue, e);
      if (leaf.value) tlbs_->prefetch_leaf(leaf);
      if (!finish_translation(p, va, type, issue, r)) return false;
      return r.ok() || translate_slow(p, va, type, 1);  // a handled fault: the access runs again
    }
    return translate_slow(p, va, type, 0);
  }
  // The address of the access after the current one, for host prefetch hints: the next of
  // the current range, else the stream's next record's if the stream can peek.
  bool next_access(VirtAddr& va);
  // The translation of `va` issued at `issue` gave `r`: completes the access, or takes the
  // fault (false if the process did not survive it).
  bool finish_translation(Process& p, VirtAddr va, AccessType type, Cycles issue, const TranslateResult& r);
  // Attempts `attempt` .. 3 of an access, each a whole translation.
  bool translate_slow(Process& p, VirtAddr va, AccessType type, int attempt);
  // A translated access: its data access, then it retires.
  void complete(Cycles issue, Cycles translation, PhysAddr pa, AccessType type) {
    Cycles done = issue + translation;
    const bool write = type == AccessType::kWrite;
    if (caches_) done += caches_->access(pa, write, Source::kData).latency;
    else if (data_) done += data_->data_access(pa, write);
    retire(done.value);
  }
  void advance(Cycles c) {
    clock_.offset += c.value;
    busy_ += c.value;
    if (clock_.due()) sync();
  }
  // Calls into the environment. Whether other processes wait for this core can only change
  // while it is in one of them (the kernel runs, or other cores do), so others_waiting()
  // asks env_.others_runnable() once after each and keeps the answer: the check after every
  // access of a range whose slice has ended then costs a compare, not a virtual call.
  void sync() {
    env_.sync();
    others_known_ = false;
  }
  void trace(CoreState s, Cycles at, bool fault) {
    env_.trace_state(s, at, fault);  // may wait in SystemC time: other cores run
    others_known_ = false;
  }
  bool others_waiting() {
    if (!others_known_) {
      others_ = env_.others_runnable();
      others_known_ = true;
    }
    return others_;
  }
  void advance_to(uint64_t t) {
    if (t > clock_.now().value) advance(Cycles{t - clock_.now().value});
  }
  // The access window (core.window > 1): a slot frees when its access completes.
  void wait_for_slot();
  void retire(uint64_t done);
  void drain(uint64_t at = 0) { advance_to(std::max(at, last_done_)); }
  void trace_translation(Cycles issue, const TranslateResult& r);

  unsigned core_;
  double ipc_;
  uint32_t mhz_;
  SpanStats* spans_ = nullptr;
  const MarkHook* marks_ = nullptr;
  uint32_t window_;
  std::vector<uint64_t> in_flight_;  // completion cycle of each window slot
  uint32_t next_slot_ = 0;
  uint64_t last_done_ = 0;           // latest completion of any access
  bool tracing_ = false;
  CoreClock& clock_;
  Translator& mmu_;
  ExecEnv& env_;
  DataMemory* data_;
  // The TLBs and caches behind mmu_ and data_, when they offer direct access (DMI-style): an
  // L1 TLB hit and an L1D hit are then inline here instead of two virtual calls.
  TlbHierarchy* tlbs_;
  MemoryHierarchy* caches_;
  bool others_known_ = false, others_ = false;
  TaskContext* ctx_ = nullptr;  // the context run() executes (next_access)
  trace::Record ahead_;         // next_access()'s peek
  uint64_t accesses_ = 0, records_ = 0, faults_ = 0, busy_ = 0;
};

}  // namespace cowsim
