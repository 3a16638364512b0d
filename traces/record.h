// One record of a cowsim trace (format v1), decoded. Both encodings (text .cwt, binary .cwb)
// read into and write from this struct; docs/trace-format.md is the specification.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cowsim::trace {

enum class Op : uint8_t {
  kMmap, kMunmap, kMprotect, kMadvise,
  kRead, kWrite, kFetch,  // one access, or a range of accesses when `len` != 0
  kCompute,
  kFork, kVfork, kExec, kExit, kWait,
  kCpu, kPost, kAwait, kSnapshot,
  kSpanBegin, kSpanEnd,  // request latency: docs/trace-format.md, "Spans"
  kRoiBegin, kRoiEnd,  // `roi begin NAME` / `roi end NAME`: a region of interest's marks
  kCount
};

// Protection bits, as PROT_READ/WRITE/EXEC. Text spellings: none r rw rx rwx.
enum Prot : uint8_t { kProtNone = 0, kProtRead = 1, kProtWrite = 2, kProtExec = 4 };

// mmap flags. Exactly one of private/shared; anon unless a file name is given; huge1g asks
// for 1 GiB hugetlb pages (MAP_HUGETLB | MAP_HUGE_1GB, anonymous only).
enum MapFlags : uint8_t { kMapPrivate = 0, kMapShared = 1, kMapAnon = 0, kMapFile = 2, kMapHuge1G = 4 };
constexpr uint8_t kMapFlagsAll = kMapShared | kMapFile | kMapHuge1G;

enum class Advice : uint8_t {
  kDontfork, kDofork, kWipeonfork, kKeeponfork, kHugepage, kNohugepage, kDontneed, kCount
};

// When a span's operation arrived (kSpanBegin, in `flags`): now, at an absolute time, or some
// time after the process's previous arrival; kSpanWindow arrives now and also marks the
// before/during/after window of every other span. `addr` holds the time in ns.
enum SpanArrival : uint8_t { kArriveNow = 0, kArriveAt = 1, kArriveAfter = 2, kSpanWindow = 3 };
constexpr uint64_t kMaxSpanTime = uint64_t{1} << 48;  // ns, about 3.3 days

constexpr uint32_t kNoName = UINT32_MAX;
constexpr uint32_t kDefaultAccessSize = 8;
constexpr uint64_t kDefaultStride = 4096;
constexpr uint32_t kMaxAccessSize = 4096;    // one access touches at most two pages
constexpr size_t kMaxNameLength = 1024;      // file names, post/await names, snapshot labels
constexpr size_t kMaxRegionNameLength = 64;  // region names become stats.json keys and file names

struct Record {
  Op op = Op::kCompute;
  uint8_t prot = 0;       // kMmap, kMprotect
  uint8_t flags = 0;      // kMmap: MapFlags; kSpanBegin: SpanArrival
  Advice advice = Advice::kDontfork;  // kMadvise
  uint32_t pid = 0;
  uint32_t size = kDefaultAccessSize;  // kRead/kWrite/kFetch: bytes per access
  uint32_t name = kNoName;  // kMmap file name, kPost/kAwait/kSnapshot/kSpan*/kRoi*: index in a NameTable
  uint64_t addr = 0;      // address; or child pid (fork/vfork/wait), core (cpu), count (compute), ns (span begin)
  uint64_t len = 0;       // mmap/munmap/mprotect/madvise length; access range length (0: one access)
  uint64_t stride = kDefaultStride;  // access range: bytes between accesses

  bool is_range() const { return len != 0 && (op == Op::kRead || op == Op::kWrite || op == Op::kFetch); }
  bool is_access() const { return op == Op::kRead || op == Op::kWrite || op == Op::kFetch; }
  // Number of memory accesses this record performs (range records expanded).
  uint64_t accesses() const {
    if (!is_access()) return 0;
    return is_range() ? (len + stride - 1) / stride : 1;
  }
  friend bool operator==(const Record& a, const Record& b);
};

// Names (file names, post/await names, snapshot labels) interned once so records stay
// fixed-size. One table is shared by every reader of a run, so the same name gets the same
// index in every process's stream.
class NameTable {
 public:
  uint32_t intern(std::string_view name);
  const std::string& operator[](uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }
 private:
  std::vector<std::string> names_;
  std::vector<std::pair<std::string, uint32_t>> sorted_;  // for lookup; names are few
};

const char* op_name(Op op);            // "mmap", "r", ... as in the text format
const char* advice_name(Advice a);     // "dontfork", ...
std::string prot_name(uint8_t prot);   // "none", "r", "rw", "rx", "rwx"

}  // namespace cowsim::trace
