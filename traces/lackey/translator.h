// Turns one process's Lackey log, line by line, into cowsim trace records (the rules are in
// docs/real-traces.md, "How a log becomes a trace"). The importer runs every log twice
// through a translator: the first pass only learns which pages each program image had
// mapped before its log starts; the second emits the records, with mappings for those
// pages first. Both passes make the same decisions, so they agree line for line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "traces/lackey/log_line.h"
#include "traces/lackey/process_state.h"
#include "traces/record.h"

namespace cowsim::lackey {

struct ImportOptions {
  bool fetches = false;  // instruction fetches as `x` records (else counted into `compute`)
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void put(const trace::Record& r) = 0;
};

// Counts for one process, shown by `cowsim import` and checked by the tests.
struct ProcessReport {
  uint32_t pid = 0, parent = 0;  // parent 0: a root (its parent was not traced)
  std::string file;
  uint64_t lines = 0, loads = 0, stores = 0, modifies = 0, instructions = 0;
  uint64_t syscalls = 0, translated = 0, failed = 0;  // failed calls change nothing
  uint64_t records = 0, accesses = 0;
  uint64_t outside_user_space = 0;  // accesses above user space (the vsyscall page), dropped
  uint64_t after_exit = 0;          // lines after exit_group, dropped
  uint64_t late_pages = 0;          // pages mapped on first access after a system call unmapped them
  bool exec = false, threads = false;
};

// Unknown or malformed lines: all counted, the first few quoted.
struct LineProblems {
  static constexpr size_t kQuoted = 5;
  uint64_t count = 0;
  std::vector<std::string> quoted;  // "FILE:LINE: why: 'text'"
  void add(const std::string& file, uint64_t line, const std::string& why, std::string_view text);
};

// One program image: a root process's, or one started by exec. `preexisting` holds the page
// ranges it had mapped before the log starts (the stack, the executable, ld.so, Valgrind's
// preloads), as found by the first pass: the second pass maps them when the image starts.
struct Image {
  std::vector<std::pair<uint64_t, uint64_t>> preexisting;  // [first, end) pages
  uint64_t pages = 0;  // pages accessed in them (the ranges bridge small gaps)
};

struct PendingFork {
  uint32_t parent = 0;
  bool vfork = false;
  ProcessState state;  // the parent's at the fork
  std::string where;   // FILE:LINE of the announcing line
};

// What the processes of one pass share.
struct Translation {
  trace::NameTable* names = nullptr;
  ImportOptions options;
  bool first_pass = true;
  std::vector<Image> images;  // filled by the first pass, read by the second
  uint32_t next_image = 0;
  std::map<uint32_t, PendingFork> forks;  // by child pid
  LineProblems problems;
};

class ProcessTranslator {
 public:
  // `start` is the parent's state for a forked process; a root starts a new image.
  ProcessTranslator(uint32_t pid, std::string file, bool forked, ProcessState start, Translation& t,
                    RecordSink& sink, ProcessReport& report);

  void line(const LogLine& l, std::string_view text, uint64_t lineno);
  // End of the log at line `last`: throws InputError if the process had not finished
  // (no exit_group, successful execve or Valgrind's closing "Exit code" line).
  void finish(uint64_t last);

  const ProcessState& state() const { return st_; }
  const std::vector<uint32_t>& forked() const { return forked_; }  // children, in fork order

 private:
  struct Pending {
    uint32_t tid = 0, nr = 0, child = 0;
    std::string name, args;
    uint64_t line = 0;
  };

  void flush_compute();
  void put(trace::Record r);
  void access(trace::Op op, uint64_t addr, uint32_t size);
  void ensure_mapped(uint64_t page, trace::Op op);
  void mark_preexisting(uint64_t first, uint64_t end);
  void cover(uint64_t first, uint64_t end);
  void start_image();

  void syscall(const Pending& c, bool has_result, bool ok, uint64_t value);
  void sys_mmap(const std::string_view* a, size_t n, uint64_t result);
  void sys_munmap(uint64_t addr, uint64_t len);
  void sys_mprotect(const std::string_view* a, size_t n);
  void sys_madvise(const std::string_view* a, size_t n);
  void sys_brk(uint64_t result);
  void sys_mremap(const std::string_view* a, size_t n, uint64_t result);
  void sys_fork(const Pending& c, const std::string_view* a, size_t n);
  void sys_wait4(uint64_t result);
  void sys_files(const Pending& c, const std::string_view* a, size_t n, uint64_t result);
  void exit_process();

  void map(uint64_t first, uint64_t end, const Mapping& m);  // emits mmap, records it
  void unmap(uint64_t first, uint64_t end);
  void malformed(const std::string& why);

  uint32_t pid_;
  std::string file_;
  Translation& t_;
  RecordSink& sink_;
  ProcessReport& rep_;
  ProcessState st_;
  uint64_t lineno_ = 0;
  std::string call_;           // the system call being translated, for messages
  uint64_t instructions_ = 0;  // fetched since the last record, for `compute`
  const RangeMap<Mapping>::Range* cached_ = nullptr;  // the mapped range of the last access
  std::vector<Pending> async_;  // calls waiting for their `... [async] -->` line, by thread
  Pending open_;                // the call waiting for its ` --> ` line (nr 0 and no name: none)
  bool has_open_ = false;
  bool expect_fork_return_;     // a forked child's log starts with the fork's result
  bool exited_ = false, clean_end_ = false;
  std::vector<uint32_t> forked_;
};

}  // namespace cowsim::lackey
