#include "platform/bench/bare_machine.h"

#include <algorithm>
#include <stdexcept>

#include "models/common/types.h"

namespace cowsim::bench {

using trace::Op;

namespace {
constexpr uint64_t kPresent = 1, kWritable = 2;
constexpr uint64_t kPid = 48;  // TLB tag: vpn | pid << 48
unsigned index_at(uint64_t va, unsigned level) { return (va >> (kPageShift + 9 * (level - 1))) & 511; }
}  // namespace

BareMachine::BareMachine() {
  nodes_.emplace_back();  // node 0 means "none"
  refs_.push_back(1);     // frame 0: the zero page, pinned
}

// ------------------------------------------------------------------ TLB

BareMachine::TlbEntry* BareMachine::Tlb::find(uint64_t tag) {
  TlbEntry* s = &e[(tag % sets) * ways];
  for (uint32_t w = 0; w < ways; ++w)
    if (s[w].tag == tag) {
      s[w].stamp = ++clock;
      return &s[w];
    }
  return nullptr;
}

void BareMachine::Tlb::fill(uint64_t tag, uint64_t frame, bool writable) {
  TlbEntry* s = &e[(tag % sets) * ways];
  TlbEntry* victim = s;
  for (uint32_t w = 0; w < ways; ++w) {
    if (s[w].tag == tag) {
      victim = &s[w];
      break;
    }
    if (s[w].stamp < victim->stamp) victim = &s[w];
  }
  *victim = {tag, frame, writable, ++clock};
}

void BareMachine::Tlb::drop(uint64_t tag) {
  TlbEntry* s = &e[(tag % sets) * ways];
  for (uint32_t w = 0; w < ways; ++w)
    if (s[w].tag == tag) s[w] = TlbEntry{};
}

void BareMachine::Tlb::drop_pid(uint32_t pid) {
  for (auto& x : e)
    if (x.tag != ~uint64_t{0} && (x.tag >> kPid) == pid) x = TlbEntry{};
}

// ------------------------------------------------------------------ memory

uint32_t BareMachine::new_node() {
  if (!free_nodes_.empty()) {
    uint32_t n = free_nodes_.back();
    free_nodes_.pop_back();
    nodes_[n].fill(0);
    return n;
  }
  nodes_.emplace_back();
  nodes_.back().fill(0);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

uint64_t BareMachine::new_frame() {
  uint64_t f;
  if (!free_frames_.empty()) {
    f = free_frames_.back();
    free_frames_.pop_back();
  } else {
    f = refs_.size();
    refs_.push_back(0);
  }
  refs_[f] = 1;
  return f;
}

void BareMachine::put_frame(uint64_t frame) {
  if (frame != 0 && --refs_[frame] == 0) free_frames_.push_back(frame);
}

uint64_t* BareMachine::leaf(uint32_t root, uint64_t va, bool create) {
  uint32_t node = root;
  for (unsigned level = 4; level > 1; --level) {
    uint64_t& e = nodes_[node][index_at(va, level)];
    if (!(e & kPresent)) {
      if (!create) return nullptr;
      uint32_t n = new_node();  // may reallocate nodes_: re-index below
      nodes_[node][index_at(va, level)] = (uint64_t{n} << kPageShift) | kPresent;
      node = n;
      continue;
    }
    node = static_cast<uint32_t>(e >> kPageShift);
  }
  return &nodes_[node][index_at(va, 1)];
}

// ------------------------------------------------------------------ processes

BareMachine::Proc& BareMachine::proc(uint32_t pid) {
  if (pid >= procs_.size()) procs_.resize(pid + 1);
  Proc& p = procs_[pid];
  if (!p.root) p.root = new_node();
  return p;
}

void BareMachine::copy_tables(uint32_t from, uint32_t to, unsigned level) {
  for (unsigned i = 0; i < 512; ++i) {
    uint64_t e = nodes_[from][i];
    if (!(e & kPresent)) continue;
    if (level == 1) {
      const uint64_t frame = e >> kPageShift;
      if (frame) ++refs_[frame];
      e &= ~kWritable;  // both sides write-protected: the next write copies or reuses
      nodes_[from][i] = e;
      nodes_[to][i] = e;
      ++ptes_forked_;
      continue;
    }
    uint32_t child = new_node();
    nodes_[to][i] = (uint64_t{child} << kPageShift) | kPresent;
    copy_tables(static_cast<uint32_t>(e >> kPageShift), child, level - 1);
  }
}

void BareMachine::free_tables(uint32_t node, unsigned level) {
  for (unsigned i = 0; i < 512; ++i) {
    uint64_t e = nodes_[node][i];
    if (!(e & kPresent)) continue;
    if (level == 1) put_frame(e >> kPageShift);
    else free_tables(static_cast<uint32_t>(e >> kPageShift), level - 1);
  }
  free_nodes_.push_back(node);
}

// ------------------------------------------------------------------ accesses and faults

void BareMachine::fault(Proc& p, uint32_t pid, uint64_t va, bool write) {
  ++faults_;
  auto it = std::upper_bound(p.vmas.begin(), p.vmas.end(), va, [](uint64_t a, const Vma& v) { return a < v.end; });
  if (it == p.vmas.end() || va < it->start || (write && !it->writable))
    throw std::runtime_error("bare baseline: access outside any mapping");
  uint64_t* pte = leaf(p.root, va, true);
  const uint64_t frame = *pte >> kPageShift;
  if (!(*pte & kPresent)) {
    *pte = write ? (new_frame() << kPageShift) | kPresent | kWritable : kPresent;  // read: the zero page
  } else if (frame != 0 && refs_[frame] == 1) {
    *pte |= kWritable;  // nobody else holds it: reuse
  } else {
    put_frame(frame);  // copy (or leave the zero page): a fresh frame
    *pte = (new_frame() << kPageShift) | kPresent | kWritable;
    ++copies_;
  }
  const uint64_t tag = (va >> kPageShift) | (uint64_t{pid} << kPid);
  l1_.drop(tag);
  l2_.drop(tag);
}

bool BareMachine::translate(Proc& p, uint64_t va, bool write, uint64_t tag) {
  if (TlbEntry* e = l1_.find(tag); e && (!write || e->writable)) return true;
  if (TlbEntry* e = l2_.find(tag); e && (!write || e->writable)) {
    l1_.fill(tag, e->frame, e->writable);
    return true;
  }
  const uint64_t* pte = leaf(p.root, va, false);
  if (!pte || !(*pte & kPresent) || (write && !(*pte & kWritable))) return false;
  l2_.fill(tag, *pte >> kPageShift, *pte & kWritable);
  l1_.fill(tag, *pte >> kPageShift, *pte & kWritable);
  return true;
}

void BareMachine::access(uint32_t pid, uint64_t va, bool write) {
  ++accesses_;
  Proc& p = procs_[pid];
  const uint64_t tag = (va >> kPageShift) | (uint64_t{pid} << kPid);
  for (int attempt = 0; !translate(p, va, write, tag); ++attempt) {
    if (attempt == 2) throw std::logic_error("bare baseline: fault not resolved");
    fault(p, pid, va, write);
  }
}

void BareMachine::run(trace::RecordStream& records) {
  trace::Record r;
  while (records.next(r)) {
    switch (r.op) {
      case Op::kMmap: {
        Proc& p = proc(r.pid);
        Vma v{r.addr, r.addr + ((r.len + kPageSize - 1) & ~(kPageSize - 1)), (r.prot & trace::kProtWrite) != 0};
        p.vmas.insert(std::lower_bound(p.vmas.begin(), p.vmas.end(), v,
                                       [](const Vma& a, const Vma& b) { return a.start < b.start; }),
                      v);
        break;
      }
      case Op::kMunmap: {  // drop the pages and the mapping (the vmas workload unmaps whole ones)
        Proc& p = proc(r.pid);
        const uint64_t end = r.addr + ((r.len + kPageSize - 1) & ~(kPageSize - 1));
        for (uint64_t va = r.addr; va < end; va += kPageSize) {
          uint64_t* pte = leaf(p.root, va, false);
          if (!pte || !(*pte & kPresent)) continue;
          put_frame(*pte >> kPageShift);
          *pte = 0;
          const uint64_t tag = (va >> kPageShift) | (uint64_t{r.pid} << kPid);
          l1_.drop(tag);
          l2_.drop(tag);
        }
        // Mappings wholly inside become empty in place (start == end: never found, and the
        // starts and ends stay sorted), so unmapping one of 100,000 costs no vector shift.
        auto it = std::upper_bound(p.vmas.begin(), p.vmas.end(), r.addr,
                                   [](uint64_t a, const Vma& v) { return a < v.end; });
        for (; it != p.vmas.end() && it->start < end; ++it) {
          if (it->start < r.addr && it->end > end) {  // a hole in the middle: split
            const Vma tail{end, it->end, it->writable};
            it->end = r.addr;
            p.vmas.insert(it + 1, tail);
            break;
          }
          if (it->start < r.addr) it->end = r.addr;
          else if (it->end > end) it->start = end;
          else it->end = it->start;
        }
        break;
      }
      case Op::kRead:
      case Op::kWrite:
      case Op::kFetch: {
        proc(r.pid);
        const bool write = r.op == Op::kWrite;
        const uint64_t n = r.accesses();
        for (uint64_t i = 0; i < n; ++i) {
          const uint64_t va = r.addr + i * r.stride;
          access(r.pid, va, write);
          if ((va & (kPageSize - 1)) + r.size > kPageSize) access(r.pid, (va | (kPageSize - 1)) + 1, write);
        }
        break;
      }
      case Op::kFork:
      case Op::kVfork: {
        Proc& parent = proc(r.pid);
        const uint32_t child_pid = static_cast<uint32_t>(r.addr);
        Proc& child = proc(child_pid);  // may reallocate procs_: parent re-read below
        child.vmas = procs_[r.pid].vmas;
        (void)parent;
        copy_tables(procs_[r.pid].root, child.root, 4);
        l1_.drop_pid(r.pid);
        l2_.drop_pid(r.pid);
        break;
      }
      case Op::kExit: {
        Proc& p = proc(r.pid);
        free_tables(p.root, 4);
        p = Proc{};
        l1_.drop_pid(r.pid);
        l2_.drop_pid(r.pid);
        break;
      }
      default:  // compute, wait, post, await, snapshot, ...: no translation work
        break;
    }
  }
}

}  // namespace cowsim::bench
