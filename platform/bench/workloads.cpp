#include "platform/bench/workloads.h"

#include <fstream>

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

}  // namespace

Size parse_size(const std::string& s) {
  if (s == "tiny") return Size::kTiny;
  if (s == "full") return Size::kFull;
  throw InputError("--size must be tiny or full, got '" + s + "'");
}

const char* size_name(Size s) { return s == Size::kFull ? "full" : "tiny"; }

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> n{"hit", "walk", "drill-write", "redis-bgsave", "trace-read"};
  return n;
}

Workload make_workload(const std::string& name, Size size) {
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
