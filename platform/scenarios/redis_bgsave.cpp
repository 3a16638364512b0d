// redis-bgsave: a Redis server holding a dataset forks a child that writes the RDB snapshot
// while the parent keeps serving writes.
//   parent  populates the dataset (values of value_size bytes, laid out contiguously), serves
//           writes_before SETs, forks, serves the SETs that arrive during the save, waits for
//           the child, then serves writes_after SETs. A SET updates an existing value in
//           place; keys are drawn uniformly, from a Zipf distribution (hot keys scattered over
//           memory), or all distinct. SETs arrive open-loop at write_rate ops/s: each is a
//           span (docs/trace-format.md, "Spans") whose arrival is 1/write_rate after the
//           previous one's, so a SET that arrives while the parent is in fork() or in a CoW
//           fault waits, and its latency counts the wait. The save is the window span: SET
//           latency is reported before the fork, during the save (fork to the child's reaping)
//           and after it.
//   child   reads the dataset in 1 MiB chunks, each followed by the time the disk needs to
//           write it at disk_bandwidth, so the save lasts as long as it would; at the end it
//           measures its copy-on-write size as Redis does (sum of Private_Dirty over
//           /proc/self/smaps: a `snapshot` record) and exits.
// Time is `compute` at the configured clock and IPC. Write i of the save arrives (i + 1) /
// write_rate after the fork began; the child takes its measurement after the last write that
// arrived during the save, so the writes counted are exactly write_rate x save duration.
#include <memory>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/common/types.h"
#include "platform/scenarios/builtin.h"
#include "platform/scenarios/program.h"
#include "platform/scenarios/random.h"
#include "platform/scenarios/report.h"

namespace cowsim::scenario {

namespace {

constexpr uint32_t kServer = 1, kSaver = 2;
constexpr uint64_t kChunk = 1 << 20;  // the child's read-then-write granularity
constexpr uint64_t kLine = 64;        // a value is written one 8-byte store per cache line
const char* const kWritesDone = "bgsave-writes-done";
const char* const kCowLabel = "rdb-cow";
const char* const kSet = "set";        // one span per SET
const char* const kSave = "bgsave";    // the window span: fork to the child's reaping

class RedisBgsave final : public Scenario {
 public:
  const char* name() const override { return "redis-bgsave"; }
  const char* description() const override {
    return "A Redis server forks a child that saves the dataset at disk bandwidth while the parent serves writes; "
           "reports rdb_last_cow_size and latest_fork_usec as Redis computes them, peak memory, and the sizing rule "
           "dataset + write_rate x snapshot_duration (distinct pages) beside it";
  }
  void declare(ParamRegistry& r) override {
    r.add("dataset", dataset_, "bytes", "Memory holding the values (a multiple of 4 KiB)", kPageSize, uint64_t{1} << 46);
    r.add("value_size", value_size_, "bytes", "Size of one value; each write rewrites one value in place (a multiple of 8)",
          8, uint64_t{1} << 30);
    r.add("write_rate", write_rate_, "ops/s", "SETs arriving per second (open loop), before, during and after the save",
          0, uint64_t{1} << 32);
    r.add("writes_before", writes_before_, "writes", "SETs served before the fork (latency baseline)", 0,
          uint64_t{1} << 32);
    r.add("writes_after", writes_after_, "writes", "SETs served after the save (the child reaped)", 0,
          uint64_t{1} << 32);
    r.add("distribution", distribution_,
          "Keys written: uniform, zipf (exponent zipf_s, hot keys scattered over memory), or distinct (every write a "
          "different key, in random order)",
          {"uniform", "zipf", "distinct"});
    r.add("zipf_s", zipf_s_, "", "Exponent of the zipf distribution (0.99 as YCSB)", 0.01, 10.0);
    r.add("disk_bandwidth", disk_bandwidth_, "bytes/s", "Rate at which the child writes the snapshot", 1 << 20,
          uint64_t{1} << 40);
    declare_thp(r, thp_, "the dataset");
  }

  ScenarioReport report(const ScenarioRun& run, trace::NameTable& names, const ScenarioContext& ctx) const override {
    ScenarioReport rep;
    auto& r = rep.results;
    const auto& s = run.stats;
    const nlohmann::json* f = fork_of(s, kSaver);
    uint64_t fork_cycles = f ? (*f)["cycles"].get<uint64_t>() : 0;
    uint64_t cow = smaps_sum_kb(snapshot_of(run, kCowLabel, kSaver), "Private_Dirty") * 1024;
    uint64_t distinct = distinct_pages_written(names, ctx);
    uint64_t peak = peak_memory_bytes(s);
    uint64_t writes = writes_during_save(ctx);
    std::string child = "processes." + std::to_string(kSaver) + ".";
    double save_s = (static_cast<double>(stat(s, child + "end_cycle")) - static_cast<double>(stat(s, child + "start_cycle"))) /
                    (ctx.frequency_mhz * 1e6);
    r["rdb_last_cow_size"] = cow;
    r["latest_fork_usec"] = fork_cycles / ctx.frequency_mhz;  // Redis: ustime() difference, whole µs
    r["fork"] = fork_results(s, ctx, kSaver);
    r["keys"] = keys();
    r["save_seconds"] = save_s;
    r["planned_save_seconds"] = static_cast<double>(dataset_) / static_cast<double>(disk_bandwidth_);
    r["writes_during_save"] = writes;
    r["distinct_pages_written"] = distinct;
    r["parent_cow_copy"] = stat(s, "processes.1.faults.cow_copy");
    r["parent_thp_copy"] = stat(s, "processes.1.faults.thp_copy");
    r["parent_bytes_copied"] = stat(s, "processes.1.faults.bytes_copied");
    r["peak_memory_bytes"] = peak;
    r["sizing_rule_bytes"] = dataset_ + distinct * kPage;
    r["sizing_rule_worst_case_bytes"] = dataset_ + writes * pages_per_write() * kPage;
    r["twice_dataset_bytes"] = 2 * dataset_;
    // SET latency (completion minus arrival, queueing included) from the span statistics.
    auto& lat = r["set_latency_usec"];
    std::string lines;
    for (const char* phase : {"before", "during", "after"}) {
      const std::string at = std::string("spans.") + kSet + "." + phase + ".";
      auto& l = lat[phase];
      l["count"] = stat(s, at + "count");
      for (const char* q : {"p50", "p99", "p999", "max"}) l[q] = ctx.usec(stat(s, at + q));
      lines += format("%s%s %llu: p50 %.1f p99 %.1f p999 %.1f max %.1f", *lines.c_str() ? "; " : "", phase,
                      (unsigned long long)l["count"].get<uint64_t>(), l["p50"].get<double>(), l["p99"].get<double>(),
                      l["p999"].get<double>(), l["max"].get<double>());
    }
    // kernel.cow.granularity=line: the parent's overlays (smaps "Overlay", also in its
    // Private_Dirty) are the save's extra memory beside the child's Private_Dirty.
    auto server = snapshot_of(run, kCowLabel, kServer);
    bool overlays = false;
    for (const auto& v : server)
      for (const auto& fld : v.fields) overlays |= fld.first == "Overlay";
    if (overlays) {
      uint64_t ov = smaps_sum_kb(server, "Overlay") * 1024;
      r["parent_overlay_bytes"] = ov;
      r["cow_extra_bytes"] = cow + ov;
      rep.lines.push_back(format("  overlays: the parent holds %s in overlays; extra memory of the save "
                                 "(rdb_last_cow_size + overlays) %s",
                                 bytes_text(ov).c_str(), bytes_text(cow + ov).c_str()));
    }
    rep.lines.push_back(format("redis-bgsave: %s dataset, %llu keys of %llu B; latest_fork_usec %llu",
                               bytes_text(dataset_).c_str(), (unsigned long long)keys(),
                               (unsigned long long)value_size_, (unsigned long long)(fork_cycles / ctx.frequency_mhz)));
    rep.lines.push_back(format("  save took %.3f s simulated (dataset / disk_bandwidth = %.3f s); %llu %s writes "
                               "during it touched %llu distinct pages",
                               save_s, r["planned_save_seconds"].get<double>(), (unsigned long long)writes,
                               distribution_.c_str(), (unsigned long long)distinct));
    rep.lines.push_back(format("  rdb_last_cow_size %llu (%s; child's Private_Dirty sum); the parent copied %s "
                               "(%llu 4 KiB and %llu 2 MiB CoW copies)",
                               (unsigned long long)cow, bytes_text(cow).c_str(),
                               bytes_text(r["parent_bytes_copied"].get<uint64_t>()).c_str(),
                               (unsigned long long)r["parent_cow_copy"].get<uint64_t>(),
                               (unsigned long long)r["parent_thp_copy"].get<uint64_t>()));
    rep.lines.push_back("  SET latency (us, arrival to completion) " + lines);
    rep.lines.push_back(format("  host memory: simulated peak %s; rule dataset + distinct pages written = %s; "
                               "2 x dataset = %s",
                               bytes_text(peak).c_str(), bytes_text(r["sizing_rule_bytes"].get<uint64_t>()).c_str(),
                               bytes_text(2 * dataset_).c_str()));
    return rep;
  }

 protected:
  void build(Program& p, const ScenarioContext& ctx) const override {
    require_multiple(name(), "dataset", dataset_, kPage, "4K");
    if (value_size_ % 8) require_multiple(name(), "value_size", value_size_, 8, "8");
    if (keys() == 0)
      throw InputError("scenario redis-bgsave: value_size (" + std::to_string(value_size_) +
                       ") is larger than the dataset (" + std::to_string(dataset_) + ")");
    uint64_t writes = writes_during_save(ctx);
    if (distribution_ == "distinct" && writes_before_ + writes + writes_after_ > keys())
      throw InputError("scenario redis-bgsave: distribution=distinct needs at most one write per key, but " +
                       std::to_string(writes_before_ + writes + writes_after_) +
                       " writes arrive (before, during and after the save) and there are " + std::to_string(keys()) +
                       " keys (lower write_rate, writes_before or writes_after, or raise dataset or disk_bandwidth)");
    if (write_rate_ == 0 && writes_before_ + writes_after_ > 0)
      throw InputError("scenario redis-bgsave: writes_before and writes_after need write_rate > 0");

    p.mmap_anon(kServer, kHeapBase, dataset_);
    advise_thp(p, thp_, kServer, kHeapBase, dataset_);
    p.roi_begin(kServer, "populate");
    p.write(kServer, kHeapBase, dataset_);
    p.roi_end(kServer, "populate");
    auto keys_of = std::make_shared<KeyChooser>(*this, ctx.seed);
    // SETs before the fork: the first arrives as the server is ready, then one every 1/write_rate.
    p.loop(writes_before_, [this, keys_of](uint64_t i, Iteration& out) {
      if (i == 0) out.span_begin(kServer, kSet);
      else out.span_begin(kServer, kSet, trace::kArriveAfter, gap_ns(i - 1));
      write_value(out, keys_of->key(i));
      out.span_end(kServer, kSet);
    });
    p.roi_begin(kServer, "fork");
    p.span_begin(kServer, kSave, trace::kSpanWindow);  // the save's SET arrivals count from here
    p.fork(kServer, kSaver);
    p.roi_end(kServer, "fork");
    p.roi_begin(kServer, "save");  // the save: the child's reads against the parent's writes

    // The child: read a chunk, then spend the time the disk takes to write it.
    uint64_t chunks = (dataset_ + kChunk - 1) / kChunk;
    p.loop(chunks, [this, ctx](uint64_t k, Iteration& out) {
      uint64_t start = k * kChunk, end = std::min(dataset_, start + kChunk);
      out.read(kSaver, kHeapBase + start, end - start);
      out.compute(kSaver, ctx.instructions(ctx.cycles_for(end, disk_bandwidth_) - ctx.cycles_for(start, disk_bandwidth_)));
    });
    p.await(kSaver, kWritesDone);
    p.snapshot(kSaver, kCowLabel);
    p.exit(kSaver);

    // The parent: write i arrives at (i + 1) / write_rate seconds after the fork began; when it
    // is still busy then (in fork(), a fault, an earlier SET) the SET waits.
    const uint64_t before = writes_before_;
    p.loop(writes, [this, keys_of, before](uint64_t i, Iteration& out) {
      out.span_begin(kServer, kSet, trace::kArriveAfter, gap_ns(i));
      write_value(out, keys_of->key(before + i));
      out.span_end(kServer, kSet);
    });
    p.post(kServer, kWritesDone);
    p.wait(kServer, kSaver);
    p.roi_end(kServer, "save");
    p.span_end(kServer, kSave);
    // SETs after the save: the first arrives as the child is reaped.
    const uint64_t first = before + writes;
    p.loop(writes_after_, [this, keys_of, first](uint64_t i, Iteration& out) {
      if (i == 0) out.span_begin(kServer, kSet);
      else out.span_begin(kServer, kSet, trace::kArriveAfter, gap_ns(i - 1));
      write_value(out, keys_of->key(first + i));
      out.span_end(kServer, kSet);
    });
    p.exit(kServer);
  }

 private:
  // The key of write i, in O(1) memory.
  class KeyChooser {
   public:
    KeyChooser(const RedisBgsave& s, uint64_t seed)
        : kind_(s.distribution_),
          rng_(derive_seed(seed, 1)),
          perm_(s.keys(), derive_seed(seed, 2)),
          zipf_(s.keys(), s.zipf_s_),
          keys_(s.keys()) {}
    uint64_t key(uint64_t i) {
      if (kind_ == "distinct") return perm_(i);
      if (kind_ == "zipf") return perm_(zipf_(rng_) - 1);
      return rng_.below(keys_);
    }

   private:
    std::string kind_;
    Rng rng_;
    Permutation perm_;
    Zipf zipf_;
    uint64_t keys_;
  };

  void write_value(RecordSink& out, uint64_t key) const {
    out.access(kServer, trace::Op::kWrite, kHeapBase + key * value_size_, value_size_, kLine);
  }
  uint64_t keys() const { return dataset_ / value_size_; }
  // Nanoseconds from arrival i to arrival i + 1 at write_rate: arrival i is at
  // floor((i + 1) x 1e9 / write_rate) ns, so the gaps add up without drift.
  uint64_t gap_ns(uint64_t i) const {
    auto at = [this](uint64_t k) {
      return static_cast<uint64_t>(static_cast<unsigned __int128>(k) * 1'000'000'000u / write_rate_);
    };
    return at(i + 1) - at(i);
  }
  uint64_t writes_during_save(const ScenarioContext&) const {
    unsigned __int128 w = static_cast<unsigned __int128>(write_rate_) * dataset_ / disk_bandwidth_;
    return static_cast<uint64_t>(w);
  }
  // Pages one write can touch at most (a value straddling page boundaries).
  uint64_t pages_per_write() const { return (value_size_ + kPage - 2) / kPage + 1; }

  // Pages of the dataset the parent writes during the save, counted on a bitmap of the
  // dataset's pages over a fresh stream: the "distinct pages" of the sizing rule.
  uint64_t distinct_pages_written(trace::NameTable& names, const ScenarioContext& ctx) const {
    std::vector<uint64_t> bits(dataset_ / kPage / 64 + 1);
    uint64_t count = 0;
    bool forked = false;
    auto stream = open(names, ctx);
    trace::Record rec;
    while (stream->next(rec)) {
      if (rec.pid != kServer) continue;
      if (rec.op == trace::Op::kFork) forked = true;
      if (rec.op == trace::Op::kSpanEnd && names[rec.name] == kSave) break;  // the save is over
      if (!forked || rec.op != trace::Op::kWrite) continue;
      uint64_t last = rec.addr + (rec.accesses() - 1) * rec.stride + rec.size - 1;
      for (uint64_t pg = (rec.addr - kHeapBase) / kPage; pg <= (last - kHeapBase) / kPage; ++pg) {
        uint64_t& w = bits[pg / 64];
        if (!(w >> (pg % 64) & 1)) ++count;
        w |= uint64_t{1} << (pg % 64);
      }
    }
    return count;
  }

  uint64_t dataset_ = uint64_t{1} << 30;
  uint64_t value_size_ = 200;
  uint64_t write_rate_ = 10000;
  uint64_t writes_before_ = 1000;
  uint64_t writes_after_ = 1000;
  std::string distribution_ = "uniform";
  double zipf_s_ = 0.99;
  uint64_t disk_bandwidth_ = uint64_t{500} << 20;
  std::string thp_ = "auto";
};

}  // namespace

std::unique_ptr<Scenario> make_redis_bgsave() { return std::make_unique<RedisBgsave>(); }

}  // namespace cowsim::scenario
