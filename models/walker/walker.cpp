#include "models/walker/walker.h"

#include <cstdio>

namespace cowsim {

const char* fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::kNone: return "none";
    case FaultKind::kNotPresent: return "not_present";
    case FaultKind::kWriteProtect: return "write_protect";
    case FaultKind::kUserSupervisor: return "user_supervisor";
    case FaultKind::kNoExecute: return "no_execute";
    case FaultKind::kReservedBit: return "reserved_bit";
    case FaultKind::kNonCanonical: return "non_canonical";
  }
  return "?";
}

Walker::Walker(const WalkerParams& p, PteMemory& mem, uint64_t seed)
    : levels_(p.levels), setup_(p.setup_latency), psc_latency_(p.psc_latency) {
  attach(mem);
  const PscParams* params[] = {&p.pde, &p.pdpte, &p.pml4e, &p.pml5e};
  for (unsigned level = 2; level <= levels_; ++level) {
    const PscParams& q = *params[level - 2];
    psc_.emplace_back(q.entries, q.ways, kPageShift + 9 * (level - 1), seed + level);
  }
}

namespace {

uint32_t error_code_for(AccessType type, bool present) {
  uint32_t code = pf_error::kUser | (present ? pf_error::kPresent : 0);
  if (type == AccessType::kWrite) code |= pf_error::kWrite;
  if (type == AccessType::kFetch) code |= pf_error::kFetch;
  return code;
}

// Bits 51..M of a present entry must be zero (M = 52: this model's physical address width);
// PS must be zero in a PML4E/PML5E.
bool reserved_bits_set(Pte e, unsigned level) { return e.huge && level >= 4; }

}  // namespace

WalkResult Walker::walk(Pfn root, VirtAddr va, AccessType type, uint16_t pcid) {
  WalkResult r;
  r.latency = setup_;
  r.fault.addr = va;
  r.fault.access = type;
  ++walks_;
  auto fail = [&](FaultKind kind, uint32_t code) {
    r.fault.kind = kind;
    r.fault.error_code = code;
    ++faults_;
    ++fault_kinds_[static_cast<unsigned>(kind)];
    ++faults_by_code_[code & 31];
    latency_.add(r.latency.value);
    return r;
  };
  if (va.value >= user_address_limit(levels_)) return fail(FaultKind::kNonCanonical, error_code_for(type, false));

  bool writable = true, user = true, nx = false;
  PhysAddr table = frame_address(root);
  unsigned start = levels_;
  // The lowest paging-structure cache that knows this address skips the levels above it.
  for (unsigned level = 2; level <= levels_; ++level) {
    if (const PscEntry* e = psc_[level - 2].lookup(va, pcid)) {
      r.latency += psc_latency_;
      table = frame_address(e->table);
      writable = e->writable;
      user = e->user;
      nx = e->no_execute;
      start = level - 1;
      break;
    }
  }
  for (unsigned level = start; level >= 1; --level) {
    PhysAddr entry_pa = table + 8 * table_index(va, level);
    Level served_by = Level::kDram;
    Pte e = Pte::from_raw(mem_->read_pte(entry_pa, r.latency, served_by));
    ++r.pte_reads;
    ++pte_reads_;
    ++reads_by_level_[level];
    ++reads_served_[level][static_cast<unsigned>(served_by)];
    if (!e.present) return fail(FaultKind::kNotPresent, error_code_for(type, false));
    if (reserved_bits_set(e, level))
      return fail(FaultKind::kReservedBit, error_code_for(type, true) | pf_error::kReserved);
    writable &= e.writable;
    user &= e.user;
    nx |= e.no_execute;
    bool leaf = level == 1 || e.huge;
    if (!leaf) {
      if (!e.accessed) {  // hardware sets A in every paging-structure entry it uses
        e.accessed = 1;
        mem_->write_pte(entry_pa, e.raw(), r.latency);
        ++r.ad_writes;
        ++ad_writes_;
      }
      table = frame_address(e.pfn());
      psc_[level - 2].fill(va, pcid, PscEntry{0, e.pfn(), writable, user, nx});
      continue;
    }
    if (!user) return fail(FaultKind::kUserSupervisor, error_code_for(type, true));
    if (type == AccessType::kWrite && !writable) return fail(FaultKind::kWriteProtect, error_code_for(type, true));
    if (type == AccessType::kFetch && nx) return fail(FaultKind::kNoExecute, error_code_for(type, true));
    bool set_dirty = type == AccessType::kWrite && !e.dirty;
    if (!e.accessed || set_dirty) {  // a locked read-modify-write of the leaf
      e.accessed = 1;
      if (set_dirty) e.dirty = 1;
      mem_->write_pte(entry_pa, e.raw(), r.latency);
      ++r.ad_writes;
      ++ad_writes_;
    }
    unsigned shift = kPageShift + 9 * (level - 1);
    uint64_t offset_pages = (va.value & ((uint64_t{1} << shift) - 1)) >> kPageShift;
    r.translation = {Pfn{e.pfn().value + offset_pages}, shift, writable, user, nx, bool(e.dirty), bool(e.global)};
    latency_.add(r.latency.value);
    return r;
  }
  return r;  // unreachable: level 1 is always a leaf
}

void Walker::report(StatSink& s) const {
  s.counter("walks", walks_, "walks", "Page-table walks started");
  s.counter("pte_reads", pte_reads_, "reads", "PTE reads issued by walks, every level counted");
  s.counter("ad_writes", ad_writes_, "writes", "Accessed/Dirty bit updates written back by walks");
  s.counter("faults", faults_, "walks", "Walks that ended in a fault");
  {
    StatSink::Scope f(s, "fault_kinds");
    for (unsigned k = 1; k < 7; ++k)
      s.counter(fault_kind_name(static_cast<FaultKind>(k)), fault_kinds_[k], "walks", "Walks that ended in this fault kind");
  }
  {
    StatSink::Scope f(s, "faults_by_error_code");
    for (unsigned code = 0; code < 32; ++code) {
      if (!faults_by_code_[code]) continue;
      char key[8];
      std::snprintf(key, sizeof key, "0x%02x", code);
      s.counter(key, faults_by_code_[code], "walks",
                "Walks that faulted with this x86 #PF error code (bit 0 present, 1 write, 2 user, 3 reserved bit, "
                "4 instruction fetch); only codes that occurred are listed");
    }
  }
  s.histogram("latency", latency_, "cycles", "Walk latency");
  const char* table_names[] = {"", "pte", "pde", "pdpte", "pml4e", "pml5e"};
  {
    StatSink::Scope r(s, "pte_reads_by_level");
    for (unsigned level = 1; level <= levels_; ++level)
      s.counter(table_names[level], reads_by_level_[level], "reads", "PTE reads at this level of the table");
  }
  {
    StatSink::Scope r(s, "pte_reads_served_by");
    for (unsigned level = 1; level <= levels_; ++level) {
      StatSink::Scope t(s, table_names[level]);
      for (unsigned where = 0; where < kLevelCount; ++where)
        s.counter(level_name(static_cast<Level>(where)), reads_served_[level][where], "reads",
                  "PTE reads at this table level served by this level of the memory hierarchy");
    }
  }
  StatSink::Scope c(s, "psc");
  const char* names[] = {"pde", "pdpte", "pml4e", "pml5e"};
  for (unsigned level = 2; level <= levels_; ++level) {
    if (!psc_[level - 2].enabled()) continue;
    StatSink::Scope l(s, names[level - 2]);
    s.counter("hits", psc_[level - 2].hits(), "lookups", "Walks that started below this level thanks to this cache");
    s.counter("misses", psc_[level - 2].misses(), "lookups", "Lookups that missed");
  }
}

}  // namespace cowsim
