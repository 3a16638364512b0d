#include "traces/lackey/translator.h"

#include "models/common/error.h"
#include "traces/format.h"
#include "traces/lackey/syscalls.h"
#include "traces/validate.h"

namespace cowsim::lackey {

using trace::Op;
using trace::Record;

namespace {

uint8_t trace_prot(uint64_t prot) {
  const bool w = prot & sys::kProtWrite, x = prot & sys::kProtExec;
  if (w) return x ? trace::kProtRead | trace::kProtWrite | trace::kProtExec : trace::kProtRead | trace::kProtWrite;
  if (x) return trace::kProtRead | trace::kProtExec;
  return (prot & sys::kProtRead) ? trace::kProtRead : trace::kProtNone;
}

// A file name the trace format accepts: other bytes become '_', long paths keep their end.
std::string file_name(std::string path, uint64_t offset) {
  for (char& c : path)
    if (!trace::is_name_char(c)) c = '_';
  if (path.empty()) path = "_";
  if (offset != 0) path += "@" + std::to_string(offset);
  if (path.size() > trace::kMaxNameLength) path.erase(0, path.size() - trace::kMaxNameLength);
  return path;
}

Record record(Op op, uint64_t addr = 0, uint64_t len = 0) {
  Record r;
  r.op = op;
  r.addr = addr;
  r.len = len;
  return r;
}

}  // namespace

void LineProblems::add(const std::string& file, uint64_t line, const std::string& why, std::string_view text) {
  ++count;
  if (quoted.size() < kQuoted)
    quoted.push_back(file + ":" + std::to_string(line) + ": " + why + ": '" + trace::printable(text) + "'");
}

ProcessTranslator::ProcessTranslator(uint32_t pid, std::string file, bool forked, ProcessState start,
                                     Translation& t, RecordSink& sink, ProcessReport& report)
    : pid_(pid), file_(std::move(file)), t_(t), sink_(sink), rep_(report), st_(std::move(start)),
      expect_fork_return_(forked) {
  rep_.pid = pid;
  rep_.file = file_;
  if (!forked) start_image();
}

void ProcessTranslator::start_image() {
  st_.image = t_.next_image++;
  if (t_.first_pass) {
    t_.images.emplace_back();
    return;
  }
  // Map what the image had before its log starts. Private anonymous memory: the importer
  // cannot tell the executable's file pages from the stack's, and the model maps what the
  // trace says, so this is the closest it gets (docs/real-traces.md).
  Mapping m;
  m.prot = t_.options.fetches ? trace::kProtRead | trace::kProtWrite | trace::kProtExec
                              : trace::kProtRead | trace::kProtWrite;
  m.synthesised = true;
  for (const auto& [first, end] : t_.images.at(st_.image).preexisting) {
    Record r = record(Op::kMmap, first << kPageShift, (end - first) << kPageShift);
    r.prot = m.prot;
    put(r);
  }
}

void ProcessTranslator::malformed(const std::string& why) {
  if (t_.first_pass) t_.problems.add(file_, lineno_, why, call_);
}

void ProcessTranslator::put(Record r) {
  if (r.op != Op::kCompute) flush_compute();
  r.pid = pid_;
  if (auto p = trace::check_record(r)) {
    // Only nonsense system-call arguments get here; say which line had them.
    if (t_.first_pass)
      t_.problems.add(file_, lineno_, std::string("cannot translate into a valid ") + trace::op_name(r.op) +
                                          " record (" + p->rule + ")", call_);
    return;
  }
  ++rep_.records;
  rep_.accesses += r.accesses();
  sink_.put(r);
}

void ProcessTranslator::flush_compute() {
  if (instructions_ == 0) return;
  Record r = record(Op::kCompute, instructions_);
  instructions_ = 0;
  put(r);
}

void ProcessTranslator::line(const LogLine& l, std::string_view text, uint64_t lineno) {
  lineno_ = lineno;
  ++rep_.lines;
  if (l.kind == LineKind::kCommentary) {
    if (l.vg_pid != pid_) {
      if (t_.first_pass) t_.problems.add(file_, lineno, "Valgrind line of another pid", text);
    } else if (l.text.substr(0, 10) == "Exit code:") {
      clean_end_ = true;
    }
    return;
  }
  if (l.kind == LineKind::kUnknown) {
    if (t_.first_pass) t_.problems.add(file_, lineno, l.why, text);
    return;
  }
  const bool fork_return = expect_fork_return_ && l.kind == LineKind::kResult && !has_open_;
  expect_fork_return_ = false;
  if (exited_) {
    ++rep_.after_exit;
    return;
  }
  // A call left open that is not followed by its result: its result was never printed.
  if (has_open_ && l.kind != LineKind::kResult) {
    has_open_ = false;
    syscall(open_, false, false, 0);
  }
  switch (l.kind) {
    case LineKind::kFetch:
      ++rep_.instructions;
      if (t_.options.fetches) access(Op::kFetch, l.addr, l.size);
      else ++instructions_;
      return;
    case LineKind::kLoad:
      ++rep_.loads;
      access(Op::kRead, l.addr, l.size);
      return;
    case LineKind::kStore:
      ++rep_.stores;
      access(Op::kWrite, l.addr, l.size);
      return;
    case LineKind::kModify:
      ++rep_.modifies;
      access(Op::kRead, l.addr, l.size);
      access(Op::kWrite, l.addr, l.size);
      return;
    case LineKind::kResult:
      if (fork_return) return;  // the child's side of the fork that created it
      if (!has_open_) {
        if (t_.first_pass) t_.problems.add(file_, lineno, "system call result without a system call", text);
        return;
      }
      has_open_ = false;
      syscall(open_, true, l.sys.ok, l.sys.value);
      return;
    case LineKind::kSyscall:
      break;
    default:
      return;
  }
  const SyscallLine& s = l.sys;
  if (s.pid != pid_) {
    if (t_.first_pass) t_.problems.add(file_, lineno, "system call of another pid", text);
    return;
  }
  if (s.tid != 1 && s.tid != pid_) rep_.threads = true;
  if (s.status == SyscallStatus::kAsyncDone) {
    for (auto it = async_.begin(); it != async_.end(); ++it) {
      if (it->tid != s.tid || it->nr != s.nr) continue;
      Pending c = std::move(*it);
      async_.erase(it);
      syscall(c, true, s.ok, s.value);
      return;
    }
    if (t_.first_pass) t_.problems.add(file_, lineno, "asynchronous result without its system call", text);
    return;
  }
  Pending c{s.tid, s.nr, s.child, std::string(s.name), std::string(s.args), lineno};
  switch (s.status) {
    case SyscallStatus::kDone: syscall(c, true, s.ok, s.value); return;
    case SyscallStatus::kAsyncPending: async_.push_back(std::move(c)); return;
    case SyscallStatus::kOpen:
      open_ = std::move(c);
      has_open_ = true;
      return;
    default: return;
  }
}

void ProcessTranslator::access(Op op, uint64_t addr, uint32_t size) {
  if (size > trace::kMaxAccessSize || addr >= trace::kUserAddressLimit ||
      size > trace::kUserAddressLimit - addr) {
    ++rep_.outside_user_space;
    return;
  }
  ensure_mapped(page_of(addr), op);
  const uint64_t last = page_of(addr + size - 1);
  if (last != page_of(addr)) ensure_mapped(last, op);
  Record r = record(op, addr);
  r.size = size;
  put(r);
}

void ProcessTranslator::ensure_mapped(uint64_t page, Op op) {
  if (cached_ && cached_->first <= page && page < cached_->end) return;
  if ((cached_ = st_.mapped.find(page))) return;
  if (page < kMinMapPage) return;  // the model faults here, as Linux does
  if (st_.touched.find(page)) {
    // An imported call unmapped this page and the program still used it: something the
    // importer does not follow (shmat, a call of another thread) mapped it again.
    Mapping m;
    m.prot = op == Op::kFetch || t_.options.fetches
                 ? trace::kProtRead | trace::kProtWrite | trace::kProtExec
                 : trace::kProtRead | trace::kProtWrite;
    m.synthesised = true;
    ++rep_.late_pages;
    map(page, page + 1, m);
  } else {
    mark_preexisting(page, page + 1);
  }
  cached_ = st_.mapped.find(page);
}

// [first, end) is mapped from the image's start (the first pass notes it for the second).
void ProcessTranslator::mark_preexisting(uint64_t first, uint64_t end) {
  first = std::max(first, kMinMapPage);
  if (first >= end) return;
  if (t_.first_pass) {
    t_.images.at(st_.image).preexisting.emplace_back(first, end);
    t_.images.at(st_.image).pages += end - first;
  }
  Mapping m;
  m.prot = t_.options.fetches ? trace::kProtRead | trace::kProtWrite | trace::kProtExec
                              : trace::kProtRead | trace::kProtWrite;
  m.synthesised = true;
  st_.mapped.assign(first, end, m);
  cached_ = nullptr;
}

// A successful mprotect or madvise says every page of its range was mapped: pages no imported
// call touched belong to the image (the executable's RELRO, say); pages an imported call
// unmapped were mapped again by something the importer does not follow.
void ProcessTranslator::cover(uint64_t first, uint64_t end) {
  std::vector<std::pair<uint64_t, uint64_t>> holes;
  uint64_t at = first;
  st_.mapped.for_each(first, end, [&](uint64_t a, uint64_t b, const Mapping&) {
    if (a > at) holes.emplace_back(at, a);
    at = b;
  });
  if (at < end) holes.emplace_back(at, end);
  Mapping late;
  late.prot = trace::kProtRead | trace::kProtWrite;
  late.synthesised = true;
  for (auto [h0, h1] : holes) {
    std::vector<std::pair<uint64_t, uint64_t>> touched;
    st_.touched.for_each(h0, h1, [&](uint64_t a, uint64_t b, const Touched&) { touched.emplace_back(a, b); });
    uint64_t p = h0;
    for (auto [a, b] : touched) {
      mark_preexisting(p, a);
      rep_.late_pages += b - a;
      map(a, b, late);
      p = b;
    }
    mark_preexisting(p, h1);
  }
}

void ProcessTranslator::map(uint64_t first, uint64_t end, const Mapping& m) {
  Record r = record(Op::kMmap, first << kPageShift, (end - first) << kPageShift);
  r.prot = m.prot;
  r.flags = m.flags;
  r.name = (m.flags & trace::kMapFile) ? m.name : trace::kNoName;
  put(r);
  st_.mapped.assign(first, end, m);
  st_.touched.assign(first, end, Touched{});
  cached_ = nullptr;
}

void ProcessTranslator::unmap(uint64_t first, uint64_t end) {
  put(record(Op::kMunmap, first << kPageShift, (end - first) << kPageShift));
  st_.mapped.erase(first, end);
  st_.touched.assign(first, end, Touched{});
  cached_ = nullptr;
}

void ProcessTranslator::syscall(const Pending& c, bool has_result, bool ok, uint64_t value) {
  ++rep_.syscalls;
  const uint64_t saved_line = lineno_;
  lineno_ = c.line;
  call_ = c.name + " (" + c.args + ")";
  std::string_view args[6];
  const size_t n = split_args(c.args, args, 6);
  if (has_result && !ok) {
    ++rep_.failed;
  } else if (c.child != 0) {
    sys_fork(c, args, n);
  } else if (!has_result) {
    // Only a successful execve never returns; any other call without a result did nothing
    // the importer could see.
    if (c.nr == sys::kExecve || c.nr == sys::kExecveat) {
      put(record(Op::kExec));
      ++rep_.translated;
      rep_.exec = true;
      st_.mapped.clear();
      st_.touched.clear();
      st_.brk = 0;
      cached_ = nullptr;
      start_image();
    }
  } else {
    const uint64_t before = rep_.records;
    switch (c.nr) {
      case sys::kMmap: sys_mmap(args, n, value); break;
      case sys::kMunmap: {
        uint64_t addr, len;
        if (n >= 2 && parse_arg(args[0], addr) && parse_arg(args[1], len) && addr % kPageSize == 0)
          sys_munmap(addr, len);
        else
          malformed("bad munmap arguments");
        break;
      }
      case sys::kMprotect: sys_mprotect(args, n); break;
      case sys::kMadvise: sys_madvise(args, n); break;
      case sys::kBrk: sys_brk(value); break;
      case sys::kMremap: sys_mremap(args, n, value); break;
      case sys::kWait4: sys_wait4(value); break;
      case sys::kExitGroup: exit_process(); break;
      case sys::kClone:
      case sys::kFork:
      case sys::kVfork: {
        uint64_t flags = 0;
        if (c.nr == sys::kClone && n >= 1 && parse_hex_arg(args[0], flags) && (flags & sys::kCloneThread))
          rep_.threads = true;  // a thread: its accesses are in this log, its process is this one
        break;
      }
      default: sys_files(c, args, n, value); break;
    }
    if (rep_.records != before) ++rep_.translated;
  }
  lineno_ = saved_line;
}

void ProcessTranslator::sys_mmap(const std::string_view* a, size_t n, uint64_t result) {
  uint64_t len, prot, flags, fd, offset;
  if (n < 6 || !parse_arg(a[1], len) || !parse_arg(a[2], prot) || !parse_arg(a[3], flags) ||
      !parse_arg(a[4], fd) || !parse_arg(a[5], offset) || len == 0 || result % kPageSize != 0)
    return malformed("bad mmap arguments");
  Mapping m;
  m.prot = trace_prot(prot);
  const bool shared = (flags & sys::kMapSharedValidate) == sys::kMapShared ||
                      (flags & sys::kMapSharedValidate) == sys::kMapSharedValidate;
  if (shared) m.flags |= trace::kMapShared;
  if (!(flags & sys::kMapAnonymous)) {
    auto it = st_.files.find(fd & 0xffffffff);
    std::string path = it != st_.files.end() ? it->second : "fd" + std::to_string(fd & 0xffffffff);
    m.flags |= trace::kMapFile;
    m.name = t_.names->intern(file_name(path, offset));
  } else if ((flags & sys::kMapHugetlb) && ((flags >> sys::kMapHugeShift) & sys::kMapHugeMask) == 30) {
    m.flags |= trace::kMapHuge1G;  // MAP_HUGE_1GB; 2 MiB hugetlb pages map as ordinary memory
  }
  const uint64_t first = page_of(result);
  map(first, first + pages_for(len), m);
}

void ProcessTranslator::sys_munmap(uint64_t addr, uint64_t len) {
  if (len == 0) return;
  const uint64_t first = page_of(addr);
  unmap(first, first + pages_for(len));
}

void ProcessTranslator::sys_mprotect(const std::string_view* a, size_t n) {
  uint64_t addr, len, prot;
  if (n < 3 || !parse_arg(a[0], addr) || !parse_arg(a[1], len) || !parse_arg(a[2], prot) || addr % kPageSize)
    return malformed("bad mprotect arguments");
  if (len == 0) return;
  const uint64_t first = page_of(addr), end = first + pages_for(len);
  cover(first, end);
  Record r = record(Op::kMprotect, addr, (end - first) << kPageShift);
  r.prot = trace_prot(prot);
  put(r);
  std::vector<RangeMap<Mapping>::Range> parts;
  st_.mapped.for_each(first, end, [&](uint64_t a0, uint64_t b0, const Mapping& m) { parts.push_back({a0, b0, m}); });
  for (auto& p : parts) {
    p.value.prot = r.prot;
    st_.mapped.assign(p.first, p.end, p.value);
  }
  cached_ = nullptr;
}

void ProcessTranslator::sys_madvise(const std::string_view* a, size_t n) {
  uint64_t addr, len, advice;
  if (n < 3 || !parse_arg(a[0], addr) || !parse_arg(a[1], len) || !parse_arg(a[2], advice) || addr % kPageSize)
    return malformed("bad madvise arguments");
  trace::Advice adv;
  switch (advice) {
    case sys::kMadvDontneed: adv = trace::Advice::kDontneed; break;
    case sys::kMadvDontfork: adv = trace::Advice::kDontfork; break;
    case sys::kMadvDofork: adv = trace::Advice::kDofork; break;
    case sys::kMadvHugepage: adv = trace::Advice::kHugepage; break;
    case sys::kMadvNohugepage: adv = trace::Advice::kNohugepage; break;
    case sys::kMadvWipeonfork: adv = trace::Advice::kWipeonfork; break;
    case sys::kMadvKeeponfork: adv = trace::Advice::kKeeponfork; break;
    default: return;  // no effect in the model (WILLNEED, SEQUENTIAL, FREE without memory pressure, ...)
  }
  if (len == 0) return;
  const uint64_t first = page_of(addr), end = first + pages_for(len);
  cover(first, end);
  Record r = record(Op::kMadvise, addr, (end - first) << kPageShift);
  r.advice = adv;
  put(r);
}

void ProcessTranslator::sys_brk(uint64_t result) {
  // brk has no trace record: growing the break maps the pages between the old and the new
  // break (private anonymous, as the heap is), shrinking unmaps them.
  if (st_.brk == 0) {
    st_.brk = result;
    return;
  }
  const uint64_t old_end = pages_for(st_.brk), new_end = pages_for(result);
  st_.brk = result;
  Mapping m;
  m.prot = trace::kProtRead | trace::kProtWrite;
  if (new_end > old_end) map(old_end, new_end, m);
  else if (new_end < old_end) unmap(new_end, old_end);
}

void ProcessTranslator::sys_mremap(const std::string_view* a, size_t n, uint64_t result) {
  uint64_t old_addr, old_len, new_len;
  if (n < 3 || !parse_arg(a[0], old_addr) || !parse_arg(a[1], old_len) || !parse_arg(a[2], new_len) ||
      old_addr % kPageSize || result % kPageSize || new_len == 0)
    return malformed("bad mremap arguments");
  // mremap has no trace record either: the new range is mapped like the old one and the
  // old one unmapped. The model then faults the moved pages in again (Linux moves the
  // page-table entries instead): docs/real-traces.md.
  const uint64_t first = page_of(old_addr), old_end = first + pages_for(old_len);
  const auto* at = st_.mapped.find(first);
  Mapping m;
  if (at) {
    m = at->value;
    m.synthesised = false;
  } else {
    m.prot = trace::kProtRead | trace::kProtWrite;
  }
  const uint64_t dest = page_of(result), dest_end = dest + pages_for(new_len);
  if (dest == first) {
    if (dest_end > old_end) map(old_end, dest_end, m);
    else if (dest_end < old_end) unmap(dest_end, old_end);
    return;
  }
  if (old_len != 0) unmap(first, old_end);
  map(dest, dest_end, m);
}

void ProcessTranslator::sys_fork(const Pending& c, const std::string_view* a, size_t n) {
  if (t_.forks.count(c.child) || c.child == pid_) return malformed("pid " + std::to_string(c.child) + " is created twice");
  uint64_t flags = 0;
  const bool vfork = c.nr == sys::kVfork ||
                     (c.nr == sys::kClone && n >= 1 && parse_hex_arg(a[0], flags) && (flags & sys::kCloneVfork));
  Record r = record(vfork ? Op::kVfork : Op::kFork, c.child);
  put(r);
  ++rep_.translated;
  st_.children.push_back(c.child);
  forked_.push_back(c.child);
  PendingFork f;
  f.parent = pid_;
  f.vfork = vfork;
  f.state = st_;
  f.state.children.clear();
  f.where = file_ + ":" + std::to_string(c.line);
  t_.forks[c.child] = std::move(f);
}

void ProcessTranslator::sys_wait4(uint64_t result) {
  for (auto it = st_.children.begin(); it != st_.children.end(); ++it) {
    if (*it != result) continue;
    st_.children.erase(it);
    put(record(Op::kWait, result));
    return;
  }
}

void ProcessTranslator::sys_files(const Pending& c, const std::string_view* a, size_t n, uint64_t result) {
  // Which file each descriptor names, so file mappings get the file's name.
  uint64_t fd;
  switch (c.nr) {
    case sys::kOpen:
    case sys::kCreat:
      if (n >= 1) st_.files[result] = std::string(arg_string(a[0]));
      break;
    case sys::kOpenat:
      if (n >= 2) st_.files[result] = std::string(arg_string(a[1]));
      break;
    case sys::kMemfdCreate:
      if (n >= 1) st_.files[result] = "memfd:" + std::string(arg_string(a[0]));
      break;
    case sys::kClose:
      if (n >= 1 && parse_arg(a[0], fd)) st_.files.erase(fd);
      break;
    case sys::kDup:
    case sys::kDup2:
    case sys::kDup3:
      if (n >= 1 && parse_arg(a[0], fd)) {
        auto it = st_.files.find(fd);
        if (it != st_.files.end()) st_.files[result] = it->second;
        else st_.files.erase(result);
      }
      break;
    default: break;
  }
}

void ProcessTranslator::exit_process() {
  put(record(Op::kExit));
  exited_ = true;
}

void ProcessTranslator::finish(uint64_t last) {
  lineno_ = last;
  if (has_open_) {
    has_open_ = false;
    syscall(open_, false, false, 0);
  }
  if (exited_) return;
  if (!rep_.exec && !clean_end_)
    throw InputError(file_ + ":" + std::to_string(last) +
                     ": the log ends before its process does (no exit_group, no execve, no closing "
                     "'Exit code' line from Valgrind): truncated?");
  exit_process();
}

}  // namespace cowsim::lackey
