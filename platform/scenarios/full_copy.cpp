// full-copy: the pathological workload where parent and child both write every page after
// fork, so copy-on-write ends up copying the whole heap and memory doubles.
#include "models/common/error.h"
#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

class FullCopy final : public Scenario {
 public:
  // lines: every 64-byte line of every page is written (one store each), the case where
  // line-granular copy-on-write (kernel.cow.granularity=line) cannot save anything.
  explicit FullCopy(bool lines) : stride_(lines ? 64 : kPage) {}
  const char* name() const override { return stride_ == kPage ? "full-copy" : "full-copy-lines"; }
  const char* description() const override {
    return stride_ == kPage
               ? "A parent populates its heap and forks; then parent and child both write every page, concurrently: "
                 "each page is copied once (by whichever side writes it first) and memory doubles"
               : "full-copy with every 64-byte line of every page written (one store per line instead of per page): "
                 "what line-granular copy-on-write (kernel.cow.granularity=line) costs when it cannot save memory";
  }
  void declare(ParamRegistry& r) override {
    declare_fork_heap(r, heap_, thp_);
  }
  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    auto& r = rep.results;
    const auto& s = run.stats;
    r["fork"] = fork_results(s, ctx, 2);
    uint64_t copies = 0, reuses = 0, bytes = 0;
    for (const char* pid : {"1", "2"}) {
      std::string p = std::string("processes.") + pid + ".faults.";
      r["cow_copy"][pid] = stat(s, p + "cow_copy");
      r["cow_reuse"][pid] = stat(s, p + "cow_reuse");
      copies += stat(s, p + "cow_copy");
      reuses += stat(s, p + "cow_reuse");
      bytes += stat(s, p + "bytes_copied");
    }
    r["cow_copy_total"] = copies;
    r["cow_reuse_total"] = reuses;
    r["bytes_copied"] = bytes;
    r["frames_peak_bytes"] = peak_memory_bytes(s);
    r["peak_over_heap"] = static_cast<double>(r["frames_peak_bytes"].get<uint64_t>()) / static_cast<double>(heap_);
    rep.lines.push_back(format("full-copy: %s heap; %llu pages copied (%s), %llu reused; peak memory %s = %.3f x heap",
                               bytes_text(heap_).c_str(), (unsigned long long)copies, bytes_text(bytes).c_str(),
                               (unsigned long long)reuses, bytes_text(r["frames_peak_bytes"].get<uint64_t>()).c_str(),
                               r["peak_over_heap"].get<double>()));
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext&) const override {
    require_multiple(name(), "heap", heap_, kPage, "4K");
    populate_and_fork(p, heap_, thp_);
    p.access(2, trace::Op::kWrite, kHeapBase, heap_, stride_);
    p.exit(2);
    p.access(1, trace::Op::kWrite, kHeapBase, heap_, stride_);
    p.wait(1, 2);
    p.exit(1);
  }

 private:
  std::string thp_ = "auto";
  uint64_t heap_ = uint64_t{1} << 30;
  uint64_t stride_;
};

}  // namespace

std::unique_ptr<Scenario> make_full_copy() { return std::make_unique<FullCopy>(false); }
std::unique_ptr<Scenario> make_full_copy_lines() { return std::make_unique<FullCopy>(true); }

}  // namespace cowsim::scenario
