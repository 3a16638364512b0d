#include "fuzz/tiny_machine.h"

#include "models/walker/direct_walker.h"
#include "platform/invariants.h"
#include "platform/system.h"
#include "traces/pid_filter.h"

namespace cowsim::fuzz {

namespace {

class DirectData final : public DataMemory {
 public:
  explicit DirectData(MemoryHierarchy& h) : h_(h) {}
  Cycles data_access(PhysAddr pa, bool write) override { return h_.access(pa, write, Source::kData).latency; }
  MemoryHierarchy* direct() override { return &h_; }

 private:
  MemoryHierarchy& h_;
};

}  // namespace

// One core: its private hierarchy, walker, TLBs and executor, and the environment the
// executor calls (what Core and KernelModule do in the simulation).
struct TinyMachine::CoreParts final : ExecEnv {
  CoreParts(const SimConfig& cfg, unsigned id, PhysicalMemory& mem, Kernel& k, trace::NameTable& names)
      : id(id), kernel(k), names(names), caches(cfg.memory.caches, cfg.seed + 64 * id + 56, nullptr, mem.frame_count() << kPageShift),
        pte_mem(mem, caches), walker(cfg.walker, pte_mem, cfg.seed + 64 * id + 48), port(walker),
        tlbs(cfg.tlb, cfg.walker.count, cfg.seed + 64 * id), data(caches) {
    clock.quantum = cfg.quantum;
    tlbs.attach(port);
    k.attach_core(id, &tlbs);
    exec = std::make_unique<Executor>(cfg.core, id, clock, tlbs, *this, &data);
  }

  void sync() override {
    clock.base += clock.offset + kernel.take_interrupt_cycles(id);
    clock.offset = 0;
  }
  FaultResult raise_fault(Process& p, const Fault& f) override { return kernel.handle_fault(p, f, id, clock.now()); }
  Cycles syscall(Process& p, const trace::Record& r) override {
    using trace::Op;
    const Cycles now = clock.now();
    switch (r.op) {
      case Op::kMmap: return kernel.mmap(p, r.addr, r.len, r.prot, r.flags, r.name, id);
      case Op::kMunmap: return kernel.munmap(p, r.addr, r.len, id);
      case Op::kMprotect: return kernel.mprotect(p, r.addr, r.len, r.prot, id);
      case Op::kMadvise: return kernel.madvise(p, r.addr, r.len, r.advice, id);
      case Op::kFork:
      case Op::kVfork: return kernel.fork(p, static_cast<uint32_t>(r.addr), r.op == Op::kVfork, id, now);
      case Op::kExec: return kernel.exec(p, id);
      case Op::kExit: return kernel.exit(p, "exit", now);
      case Op::kWait: kernel.wait(p, static_cast<uint32_t>(r.addr)); return Cycles{0};
      case Op::kAwait: kernel.await(p, r.name); return Cycles{0};
      case Op::kPost: kernel.post(r.name); return Cycles{0};
      case Op::kCpu: return kernel.migrate(p, static_cast<unsigned>(r.addr));
      case Op::kSnapshot:
        for (const auto& q : kernel.processes())
          if (q->alive()) (void)kernel.smaps(*q, names);
        return Cycles{0};
      default: throw std::logic_error(std::string("not a system-call record: ") + trace::op_name(r.op));
    }
  }
  void exit(Process& p, const std::string& reason) override { kernel.exit(p, reason, clock.now()); }
  bool others_runnable() override { return kernel.others_runnable(id); }

  unsigned id;
  Kernel& kernel;
  trace::NameTable& names;
  CoreClock clock;
  MemoryHierarchy caches;
  CachedPteMemory pte_mem;
  Walker walker;
  DirectWalker port;
  TlbHierarchy tlbs;
  DirectData data;
  std::unique_ptr<Executor> exec;
};

TinyMachine::TinyMachine(const SimConfig& cfg, trace::NameTable& names)
    : cfg_(cfg), mem_(cfg.memory),
      kernel_(std::make_unique<Kernel>(kernel_params(cfg), mem_, cfg.walker.levels, cfg.cores, false, cfg.tlb.pcid)) {
  for (unsigned i = 0; i < cfg.cores; ++i) cores_.push_back(std::make_unique<CoreParts>(cfg, i, mem_, *kernel_, names));
}

TinyMachine::~TinyMachine() = default;

bool TinyMachine::run(const StreamOpener& open, const TracePlan& plan, uint64_t max_turns) {
  for (uint32_t pid : plan.roots) kernel_->start_process(pid, Cycles{0});
  for (uint64_t turn = 0; turn < max_turns; ++turn) {
    if (!kernel_->any_alive()) {
      kernel_->finish(cores_[0]->clock.now());
      check_tables_freed(*kernel_, mem_);  // a logic_error: the fuzzer reports it
      return true;
    }
    bool ran = false;
    for (auto& c : cores_) {
      Process* p = kernel_->pick_next(c->id);
      if (!p) continue;
      ran = true;
      if (p->ready_at > c->clock.now()) c->clock.offset += (p->ready_at - c->clock.now()).value;
      c->clock.offset += kernel_->switch_to(c->id, *p).value;
      if (!p->context) {
        auto ctx = std::make_unique<TaskContext>();
        ctx->stream = std::make_unique<trace::PidFilter>(open(), p->pid);
        p->context = std::move(ctx);
      }
      auto& ctx = static_cast<TaskContext&>(*p->context);
      StopReason why = c->exec->run(*p, ctx, c->clock.now() + Cycles{cfg_.kernel.timeslice});
      if (why == StopReason::kExited) p->context.reset();
      else if (why == StopReason::kPreempted || why == StopReason::kMigrated) kernel_->yield(*p);
    }
    if (!ran) return false;  // everyone alive is blocked
  }
  return false;
}

}  // namespace cowsim::fuzz
