#include "platform/bench/workloads.h"

#include <fstream>
#include <memory>
#include <utility>

#include "models/common/error.h"
#include "models/common/types.h"
#include "platform/bench/generated_stream.h"

namespace cowsim::bench {

using trace::Op;
using trace::Record;

namespace {

constexpr uint64_t kBase = 0x7f0000000000;  // 1 GiB aligned, as the scenarios' heaps

Record rec(Op op, uint64_t addr = 0, uint64_t len = 0, uint32_t pid = 1) {
  Record r;
  r.op = op;
  r.pid = pid;
  r.addr = addr;
  r.len = len;
  return r;
}

Record mmap_rw(uint64_t len) {
  Record r = rec(Op::kMmap, kBase, len);
  r.prot = trace::kProtRead | trace::kProtWrite;
  r.flags = trace::kMapPrivate | trace::kMapAnon;
  return r;
}

// `hit`: 64 pages written once, then read over and over, 8 bytes apart: after the 64 first
// touches every access hits the L1 DTLB. Range records of 32768 accesses keep the stream short.
Workload hit(Size size) {
  const uint64_t accesses = size == Size::kFull ? 100'000'000 : 200'000;
  const uint64_t span = 64 * kPageSize, stride = 8, per_record = span / stride;
  const uint64_t records = (accesses + per_record - 1) / per_record;
  Workload w;
  w.name = "hit";
  w.description = std::to_string(accesses) + " reads over 64 resident pages (L1 DTLB hits)";
  w.target = ">= 50 M accesses/s, within 3x of the bare baseline";
  w.open = [=] {
    return std::make_unique<GeneratedStream>(
        "hit", std::vector<Record>{mmap_rw(span), rec(Op::kWrite, kBase, span)}, records,
        [=](uint64_t i, Record& r) {
          const uint64_t left = accesses - i * per_record;
          r = rec(Op::kRead, kBase, (left < per_record ? left : per_record) * stride);
          r.stride = stride;
        },
        std::vector<Record>{rec(Op::kExit)});
  };
  return w;
}

// `walk`: a 4 GiB heap written once (1 M zero-fill faults), then reads at random 8-byte
// aligned addresses all over it: nearly every read misses the STLB and walks.
Workload walk(Size size) {
  const uint64_t heap = size == Size::kFull ? uint64_t{4} << 30 : uint64_t{64} << 20;
  const uint64_t reads = size == Size::kFull ? 20'000'000 : 100'000;
  Workload w;
  w.name = "walk";
  w.description = std::to_string(reads) + " random reads over a populated " + std::to_string(heap >> 20) +
                  " MiB heap (STLB misses, walks), after populating it";
  w.target = ">= 10 M accesses/s";
  w.open = [=] {
    return std::make_unique<GeneratedStream>(
        "walk", std::vector<Record>{mmap_rw(heap), rec(Op::kWrite, kBase, heap)}, reads,
        [=](uint64_t i, Record& r) { r = rec(Op::kRead, kBase + (mix64(i) % (heap / 8)) * 8); },
        std::vector<Record>{rec(Op::kExit)});
  };
  return w;
}

// `drill-write`: the seed's drill. A heap written once, fork, the child writes one byte per
// page (a CoW copy each), exits; the parent waits and exits.
Workload drill_write(Size size) {
  const uint64_t heap = size == Size::kFull ? uint64_t{4} << 30 : uint64_t{16} << 20;
  Workload w;
  w.name = "drill-write";
  w.description = std::to_string(heap >> 20) + " MiB heap populated, fork, the child writes one byte per page";
  w.target = "whole run <= 2 s";
  w.open = [=] {
    Record child_writes = rec(Op::kWrite, kBase, heap, 2);
    child_writes.size = 1;
    std::vector<Record> all{mmap_rw(heap),       rec(Op::kWrite, kBase, heap), rec(Op::kFork, 2),
                            child_writes,         rec(Op::kExit, 0, 0, 2),      rec(Op::kWait, 2),
                            rec(Op::kExit)};
    return std::make_unique<GeneratedStream>("drill-write", std::move(all), 0, nullptr, std::vector<Record>{});
  };
  return w;
}

// `redis-bgsave`: the built-in scenario (issue 5) with a 20 GiB dataset.
Workload redis_bgsave(Size size) {
  Workload w;
  w.name = "redis-bgsave";
  w.kind = Workload::Kind::kScenario;
  w.scenario = "redis-bgsave";
  w.params = {size == Size::kFull ? "dataset=20G" : "dataset=64M"};
  w.description = std::string("the redis-bgsave scenario with a ") + (size == Size::kFull ? "20 GiB" : "64 MiB") +
                  " dataset (fork of the whole dataset's PTEs, CoW while the child saves)";
  w.target = "fork <= 1 s of host time, whole scenario <= 30 s, peak RSS <= 512 MiB";
  return w;
}

// `trace-read`: a binary trace read record by record (decoded and validated, nothing simulated).
Workload trace_read(Size size) {
  Workload w;
  w.name = "trace-read";
  w.kind = Workload::Kind::kTraceRead;
  w.trace_records = size == Size::kFull ? 25'000'000 : 100'000;
  w.trace_passes = size == Size::kFull ? 4 : 1;
  w.description = "a binary trace of " + std::to_string(w.trace_records) + " records (single reads and writes) read " +
                  std::to_string(w.trace_passes) + " time(s)";
  w.target = ">= 100 M records/s";
  return w;
}


// `processes`: one parent forks `n` children; each child maps 1 MiB, writes every page of it
// (256 zero-fill faults) and exits; the parent then waits for every child. All the children
// exist at once, as under a prefork server or a parallel build.
Workload processes(uint64_t n) {
  constexpr uint64_t kChildHeap = uint64_t{1} << 20;
  Workload w;
  w.name = "processes";
  w.description = "one parent forks " + std::to_string(n) + " children that each write 1 MiB and exit; the parent waits";
  w.target = "whole run <= 5 s (20,000 children); host time per child constant within 1.5x";
  w.open = [=] {
    // Records 0..n-1: fork child i (pid i+2); then per child an mmap, the writes and the exit
    // (3 records each); then n waits.
    return std::make_unique<GeneratedStream>(
        "processes", std::vector<Record>{}, 5 * n,
        [=](uint64_t i, Record& r) {
          if (i < n) {
            r = rec(Op::kFork, i + 2);
            return;
          }
          if (i < 4 * n) {
            const uint64_t c = (i - n) / 3;
            const uint32_t pid = static_cast<uint32_t>(c + 2);
            switch ((i - n) % 3) {
              case 0: r = mmap_rw(kChildHeap); r.pid = pid; return;
              case 1: r = rec(Op::kWrite, kBase, kChildHeap, pid); return;
              default: r = rec(Op::kExit, 0, 0, pid); return;
            }
          }
          r = rec(Op::kWait, i - 4 * n + 2);
        },
        std::vector<Record>{rec(Op::kExit)});
  };
  return w;
}

// `fork-chain`: pid 1 maps and writes 64 KiB (16 pages), forks pid 2, which forks pid 3, ...
// down to pid `n`; then the deepest exits, its parent waits for it and exits, up the chain.
Workload fork_chain(uint64_t n) {
  constexpr uint64_t kHeap = 64 << 10;
  Workload w;
  w.name = "fork-chain";
  w.description = "a chain of " + std::to_string(n) + " processes, each forked by the previous (16 pages each)";
  w.target = "whole run <= 5 s (10,000 deep)";
  w.open = [=] {
    // Records 0..n-2: pid i+1 forks pid i+2. Then exit(n), and for p = n-1 .. 1: wait(p, p+1),
    // exit(p): 2n-1 records.
    return std::make_unique<GeneratedStream>(
        "fork-chain", std::vector<Record>{mmap_rw(kHeap), rec(Op::kWrite, kBase, kHeap)}, (n - 1) + (2 * n - 1),
        [=](uint64_t i, Record& r) {
          if (i < n - 1) {
            r = rec(Op::kFork, i + 2, 0, static_cast<uint32_t>(i + 1));
            return;
          }
          const uint64_t j = i - (n - 1);  // 0: exit(n); then pairs
          if (j == 0) {
            r = rec(Op::kExit, 0, 0, static_cast<uint32_t>(n));
            return;
          }
          const uint32_t p = static_cast<uint32_t>(n - (j + 1) / 2);
          r = j % 2 ? rec(Op::kWait, p + 1, 0, p) : rec(Op::kExit, 0, 0, p);
        },
        std::vector<Record>{});
  };
  return w;
}

// `vmas`: one process maps `n` one-page regions (a one-page hole after each, so none merge),
// writes one byte in each, forks (the child exits at once and is waited for), then unmaps
// the regions in a random order (a permutation from splitmix64), and exits.
Workload vmas(uint64_t n) {
  Workload w;
  w.name = "vmas";
  w.description = std::to_string(n) + " one-page mappings written, forked, unmapped in random order";
  w.target = "host time per VMA operation constant within 1.5x from 1,000 to 100,000 VMAs";
  w.open = [=] {
    auto order = std::make_shared<std::vector<uint32_t>>(n);
    for (uint64_t i = 0; i < n; ++i) (*order)[i] = static_cast<uint32_t>(i);
    for (uint64_t i = n; i > 1; --i) std::swap((*order)[i - 1], (*order)[mix64(i) % i]);
    const auto at = [](uint64_t k) { return kBase + k * 2 * kPageSize; };
    // Records: n mmaps, n writes, fork, child exit, wait, n munmaps; then the exit.
    return std::make_unique<GeneratedStream>(
        "vmas", std::vector<Record>{}, 3 * n + 3,
        [=](uint64_t i, Record& r) {
          if (i < n) {
            r = mmap_rw(kPageSize);
            r.addr = at(i);
          } else if (i < 2 * n) {
            r = rec(Op::kWrite, at(i - n));
            r.size = 1;
          } else if (i == 2 * n) {
            r = rec(Op::kFork, 2);
          } else if (i == 2 * n + 1) {
            r = rec(Op::kExit, 0, 0, 2);
          } else if (i == 2 * n + 2) {
            r = rec(Op::kWait, 2);
          } else {
            r = rec(Op::kMunmap, at((*order)[i - 2 * n - 3]), kPageSize);
          }
        },
        std::vector<Record>{rec(Op::kExit)});
  };
  return w;
}

}  // namespace

Size parse_size(const std::string& s) {
  if (s == "tiny") return Size::kTiny;
  if (s == "full") return Size::kFull;
  throw InputError("--size must be tiny or full, got '" + s + "'");
}

const char* size_name(Size s) { return s == Size::kFull ? "full" : "tiny"; }

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> n{"hit",        "walk",      "drill-write", "redis-bgsave",
                                              "trace-read", "processes", "fork-chain",  "vmas"};
  return n;
}

Workload make_workload(const std::string& spec, Size size) {
  // NAME or NAME=COUNT: the scaling workloads take their count (children, chain depth, VMAs)
  // so `cowsim bench --workload processes=4000` measures one point of a scaling table.
  const size_t eq = spec.find('=');
  const std::string name = spec.substr(0, eq);
  const bool full = size == Size::kFull;
  uint64_t count = 0;
  if (eq != std::string::npos) {
    const std::string v = spec.substr(eq + 1);
    if (name != "processes" && name != "fork-chain" && name != "vmas")
      throw InputError("workload '" + name + "' takes no count (only processes, fork-chain and vmas do), got '" + spec + "'");
    size_t used = 0;
    try {
      count = std::stoull(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || v.empty() || count < 2 || count > 1'000'000 || v[0] == '-')
      throw InputError("workload '" + spec + "': the count must be an integer from 2 to 1000000");
  }
  if (count) {  // one point of a scaling table: the targets are for the standard sizes
    Workload p = name == "processes" ? processes(count) : name == "fork-chain" ? fork_chain(count) : vmas(count);
    p.target.clear();
    return p;
  }
  if (name == "processes") return processes(full ? 20'000 : 200);
  if (name == "fork-chain") return fork_chain(full ? 10'000 : 100);
  if (name == "vmas") return vmas(full ? 100'000 : 1'000);
  if (name == "hit") return hit(size);
  if (name == "walk") return walk(size);
  if (name == "drill-write") return drill_write(size);
  if (name == "redis-bgsave") return redis_bgsave(size);
  if (name == "trace-read") return trace_read(size);
  std::string all;
  for (const auto& n : workload_names()) all += (all.empty() ? "" : ", ") + n;
  throw InputError("unknown workload '" + name + "' (workloads: " + all + ")");
}

void write_read_trace(const std::string& path, uint64_t records) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(path + ": cannot create the trace-read workload's trace");
  auto writer = trace::make_writer(out, trace::Encoding::kBinary);
  trace::NameTable names;
  writer->write(mmap_rw(uint64_t{1} << 30), names);
  for (uint64_t i = 2; i < records; ++i) {
    const uint64_t m = mix64(i);
    writer->write(rec(m & 1 ? Op::kWrite : Op::kRead, kBase + ((m >> 1) % (uint64_t{1} << 27)) * 8), names);
  }
  writer->write(rec(Op::kExit), names);
  writer->finish();
  if (!out.flush()) throw InputError(path + ": write error");
}

}  // namespace cowsim::bench
