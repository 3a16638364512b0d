// The bare baseline of `cowsim bench`: the functional work of translation in a plain C++ loop,
// with no timing, no statistics, no caches and no SystemC. It reads the same records as the
// simulation, in stream order, and for every access looks up a two-level TLB (64 entries
// 4-way, then 1536 entries 12-way, LRU, tagged by pid), walks a 4-level radix page table on a
// miss, and on a fault does the kernel's bookkeeping: allocate tables and frames, map the
// zero page for reads, copy or reuse on a write to a write-protected page (frame reference
// counts), write-protect and share every page on fork, free everything on exit.
//
// The ratio of the simulation's host time to this loop's is how much the model's timing,
// statistics and structure cost on top of the unavoidable work.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "traces/trace_io.h"

namespace cowsim::bench {

class BareMachine {
 public:
  BareMachine();
  void run(trace::RecordStream& records);  // every record, in stream order

  uint64_t accesses() const { return accesses_; }
  uint64_t faults() const { return faults_; }
  uint64_t copies() const { return copies_; }
  uint64_t ptes_forked() const { return ptes_forked_; }

 private:
  using Node = std::array<uint64_t, 512>;
  struct Vma {
    uint64_t start, end;
    bool writable;
  };
  struct Proc {
    uint32_t root = 0;  // node index; 0: no such process
    std::vector<Vma> vmas;
  };
  struct TlbEntry {
    uint64_t tag = ~uint64_t{0};
    uint64_t frame = 0;
    bool writable = false;
    uint64_t stamp = 0;
  };
  struct Tlb {
    Tlb(uint32_t sets, uint32_t ways) : sets(sets), ways(ways), e(size_t{sets} * ways) {}
    TlbEntry* find(uint64_t tag);
    void fill(uint64_t tag, uint64_t frame, bool writable);
    void drop(uint64_t tag);
    void drop_pid(uint32_t pid);
    uint32_t sets, ways;
    uint64_t clock = 0;
    std::vector<TlbEntry> e;
  };

  Proc& proc(uint32_t pid);
  void access(uint32_t pid, uint64_t va, bool write);
  bool translate(Proc& p, uint64_t va, bool write, uint64_t tag);
  void fault(Proc& p, uint32_t pid, uint64_t va, bool write);
  uint64_t* leaf(uint32_t root, uint64_t va, bool create);
  uint32_t new_node();
  uint64_t new_frame();
  void put_frame(uint64_t frame);
  void copy_tables(uint32_t from, uint32_t to, unsigned level);
  void free_tables(uint32_t node, unsigned level);

  std::vector<Node> nodes_;
  std::vector<uint32_t> free_nodes_;
  std::vector<uint32_t> refs_;  // [frame]; frame 0 is the zero page
  std::vector<uint64_t> free_frames_;
  std::vector<Proc> procs_;     // [pid]
  Tlb l1_{16, 4}, l2_{128, 12};
  uint64_t accesses_ = 0, faults_ = 0, copies_ = 0, ptes_forked_ = 0;
};

}  // namespace cowsim::bench
