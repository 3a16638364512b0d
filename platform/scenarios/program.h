// A scenario's trace as a short program: fixed records and loops whose bodies emit a few
// records per iteration. The stream expands it lazily, so a 40 GiB scenario holds only its
// steps and one iteration's records in memory, never the trace.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "traces/record.h"
#include "traces/trace_io.h"

namespace cowsim::scenario {

constexpr uint64_t kHeapBase = 0x7f0000000000;  // 1 GiB aligned: page-table counts stay simple

// Record helpers shared by the program (fixed records) and loop bodies (records of one
// iteration). Names are interned in the run's table.
class RecordSink {
 public:
  explicit RecordSink(trace::NameTable& names) : names_(names) {}
  virtual ~RecordSink() = default;

  void mmap_anon(uint32_t pid, uint64_t addr, uint64_t len, bool shared = false);
  void munmap(uint32_t pid, uint64_t addr, uint64_t len);
  void madvise(uint32_t pid, uint64_t addr, uint64_t len, trace::Advice advice);
  // One access (len 0) or a range of ceil(len / stride) accesses of `size` bytes.
  void access(uint32_t pid, trace::Op op, uint64_t addr, uint64_t len = 0, uint64_t stride = trace::kDefaultStride,
              uint32_t size = trace::kDefaultAccessSize);
  void read(uint32_t pid, uint64_t addr, uint64_t len = 0) { access(pid, trace::Op::kRead, addr, len); }
  void write(uint32_t pid, uint64_t addr, uint64_t len = 0) { access(pid, trace::Op::kWrite, addr, len); }
  void compute(uint32_t pid, uint64_t instructions);  // nothing when 0
  void fork(uint32_t pid, uint32_t child) { add(pid, trace::Op::kFork, child); }
  void vfork(uint32_t pid, uint32_t child) { add(pid, trace::Op::kVfork, child); }
  void wait(uint32_t pid, uint32_t child) { add(pid, trace::Op::kWait, child); }
  void exec(uint32_t pid) { add(pid, trace::Op::kExec); }
  void exit(uint32_t pid) { add(pid, trace::Op::kExit); }
  void post(uint32_t pid, const std::string& name) { named(pid, trace::Op::kPost, name); }
  void await(uint32_t pid, const std::string& name) { named(pid, trace::Op::kAwait, name); }
  void snapshot(uint32_t pid, const std::string& label) { named(pid, trace::Op::kSnapshot, label); }
  // Spans (docs/trace-format.md, "Spans"): an operation arriving now, at `ns`, `ns` after the
  // process's previous arrival, or the window span; and its completion.
  void span_begin(uint32_t pid, const std::string& name, trace::SpanArrival a = trace::kArriveNow, uint64_t ns = 0) {
    trace::Record& r = add(pid, trace::Op::kSpanBegin, ns);
    r.flags = a;
    r.name = names_.intern(name);
  }
  void span_end(uint32_t pid, const std::string& name) { named(pid, trace::Op::kSpanEnd, name); }
  // A region of interest (stats.json's regions.NAME): the phase a scenario's question is about.
  void roi_begin(uint32_t pid, const std::string& name) { named(pid, trace::Op::kRoiBegin, name); }
  void roi_end(uint32_t pid, const std::string& name) { named(pid, trace::Op::kRoiEnd, name); }

 protected:
  virtual trace::Record& push() = 0;

 private:
  trace::Record& add(uint32_t pid, trace::Op op, uint64_t addr = 0, uint64_t len = 0);
  void named(uint32_t pid, trace::Op op, const std::string& name);
  trace::NameTable& names_;
};

// The records of one loop iteration.
class Iteration final : public RecordSink {
 public:
  using RecordSink::RecordSink;
  std::vector<trace::Record> records;  // cleared, not freed, between iterations

 protected:
  trace::Record& push() override { return records.emplace_back(); }
};

class Program final : public RecordSink {
 public:
  using Body = std::function<void(uint64_t i, Iteration& out)>;
  using RecordSink::RecordSink;

  // Runs `body` for i = 0 .. n-1, in order, when the stream reaches this point.
  void loop(uint64_t n, Body body);

 protected:
  trace::Record& push() override;

 private:
  friend class ProgramStream;
  struct Step {
    std::vector<trace::Record> fixed;  // a run of fixed records, or
    uint64_t count = 0;                // a loop
    Body body;
  };
  std::vector<Step> steps_;
};

// Streams a program's records in order.
class ProgramStream final : public trace::RecordStream {
 public:
  ProgramStream(std::string label, std::unique_ptr<Program> program, trace::NameTable& names);
  bool next(trace::Record& r) override;
  std::string where() const override;

 private:
  std::string label_;
  std::unique_ptr<Program> program_;
  Iteration out_;
  size_t step_ = 0;
  uint64_t i_ = 0;    // record within a fixed step, or iteration within a loop
  size_t pos_ = 0;    // next record of out_
  uint64_t emitted_ = 0;
};

// The prologue of the fork drills: pid 1 maps a private anonymous heap of `heap` bytes at
// kHeapBase, gives it the THP advice `thp` (advise_thp in report.h), writes it, then forks pid 2.
void populate_and_fork(Program& p, uint64_t heap, const std::string& thp);

}  // namespace cowsim::scenario
