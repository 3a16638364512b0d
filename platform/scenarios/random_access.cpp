// random-access: the TLB-reach workload. A process populates a heap (one store per 4 KiB page),
// optionally forks, then makes N single accesses at uniform or zipf-distributed addresses. How
// many of them walk depends on how many pages the heap spans against the TLBs' reach (page
// size: the thp switch) and what a walk costs (walker.levels, the caches).
#include "models/common/error.h"
#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/random.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

constexpr uint64_t kChunk = 1024;          // accesses per loop iteration: the stream's memory
constexpr uint64_t kPurposeAccesses = 41;  // derive_seed purpose of the access sequence
constexpr uint64_t kPurposeScatter = 42;   // ... of the zipf ranks' scatter over the heap

class RandomAccess final : public Scenario {
 public:
  const char* name() const override { return "random-access"; }
  const char* description() const override {
    return "A process populates a heap, optionally forks, then reads and/or writes it at uniform or zipf-distributed "
           "addresses (the TLB-reach workload); reports the measured phase's walks per access";
  }
  void declare(ParamRegistry& r) override {
    r.add("heap", heap_, "bytes", "Private anonymous heap, populated with one store per 4 KiB page first (a multiple of 4 KiB)",
          kPageSize, uint64_t{1} << 46);
    r.add("accesses", accesses_, "accesses", "Accesses of the measured phase, one 8-byte load or store each", 1,
          uint64_t{1} << 40);
    r.add("writes", writes_, "percent", "Share of the measured accesses that are stores (the rest are loads)", 0, 100);
    r.add("distribution", distribution_,
          "Which slot each access picks: uniform, or zipf (exponent zipf_s; hot slots scattered over the heap)",
          {"uniform", "zipf"});
    r.add("zipf_s", zipf_s_, "", "Exponent of the zipf distribution (0.99 as YCSB)", 0.01, 10.0);
    r.add("stride", stride_, "bytes",
          "Distance between the addresses an access can pick: slot k is heap start + k x stride (a multiple of 8, at "
          "most heap)",
          8, uint64_t{1} << 46);
    declare_thp(r, thp_);
    r.add("fork", fork_,
          "Fork after populating; the child makes the measured accesses (loads share the parent's pages, stores copy "
          "them) while the parent waits");
  }

  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    auto& r = rep.results;
    const auto& s = run.stats;
    uint64_t walks = 0, pte_reads = 0;
    if (s.contains("cores"))
      for (const auto& [id, core] : s["cores"].items()) {
        walks += stat(core, "walks");
        pte_reads += stat(core, "walker.pte_reads");
      }
    // The phases are regions (regions.populate, regions.measured): the measured phase's walks
    // and their latency come from its own region, without the population's.
    auto region_walks = [&](const char* region, std::string* busiest) {
      uint64_t n = 0, most = 0;
      const std::string path = std::string("regions.") + region;
      if (s.contains("regions") && s["regions"].contains(region))
        for (const auto& [id, core] : s["regions"][region]["cores"].items()) {
          const uint64_t w = stat(core, "walks");
          n += w;
          if (busiest && w > most) most = w, *busiest = path + ".cores." + id;
        }
      return n;
    };
    std::string busiest;  // the core that ran the measured phase's walks
    const uint64_t populate_walks = region_walks("populate", nullptr);
    const uint64_t measured = region_walks("measured", &busiest);
    uint32_t pid = fork_ ? 2 : 1;
    std::string proc = "processes." + std::to_string(pid) + ".faults.";
    r["heap"] = heap_;
    r["accesses"] = accesses_;
    r["pages_4k"] = stat(s, "processes.1.faults.anon_zero_fill");
    r["pages_2m"] = stat(s, "processes.1.faults.thp_zero_fill");
    r["walks"] = walks;
    r["pte_reads"] = pte_reads;
    r["populate_walks"] = populate_walks;
    r["measured_walks"] = measured;
    r["measured_walks_per_access"] = static_cast<double>(measured) / static_cast<double>(accesses_);
    r["measured_cow_copy"] = fork_ ? stat(s, proc + "cow_copy") : 0;
    r["measured_thp_copy"] = fork_ ? stat(s, proc + "thp_copy") : 0;
    r["measured_walk_latency_p50_cycles"] = busiest.empty() ? 0 : stat(s, busiest + ".walker.latency.p50");
    r["measured_walk_latency_p99_cycles"] = busiest.empty() ? 0 : stat(s, busiest + ".walker.latency.p99");
    r["walk_latency_mean_cycles"] = 0.0;
    if (walks) {
      double sum = 0;
      for (const auto& [id, core] : s["cores"].items())
        sum += stat_value(core, "walker.latency.mean") * static_cast<double>(stat(core, "walks"));
      r["walk_latency_mean_cycles"] = sum / static_cast<double>(walks);
    }
    if (fork_) {
      std::string child = "processes.2.";
      r["measured_usec"] = ctx.usec(stat(s, child + "end_cycle") - stat(s, child + "start_cycle"));
    }
    rep.lines.push_back(format("random-access: %s heap populated as %llu 4 KiB + %llu 2 MiB pages; %llu %s accesses "
                               "(%u%% stores, stride %llu B)%s",
                               bytes_text(heap_).c_str(), (unsigned long long)r["pages_4k"].get<uint64_t>(),
                               (unsigned long long)r["pages_2m"].get<uint64_t>(), (unsigned long long)accesses_,
                               distribution_.c_str(), writes_, (unsigned long long)stride_,
                               fork_ ? " in a forked child" : ""));
    rep.lines.push_back(format("  walks: %llu in the run = %llu populating (2 per page) + %llu measured = %.4f per "
                               "access; %.1f cycles per walk on average over the run",
                               (unsigned long long)walks, (unsigned long long)populate_walks,
                               (unsigned long long)measured, r["measured_walks_per_access"].get<double>(),
                               r["walk_latency_mean_cycles"].get<double>()));
    if (measured)
      rep.lines.push_back(format("  measured phase (regions.measured): walk latency p50 %llu, p99 %llu cycles",
                                 (unsigned long long)r["measured_walk_latency_p50_cycles"].get<uint64_t>(),
                                 (unsigned long long)r["measured_walk_latency_p99_cycles"].get<uint64_t>()));
    if (fork_)
      rep.lines.push_back(format("  measured phase (the child): %.1f us, %llu CoW copies of 4 KiB, %llu of 2 MiB",
                                 r["measured_usec"].get<double>(), (unsigned long long)r["measured_cow_copy"].get<uint64_t>(),
                                 (unsigned long long)r["measured_thp_copy"].get<uint64_t>()));
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext& ctx) const override {
    require_multiple(name(), "heap", heap_, kPage, "4K");
    if (stride_ % 8 || stride_ > heap_)
      throw InputError("scenario random-access: stride must be a multiple of 8 and at most heap (" +
                       std::to_string(heap_) + "), got " + std::to_string(stride_));
    p.mmap_anon(1, kHeapBase, heap_);
    advise_thp(p, thp_, 1, kHeapBase, heap_);
    p.roi_begin(1, "populate");
    p.write(1, kHeapBase, heap_);
    p.roi_end(1, "populate");
    uint32_t pid = 1;
    if (fork_) {
      p.roi_begin(1, "fork");
      p.fork(1, 2);
      p.roi_end(1, "fork");
      pid = 2;
    }
    p.roi_begin(pid, "measured");
    // Slots are 8-byte aligned and end inside the heap: no access straddles a page.
    const uint64_t slots = (heap_ - 8) / stride_ + 1;
    const uint64_t seed = derive_seed(ctx.seed, kPurposeAccesses);
    const uint64_t scatter_seed = derive_seed(ctx.seed, kPurposeScatter);
    const bool zipf = distribution_ == "zipf";
    // The loop body owns its generator state: the stream is reopened from scratch each time.
    auto rng = std::make_shared<Rng>(seed);
    auto z = std::make_shared<Zipf>(slots, zipf_s_);
    auto perm = std::make_shared<Permutation>(slots, scatter_seed);
    const uint64_t n = accesses_, chunks = (n + kChunk - 1) / kChunk;
    const uint32_t writes = writes_;
    const uint64_t stride = stride_;
    p.loop(chunks, [=](uint64_t c, Iteration& out) {
      uint64_t end = std::min(n, (c + 1) * kChunk);
      for (uint64_t i = c * kChunk; i < end; ++i) {
        uint64_t slot = zipf ? (*perm)((*z)(*rng) - 1) : rng->below(slots);
        bool store = writes && rng->below(100) < writes;
        out.access(pid, store ? trace::Op::kWrite : trace::Op::kRead, kHeapBase + slot * stride);
      }
    });
    p.roi_end(pid, "measured");
    if (fork_) {
      p.exit(2);
      p.wait(1, 2);
    }
    p.exit(1);
  }

 private:
  uint64_t heap_ = uint64_t{256} << 20;
  uint64_t accesses_ = 1000000;
  uint32_t writes_ = 0;
  std::string distribution_ = "uniform";
  double zipf_s_ = 0.99;
  uint64_t stride_ = 64;
  std::string thp_ = "auto";
  bool fork_ = false;
};

}  // namespace

std::unique_ptr<Scenario> make_random_access() { return std::make_unique<RandomAccess>(); }

}  // namespace cowsim::scenario
