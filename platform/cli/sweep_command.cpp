// `cowsim sweep`, `cowsim results` and `cowsim compare` (docs/sweeps.md).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "models/common/error.h"
#include "platform/cli/commands.h"
#include "platform/sweep/results_db.h"
#include "platform/sweep/sweep_spec.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace cowsim::cli {
namespace {

using sweep::Point;
using sweep::PointResult;

std::string tail(const std::string& path, size_t bytes) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

struct Running {
  const Point* point;
  std::chrono::steady_clock::time_point start;
};

// Runs `points` as `cowsim run` children, at most `jobs` at once, recording each as it ends.
using OnDone = std::function<void(const Point&, const std::string&, const PointResult&)>;

void run_local(const std::vector<const Point*>& points, const std::string& out, int jobs, const OnDone& on_done,
               bool quiet) {
  std::map<pid_t, Running> running;
  size_t next = 0, done = 0, failed = 0;
  while (next < points.size() || !running.empty()) {
    while (next < points.size() && static_cast<int>(running.size()) < jobs) {
      const Point* p = points[next++];
      std::string dir = out + "/points/" + p->id;
      fs::remove_all(dir);
      fs::create_directories(dir);
      // The point's own files (run_args.json, stderr.txt) sit beside the run's results: the run
      // lock's file marks the folder as cowsim's, so `cowsim run` writes into it.
      std::ofstream(dir + "/.cowsim-lock");
      std::vector<std::string> args{"cowsim", "run"};
      args.insert(args.end(), p->run_args.begin(), p->run_args.end());
      args.insert(args.end(), {"--out", dir, "-q"});
      std::ofstream(dir + "/run_args.json") << nlohmann::json(args).dump(1) << "\n";
      pid_t pid = fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        int err = open((dir + "/stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        dup2(err, 2);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv("/proc/self/exe", argv.data());
        _exit(127);
      }
      running[pid] = Running{p, std::chrono::steady_clock::now()};
    }
    int status = 0;
    rusage ru{};
    pid_t pid = wait4(-1, &status, 0, &ru);
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const Point* p = it->second.point;
    std::string dir = out + "/points/" + p->id;
    PointResult r;
    r.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.start).count();
    r.peak_rss_kib = ru.ru_maxrss;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.status = r.exit_code == 0 && fs::exists(dir + "/stats.json") ? "done" : "failed";
    r.stderr_tail = tail(dir + "/stderr.txt", 2000);
    running.erase(it);
    on_done(*p, dir, r);
    (r.status == "done" ? done : failed)++;
    if (!quiet && isatty(1))
      std::cout << "\r" << done << " done, " << failed << " failed, " << points.size() << " to run" << std::flush;
  }
  if (!quiet && isatty(1)) std::cout << "\n";
}

std::vector<std::string> split_keys(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string k;
  while (std::getline(ss, k, ','))
    if (!k.empty()) out.push_back(k);
  return out;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string text_of(sqlite3_stmt* s, int col) {
  if (sqlite3_column_type(s, col) == SQLITE_NULL) return "";
  if (sqlite3_column_type(s, col) == SQLITE_FLOAT || sqlite3_column_type(s, col) == SQLITE_INTEGER) {
    std::ostringstream o;
    o << std::setprecision(17) << sqlite3_column_double(s, col);
    return o.str();
  }
  return reinterpret_cast<const char*>(sqlite3_column_text(s, col));
}

// One row per point: id, status, the axes, then `keys` (every statistic when empty).
void write_csv(const std::string& dir, const std::string& file, std::vector<std::string> keys) {
  std::string path = dir + "/results.sqlite";
  if (!fs::exists(path)) throw InputError(path + ": no results database (run cowsim sweep first)");
  sweep::ResultsDb db(path);
  sqlite3* h = db.handle();
  std::vector<std::string> axes;
  {
    sqlite3_stmt* s;
    sqlite3_prepare_v2(h, "SELECT column_name FROM axes ORDER BY position", -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) axes.push_back(text_of(s, 0));
    sqlite3_finalize(s);
  }
  if (keys.empty()) {
    sqlite3_stmt* s;
    sqlite3_prepare_v2(h, "SELECT DISTINCT key FROM stats ORDER BY key", -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) keys.push_back(text_of(s, 0));
    sqlite3_finalize(s);
  }
  std::ofstream out(file);
  if (!out) throw InputError(file + ": cannot write");
  out << "id,status";
  for (const auto& a : axes) out << "," << csv_cell(a);
  for (const auto& k : keys) out << "," << csv_cell(k);
  out << "\n";
  std::string sql = "SELECT id,status";
  for (const auto& a : axes) sql += ",\"" + a + "\"";
  sql += " FROM points ORDER BY id";
  sqlite3_stmt* s;
  sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr);
  sqlite3_stmt* v;
  sqlite3_prepare_v2(h, "SELECT value FROM stats WHERE point=? AND key=?", -1, &v, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::string id = text_of(s, 0);
    out << csv_cell(id) << "," << text_of(s, 1);
    for (size_t a = 0; a < axes.size(); ++a) out << "," << csv_cell(text_of(s, 2 + static_cast<int>(a)));
    for (const auto& k : keys) {
      sqlite3_reset(v);
      sqlite3_bind_text(v, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(v, 2, k.c_str(), -1, SQLITE_TRANSIENT);
      out << "," << (sqlite3_step(v) == SQLITE_ROW ? text_of(v, 0) : "");
    }
    out << "\n";
  }
  sqlite3_finalize(v);
  sqlite3_finalize(s);
}

// A point run by a Slurm task: its result, for --collect to record (tasks never write the
// database: clusters share folders over NFS, where SQLite locking is unreliable).
void write_result(const std::string& dir, const PointResult& r) {
  nlohmann::json j = {{"status", r.status}, {"exit_code", r.exit_code}, {"host_seconds", r.host_seconds},
                      {"peak_rss_kib", r.peak_rss_kib}, {"stderr_tail", r.stderr_tail}};
  std::ofstream(dir + "/result.json.tmp") << j.dump(1) << "\n";
  fs::rename(dir + "/result.json.tmp", dir + "/result.json");
}

// Records every point of `points` whose Slurm task has finished; returns how many are still missing.
size_t collect(const sweep::Spec& spec, const std::vector<Point>& points, const std::string& out, sweep::ResultsDb& db) {
  std::set<std::string> have = db.recorded();
  size_t missing = 0;
  for (const auto& p : points) {
    if (have.count(p.id)) continue;
    std::string dir = out + "/points/" + p.id;
    std::ifstream f(dir + "/result.json");
    if (!f) { ++missing; continue; }
    nlohmann::json j = nlohmann::json::parse(f);
    PointResult r{j["status"], j["exit_code"], j["host_seconds"], j["peak_rss_kib"], j["stderr_tail"]};
    db.record(spec, p, dir, r);
  }
  return missing;
}

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string capture(const std::string& cmd, int* rc) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) throw std::runtime_error("cannot run " + cmd);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  *rc = pclose(f);
  return out;
}

}  // namespace

int sweep_cmd(const Args& args) {
  po::options_description o("sweep options");
  o.add_options()("spec", po::value<std::string>()->required(), "the SPEC (YAML or JSON; docs/sweeps.md)")(
      "out", po::value<std::string>()->required(), "sweep folder: results.sqlite and points/<id>/")(
      "backend", po::value<std::string>()->default_value("local"), "local (child processes here) or slurm (sbatch --array)")(
      "detach", "slurm: submit and return; gather later with --collect")(
      "collect", "slurm: record the points whose tasks have finished")(
      "task", po::value<int>(), "internal: run chunk N of DIR/slurm/todo.txt (a Slurm array task)")(
      "jobs,j", po::value<int>()->default_value(static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))), "points run at once (local)")(
      "dry-run", "list the points (id and axis values) and run nothing")(
      "csv", po::value<std::string>(), "afterwards, write one row per point to FILE (see cowsim results)")(
      "keys", po::value<std::string>(), "statistics in the CSV, comma-separated (default: all)")(
      "quiet,q", "print nothing on success");
  po::positional_options_description pos;
  pos.add("spec", 1);
  po::variables_map vm;
  if (parse(args, "cowsim sweep SPEC --out DIR [--jobs N] [--dry-run] [--csv FILE [--keys K,...]]", o, vm, &pos)) return 0;
  std::string backend = vm["backend"].as<std::string>();
  if (backend != "local" && backend != "slurm") throw InputError("--backend must be local or slurm, not '" + backend + "'");
  int jobs = vm["jobs"].as<int>();
  if (jobs < 1) throw InputError("--jobs must be at least 1");
  bool quiet = vm.count("quiet") > 0;

  sweep::Spec spec = sweep::load_spec(vm["spec"].as<std::string>());
  std::vector<Point> points = sweep::expand(spec);
  if (points.empty()) throw InputError(spec.path + ":" + std::to_string(spec.where_line) + ": the where filter drops every point");
  sweep::validate(spec, points);  // before anything runs or is written
  std::string out = vm["out"].as<std::string>();

  if (vm.count("dry-run")) {
    std::cout << points.size() << " points\n";
    for (const auto& p : points) {
      std::cout << p.id;
      for (size_t a = 0; a < spec.axes.size(); ++a) std::cout << "  " << spec.axes[a].name << "=" << p.values[a];
      std::cout << "\n";
    }
    return 0;
  }
  if (vm.count("task")) {  // inside a Slurm array task: the chunk's points, results to files
    std::ifstream f(out + "/slurm/todo.txt");
    std::vector<std::string> ids;
    for (std::string id; f >> id;) ids.push_back(id);
    size_t chunk = spec.slurm.count("chunk") ? std::stoul(spec.slurm.at("chunk")) : 1;
    size_t first = static_cast<size_t>(vm["task"].as<int>()) * chunk;
    std::vector<const Point*> mine;
    for (size_t i = first; i < ids.size() && i < first + chunk; ++i)
      for (const auto& p : points)
        if (p.id == ids[i]) mine.push_back(&p);
    run_local(mine, out, 1, [](const Point&, const std::string& dir, const PointResult& r) { write_result(dir, r); }, true);
    return 0;
  }
  fs::create_directories(out + "/points");
  sweep::ResultsDb db(out + "/results.sqlite");
  db.begin_sweep(spec);
  if (vm.count("collect")) {
    size_t missing = collect(spec, points, out, db);
    if (!quiet) std::cout << points.size() - missing << " of " << points.size() << " points recorded\n";
    if (vm.count("csv")) write_csv(out, vm["csv"].as<std::string>(), split_keys(vm.count("keys") ? vm["keys"].as<std::string>() : ""));
    return missing ? 3 : 0;
  }
  std::set<std::string> have = db.recorded();
  std::vector<const Point*> todo;
  for (const auto& p : points)
    if (!have.count(p.id)) todo.push_back(&p);
  if (!quiet)
    std::cout << points.size() << " points, " << points.size() - todo.size() << " already recorded, running "
              << todo.size() << " with " << jobs << " jobs\n";
  if (backend == "slurm") {
    if (todo.empty()) return 0;
    fs::create_directories(out + "/slurm");
    {
      std::ofstream t(out + "/slurm/todo.txt");
      for (const Point* p : todo) {
        t << p->id << "\n";
        fs::remove(out + "/points/" + p->id + "/result.json");
      }
    }
    size_t chunk = spec.slurm.count("chunk") ? std::stoul(spec.slurm.at("chunk")) : 1;
    size_t tasks = (todo.size() + chunk - 1) / chunk;
    std::string self = fs::canonical("/proc/self/exe").string();
    std::string spec_path = fs::absolute(spec.path).string(), out_abs = fs::absolute(out).string();
    std::ofstream js(out + "/slurm/job.sh");
    js << "#!/bin/sh\n#SBATCH --job-name=cowsim-sweep\n#SBATCH --array=0-" << tasks - 1 << "\n"
       << "#SBATCH --output=" << out_abs << "/slurm/task-%a.log\n";
    static const std::map<std::string, std::string> flags{{"partition", "--partition"}, {"time", "--time"},
                                                          {"cpus_per_task", "--cpus-per-task"}, {"mem", "--mem"},
                                                          {"account", "--account"}, {"qos", "--qos"}};
    for (const auto& kv : spec.slurm)
      if (flags.count(kv.first)) js << "#SBATCH " << flags.at(kv.first) << "=" << kv.second << "\n";
    js << "exec " << sh_quote(self) << " sweep " << sh_quote(spec_path) << " --out " << sh_quote(out_abs)
       << " --task \"$SLURM_ARRAY_TASK_ID\"\n";
    js.close();
    int rc = 0;
    std::string reply = capture("sbatch --parsable " + sh_quote(out_abs + "/slurm/job.sh") + " 2>&1", &rc);
    if (rc != 0) throw InputError("sbatch failed: " + reply);
    std::string job = reply.substr(0, reply.find_first_of(";\n"));
    std::ofstream(out + "/slurm/job_id") << job << "\n";
    if (!quiet) std::cout << "submitted Slurm job " << job << " (" << tasks << " tasks)\n";
    if (vm.count("detach")) {
      if (!quiet) std::cout << "gather the results with: cowsim sweep " << spec.path << " --out " << out << " --collect\n";
      return 0;
    }
    for (;;) {  // until the array has left the queue
      std::string q = capture("squeue -h -j " + job + " 2>/dev/null", &rc);
      if (rc == 0 && q.find_first_not_of(" \n") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    size_t missing = collect(spec, points, out, db);
    if (missing) std::cerr << "cowsim sweep: " << missing << " points have no result (see " << out << "/slurm/task-*.log)\n";
  } else {
    run_local(todo, out, jobs, [&](const Point& p, const std::string& dir, const PointResult& r) { db.record(spec, p, dir, r); },
              quiet);
  }
  if (vm.count("csv")) write_csv(out, vm["csv"].as<std::string>(), split_keys(vm.count("keys") ? vm["keys"].as<std::string>() : ""));
  if (!quiet) std::cout << "results in " << out << "/results.sqlite\n";
  return 0;
}

int results(const Args& args) {
  po::options_description o("results options");
  o.add_options()("dir", po::value<std::string>()->required(), "sweep folder")(
      "csv", po::value<std::string>()->required(), "CSV file to write: one row per point")(
      "keys", po::value<std::string>(), "statistics as columns, comma-separated (default: all)");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  if (parse(args, "cowsim results DIR --csv FILE [--keys K,...]", o, vm, &pos)) return 0;
  write_csv(vm["dir"].as<std::string>(), vm["csv"].as<std::string>(),
            split_keys(vm.count("keys") ? vm["keys"].as<std::string>() : ""));
  return 0;
}

int compare(const Args& args) {
  po::options_description o("compare options");
  o.add_options()("dirs", po::value<std::vector<std::string>>()->required(), "run folders (each with stats.json)")(
      "keys", po::value<std::string>(), "statistics to show, comma-separated (default: the headline ones)")(
      "json", "print JSON instead of a table");
  po::positional_options_description pos;
  pos.add("dirs", -1);
  po::variables_map vm;
  if (parse(args, "cowsim compare RUN_DIR RUN_DIR... [--keys K,...] [--json]", o, vm, &pos)) return 0;
  auto dirs = vm["dirs"].as<std::vector<std::string>>();
  std::vector<std::map<std::string, double>> runs;
  for (const auto& d : dirs) {
    std::ifstream f(d + "/stats.json");
    if (!f) throw InputError(d + "/stats.json: cannot read (is " + d + " a cowsim run folder?)");
    std::vector<std::pair<std::string, double>> flat;
    try {
      sweep::flatten(nlohmann::json::parse(f), "", flat);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(d + "/stats.json: not valid JSON: " + e.what());
    }
    runs.emplace_back(flat.begin(), flat.end());
  }
  std::vector<std::string> keys;
  if (vm.count("keys")) {
    keys = split_keys(vm["keys"].as<std::string>());
    for (const auto& k : keys) {
      bool any = false;
      for (const auto& r : runs) any |= r.count(k) > 0;
      if (!any) throw InputError("--keys: no run has a statistic '" + k + "'");
    }
  } else {
    // Headline: fork, faults by outcome, copies, latency percentiles, TLB misses, memory, time.
    std::set<std::string> seen;
    for (const auto& r : runs)
      for (const auto& kv : r) {
        const std::string& k = kv.first;
        bool head = k == "kernel.fork_calls" || k == "kernel.fork_cycles" || k == "sim.cycles" || k == "sim.seconds" ||
                    k == "sim.host_seconds" || k == "kernel.memory.frames_peak" || k == "kernel.tlb_shootdowns" ||
                    (k.rfind("kernel.faults.", 0) == 0 && (k.find(".latency.p50") != std::string::npos ||
                                                          k.find(".latency.p99") != std::string::npos ||
                                                          k.find(".latency.count") != std::string::npos)) ||
                    (k.rfind("cores.", 0) == 0 && (k.find(".walker.latency.p99") != std::string::npos ||
                                                  k.find(".tlb.stlb.misses") != std::string::npos)) ||
                    k.rfind("scenario.results.", 0) == 0 || (k.rfind("spans.", 0) == 0 && k.find(".p99") != std::string::npos) ||
                    (k.rfind("processes.", 0) == 0 && (k.find("faults.cow_copy") != std::string::npos ||
                                                      k.find("faults.pages_copied") != std::string::npos ||
                                                      k.find("Rss") != std::string::npos ||
                                                      k.find("Private_Dirty") != std::string::npos));
        if (head && seen.insert(k).second) keys.push_back(k);
      }
    std::sort(keys.begin(), keys.end());
  }
  if (vm.count("json")) {
    nlohmann::json j = {{"runs", dirs}, {"keys", nlohmann::json::object()}};
    for (const auto& k : keys) {
      nlohmann::json vals = nlohmann::json::array(), ratios = nlohmann::json::array();
      for (const auto& r : runs) {
        auto it = r.find(k);
        vals.push_back(it == r.end() ? nlohmann::json() : nlohmann::json(it->second));
        auto b = runs[0].find(k);
        ratios.push_back(it == r.end() || b == runs[0].end() || b->second == 0 ? nlohmann::json()
                                                                               : nlohmann::json(it->second / b->second));
      }
      j["keys"][k] = {{"values", vals}, {"ratio_to_first", ratios}};
    }
    std::cout << j.dump(1) << "\n";
    return 0;
  }
  size_t w = 10;
  for (const auto& k : keys) w = std::max(w, k.size());
  std::cout << std::left << std::setw(static_cast<int>(w)) << "statistic";
  for (size_t i = 0; i < dirs.size(); ++i) std::cout << "  " << std::right << std::setw(i ? 24 : 14) << dirs[i];
  std::cout << "\n";
  for (const auto& k : keys) {
    std::cout << std::left << std::setw(static_cast<int>(w)) << k;
    auto b = runs[0].find(k);
    for (size_t i = 0; i < runs.size(); ++i) {
      auto it = runs[i].find(k);
      std::ostringstream cell;
      if (it == runs[i].end()) cell << "-";
      else {
        cell << std::setprecision(6) << it->second;
        if (i && b != runs[0].end() && b->second != 0) cell << " (" << std::fixed << std::setprecision(2) << it->second / b->second << "x)";
      }
      std::cout << "  " << std::right << std::setw(i ? 24 : 14) << cell.str();
    }
    std::cout << "\n";
  }
  return 0;
}

}  // namespace cowsim::cli
