// dontfork and wipeonfork: the same parent forks twice, once with the madvise advice on one
// region and once without, one after the other in the same run, so the report puts fork cost
// and the child's view of the region side by side.
//   dontfork:   a large region the child does not need (a cache, a buffer pool), MADV_DONTFORK:
//               fork skips it (no entries copied) and the child has no such mapping.
//   wipeonfork: a secrets region (keys, session tokens), MADV_WIPEONFORK: the child gets the
//               mapping but empty, reading zeros instead of the parent's data.
#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

// pids: 1 (with the advice) forks 2; then 3 (without) forks 4.
struct Variant {
  const char* key;
  uint32_t parent, child;
  bool advise;
};
constexpr Variant kVariants[] = {{"with_advice", 1, 2, true}, {"without_advice", 3, 4, false}};

class ForkAdvice final : public Scenario {
 public:
  explicit ForkAdvice(bool wipe) : wipe_(wipe), region_(wipe ? uint64_t{16} << 20 : kGiB) {}
  const char* name() const override { return wipe_ ? "wipeonfork" : "dontfork"; }
  const char* description() const override {
    return wipe_ ? "A parent with a heap and a secrets region forks twice, with and without MADV_WIPEONFORK on the "
                   "secrets; each child reads the secrets: wiped, it sees zeros (zero page), else the parent's data"
                 : "A parent with a heap and a large region the child does not need forks twice, with and without "
                   "MADV_DONTFORK on the region: fork cost and the child's mappings side by side";
  }
  void declare(ParamRegistry& r) override {
    r.add("heap", heap_, "bytes", "Heap the parent populates and the child reads (a multiple of 4 KiB)", kPageSize,
          uint64_t{1} << 46);
    declare_thp(r, thp_, "the heap");
    r.add(wipe_ ? "secrets" : "region", region_, "bytes",
          wipe_ ? "Secrets region the parent writes, advised MADV_WIPEONFORK in the first fork (a multiple of 4 KiB)"
                : "Region the parent populates, advised MADV_DONTFORK in the first fork (a multiple of 4 KiB)",
          kPageSize, uint64_t{1} << 46);
  }
  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    const auto& s = run.stats;
    for (const Variant& v : kVariants) {
      auto& r = rep.results[v.key];
      r["fork"] = fork_results(s, ctx, v.child);
      auto smaps = snapshot_of(run, std::string("child-view-") + v.key, v.child);
      const SmapsVma* region = smaps_vma_at(smaps, region_base());
      r["child_vmas"] = smaps.size();
      r["region_mapped_in_child"] = region != nullptr;
      r["region_Rss_kb"] = region ? region->kb("Rss") : 0;
      r["child_Rss_kb"] = smaps_sum_kb(smaps, "Rss");
      r["child_zero_page_reads"] = stat(s, "processes." + std::to_string(v.child) + ".faults.zero_page_map");
      if (wipe_)
        rep.lines.push_back(format("wipeonfork %-14s fork %9.1f us, %8llu PTEs copied; child reading the secrets: %s "
                                   "(secrets Rss %llu kB, %llu zero-page faults)",
                                   v.key, r["fork"]["fork_usec"].get<double>(),
                                   (unsigned long long)r["fork"]["ptes_copied"].get<uint64_t>(),
                                   r["region_Rss_kb"].get<uint64_t>() ? "the parent's data" : "zeros",
                                   (unsigned long long)r["region_Rss_kb"].get<uint64_t>(),
                                   (unsigned long long)r["child_zero_page_reads"].get<uint64_t>()));
      else
        rep.lines.push_back(format("dontfork %-14s fork %9.1f us, %8llu PTEs copied, %llu VMA(s) skipped; the child "
                                   "%s the region (%llu VMAs, Rss %llu kB)",
                                   v.key, r["fork"]["fork_usec"].get<double>(),
                                   (unsigned long long)r["fork"]["ptes_copied"].get<uint64_t>(),
                                   (unsigned long long)r["fork"]["vmas_skipped"].get<uint64_t>(),
                                   region ? "maps" : "has no mapping of",
                                   (unsigned long long)r["child_vmas"].get<uint64_t>(),
                                   (unsigned long long)r["child_Rss_kb"].get<uint64_t>()));
    }
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext&) const override {
    require_multiple(name(), "heap", heap_, kPage, "4K");
    require_multiple(name(), wipe_ ? "secrets" : "region", region_, kPage, "4K");
    for (const Variant& v : kVariants) {
      if (!v.advise) p.await(v.parent, "with_advice-done");  // one after the other: clean fork timings
      p.mmap_anon(v.parent, kHeapBase, heap_);
      advise_thp(p, thp_, v.parent, kHeapBase, heap_);
      p.mmap_anon(v.parent, region_base(), region_);
      p.write(v.parent, kHeapBase, heap_);
      p.write(v.parent, region_base(), region_);
      if (v.advise)
        p.madvise(v.parent, region_base(), region_, wipe_ ? trace::Advice::kWipeonfork : trace::Advice::kDontfork);
      p.fork(v.parent, v.child);
      p.read(v.child, kHeapBase, heap_);
      if (wipe_) p.read(v.child, region_base(), region_);
      p.snapshot(v.child, std::string("child-view-") + v.key);
      p.exit(v.child);
      p.wait(v.parent, v.child);
      if (v.advise) p.post(v.parent, "with_advice-done");
      p.exit(v.parent);
    }
  }

 private:
  // The region starts at the next 1 GiB boundary after the heap, so both are separate VMAs.
  uint64_t region_base() const { return kHeapBase + (heap_ + kGiB - 1) / kGiB * kGiB; }
  bool wipe_;
  uint64_t heap_ = uint64_t{64} << 20;
  std::string thp_ = "auto";
  uint64_t region_;
};

}  // namespace

std::unique_ptr<Scenario> make_dontfork() { return std::make_unique<ForkAdvice>(false); }
std::unique_ptr<Scenario> make_wipeonfork() { return std::make_unique<ForkAdvice>(true); }

}  // namespace cowsim::scenario
