// touch and fork-cow: the smallest workloads, for a first run and for the docs.
#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

class Touch final : public Scenario {
 public:
  const char* name() const override { return "touch"; }
  const char* description() const override {
    return "One process maps private anonymous memory and writes (or reads) every 4 KiB page once";
  }
  void declare(ParamRegistry& r) override {
    r.add("size", size_, "bytes", "Memory mapped and touched (a multiple of 4 KiB)", kPageSize, uint64_t{1} << 46);
    r.add("write", write_, "Write every page (true) or only read it (false: zero-page mappings)");
    declare_thp(r, thp_, "the mapping");
  }
  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    const char* outcome = write_ ? "anon_zero_fill" : "zero_page_map";
    ScenarioReport rep;
    rep.results["pages"] = size_ / kPage;
    rep.results["faults"] = stat(run.stats, std::string("processes.1.faults.") + outcome);
    rep.results["fault_mean_usec"] =
        stat_value(run.stats, std::string("kernel.faults.") + outcome + ".latency.mean") / ctx.frequency_mhz;
    rep.lines.push_back(format("touch: %llu pages, %llu %s faults, %.2f us each on average",
                               (unsigned long long)(size_ / kPage), (unsigned long long)rep.results["faults"].get<uint64_t>(),
                               outcome, rep.results["fault_mean_usec"].get<double>()));
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext&) const override {
    require_multiple("touch", "size", size_, kPage, "4K");
    p.mmap_anon(1, kHeapBase, size_);
    advise_thp(p, thp_, 1, kHeapBase, size_);
    p.access(1, write_ ? trace::Op::kWrite : trace::Op::kRead, kHeapBase, size_);
    p.exit(1);
  }

 private:
  uint64_t size_ = uint64_t{1} << 20;
  bool write_ = true;
  std::string thp_ = "auto";
};

class ForkCow final : public Scenario {
 public:
  const char* name() const override { return "fork-cow"; }
  const char* description() const override {
    return "A parent writes its heap and forks; the child writes part of the inherited heap (CoW copies) while "
           "the parent waits; smaps snapshots after the fork and after the child's writes";
  }
  void declare(ParamRegistry& r) override {
    declare_fork_heap(r, heap_, thp_);
    r.add("child_writes", child_writes_, "percent", "Share of the heap's pages the child writes after fork", 0, 100);
    r.add("parent_writes", parent_writes_, "percent",
          "Share of the heap's pages the parent writes after the child exits (reuse faults)", 0, 100);
  }
  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    auto& r = rep.results;
    r["fork"] = fork_results(run.stats, ctx, 2);
    r["child_cow_copy"] = stat(run.stats, "processes.2.faults.cow_copy");
    r["parent_cow_reuse"] = stat(run.stats, "processes.1.faults.cow_reuse");
    for (const char* label : {"after-fork", "after-child-writes"}) {
      auto child = snapshot_of(run, label, 2);
      r["snapshots"][label]["child_Shared_Dirty_kb"] = smaps_sum_kb(child, "Shared_Dirty");
      r["snapshots"][label]["child_Private_Dirty_kb"] = smaps_sum_kb(child, "Private_Dirty");
    }
    rep.lines.push_back(format("fork-cow: fork of %s took %.1f us (%llu PTEs copied); the child made %llu CoW copies, "
                               "the parent %llu reuse faults afterwards",
                               bytes_text(heap_).c_str(), r["fork"]["fork_usec"].get<double>(),
                               (unsigned long long)r["fork"]["ptes_copied"].get<uint64_t>(),
                               (unsigned long long)r["child_cow_copy"].get<uint64_t>(),
                               (unsigned long long)r["parent_cow_reuse"].get<uint64_t>()));
    for (const char* label : {"after-fork", "after-child-writes"})
      rep.lines.push_back(format("  child smaps %-19s Shared_Dirty %10llu kB  Private_Dirty %10llu kB", label,
                                 (unsigned long long)r["snapshots"][label]["child_Shared_Dirty_kb"].get<uint64_t>(),
                                 (unsigned long long)r["snapshots"][label]["child_Private_Dirty_kb"].get<uint64_t>()));
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext&) const override {
    require_multiple("fork-cow", "heap", heap_, kPage, "4K");
    uint64_t child_bytes = heap_ / kPage * child_writes_ / 100 * kPage;
    uint64_t parent_bytes = heap_ / kPage * parent_writes_ / 100 * kPage;
    p.mmap_anon(1, kHeapBase, heap_);
    advise_thp(p, thp_, 1, kHeapBase, heap_);
    p.roi_begin(1, "populate");
    p.write(1, kHeapBase, heap_);
    p.roi_end(1, "populate");
    p.roi_begin(1, "fork");
    p.fork(1, 2);
    p.roi_end(1, "fork");
    p.snapshot(2, "after-fork");
    p.roi_begin(2, "child_writes");
    if (child_bytes) p.write(2, kHeapBase, child_bytes);
    p.roi_end(2, "child_writes");
    p.snapshot(2, "after-child-writes");
    p.exit(2);
    p.wait(1, 2);
    p.roi_begin(1, "parent_writes");
    if (parent_bytes) p.write(1, kHeapBase, parent_bytes);
    p.roi_end(1, "parent_writes");
    p.exit(1);
  }

 private:
  uint64_t heap_ = uint64_t{64} << 20;
  uint32_t child_writes_ = 50;
  uint32_t parent_writes_ = 100;
  std::string thp_ = "auto";
};

}  // namespace

std::unique_ptr<Scenario> make_touch() { return std::make_unique<Touch>(); }
std::unique_ptr<Scenario> make_fork_cow() { return std::make_unique<ForkCow>(); }

}  // namespace cowsim::scenario
