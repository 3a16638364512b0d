// fork-exec: a parent with a populated heap starts a program three ways, one after the other:
//   fork   fork(), the child execs: the parent's heap is write-protected for nothing, and
//          every later parent write takes a reuse fault;
//   vfork  vfork(), the child execs at once: no page tables copied, the parent suspended
//          until the exec;
//   spawn  posix_spawn as glibc implements it: the parent maps a small stack for the child,
//          clone(CLONE_VM | CLONE_VFORK) (a vfork in the model), the child runs on that stack
//          and execs, the parent unmaps the stack.
// Each started program maps and writes `program` bytes and exits; then the parent rewrites
// its heap.
#include <string>

#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

constexpr uint64_t kSpawnStackBase = 0x7ff000000000;
constexpr uint64_t kSpawnStack = 64 << 10;       // glibc: argv size + 32 KiB, page aligned
constexpr uint64_t kSpawnStackUsed = 8 << 10;    // what the child touches before exec

struct Method {
  const char* name;
  uint32_t parent, child;
};
constexpr Method kMethods[] = {{"fork", 1, 2}, {"vfork", 3, 4}, {"spawn", 5, 6}};

class ForkExec final : public Scenario {
 public:
  const char* name() const override { return "fork-exec"; }
  const char* description() const override {
    return "A parent with a populated heap starts a program by fork+exec, vfork+exec and posix_spawn, one after the "
           "other: the latency of each, and the reuse faults the parent takes afterwards";
  }
  void declare(ParamRegistry& r) override {
    r.add("heap", heap_, "bytes", "Private anonymous heap each parent populates (a multiple of 4 KiB)", kPageSize,
          uint64_t{1} << 46);
    r.add("program", program_, "bytes", "Memory the started program maps and writes before it exits (a multiple of 4 KiB)",
          kPageSize, uint64_t{1} << 46);
    r.add("method", method_, "How to start the program: one method, or all three in turn",
          {"all", "fork", "vfork", "spawn"});
    declare_thp(r, thp_, "the parent's heap");
    r.add("rewrite", rewrite_, "The parent rewrites its whole heap after the program exits (shows reuse faults)");
  }
  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    const auto& s = run.stats;
    for (const Method& m : kMethods) {
      if (!selected(m)) continue;
      auto& r = rep.results[m.name];
      std::string parent = "processes." + std::to_string(m.parent) + ".";
      r["fork"] = fork_results(s, ctx, m.child);
      r["parent_cow_reuse"] = stat(s, parent + "faults.cow_reuse");
      r["parent_cow_copy"] = stat(s, parent + "faults.cow_copy");
      rep.lines.push_back(format("fork-exec %-5s: call %9.1f us (%llu PTEs copied); parent afterwards: %llu reuse "
                                 "faults, %llu copies",
                                 m.name, r["fork"]["fork_usec"].get<double>(),
                                 (unsigned long long)r["fork"]["ptes_copied"].get<uint64_t>(),
                                 (unsigned long long)r["parent_cow_reuse"].get<uint64_t>(),
                                 (unsigned long long)r["parent_cow_copy"].get<uint64_t>()));
    }
    double reuse = stat_value(s, "kernel.faults.cow_reuse.latency.mean") / ctx.frequency_mhz;
    rep.results["cow_reuse_mean_usec"] = reuse;
    if (reuse > 0) rep.lines.push_back(format("  a reuse fault takes %.2f us on average", reuse));
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext&) const override {
    require_multiple(name(), "heap", heap_, kPage, "4K");
    require_multiple(name(), "program", program_, kPage, "4K");
    const char* previous = nullptr;
    for (const Method& m : kMethods) {
      if (!selected(m)) continue;
      uint32_t P = m.parent, C = m.child;
      if (previous) p.await(P, std::string(previous) + "-done");  // one after the other
      p.mmap_anon(P, kHeapBase, heap_);
      advise_thp(p, thp_, P, kHeapBase, heap_);
      p.write(P, kHeapBase, heap_);
      bool spawn = std::string(m.name) == "spawn";
      if (spawn) p.mmap_anon(P, kSpawnStackBase, kSpawnStack);
      if (std::string(m.name) == "fork")
        p.fork(P, C);
      else
        p.vfork(P, C);
      // Stacks grow down: the child uses the top of the one it was given.
      if (spawn) p.write(C, kSpawnStackBase + kSpawnStack - kSpawnStackUsed, kSpawnStackUsed);
      p.exec(C);
      p.mmap_anon(C, kHeapBase, program_);
      p.write(C, kHeapBase, program_);
      p.exit(C);
      if (spawn) p.munmap(P, kSpawnStackBase, kSpawnStack);
      p.wait(P, C);
      if (rewrite_) p.write(P, kHeapBase, heap_);
      p.post(P, std::string(m.name) + "-done");
      p.exit(P);
      previous = m.name;
    }
  }

 private:
  bool selected(const Method& m) const { return method_ == "all" || method_ == m.name; }
  uint64_t heap_ = uint64_t{1} << 30;
  std::string thp_ = "auto";
  uint64_t program_ = uint64_t{1} << 20;
  std::string method_ = "all";
  bool rewrite_ = true;
};

}  // namespace

std::unique_ptr<Scenario> make_fork_exec() { return std::make_unique<ForkExec>(); }

}  // namespace cowsim::scenario
