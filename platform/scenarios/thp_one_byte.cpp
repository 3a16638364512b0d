// thp-one-byte: after fork, the child writes one byte into each 2 MiB huge page. Under the
// split policy each write costs a split and a 4 KiB copy; under the copy policy, 2 MiB.
// The policy is the configuration's kernel.thp.cow_policy: run it once per policy.
#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

constexpr uint64_t kHuge = uint64_t{2} << 20;

class ThpOneByte final : public Scenario {
 public:
  const char* name() const override { return "thp-one-byte"; }
  const char* description() const override {
    return "A parent populates a heap of transparent huge pages (MADV_HUGEPAGE) and forks; the child writes one "
           "byte per 2 MiB page. Run once per kernel.thp.cow_policy (split, copy) to compare";
  }
  void declare(ParamRegistry& r) override {
    r.add("heap", heap_, "bytes", "Huge-page heap the parent populates before fork (a multiple of 2 MiB)", kHuge,
          uint64_t{1} << 46);
    declare_thp(r, thp_, "the heap (on: the point of the scenario)");
  }
  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    auto& r = rep.results;
    const auto& s = run.stats;
    std::string policy = "?";
    if (run.config.contains("kernel") && run.config["kernel"].contains("thp"))
      policy = run.config["kernel"]["thp"].value("cow_policy", "?");
    r["cow_policy"] = policy;
    r["fork"] = fork_results(s, ctx, 2);
    r["huge_pages"] = heap_ / kHuge;
    r["parent_thp_zero_fill"] = stat(s, "processes.1.faults.thp_zero_fill");
    for (const char* f : {"thp_copy", "cow_copy", "thp_splits", "bytes_copied"})
      r["child"][f] = stat(s, std::string("processes.2.faults.") + f);
    r["child"]["minflt"] = stat(s, "processes.2.minflt");
    auto v = snapshot_of(run, "after-writes", 2);
    r["child"]["Private_Dirty_kb"] = smaps_sum_kb(v, "Private_Dirty");
    r["child"]["AnonHugePages_kb"] = smaps_sum_kb(v, "AnonHugePages");
    uint64_t bytes = r["child"]["bytes_copied"].get<uint64_t>();
    r["copied_per_byte_written"] = heap_ / kHuge ? bytes / (heap_ / kHuge) : 0;
    rep.lines.push_back(format("thp-one-byte (cow_policy %s): %llu huge pages, one byte written into each: %llu "
                               "faults, %llu huge copies, %llu splits + 4K copies; %s copied (%llu bytes per byte "
                               "written); child Private_Dirty %llu kB, AnonHugePages %llu kB",
                               policy.c_str(), (unsigned long long)(heap_ / kHuge), (unsigned long long)r["child"]["minflt"].get<uint64_t>(),
                               (unsigned long long)r["child"]["thp_copy"].get<uint64_t>(),
                               (unsigned long long)r["child"]["thp_splits"].get<uint64_t>(), bytes_text(bytes).c_str(),
                               (unsigned long long)r["copied_per_byte_written"].get<uint64_t>(),
                               (unsigned long long)r["child"]["Private_Dirty_kb"].get<uint64_t>(),
                               (unsigned long long)r["child"]["AnonHugePages_kb"].get<uint64_t>()));
    if (r["parent_thp_zero_fill"].get<uint64_t>() == 0)
      rep.lines.push_back("  note: no huge page was allocated (thp=off, kernel.thp.enabled=never, or thp=auto without always); the heap used 4 KiB pages");
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext&) const override {
    require_multiple(name(), "heap", heap_, kHuge, "2M");
    p.mmap_anon(1, kHeapBase, heap_);
    advise_thp(p, thp_, 1, kHeapBase, heap_);
    p.access(1, trace::Op::kWrite, kHeapBase, heap_, kHuge);
    p.fork(1, 2);
    p.access(2, trace::Op::kWrite, kHeapBase, heap_, kHuge, 1);
    p.snapshot(2, "after-writes");
    p.exit(2);
    p.wait(1, 2);
    p.exit(1);
  }

 private:
  uint64_t heap_ = uint64_t{1} << 30;
  std::string thp_ = "on";
};

}  // namespace

std::unique_ptr<Scenario> make_thp_one_byte() { return std::make_unique<ThpOneByte>(); }

}  // namespace cowsim::scenario
