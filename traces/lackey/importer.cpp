#include "traces/lackey/importer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

#include "models/common/error.h"
#include "traces/format.h"
#include "traces/lackey/log_reader.h"
#include "traces/lackey/syscalls.h"

namespace cowsim::lackey {

namespace fs = std::filesystem;

namespace {

// Image pages closer than this are mapped as one range: fewer, more realistic VMAs (an
// executable's text is one mapping however few of its pages are touched).
constexpr uint64_t kBridgePages = 16;

struct Log {
  std::string path;
  LogHeader header;
  bool visited = false;
};

class NullSink : public RecordSink {
 public:
  void put(const trace::Record&) override {}
};

class WriterSink : public RecordSink {
 public:
  WriterSink(trace::RecordWriter& w, const trace::NameTable& names) : w_(w), names_(names) {}
  void put(const trace::Record& r) override { w_.write(r, names_); }

 private:
  trace::RecordWriter& w_;
  const trace::NameTable& names_;
};

std::map<uint32_t, Log> find_logs(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw InputError(dir + ": cannot open: " + ec.message());
  std::vector<std::string> paths;
  for (const auto& e : it) {
    const std::string name = e.path().filename().string();
    const std::string ext = e.path().extension().string();
    if (name.empty() || name[0] == '.' || ext == ".cwt" || ext == ".cwb" || ext == ".tmp") continue;
    if (!e.is_regular_file()) continue;
    paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  std::map<uint32_t, Log> logs;
  for (const auto& p : paths) {
    Log log{p, read_header(p)};
    auto [at, fresh] = logs.emplace(log.header.pid, log);
    if (!fresh) throw InputError(p + ": pid " + std::to_string(log.header.pid) + " also has a log in " + at->second.path);
  }
  if (logs.empty())
    throw InputError(dir + ": no Valgrind logs (capture with valgrind --tool=lackey --trace-mem=yes "
                           "--trace-syscalls=yes --log-file=" + dir + "/trace.%p PROGRAM)");
  return logs;
}

// Sorted, merged, small gaps bridged.
void finish_image(Image& im) {
  auto& r = im.preexisting;
  std::sort(r.begin(), r.end());
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& x : r) {
    if (!out.empty() && x.first <= out.back().second + kBridgePages) out.back().second = std::max(out.back().second, x.second);
    else out.push_back(x);
  }
  r = std::move(out);
}

class Importer {
 public:
  Importer(std::map<uint32_t, Log>& logs, Translation& t, RecordSink& sink, ImportReport& rep)
      : logs_(logs), t_(t), sink_(sink), rep_(rep) {}

  void run() {
    for (auto& [pid, log] : logs_) log.visited = false;
    for (auto& [pid, log] : logs_)
      if (!logs_.count(log.header.parent)) process(log, nullptr);
    for (auto& [pid, log] : logs_)
      if (!log.visited)
        throw InputError(log.path + ": its Parent PID is " + std::to_string(log.header.parent) + ", but " +
                         logs_.at(log.header.parent).path + " never forks pid " + std::to_string(pid) +
                         " (logs of different runs in one folder?)");
  }

 private:
  void process(Log& log, const PendingFork* fork) {
    log.visited = true;
    const uint32_t pid = log.header.pid;
    rep_.processes.emplace_back();
    const size_t index = rep_.processes.size() - 1;
    rep_.processes[index].parent = fork ? fork->parent : 0;
    std::vector<uint32_t> children;
    {
      ProcessTranslator tr(pid, log.path, fork != nullptr, fork ? fork->state : ProcessState{}, t_, sink_,
                           rep_.processes[index]);
      LogReader in(log.path);
      std::string_view text;
      bool terminated = true;
      while (in.next(text, terminated)) {
        const LogLine l = parse_line(text);
        // Valgrind prints a call's result on the same line once it returns; a successful
        // execve never returns, so its line is the last and has no newline. Any other line
        // without one was cut off.
        if (!terminated && !(l.kind == LineKind::kSyscall && l.sys.status == SyscallStatus::kOpen &&
                             (l.sys.nr == sys::kExecve || l.sys.nr == sys::kExecveat)))
          throw InputError(log.path + ":" + std::to_string(in.line_number()) +
                           ": truncated log: the last line ends without a newline ('" + trace::printable(text) + "')");
        tr.line(l, text, in.line_number());
      }
      tr.finish(in.line_number());
      children = tr.forked();
    }
    for (uint32_t c : children) {
      auto at = logs_.find(c);
      const PendingFork fork_of_c = std::move(t_.forks.at(c));
      t_.forks.erase(c);
      if (at == logs_.end()) {
        rep_.warnings.push_back(fork_of_c.where + ": pid " + std::to_string(pid) + " forks pid " + std::to_string(c) +
                                ", which has no log: it exits at once in the trace");
        trace::Record r;
        r.op = trace::Op::kExit;
        r.pid = c;
        sink_.put(r);
        ++rep_.processes[index].records;
        continue;
      }
      Log& child = at->second;
      if (child.header.parent != pid)
        throw InputError(fork_of_c.where + ": pid " + std::to_string(pid) + " forks pid " + std::to_string(c) +
                         ", but " + child.path + " says its Parent PID is " + std::to_string(child.header.parent));
      if (child.visited) throw InputError(fork_of_c.where + ": pid " + std::to_string(c) + " is forked twice");
      process(child, &fork_of_c);
    }
  }

  std::map<uint32_t, Log>& logs_;
  Translation& t_;
  RecordSink& sink_;
  ImportReport& rep_;
};

}  // namespace

ImportReport import_logs(const std::string& dir, trace::RecordWriter& writer, trace::NameTable& names,
                         const ImportOptions& options) {
  auto logs = find_logs(dir);
  Translation t;
  t.names = &names;
  t.options = options;

  // Pass 1: what each image had mapped before its log starts; every error is found here.
  ImportReport first;
  NullSink null;
  Importer(logs, t, null, first).run();
  for (Image& im : t.images) finish_image(im);

  // Pass 2: the records.
  ImportReport rep;
  rep.problems = std::move(t.problems);
  t.first_pass = false;
  t.next_image = 0;
  t.forks.clear();
  WriterSink sink(writer, names);
  Importer(logs, t, sink, rep).run();
  writer.finish();
  for (const Image& im : t.images) {
    rep.preexisting_ranges += im.preexisting.size();
    rep.preexisting_pages += im.pages;
  }
  for (const auto& p : rep.processes) rep.records += p.records;
  return rep;
}

ImportReport import_logs(const std::string& dir, const std::string& out, const ImportOptions& options) {
  const trace::Encoding encoding = trace::encoding_for_path(out);  // before anything is created
  const std::string tmp = out + ".tmp";
  std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
  if (!file) throw InputError(tmp + ": cannot create: " + std::strerror(errno));
  try {
    trace::NameTable names;
    auto writer = trace::make_writer(file, encoding);
    ImportReport rep = import_logs(dir, *writer, names, options);
    file.close();
    if (!file) throw InputError(tmp + ": write error: " + std::strerror(errno));
    if (std::rename(tmp.c_str(), out.c_str()) != 0)
      throw InputError(out + ": cannot rename " + tmp + " to it: " + std::strerror(errno));
    return rep;
  } catch (...) {
    const bool write_failed = !file;
    if (file.is_open()) file.close();
    std::remove(tmp.c_str());
    if (write_failed) throw InputError(tmp + ": write error (disk full?)");
    throw;
  }
}

void ImportReport::print_summary(std::ostream& out) const {
  std::vector<std::vector<std::string>> rows = {{"pid", "parent", "log", "lines", "loads", "stores", "modifies",
                                                 "instrs", "syscalls", "translated", "failed", "records",
                                                 "accesses"}};
  uint64_t outside = 0, after_exit = 0, late = 0;
  bool threads = false;
  for (const auto& p : processes) {
    rows.push_back({std::to_string(p.pid), p.parent ? std::to_string(p.parent) : "-",
                    fs::path(p.file).filename().string(), std::to_string(p.lines), std::to_string(p.loads),
                    std::to_string(p.stores), std::to_string(p.modifies), std::to_string(p.instructions),
                    std::to_string(p.syscalls), std::to_string(p.translated), std::to_string(p.failed),
                    std::to_string(p.records), std::to_string(p.accesses)});
    outside += p.outside_user_space;
    after_exit += p.after_exit;
    late += p.late_pages;
    threads = threads || p.threads;
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  out << "imported " << processes.size() << (processes.size() == 1 ? " process, " : " processes, ") << records
      << " records\n";
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string pad(width[i] - r[i].size(), ' ');
      line += i < 3 ? (i ? "  " : "") + r[i] + pad : "  " + pad + r[i];
    }
    out << line << '\n';
  }
  out << "mapped at program start (memory in use before the log begins: stack, executable, loader): "
      << preexisting_ranges << " ranges holding " << preexisting_pages << " accessed pages\n";
  if (late) out << "mapped on first use after an imported call had unmapped them: " << late << " pages\n";
  if (outside) out << "dropped: " << outside << " accesses outside user space (the vsyscall page)\n";
  if (after_exit) out << "dropped: " << after_exit << " lines after exit_group\n";
  if (threads) out << "note: threads found; each process's threads are one stream in the trace\n";
}

void ImportReport::print_problems(std::ostream& err) const {
  for (const auto& w : warnings) err << "warning: " << w << '\n';
  if (problems.count) {
    err << "unknown or malformed lines: " << problems.count << " (not imported)";
    err << (problems.count > problems.quoted.size() ? "; the first:\n" : ":\n");
    for (const auto& q : problems.quoted) err << "  " << q << '\n';
  }
}

}  // namespace cowsim::lackey
