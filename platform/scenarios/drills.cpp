// The seed's mini drills on a forked heap (4 GiB by default): the child reads it all, writes
// one byte per page, or writes half of it between two smaps snapshots.
#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

enum class DrillKind { kRead, kWrite, kHalf };

class Drill final : public Scenario {
 public:
  explicit Drill(DrillKind k) : kind_(k) {}
  const char* name() const override {
    return kind_ == DrillKind::kRead ? "drill-read" : kind_ == DrillKind::kWrite ? "drill-write" : "drill-half";
  }
  const char* description() const override {
    switch (kind_) {
      case DrillKind::kRead: return "A parent populates its heap and forks; the child reads every page (no faults, no copies)";
      case DrillKind::kWrite: return "A parent populates its heap and forks; the child writes one byte per page (one CoW copy each)";
      default: return "A parent populates its heap and forks; the child writes half of it, with smaps snapshots before and after";
    }
  }
  void declare(ParamRegistry& r) override {
    declare_fork_heap(r, heap_, thp_);
  }
  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    auto& r = rep.results;
    const auto& s = run.stats;
    r["fork"] = fork_results(s, ctx, 2);
    r["child_minflt"] = stat(s, "processes.2.minflt");
    r["child_cow_copy"] = stat(s, "processes.2.faults.cow_copy");
    r["child_bytes_copied"] = stat(s, "processes.2.faults.bytes_copied");
    for (const char* f : {"Rss", "Pss", "Shared_Dirty", "Private_Dirty"})
      r["child_at_exit_kb"][f] = stat(s, std::string("processes.2.smaps_rollup.") + f);
    r["frames_peak_bytes"] = peak_memory_bytes(s);
    rep.lines.push_back(format("%s: %s heap; fork %.1f us; child %llu faults, %llu CoW copies (%s copied); "
                               "peak memory %s",
                               name(), bytes_text(heap_).c_str(), r["fork"]["fork_usec"].get<double>(),
                               (unsigned long long)r["child_minflt"].get<uint64_t>(),
                               (unsigned long long)r["child_cow_copy"].get<uint64_t>(),
                               bytes_text(r["child_bytes_copied"].get<uint64_t>()).c_str(),
                               bytes_text(r["frames_peak_bytes"].get<uint64_t>()).c_str()));
    if (kind_ == DrillKind::kHalf) {
      for (const char* label : {"before-writes", "after-writes"}) {
        for (uint32_t pid : {1u, 2u}) {
          auto v = snapshot_of(run, label, pid);
          auto& j = r["snapshots"][label][pid == 1 ? "parent" : "child"];
          for (const char* f : {"Rss", "Pss", "Shared_Dirty", "Private_Dirty"}) j[f] = smaps_sum_kb(v, f);
          rep.lines.push_back(format("  %-13s %-6s Rss %10llu kB  Pss %10llu kB  Shared_Dirty %10llu kB  "
                                     "Private_Dirty %10llu kB",
                                     label, pid == 1 ? "parent" : "child", (unsigned long long)j["Rss"].get<uint64_t>(),
                                     (unsigned long long)j["Pss"].get<uint64_t>(),
                                     (unsigned long long)j["Shared_Dirty"].get<uint64_t>(),
                                     (unsigned long long)j["Private_Dirty"].get<uint64_t>()));
        }
      }
    } else {
      rep.lines.push_back(format("  child at exit: Rss %llu kB, Pss %llu kB, Shared_Dirty %llu kB, Private_Dirty %llu kB",
                                 (unsigned long long)r["child_at_exit_kb"]["Rss"].get<uint64_t>(),
                                 (unsigned long long)r["child_at_exit_kb"]["Pss"].get<uint64_t>(),
                                 (unsigned long long)r["child_at_exit_kb"]["Shared_Dirty"].get<uint64_t>(),
                                 (unsigned long long)r["child_at_exit_kb"]["Private_Dirty"].get<uint64_t>()));
    }
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext&) const override {
    require_multiple(name(), "heap", heap_, kPage, "4K");
    populate_and_fork(p, heap_, thp_);
    switch (kind_) {
      case DrillKind::kRead: p.read(2, kHeapBase, heap_); break;
      case DrillKind::kWrite: p.access(2, trace::Op::kWrite, kHeapBase, heap_, kPage, 1); break;
      case DrillKind::kHalf: {
        uint64_t half = heap_ / kPage / 2 * kPage;
        p.snapshot(2, "before-writes");
        if (half) p.write(2, kHeapBase, half);
        p.snapshot(2, "after-writes");
        break;
      }
    }
    p.exit(2);
    p.wait(1, 2);
    p.exit(1);
  }

 private:
  DrillKind kind_;
  std::string thp_ = "auto";
  uint64_t heap_ = uint64_t{4} << 30;
};

}  // namespace

std::unique_ptr<Scenario> make_drill_read() { return std::make_unique<Drill>(DrillKind::kRead); }
std::unique_ptr<Scenario> make_drill_write() { return std::make_unique<Drill>(DrillKind::kWrite); }
std::unique_ptr<Scenario> make_drill_half() { return std::make_unique<Drill>(DrillKind::kHalf); }

}  // namespace cowsim::scenario
