// cowsim-native-player: executes a cowsim text trace natively on this Linux host, so that
// the kernel model's results (cowsim run) can be compared with the real kernel's.
//
//   cowsim-native-player TRACE --out DIR [--verbose]   (--verbose: faults of each access record)
//
// Each trace pid becomes a real process: initial pids are children of the player, `fork C` is
// fork(2), `mmap` is mmap(2) with MAP_FIXED_NOREPLACE at the trace's address, `munmap`,
// `mprotect`, `madvise` are the real calls, `r`/`w` are volatile loads and stores, `exec`
// unmaps every trace mapping (emulated), `wait` is waitpid, `post`/`await` are futexes. The player
// writes:
//   DIR/minflt/<pid>               minor faults taken by the trace's own accesses
//   DIR/majflt/<pid>               major faults taken by them (expected 0)
//   DIR/smaps/<label>/<pid>.smaps  for each `snapshot`: /proc/<pid>/smaps of every live trace
//                                  process, restricted to the VMAs overlapping trace mappings
// Exit status: 0 done; 77 the trace cannot run natively here (reason on stderr, first line
// "SKIP: ..."); anything else an error (message on stderr). docs/validation.md explains the
// method, in particular how the faults of the player's own code are kept out of minflt.
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "traces/trace_io.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif

namespace {

using cowsim::trace::Advice;
using cowsim::trace::NameTable;
using cowsim::trace::Op;
using cowsim::trace::Record;

constexpr int kExitSkip = 77;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kHuge = 2ull << 20;
constexpr int kTimeoutSeconds = 30;

// ------------------------------------------------------------------ the plan (built before fork)

struct Step {
  Record r;
  uint32_t arg = 0;  // fork/wait: process index; post/await: event index; snapshot: label index; mmap: file index
  std::string where;  // "FILE:LINE" for messages
};

struct Range {
  uint64_t start, end;
};

struct Plan {
  std::vector<uint32_t> pids;               // process index -> trace pid
  std::vector<std::vector<Step>> steps;     // process index -> its records
  std::vector<bool> initial;                // started by the player, not forked
  std::vector<Range> trace_ranges;          // union of every mmap range of the trace, merged
  std::vector<std::string> labels;          // snapshot label index -> folder name (safe)
  std::vector<std::string> files;           // file index -> path
  std::vector<uint64_t> file_sizes;
  size_t events = 0;
  bool uses_hugepage = false;
};

// ------------------------------------------------------------------ shared state (MAP_SHARED)

enum ProcState : uint32_t { kNotStarted = 0, kAlive = 1, kExited = 2 };

struct alignas(64) ProcSlot {
  std::atomic<int32_t> realpid{0};
  std::atomic<uint32_t> state{kNotStarted};
  std::atomic<uint64_t> minflt{0}, majflt{0};
};

struct alignas(64) Shared {
  std::atomic<int> status{0};  // 0 running/ok, 1 error, 2 skip
  char message[4096] = {};
  std::atomic<uint32_t> snapshot_lock{0};
};

Plan plan;
Shared* shared = nullptr;
ProcSlot* slots = nullptr;
std::atomic<uint32_t>* events = nullptr;  // futex words, 1 = posted
uint32_t* label_uses = nullptr;           // per label: snapshots taken so far (under snapshot_lock)
std::string out_dir;
bool verbose = false;           // --verbose: faults of every access record on stderr
bool in_trace_process = false;
std::string tmp_dir;  // files for file= mappings; removed however the player ends  // in a trace process (not the player's first process)

// Per-process state. Each real process has its own copy (fork copies it); buffers are sized
// before the first fork so nothing is allocated during the run.
struct Self {
  size_t index = 0;   // process index of the trace pid this real process runs
  uint64_t minflt = 0, majflt = 0;
  uint8_t* scratch = nullptr;  // two written pages: target of the warm-up accesses
} self;

char* io_buf = nullptr;  // reading /proc files
size_t io_cap = 0;
char* out_buf = nullptr;  // filtered smaps text
size_t out_cap = 0;

// ------------------------------------------------------------------ errors

[[noreturn]] void fail(int kind, const char* fmt, ...) {
  char msg[sizeof shared->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (in_trace_process) {
    int expected = 0;
    if (shared->status.compare_exchange_strong(expected, kind)) {
      memcpy(shared->message, msg, sizeof msg);
    }
    _exit(kind == 2 ? kExitSkip : 1);
  }
  fprintf(stderr, "%s%s\n", kind == 2 ? "SKIP: " : "cowsim-native-player: ", msg);
  if (!tmp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tmp_dir, ec);
  }
  exit(kind == 2 ? kExitSkip : 1);
}
#define ERROR(...) fail(1, __VA_ARGS__)
#define SKIP(...) fail(2, __VA_ARGS__)

// ------------------------------------------------------------------ small I/O helpers (no allocation)

// Reads a whole file into io_buf; returns its length.
size_t read_file(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) ERROR("cannot open %s: %s", path, strerror(errno));
  size_t n = 0;
  for (;;) {
    if (n + 1 >= io_cap) ERROR("%s is larger than the %zu-byte buffer", path, io_cap);
    ssize_t k = read(fd, io_buf + n, io_cap - 1 - n);
    if (k < 0) {
      if (errno == EINTR) continue;
      ERROR("cannot read %s: %s", path, strerror(errno));
    }
    if (k == 0) break;
    n += size_t(k);
  }
  close(fd);
  io_buf[n] = 0;
  return n;
}

void write_file(const char* path, const char* data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ERROR("cannot create %s: %s", path, strerror(errno));
  while (len) {
    ssize_t k = write(fd, data, len);
    if (k < 0) {
      if (errno == EINTR) continue;
      ERROR("cannot write %s: %s", path, strerror(errno));
    }
    data += k;
    len -= size_t(k);
  }
  close(fd);
}

bool overlaps_trace(uint64_t start, uint64_t end) {
  for (const Range& r : plan.trace_ranges)
    if (start < r.end && r.start < end) return true;
  return false;
}

uint64_t parse_hex(const char*& p) {
  uint64_t v = 0;
  for (;; ++p) {
    char c = *p;
    if (c >= '0' && c <= '9') v = v << 4 | uint64_t(c - '0');
    else if (c >= 'a' && c <= 'f') v = v << 4 | uint64_t(c - 'a' + 10);
    else return v;
  }
}

// Calls fn(start, end, block, block_len) for each VMA block of the smaps text in io_buf.
template <class Fn>
void for_each_smaps_block(size_t len, Fn fn) {
  const char* p = io_buf;
  const char* end = io_buf + len;
  const char* block = nullptr;
  uint64_t bs = 0, be = 0;
  auto is_header = [](const char* l) { return (*l >= '0' && *l <= '9') || (*l >= 'a' && *l <= 'f'); };
  while (p < end) {
    const char* line = p;
    const char* nl = static_cast<const char*>(memchr(p, '\n', size_t(end - p)));
    p = nl ? nl + 1 : end;
    if (!is_header(line)) continue;
    if (block) fn(bs, be, block, size_t(line - block));
    block = line;
    const char* q = line;
    bs = parse_hex(q);
    ++q;  // '-'
    be = parse_hex(q);
  }
  if (block) fn(bs, be, block, size_t(end - block));
}

// ------------------------------------------------------------------ cross-process events

long futex(std::atomic<uint32_t>* addr, int op, uint32_t val) {
  struct timespec ts = {0, 50 * 1000 * 1000};  // re-check periodically
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), op, val, op == FUTEX_WAIT ? &ts : nullptr, nullptr, 0);
}

void post(uint32_t e) {
  events[e].store(1);
  futex(&events[e], FUTEX_WAKE, INT32_MAX);
}

void await(uint32_t e) {
  while (events[e].load() == 0) {
    if (shared->status.load() != 0) _exit(1);  // another process failed: give up
    futex(&events[e], FUTEX_WAIT, 0);
  }
}

// ------------------------------------------------------------------ snapshots

void lock_snapshots() {
  uint32_t expected = 0;
  while (!shared->snapshot_lock.compare_exchange_weak(expected, 1)) {
    expected = 0;
    futex(&shared->snapshot_lock, FUTEX_WAIT, 1);
  }
}
void unlock_snapshots() {
  shared->snapshot_lock.store(0);
  futex(&shared->snapshot_lock, FUTEX_WAKE, 1);
}

void snapshot(uint32_t label) {
  char dir[4096], path[4096 + 64];
  lock_snapshots();
  uint32_t use = ++label_uses[label];
  unlock_snapshots();
  if (use == 1) snprintf(dir, sizeof dir, "%s/smaps/%s", out_dir.c_str(), plan.labels[label].c_str());
  else snprintf(dir, sizeof dir, "%s/smaps/%s.%u", out_dir.c_str(), plan.labels[label].c_str(), use);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) ERROR("cannot create %s: %s", dir, strerror(errno));
  for (size_t i = 0; i < plan.pids.size(); ++i) {
    if (slots[i].state.load() != kAlive) continue;
    snprintf(path, sizeof path, "/proc/%d/smaps", slots[i].realpid.load());
    size_t len = read_file(path);
    size_t out = 0;
    for_each_smaps_block(len, [&](uint64_t s, uint64_t e, const char* text, size_t n) {
      if (!overlaps_trace(s, e)) return;
      if (out + n > out_cap) ERROR("filtered smaps larger than %zu bytes", out_cap);
      memcpy(out_buf + out, text, n);
      out += n;
    });
    snprintf(path, sizeof path, "%s/%u.smaps", dir, plan.pids[i]);
    write_file(path, out_buf, out);
  }
}

// ------------------------------------------------------------------ accesses

// The accesses of one record. noinline, and always reached through measure(), so that the
// warm-up call runs exactly the code and stack the measured call will use.
__attribute__((noinline)) void touch(bool write, uint64_t addr, uint64_t count, uint64_t stride, uint32_t size,
                                     uint8_t value) {
  uint64_t v8 = 0x0101010101010101ull * value;
  for (uint64_t i = 0; i < count; ++i) {
    uintptr_t a = uintptr_t(addr + i * stride);
    if (size == 8 && (a & 7) == 0) {
      if (write) *reinterpret_cast<volatile uint64_t*>(a) = v8;
      else (void)*reinterpret_cast<volatile uint64_t*>(a);
    } else if (size == 4 && (a & 3) == 0) {
      if (write) *reinterpret_cast<volatile uint32_t*>(a) = uint32_t(v8);
      else (void)*reinterpret_cast<volatile uint32_t*>(a);
    } else if (size == 2 && (a & 1) == 0) {
      if (write) *reinterpret_cast<volatile uint16_t*>(a) = uint16_t(v8);
      else (void)*reinterpret_cast<volatile uint16_t*>(a);
    } else {
      for (uint32_t b = 0; b < size; ++b) {
        if (write) reinterpret_cast<volatile uint8_t*>(a)[b] = value;
        else (void)reinterpret_cast<volatile uint8_t*>(a)[b];
      }
    }
  }
}

struct Faults {
  uint64_t minor, major;
};

__attribute__((noinline)) Faults measure(bool write, uint64_t addr, uint64_t count, uint64_t stride, uint32_t size) {
  struct rusage r0, r1;
  memset(&r0, 0, sizeof r0);  // make both buffers' stack pages present and writable first
  memset(&r1, 0, sizeof r1);
  getrusage(RUSAGE_SELF, &r0);
  touch(write, addr, count, stride, size, uint8_t(0x5a));
  getrusage(RUSAGE_SELF, &r1);
  return Faults{uint64_t(r1.ru_minflt - r0.ru_minflt), uint64_t(r1.ru_majflt - r0.ru_majflt)};
}

// Sum of AnonHugePages (kB) over this process's trace VMAs, and whether none of the 512 pages
// of the 2 MiB range at `haddr` is mapped (pagemap present bit).
uint64_t own_anon_huge_kb() {
  size_t len = read_file("/proc/self/smaps");
  uint64_t total = 0;
  for_each_smaps_block(len, [&](uint64_t s, uint64_t e, const char* text, size_t n) {
    if (!overlaps_trace(s, e)) return;
    const char* f = static_cast<const char*>(memmem(text, n, "\nAnonHugePages:", 15));
    if (f) total += strtoull(f + 15, nullptr, 10);
  });
  return total;
}

bool huge_range_untouched(uint64_t haddr) {
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint64_t entries[512];
  ssize_t k = pread(fd, entries, sizeof entries, off_t(haddr / kPage * 8));
  close(fd);
  if (k != ssize_t(sizeof entries)) return false;
  for (uint64_t e : entries)
    if (e & (1ull << 63)) return false;
  return true;
}

// Is the whole 2 MiB range at haddr inside one VMA of this process marked MADV_HUGEPAGE ("hg")?
bool huge_eligible(uint64_t haddr) {
  size_t len = read_file("/proc/self/smaps");
  bool ok = false;
  for_each_smaps_block(len, [&](uint64_t s, uint64_t e, const char* text, size_t n) {
    if (s > haddr || e < haddr + kHuge) return;
    const char* f = static_cast<const char*>(memmem(text, n, "\nVmFlags:", 9));
    if (!f) return;
    const char* nl = static_cast<const char*>(memchr(f + 1, '\n', size_t(text + n - f - 1)));
    size_t fl = size_t((nl ? nl : text + n) - f);
    if (memmem(f, fl, " hg", 3)) ok = true;
  });
  return ok;
}

void do_access(const Step& st) {
  const Record& r = st.r;
  bool write = r.op == Op::kWrite;
  uint64_t count = r.is_range() ? r.accesses() : 1;
  // THP scenarios: a first write to an untouched MADV_HUGEPAGE 2 MiB range must get a huge
  // page natively, else the host cannot run the scenario (THP off, or no free 2 MiB block).
  uint64_t fresh_huge = 0, huge_before = 0;
  if (write && plan.uses_hugepage) {
    uint64_t last = kHuge;  // no huge range yet (0 is never a trace address)
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t h = (r.addr + i * r.stride) & ~(kHuge - 1);
      if (h == last) continue;
      last = h;
      if (huge_eligible(h) && huge_range_untouched(h)) ++fresh_huge;
    }
    if (fresh_huge) huge_before = own_anon_huge_kb();
  }
  // Warm-up: the same code path on the process's own scratch pages, until it runs without a
  // fault (after fork, the stack and scratch pages are write-protected and text may be
  // unmapped in the child). Then the measured call can only fault on trace addresses.
  uint8_t* warm = self.scratch + (r.addr & (kPage - 1));
  for (int i = 0;; ++i) {
    Faults f = measure(write, uintptr_t(warm), 2, 0, r.size);
    if (f.minor == 0 && f.major == 0) break;
    if (i == 10) ERROR("%s: the warm-up access keeps faulting; cannot isolate the trace's faults", st.where.c_str());
  }
  Faults f = measure(write, r.addr, count, r.stride, r.size);
  self.minflt += f.minor;
  self.majflt += f.major;
  if (verbose) {
    char line[256];
    int n = snprintf(line, sizeof line, "%s: pid %u: %llu minor, %llu major faults\n", st.where.c_str(),
                     plan.pids[self.index], (unsigned long long)f.minor, (unsigned long long)f.major);
    if (::write(2, line, size_t(n)) < 0) {}
  }
  if (fresh_huge) {
    uint64_t gained = own_anon_huge_kb() - huge_before;
    if (gained < fresh_huge * 2048)
      SKIP("%s: first touch of %llu MADV_HUGEPAGE 2 MiB range(s) got %llu kB of huge pages natively, not %llu kB "
           "(THP disabled or no free 2 MiB block on this host)",
           st.where.c_str(), (unsigned long long)fresh_huge, (unsigned long long)gained,
           (unsigned long long)(fresh_huge * 2048));
  }
}

// ------------------------------------------------------------------ memory system calls

int prot_bits(uint8_t p) {
  return ((p & cowsim::trace::kProtRead) ? PROT_READ : 0) | ((p & cowsim::trace::kProtWrite) ? PROT_WRITE : 0) |
         ((p & cowsim::trace::kProtExec) ? PROT_EXEC : 0);
}

// Exact MAP_FIXED semantics are what the trace means, but MAP_FIXED could silently replace
// the player's own memory; so MAP_FIXED_NOREPLACE, and plain MAP_FIXED only when everything in
// the way is the trace's own mappings.
void do_mmap(const Step& st) {
  const Record& r = st.r;
  int flags = (r.flags & cowsim::trace::kMapShared) ? MAP_SHARED : MAP_PRIVATE;
  int fd = -1;
  if (r.flags & cowsim::trace::kMapFile) {
    fd = open(plan.files[st.arg].c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) ERROR("%s: cannot open %s: %s", st.where.c_str(), plan.files[st.arg].c_str(), strerror(errno));
  } else {
    flags |= MAP_ANONYMOUS;
  }
  if (r.flags & cowsim::trace::kMapHuge1G) flags |= MAP_HUGETLB | (30 << MAP_HUGE_SHIFT);  // MAP_HUGE_1GB
  void* want = reinterpret_cast<void*>(r.addr);
  void* got = mmap(want, r.len, prot_bits(r.prot), flags | MAP_FIXED_NOREPLACE, fd, 0);
  if (got == MAP_FAILED && errno == EEXIST) {
    // Something is mapped there: fine if it is only the trace's own memory.
    size_t len = read_file("/proc/self/maps");
    bool foreign = false;
    const char* p = io_buf;
    while (p < io_buf + len) {
      uint64_t s = parse_hex(p);
      ++p;
      uint64_t e = parse_hex(p);
      if (s < r.addr + r.len && r.addr < e) {
        for (const Range& t : plan.trace_ranges)
          if (s < t.end && t.start < e && !(s >= t.start && e <= t.end)) foreign = true;
        if (!overlaps_trace(s, e)) foreign = true;
      }
      const char* nl = static_cast<const char*>(memchr(p, '\n', size_t(io_buf + len - p)));
      p = nl ? nl + 1 : io_buf + len;
    }
    if (foreign) SKIP("%s: [0x%llx, 0x%llx) is occupied by the player's own memory on this host", st.where.c_str(),
                      (unsigned long long)r.addr, (unsigned long long)(r.addr + r.len));
    got = mmap(want, r.len, prot_bits(r.prot), flags | MAP_FIXED, fd, 0);
  }
  if (got == MAP_FAILED && (r.flags & cowsim::trace::kMapHuge1G))
    SKIP("%s: 1 GiB hugetlb mapping failed natively: %s (reserve pages in "
         "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)", st.where.c_str(), strerror(errno));
  if (got == MAP_FAILED) ERROR("%s: mmap failed: %s", st.where.c_str(), strerror(errno));
  if (got != want) {
    munmap(got, r.len);
    SKIP("%s: MAP_FIXED_NOREPLACE is not supported by this kernel (mmap returned another address)",
         st.where.c_str());
  }
  if (fd >= 0) close(fd);
}

void do_madvise(const Step& st) {
  const Record& r = st.r;
  int advice = 0;
  switch (r.advice) {
    case Advice::kDontfork: advice = MADV_DONTFORK; break;
    case Advice::kDofork: advice = MADV_DOFORK; break;
    case Advice::kWipeonfork: advice = MADV_WIPEONFORK; break;
    case Advice::kKeeponfork: advice = MADV_KEEPONFORK; break;
    case Advice::kHugepage: advice = MADV_HUGEPAGE; break;
    case Advice::kNohugepage: advice = MADV_NOHUGEPAGE; break;
    case Advice::kDontneed: advice = MADV_DONTNEED; break;
    default: ERROR("%s: unknown advice", st.where.c_str());
  }
  if (madvise(reinterpret_cast<void*>(r.addr), r.len, advice) != 0) {
    if (errno == EINVAL && (r.advice == Advice::kHugepage || r.advice == Advice::kNohugepage))
      SKIP("%s: madvise(%s) is not supported by this kernel", st.where.c_str(), advice_name(r.advice));
    if (errno == EINVAL && (r.advice == Advice::kWipeonfork || r.advice == Advice::kKeeponfork))
      SKIP("%s: madvise(%s) failed with EINVAL (unsupported, or not private anonymous memory)", st.where.c_str(),
           advice_name(r.advice));
    ERROR("%s: madvise(0x%llx, %llu, %s) failed: %s", st.where.c_str(), (unsigned long long)r.addr,
          (unsigned long long)r.len, advice_name(r.advice), strerror(errno));
  }
}

// exec is emulated: the process keeps running the player, but every mapping the trace could
// have made is removed, which is what exec does to the trace's memory.
void do_exec() {
  for (const Range& t : plan.trace_ranges)
    if (munmap(reinterpret_cast<void*>(t.start), t.end - t.start) != 0) ERROR("exec: munmap failed: %s", strerror(errno));
}

// ------------------------------------------------------------------ one trace process

// Both sides of a fork register the new process (whichever runs first); a process that has
// already run to its end must stay exited.
void register_process(ProcSlot& s, pid_t pid) {
  s.realpid.store(pid);
  uint32_t expected = kNotStarted;
  s.state.compare_exchange_strong(expected, kAlive);
}

[[noreturn]] void finish_process() {
  ProcSlot& s = slots[self.index];
  s.minflt.store(self.minflt);
  s.majflt.store(self.majflt);
  s.state.store(kExited);
  _exit(0);
}

[[noreturn]] void run_process(size_t index) {
  self.index = index;
  size_t i = 0;
  for (;;) {
    const std::vector<Step>& steps = plan.steps[self.index];
    if (i == steps.size()) finish_process();  // end of trace: as exit
    const Step& st = steps[i++];
    const Record& r = st.r;
    if (shared->status.load() != 0) _exit(1);
    switch (r.op) {
      case Op::kMmap: do_mmap(st); break;
      case Op::kMunmap:
        if (munmap(reinterpret_cast<void*>(r.addr), r.len) != 0) ERROR("%s: munmap failed: %s", st.where.c_str(), strerror(errno));
        break;
      case Op::kMprotect:
        if (mprotect(reinterpret_cast<void*>(r.addr), r.len, prot_bits(r.prot)) != 0)
          ERROR("%s: mprotect failed: %s", st.where.c_str(), strerror(errno));
        break;
      case Op::kMadvise: do_madvise(st); break;
      case Op::kRead:
      case Op::kWrite: do_access(st); break;
      case Op::kCompute: break;
      case Op::kRoiBegin:  // region marks only split cowsim's statistics
      case Op::kRoiEnd: break;
      case Op::kFork: {
        ProcSlot& child = slots[st.arg];
        pid_t pid = fork();
        if (pid < 0) ERROR("%s: fork failed: %s", st.where.c_str(), strerror(errno));
        if (pid == 0) {
          register_process(child, getpid());
          self.minflt = self.majflt = 0;  // the child's counters start at 0
          self.index = st.arg;
          i = 0;
          break;
        }
        // Registered before the parent goes on, so a snapshot right after fork sees the child.
        register_process(child, pid);
        break;
      }
      case Op::kWait: {
        int status;
        pid_t pid = slots[st.arg].realpid.load();
        while (waitpid(pid, &status, 0) < 0)
          if (errno != EINTR) ERROR("%s: waitpid failed: %s", st.where.c_str(), strerror(errno));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          if (shared->status.load() != 0) _exit(1);
          ERROR("%s: trace pid %u ended abnormally (%s %d)", st.where.c_str(), plan.pids[st.arg],
                WIFSIGNALED(status) ? "signal" : "exit code", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        }
        break;
      }
      case Op::kExec: do_exec(); break;
      case Op::kExit: finish_process();
      case Op::kCpu: {
        cpu_set_t set;
        CPU_ZERO(&set);
        if (r.addr < CPU_SETSIZE) {
          CPU_SET(r.addr, &set);
          (void)sched_setaffinity(0, sizeof set, &set);  // a core this host lacks: ignored
        }
        break;
      }
      case Op::kPost: post(st.arg); break;
      case Op::kAwait: await(st.arg); break;
      case Op::kSnapshot: snapshot(st.arg); break;
      default: ERROR("%s: unsupported record", st.where.c_str());
    }
  }
}

// ------------------------------------------------------------------ setup

std::string safe_name(const std::string& label) {  // as cowsim's outputs.cpp
  std::string s;
  for (char c : label) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

void build_plan(const std::string& path) {
  static NameTable names;
  std::unique_ptr<cowsim::trace::RecordStream> in;
  std::vector<Step> all;
  try {
    in = cowsim::trace::open_trace(path, names);
    Record r;
    while (in->next(r)) all.push_back(Step{r, 0, in->where()});
  } catch (const std::exception& e) {
    ERROR("%s", e.what());
  }
  std::map<uint32_t, size_t> index;
  std::map<uint32_t, size_t> forked;  // child pid -> where
  auto proc = [&](uint32_t pid) {
    auto it = index.find(pid);
    if (it != index.end()) return it->second;
    index[pid] = plan.pids.size();
    plan.pids.push_back(pid);
    plan.steps.emplace_back();
    plan.initial.push_back(true);
    return plan.pids.size() - 1;
  };
  std::map<uint32_t, uint32_t> event_of, label_of, file_of;
  auto intern = [](std::map<uint32_t, uint32_t>& m, uint32_t name) {
    auto it = m.find(name);
    if (it != m.end()) return it->second;
    uint32_t id = uint32_t(m.size());
    m[name] = id;
    return id;
  };
  std::vector<Range> ranges;
  for (Step& st : all) {
    const Record& r = st.r;
    size_t p = proc(r.pid);
    switch (r.op) {
      case Op::kFetch: SKIP("%s: instruction fetches ('x') are not supported natively", st.where.c_str());
      case Op::kVfork: SKIP("%s: vfork is not supported natively", st.where.c_str());
      case Op::kFork: {
        size_t c = proc(uint32_t(r.addr));
        if (forked.count(uint32_t(r.addr))) ERROR("%s: pid %llu is forked twice", st.where.c_str(), (unsigned long long)r.addr);
        if (!plan.steps[c].empty()) ERROR("%s: pid %llu has records before it is forked", st.where.c_str(), (unsigned long long)r.addr);
        forked[uint32_t(r.addr)] = p;
        plan.initial[c] = false;
        st.arg = uint32_t(c);
        break;
      }
      case Op::kWait: {
        auto it = forked.find(uint32_t(r.addr));
        if (it == forked.end() || it->second != p)
          ERROR("%s: pid %u waits for %llu, which it has not forked", st.where.c_str(), r.pid, (unsigned long long)r.addr);
        st.arg = uint32_t(proc(uint32_t(r.addr)));
        break;
      }
      case Op::kPost:
      case Op::kAwait: st.arg = intern(event_of, r.name); break;
      case Op::kSnapshot: {
        st.arg = intern(label_of, r.name);
        if (st.arg == plan.labels.size()) plan.labels.push_back(safe_name(names[r.name]));
        break;
      }
      case Op::kMmap: {
        uint64_t end = (r.addr + r.len + kPage - 1) & ~(kPage - 1);
        ranges.push_back(Range{r.addr & ~(kPage - 1), end});
        if (r.flags & cowsim::trace::kMapFile) {
          st.arg = intern(file_of, r.name);
          if (st.arg == plan.file_sizes.size()) plan.file_sizes.push_back(0);
          plan.file_sizes[st.arg] = std::max(plan.file_sizes[st.arg], end - r.addr);
        }
        break;
      }
      case Op::kMadvise:
        if (r.advice == Advice::kHugepage) plan.uses_hugepage = true;
        break;
      default: break;
    }
    plan.steps[p].push_back(st);
  }
  if (plan.pids.empty()) ERROR("%s: no records", path.c_str());
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  for (const Range& r : ranges) {
    if (!plan.trace_ranges.empty() && r.start <= plan.trace_ranges.back().end)
      plan.trace_ranges.back().end = std::max(plan.trace_ranges.back().end, r.end);
    else
      plan.trace_ranges.push_back(r);
  }
  plan.events = event_of.size();
  plan.files.resize(file_of.size());
}

std::string thp_enabled() {
  FILE* f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f) return "";
  char buf[256] = {};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  std::string s(buf, n);
  auto a = s.find('['), b = s.find(']');
  return a == std::string::npos || b == std::string::npos ? s : s.substr(a + 1, b - a - 1);
}

// Trace addresses such as 0x7f0000000000 lie inside the range where ASLR places shared
// libraries and mmap()s; without randomization the player's own memory stays near the top.
void disable_aslr(char** argv) {
  int pers = personality(0xffffffff);
  if (pers == -1 || (pers & ADDR_NO_RANDOMIZE)) return;
  if (personality(pers | ADDR_NO_RANDOMIZE) == -1) return;  // not allowed: collisions are detected later
  execv("/proc/self/exe", argv);  // re-exec so the new layout applies; on failure go on as we are
}

void rm_rf(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

int run(int argc, char** argv) {
  std::string trace;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) out_dir = argv[++i];
    else if (a == "--verbose") verbose = true;
    else if (trace.empty() && a[0] != '-') trace = a;
    else {
      fprintf(stderr, "usage: cowsim-native-player TRACE --out DIR [--verbose]\n");
      return 2;
    }
  }
  if (trace.empty() || out_dir.empty()) {
    fprintf(stderr, "usage: cowsim-native-player TRACE --out DIR [--verbose]\n");
    return 2;
  }
  disable_aslr(argv);
  build_plan(trace);
  if (plan.uses_hugepage) {
    std::string thp = thp_enabled();
    if (thp.empty()) SKIP("the trace uses MADV_HUGEPAGE but this kernel has no transparent huge pages");
    if (thp == "never") SKIP("the trace uses MADV_HUGEPAGE but transparent huge pages are disabled (enabled = never)");
  }

  // Output folders, fresh.
  std::filesystem::create_directories(out_dir);
  for (const char* sub : {"smaps", "minflt", "majflt"}) {
    rm_rf(out_dir + "/" + sub);
    std::filesystem::create_directories(out_dir + "/" + sub);
  }

  // Files backing file mappings: in tmpfs when possible, so faults on them are never major.
  std::string& tmp = tmp_dir;
  {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    std::string tmpl = base + "/cowsim-native-XXXXXX";
    std::vector<char> t(tmpl.begin(), tmpl.end());
    t.push_back(0);
    if (!mkdtemp(t.data())) ERROR("mkdtemp %s: %s", tmpl.c_str(), strerror(errno));
    tmp = t.data();
  }
  for (size_t i = 0; i < plan.files.size(); ++i) {
    plan.files[i] = tmp + "/file" + std::to_string(i);
    int fd = open(plan.files[i].c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, off_t(plan.file_sizes[i])) != 0) ERROR("cannot create %s: %s", plan.files[i].c_str(), strerror(errno));
    close(fd);
  }

  // Shared state and every buffer, before the first fork.
  size_t n = plan.pids.size();
  size_t bytes = sizeof(Shared) + n * sizeof(ProcSlot) + (plan.events + 1) * sizeof(std::atomic<uint32_t>) +
                 (plan.labels.size() + 1) * sizeof(uint32_t);
  bytes = (bytes + kPage - 1) & ~(kPage - 1);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) ERROR("mmap of the shared state failed: %s", strerror(errno));
  char* p = static_cast<char*>(mem);
  shared = new (p) Shared;
  p += sizeof(Shared);
  slots = reinterpret_cast<ProcSlot*>(p);
  for (size_t i = 0; i < n; ++i) new (&slots[i]) ProcSlot;
  p += n * sizeof(ProcSlot);
  events = reinterpret_cast<std::atomic<uint32_t>*>(p);
  for (size_t i = 0; i <= plan.events; ++i) new (&events[i]) std::atomic<uint32_t>(0);
  p += (plan.events + 1) * sizeof(std::atomic<uint32_t>);
  label_uses = reinterpret_cast<uint32_t*>(p);

  io_cap = 8 << 20;
  out_cap = 8 << 20;
  io_buf = static_cast<char*>(malloc(io_cap));
  out_buf = static_cast<char*>(malloc(out_cap));
  self.scratch = static_cast<uint8_t*>(aligned_alloc(kPage, 2 * kPage));
  if (!io_buf || !out_buf || !self.scratch) ERROR("out of memory");
  memset(io_buf, 0, io_cap);
  memset(out_buf, 0, out_cap);
  memset(self.scratch, 1, 2 * kPage);

  // The player's own memory must not overlap the trace's.
  {
    size_t len = read_file("/proc/self/maps");
    const char* q = io_buf;
    while (q < io_buf + len) {
      uint64_t s = parse_hex(q);
      ++q;
      uint64_t e = parse_hex(q);
      if (overlaps_trace(s, e))
        SKIP("the player's own memory [0x%llx, 0x%llx) overlaps the trace's mappings on this host",
             (unsigned long long)s, (unsigned long long)e);
      const char* nl = static_cast<const char*>(memchr(q, '\n', size_t(io_buf + len - q)));
      q = nl ? nl + 1 : io_buf + len;
    }
  }

  // Orphaned trace processes are reparented to the player, which reaps everything.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  fflush(nullptr);
  for (size_t i = 0; i < n; ++i) {
    if (!plan.initial[i]) continue;
    pid_t pid = fork();
    if (pid < 0) ERROR("fork failed: %s", strerror(errno));
    if (pid == 0) {
      in_trace_process = true;
      register_process(slots[i], getpid());
      run_process(i);
    }
    register_process(slots[i], pid);
  }

  // Reap everything; on a failure or a timeout, kill what is left.
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool killed = false, abnormal = false;
  char abnormal_msg[256] = {};
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: all done
    }
    if (pid > 0) {
      if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !abnormal) {
        abnormal = true;
        for (size_t i = 0; i < n; ++i)
          if (slots[i].realpid.load() == pid)
            snprintf(abnormal_msg, sizeof abnormal_msg, "trace pid %u ended abnormally (%s %d)", plan.pids[i],
                     WIFSIGNALED(status) ? "signal" : "exit code", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      }
      continue;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    bool timeout = now.tv_sec - start.tv_sec > kTimeoutSeconds;
    if (!killed && (timeout || abnormal || shared->status.load() != 0)) {
      if (timeout && shared->status.load() == 0) {
        int expected = 0;
        if (shared->status.compare_exchange_strong(expected, 1))
          snprintf(shared->message, sizeof shared->message, "timed out after %d s (an await never posted?)", kTimeoutSeconds);
      }
      killed = true;
      for (size_t i = 0; i < n; ++i)
        if (slots[i].state.load() == kAlive && slots[i].realpid.load() > 0) kill(slots[i].realpid.load(), SIGKILL);
    }
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, nullptr);
  }
  rm_rf(tmp);

  int status = shared->status.load();
  if (status == 2) {
    fprintf(stderr, "SKIP: %s\n", shared->message);
    return kExitSkip;
  }
  if (status == 1) {
    fprintf(stderr, "cowsim-native-player: %s\n", shared->message);
    return 1;
  }
  if (abnormal) {
    fprintf(stderr, "cowsim-native-player: %s\n", abnormal_msg[0] ? abnormal_msg : "a trace process ended abnormally");
    return 1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (slots[i].state.load() != kExited) {
      fprintf(stderr, "cowsim-native-player: trace pid %u never ran to its end\n", plan.pids[i]);
      return 1;
    }
    std::string v = std::to_string(slots[i].minflt.load()) + "\n";
    write_file((out_dir + "/minflt/" + std::to_string(plan.pids[i])).c_str(), v.data(), v.size());
    v = std::to_string(slots[i].majflt.load()) + "\n";
    write_file((out_dir + "/majflt/" + std::to_string(plan.pids[i])).c_str(), v.data(), v.size());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "cowsim-native-player: %s\n", e.what());
    return 1;
  }
}
