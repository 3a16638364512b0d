// The built-in scenarios. Each builds its records with the helpers below; range records keep
// even a multi-gigabyte heap to a handful of records.
#include "models/common/error.h"
#include "models/common/types.h"
#include "platform/scenarios/scenario.h"

namespace cowsim {

using trace::Op;
using trace::Record;

namespace {

constexpr uint64_t kHeapBase = 0x7f0000000000;

struct Builder {
  std::vector<Record> out;
  Record& add(uint32_t pid, Op op, uint64_t addr = 0, uint64_t len = 0) {
    Record r;
    r.pid = pid;
    r.op = op;
    r.addr = addr;
    r.len = len;
    out.push_back(r);
    return out.back();
  }
  void mmap_anon(uint32_t pid, uint64_t addr, uint64_t len) {
    Record& r = add(pid, Op::kMmap, addr, len);
    r.prot = trace::kProtRead | trace::kProtWrite;
    r.flags = trace::kMapPrivate | trace::kMapAnon;
  }
  void named(uint32_t pid, Op op, trace::NameTable& names, const std::string& name) {
    add(pid, op).name = names.intern(name);
  }
};

uint64_t pages(uint64_t bytes) { return bytes / kPageSize; }

class Touch final : public Scenario {
 public:
  const char* name() const override { return "touch"; }
  const char* description() const override {
    return "One process maps private anonymous memory and writes (or reads) every 4 KiB page once";
  }
  void declare(ParamRegistry& r) override {
    r.add("size", size_, "bytes", "Memory mapped and touched (a multiple of 4 KiB)", kPageSize, uint64_t{1} << 46);
    r.add("write", write_, "Write every page (true) or only read it (false: zero-page mappings)");
  }
  std::vector<Record> generate(trace::NameTable&, uint64_t) const override {
    if (size_ % kPageSize) throw InputError("scenario touch: size must be a multiple of 4K");
    Builder b;
    b.mmap_anon(1, kHeapBase, size_);
    b.add(1, write_ ? Op::kWrite : Op::kRead, kHeapBase, size_);
    b.add(1, Op::kExit);
    return b.out;
  }

 private:
  uint64_t size_ = uint64_t{1} << 20;
  bool write_ = true;
};

class ForkCow final : public Scenario {
 public:
  const char* name() const override { return "fork-cow"; }
  const char* description() const override {
    return "A parent writes its heap and forks; the child writes part of the inherited heap (CoW copies) while "
           "the parent waits; smaps snapshots after the fork and after the child's writes";
  }
  void declare(ParamRegistry& r) override {
    r.add("heap", heap_, "bytes", "Private anonymous heap the parent populates before fork (a multiple of 4 KiB)",
          kPageSize, uint64_t{1} << 46);
    r.add("child_writes", child_writes_, "percent", "Share of the heap's pages the child writes after fork", 0, 100);
    r.add("parent_writes", parent_writes_, "percent",
          "Share of the heap's pages the parent writes after the child exits (reuse faults)", 0, 100);
  }
  std::vector<Record> generate(trace::NameTable& names, uint64_t) const override {
    if (heap_ % kPageSize) throw InputError("scenario fork-cow: heap must be a multiple of 4K");
    uint64_t child_bytes = pages(heap_) * child_writes_ / 100 * kPageSize;
    uint64_t parent_bytes = pages(heap_) * parent_writes_ / 100 * kPageSize;
    Builder b;
    b.mmap_anon(1, kHeapBase, heap_);
    b.add(1, Op::kWrite, kHeapBase, heap_);
    b.add(1, Op::kFork, 2);
    b.named(2, Op::kSnapshot, names, "after-fork");
    if (child_bytes) b.add(2, Op::kWrite, kHeapBase, child_bytes);
    b.named(2, Op::kSnapshot, names, "after-child-writes");
    b.add(2, Op::kExit);
    b.add(1, Op::kWait, 2);
    if (parent_bytes) b.add(1, Op::kWrite, kHeapBase, parent_bytes);
    b.add(1, Op::kExit);
    return b.out;
  }

 private:
  uint64_t heap_ = uint64_t{64} << 20;
  uint32_t child_writes_ = 50;
  uint32_t parent_writes_ = 100;
};

}  // namespace

std::vector<std::unique_ptr<Scenario>> all_scenarios() {
  std::vector<std::unique_ptr<Scenario>> v;
  v.push_back(std::make_unique<ForkCow>());
  v.push_back(std::make_unique<Touch>());
  return v;
}

}  // namespace cowsim
