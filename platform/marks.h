// Regions of interest, warm-up and statistics snapshots (docs/statistics.md, "Regions of
// interest and warm-up"). At a `roi begin` mark the whole report is taken once into a
// StatBaseline; at `roi end` the report is written again minus that baseline. Nothing runs
// between marks, so a trace without marks costs nothing.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/stats.h"
#include "models/common/types.h"
#include "traces/trace_io.h"

namespace cowsim {

class Marks {
 public:
  // Writes every statistic at `now` (the host-time ones aside).
  using Report = std::function<void(StatSink&, Cycles now)>;

  // `warmup_name`: the name id of the warm-up mark WarmupStream inserts (kNoName: none).
  Marks(const trace::NameTable& names, uint32_t warmup_name, Report report);

  // A `roi begin`/`roi end` record (System::on_mark) or a `snapshot` (KernelModule's hook).
  void mark(const trace::Record& r, Cycles now, const std::string& where);

  bool warmed_up() const { return warmed_up_; }
  const StatBaseline& warmup() const { return warmup_; }

  // After the run: an open region is an error; else stats.json's `regions` and `snapshots`
  // sections, and the regions' bins in histograms.json.
  void finish(nlohmann::json& stats, nlohmann::json& histograms) const;

 private:
  struct Open {
    std::string name;
    StatBaseline base;
    Cycles begin;
  };

  const trace::NameTable& names_;
  uint32_t warmup_name_;
  Report report_;
  std::vector<std::unique_ptr<Open>> open_;
  nlohmann::json regions_ = nlohmann::json::object(), snapshots_ = nlohmann::json::object();
  nlohmann::json bins_ = nlohmann::json::object();
  StatBaseline warmup_;
  bool warmed_up_ = false;
};

// The records of `in`, with the warm-up mark (`roi begin` of `name`, an id no trace can
// spell) inserted after the record that completes the warm-up: the `records`-th record, or
// the `accesses`-th access in file order, a range record being split there. 0: no warm-up.
std::unique_ptr<trace::RecordStream> warmup_stream(std::unique_ptr<trace::RecordStream> in, uint64_t records,
                                                   uint64_t accesses, uint32_t name);

}  // namespace cowsim
