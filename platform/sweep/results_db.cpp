#include "platform/sweep/results_db.h"

#include <fstream>

#include <sqlite3.h>

#include "models/common/error.h"

namespace cowsim::sweep {
namespace {

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db) + " in " + sql);
  }
  ~Stmt() { sqlite3_finalize(s); }
};

std::string quote(const std::string& id) { return "\"" + id + "\""; }

}  // namespace

void flatten(const nlohmann::json& j, const std::string& prefix, std::vector<std::pair<std::string, double>>& out) {
  auto key = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) flatten(it.value(), key(it.key()), out);
  else if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) flatten(j[i], key(std::to_string(i)), out);
  else if (j.is_number())
    out.push_back({prefix, j.get<double>()});
}

ResultsDb::ResultsDb(const std::string& path) : path_(path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw InputError(path + ": cannot open the results database");
  sqlite3_busy_timeout(db_, 60000);
  exec("PRAGMA journal_mode=WAL");
}

ResultsDb::~ResultsDb() { sqlite3_close(db_); }

void ResultsDb::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(path_ + ": sqlite: " + m + " in " + sql);
  }
}

void ResultsDb::begin_sweep(const Spec& spec) {
  exec("BEGIN IMMEDIATE");
  exec("CREATE TABLE IF NOT EXISTS points(id TEXT PRIMARY KEY, status TEXT, exit_code INTEGER, host_seconds REAL, "
       "peak_rss_kib INTEGER, stderr_tail TEXT, config_json TEXT, out_dir TEXT)");
  exec("CREATE TABLE IF NOT EXISTS axes(position INTEGER PRIMARY KEY, name TEXT, column_name TEXT)");
  exec("CREATE TABLE IF NOT EXISTS stats(point TEXT, key TEXT, value REAL, PRIMARY KEY(point, key))");
  exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)");
  std::set<std::string> columns;
  {
    Stmt st(db_, "PRAGMA table_info(points)");
    while (sqlite3_step(st.s) == SQLITE_ROW) columns.insert(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1)));
  }
  for (const auto& a : spec.axes)
    if (!columns.count(a.column)) exec("ALTER TABLE points ADD COLUMN " + quote(a.column));
  // The axes of the latest SPEC; points of an earlier SPEC keep their columns (NULL for new axes).
  exec("DELETE FROM axes");
  for (size_t i = 0; i < spec.axes.size(); ++i) {
    Stmt st(db_, "INSERT INTO axes VALUES(?,?,?)");
    sqlite3_bind_int(st.s, 1, static_cast<int>(i));
    sqlite3_bind_text(st.s, 2, spec.axes[i].name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.s, 3, spec.axes[i].column.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(st.s);
  }
  for (const auto& kv : std::vector<std::pair<std::string, std::string>>{{"spec", spec.text}, {"cowsim_version", "0.1.0"}}) {
    Stmt st(db_, "INSERT OR REPLACE INTO meta VALUES(?,?)");
    sqlite3_bind_text(st.s, 1, kv.first.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.s, 2, kv.second.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(st.s);
  }
  exec("COMMIT");
}

std::set<std::string> ResultsDb::recorded() {
  std::set<std::string> ids;
  Stmt st(db_, "SELECT id FROM points");
  while (sqlite3_step(st.s) == SQLITE_ROW) ids.insert(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)));
  return ids;
}

void ResultsDb::record(const Spec& spec, const Point& p, const std::string& out_dir, const PointResult& r) {
  std::vector<std::pair<std::string, double>> stats;
  if (r.status == "done") {
    std::ifstream f(out_dir + "/stats.json");
    if (f) flatten(nlohmann::json::parse(f), "", stats);
  }
  nlohmann::json cfg = {{"run_args", p.run_args}};
  for (size_t a = 0; a < spec.axes.size(); ++a) cfg["axes"][spec.axes[a].name] = p.values[a];
  std::string sql = "INSERT OR REPLACE INTO points(id,status,exit_code,host_seconds,peak_rss_kib,stderr_tail,config_json,out_dir";
  for (const auto& a : spec.axes) sql += "," + quote(a.column);
  sql += ") VALUES(?,?,?,?,?,?,?,?";
  for (size_t a = 0; a < spec.axes.size(); ++a) sql += ",?";
  sql += ")";
  exec("BEGIN IMMEDIATE");
  try {
    {
      Stmt st(db_, sql);
      sqlite3_bind_text(st.s, 1, p.id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 2, r.status.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(st.s, 3, r.exit_code);
      sqlite3_bind_double(st.s, 4, r.host_seconds);
      sqlite3_bind_int64(st.s, 5, r.peak_rss_kib);
      sqlite3_bind_text(st.s, 6, r.stderr_tail.c_str(), -1, SQLITE_TRANSIENT);
      std::string cj = cfg.dump();
      sqlite3_bind_text(st.s, 7, cj.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 8, out_dir.c_str(), -1, SQLITE_TRANSIENT);
      for (size_t a = 0; a < spec.axes.size(); ++a) {
        // Numbers as numbers, so SQL and pandas compare and sort them as such.
        const std::string& v = p.values[a];
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        long long i = std::strtoll(v.c_str(), &end, 10);
        if (!v.empty() && *end == 0) sqlite3_bind_int64(st.s, 9 + static_cast<int>(a), i);
        else if (!v.empty() && (std::strtod(v.c_str(), &end), *end == 0)) sqlite3_bind_double(st.s, 9 + static_cast<int>(a), d);
        else sqlite3_bind_text(st.s, 9 + static_cast<int>(a), v.c_str(), -1, SQLITE_TRANSIENT);
      }
      if (sqlite3_step(st.s) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
    }
    Stmt del(db_, "DELETE FROM stats WHERE point=?");
    sqlite3_bind_text(del.s, 1, p.id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(del.s);
    Stmt st(db_, "INSERT OR REPLACE INTO stats VALUES(?,?,?)");
    for (const auto& kv : stats) {
      sqlite3_reset(st.s);
      sqlite3_bind_text(st.s, 1, p.id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 2, kv.first.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_double(st.s, 3, kv.second);
      if (sqlite3_step(st.s) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
    }
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
  exec("COMMIT");
}

}  // namespace cowsim::sweep
