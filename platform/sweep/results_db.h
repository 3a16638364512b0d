// DIR/results.sqlite (schema in docs/sweeps.md; the report reads it, keep it stable).
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/sweep/sweep_spec.h"

struct sqlite3;

namespace cowsim::sweep {

struct PointResult {
  std::string status;  // "done" | "failed"
  int exit_code = 0;
  double host_seconds = 0;
  long peak_rss_kib = 0;
  std::string stderr_tail;
};

class ResultsDb {
 public:
  explicit ResultsDb(const std::string& path);
  ~ResultsDb();
  void begin_sweep(const Spec& spec);              // tables, axis columns, meta
  std::set<std::string> recorded();                // ids already in points
  // One transaction: the point's row and every numeric entry of its stats.json.
  void record(const Spec& spec, const Point& p, const std::string& out_dir, const PointResult& r);
  sqlite3* handle() { return db_; }

 private:
  void exec(const std::string& sql);
  sqlite3* db_ = nullptr;
  std::string path_;
};

// Every numeric entry of `j`, flattened with dots (list indices as numbers).
void flatten(const nlohmann::json& j, const std::string& prefix, std::vector<std::pair<std::string, double>>& out);

}  // namespace cowsim::sweep
