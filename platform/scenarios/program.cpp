#include "platform/scenarios/program.h"

#include "platform/scenarios/report.h"

namespace cowsim::scenario {

using trace::Op;
using trace::Record;

Record& RecordSink::add(uint32_t pid, Op op, uint64_t addr, uint64_t len) {
  Record& r = push();
  r = Record{};
  r.pid = pid;
  r.op = op;
  r.addr = addr;
  r.len = len;
  return r;
}

void RecordSink::named(uint32_t pid, Op op, const std::string& name) { add(pid, op).name = names_.intern(name); }

void RecordSink::mmap_anon(uint32_t pid, uint64_t addr, uint64_t len, bool shared) {
  Record& r = add(pid, Op::kMmap, addr, len);
  r.prot = trace::kProtRead | trace::kProtWrite;
  r.flags = (shared ? trace::kMapShared : trace::kMapPrivate) | trace::kMapAnon;
}

void RecordSink::munmap(uint32_t pid, uint64_t addr, uint64_t len) { add(pid, Op::kMunmap, addr, len); }

void RecordSink::madvise(uint32_t pid, uint64_t addr, uint64_t len, trace::Advice advice) {
  add(pid, Op::kMadvise, addr, len).advice = advice;
}

void RecordSink::access(uint32_t pid, Op op, uint64_t addr, uint64_t len, uint64_t stride, uint32_t size) {
  Record& r = add(pid, op, addr, len);
  r.stride = stride;
  r.size = size;
}

void RecordSink::compute(uint32_t pid, uint64_t instructions) {
  if (instructions) add(pid, Op::kCompute, instructions);
}

void Program::loop(uint64_t n, Body body) {
  if (n == 0) return;
  Step s;
  s.count = n;
  s.body = std::move(body);
  steps_.push_back(std::move(s));
}

Record& Program::push() {
  if (steps_.empty() || steps_.back().body) steps_.emplace_back();
  return steps_.back().fixed.emplace_back();
}

ProgramStream::ProgramStream(std::string label, std::unique_ptr<Program> program, trace::NameTable& names)
    : label_(std::move(label)), program_(std::move(program)), out_(names) {}

bool ProgramStream::next(Record& r) {
  auto& steps = program_->steps_;
  while (step_ < steps.size()) {
    Program::Step& s = steps[step_];
    if (!s.body) {
      if (i_ < s.fixed.size()) {
        r = s.fixed[i_++];
        ++emitted_;
        return true;
      }
    } else {
      if (pos_ < out_.records.size()) {
        r = out_.records[pos_++];
        ++emitted_;
        return true;
      }
      if (i_ < s.count) {
        out_.records.clear();
        pos_ = 0;
        s.body(i_++, out_);
        continue;
      }
    }
    ++step_;
    i_ = pos_ = 0;
    out_.records.clear();
  }
  return false;
}

std::string ProgramStream::where() const { return label_ + ": record " + std::to_string(emitted_); }

void populate_and_fork(Program& p, uint64_t heap, const std::string& thp) {
  p.mmap_anon(1, kHeapBase, heap);
  advise_thp(p, thp, 1, kHeapBase, heap);
  p.write(1, kHeapBase, heap);
  p.fork(1, 2);
}

}  // namespace cowsim::scenario
