// prefork-server: a master loads a read-mostly heap and forks N workers (gunicorn, Unicorn,
// PostgreSQL backends). Each request reads random pages of the shared heap, writes a few
// random heap pages (reference counts, GC marks, caches: the writes that make sharing decay)
// and rewrites a small private working set. After each phase the workers stop at a barrier
// while the master takes an smaps snapshot of everyone, so the report can show per-worker
// RSS against PSS and how sharing decays as requests accumulate.
#include <memory>
#include <string>

#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/random.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

class PreforkServer final : public Scenario {
 public:
  const char* name() const override { return "prefork-server"; }
  const char* description() const override {
    return "A master with a read-mostly heap forks N workers; each request reads random shared pages, writes a few "
           "(sharing decays) and rewrites a private working set; smaps of every process after each phase";
  }
  void declare(ParamRegistry& r) override {
    r.add("heap", heap_, "bytes", "Read-mostly heap the master populates before forking (a multiple of 4 KiB)",
          kPageSize, uint64_t{1} << 46);
    declare_thp(r, thp_, "the master's heap");
    r.add("workers", workers_, "processes", "Worker processes forked by the master", 1, 256);
    r.add("requests", requests_, "requests", "Requests each worker serves, spread evenly over the phases", 0,
          uint64_t{1} << 40);
    r.add("reads", reads_, "pages", "Random heap pages each request reads", 0, 1u << 20);
    r.add("writes", writes_, "pages", "Random heap pages each request writes (CoW: sharing decays)", 0, 1u << 20);
    r.add("scratch", scratch_, "bytes", "Private working set each request rewrites, mapped by the worker after fork "
          "(a multiple of 4 KiB; 0 for none)", 0, uint64_t{1} << 40);
    r.add("request_instructions", request_instructions_, "instructions", "Computation per request, besides its accesses",
          0, uint64_t{1} << 40);
    r.add("phases", phases_, "phases", "Snapshots taken, one after each equal share of the requests", 1, 1000);
  }

  ScenarioReport report(const ScenarioRun& run, trace::NameTable&, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    // Request latency over all workers (closed loop: a request arrives when its worker is ready).
    auto& lat = rep.results["request_latency_usec"];
    lat["count"] = stat(run.stats, "spans.request.count");
    for (const char* q : {"p50", "p99", "p999", "max"}) lat[q] = ctx.usec(stat(run.stats, std::string("spans.request.") + q));
    auto& phases = rep.results["phases"] = nlohmann::json::array();
    rep.lines.push_back(format("prefork-server: %u workers over a %s heap; per worker (mean):", workers_,
                               bytes_text(heap_).c_str()));
    for (uint32_t k = 0; k < phases_; ++k) {
      nlohmann::json ph;
      ph["requests_per_worker"] = requests_done(k + 1);
      uint64_t rss = 0, pss = 0, shared = 0, all_rss = 0, all_pss = 0;
      for (uint32_t pid = 1; pid <= workers_ + 1; ++pid) {
        auto v = snapshot_of(run, phase_label(k), pid);
        nlohmann::json p;
        p["Rss_kb"] = smaps_sum_kb(v, "Rss");
        p["Pss_kb"] = smaps_sum_kb(v, "Pss");
        p["Shared_kb"] = smaps_sum_kb(v, "Shared_Clean") + smaps_sum_kb(v, "Shared_Dirty");
        p["Private_kb"] = smaps_sum_kb(v, "Private_Clean") + smaps_sum_kb(v, "Private_Dirty");
        all_rss += p["Rss_kb"].get<uint64_t>();
        all_pss += p["Pss_kb"].get<uint64_t>();
        if (pid == 1) {
          ph["master"] = p;
          continue;
        }
        rss += p["Rss_kb"].get<uint64_t>();
        pss += p["Pss_kb"].get<uint64_t>();
        shared += p["Shared_kb"].get<uint64_t>();
        ph["workers"][std::to_string(pid)] = p;
      }
      ph["mean_worker_Rss_kb"] = rss / workers_;
      ph["mean_worker_Pss_kb"] = pss / workers_;
      ph["worker_shared_percent"] = rss ? 100.0 * shared / rss : 0.0;
      ph["sum_Rss_kb"] = all_rss;  // what adding up RSS would claim
      ph["sum_Pss_kb"] = all_pss;  // what the processes really use together
      rep.lines.push_back(format("  after %8llu requests: Rss %10llu kB  Pss %10llu kB  shared %5.1f%%   all processes: "
                                 "sum Rss %10llu kB, sum Pss %10llu kB",
                                 (unsigned long long)requests_done(k + 1), (unsigned long long)(rss / workers_),
                                 (unsigned long long)(pss / workers_), ph["worker_shared_percent"].get<double>(),
                                 (unsigned long long)all_rss, (unsigned long long)all_pss));
      phases.push_back(std::move(ph));
    }
    rep.lines.push_back(format("  request latency (us): %llu requests, p50 %.1f p99 %.1f p999 %.1f max %.1f",
                               (unsigned long long)lat["count"].get<uint64_t>(), lat["p50"].get<double>(),
                               lat["p99"].get<double>(), lat["p999"].get<double>(), lat["max"].get<double>()));
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext& ctx) const override {
    require_multiple(name(), "heap", heap_, kPage, "4K");
    if (scratch_ % kPage) require_multiple(name(), "scratch", scratch_, kPage, "4K");
    const uint32_t master = 1;
    p.mmap_anon(master, kHeapBase, heap_);
    advise_thp(p, thp_, master, kHeapBase, heap_);
    p.write(master, kHeapBase, heap_);
    for (uint32_t w = 0; w < workers_; ++w) p.fork(master, worker(w));
    for (uint32_t k = 0; k < phases_; ++k) {
      for (uint32_t w = 0; w < workers_; ++w) p.await(master, phase_label(k) + "-done-" + std::to_string(worker(w)));
      p.snapshot(master, phase_label(k));
      p.post(master, phase_label(k) + "-go");
    }
    for (uint32_t w = 0; w < workers_; ++w) p.wait(master, worker(w));
    p.exit(master);

    const uint64_t heap_pages = heap_ / kPage;
    for (uint32_t w = 0; w < workers_; ++w) {
      uint32_t pid = worker(w);
      auto rng = std::make_shared<Rng>(derive_seed(ctx.seed, pid));
      if (scratch_) p.mmap_anon(pid, scratch_base(), scratch_);
      for (uint32_t k = 0; k < phases_; ++k) {
        p.loop(requests_done(k + 1) - requests_done(k), [this, pid, rng, heap_pages](uint64_t, Iteration& out) {
          out.span_begin(pid, "request");  // closed loop: a request arrives when the worker is ready for it
          for (uint32_t i = 0; i < reads_; ++i) out.read(pid, kHeapBase + rng->below(heap_pages) * kPage);
          for (uint32_t i = 0; i < writes_; ++i) out.write(pid, kHeapBase + rng->below(heap_pages) * kPage);
          if (scratch_) out.write(pid, scratch_base(), scratch_);
          out.compute(pid, request_instructions_);
          out.span_end(pid, "request");
        });
        p.post(pid, phase_label(k) + "-done-" + std::to_string(pid));
        p.await(pid, phase_label(k) + "-go");
      }
      p.exit(pid);
    }
  }

 private:
  static uint32_t worker(uint32_t w) { return w + 2; }
  static std::string phase_label(uint32_t k) { return "phase-" + std::to_string(k + 1); }
  uint64_t requests_done(uint32_t phases) const { return requests_ * phases / phases_; }
  uint64_t scratch_base() const { return kHeapBase + (heap_ + kGiB - 1) / kGiB * kGiB; }

  uint64_t heap_ = uint64_t{256} << 20;
  std::string thp_ = "auto";
  uint32_t workers_ = 4;
  uint64_t requests_ = 2000;
  uint32_t reads_ = 32;
  uint32_t writes_ = 1;
  uint64_t scratch_ = 64 << 10;
  uint64_t request_instructions_ = 20000;
  uint32_t phases_ = 4;
};

}  // namespace

std::unique_ptr<Scenario> make_prefork_server() { return std::make_unique<PreforkServer>(); }

}  // namespace cowsim::scenario
