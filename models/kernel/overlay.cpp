#include "models/kernel/overlay.h"

#include "models/common/error.h"
#include "models/kernel/mm_internal.h"

namespace cowsim {

using namespace mm_detail;

// ------------------------------------------------------------------ OverlayTable

Overlay& OverlayTable::insert(uint64_t vpn) {
  if (Overlay* o = find(vpn)) return *o;
  if (2 * (count_ + 1) > slots_.size()) {  // keep the load at most 1/2
    std::vector<Overlay> old(slots_.size() * 2);
    old.swap(slots_);
    count_ = 0;
    for (const Overlay& o : old)
      if (o.vpn != kEmpty) insert(o.vpn) = o;
  }
  size_t i = home(vpn);
  while (slots_[i].vpn != kEmpty) i = (i + 1) & (slots_.size() - 1);
  slots_[i] = Overlay{};
  slots_[i].vpn = vpn;
  ++count_;
  return slots_[i];
}

void OverlayTable::erase(uint64_t vpn) {
  const size_t mask = slots_.size() - 1;
  size_t i = home(vpn);
  while (slots_[i].vpn != vpn) {
    if (slots_[i].vpn == kEmpty) return;
    i = (i + 1) & mask;
  }
  // Backward shift: move later entries of the probe run into the hole when their home allows.
  for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    if (slots_[j].vpn == kEmpty) break;
    size_t h = home(slots_[j].vpn);
    bool between = i <= j ? (i < h && h <= j) : (i < h || h <= j);  // h in (i, j]: must stay
    if (between) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Overlay{};
  --count_;
}

// ------------------------------------------------------------------ SegmentPool

std::optional<uint64_t> SegmentPool::alloc(unsigned cls) {
  auto& partial = partial_[cls];
  if (partial.empty()) {
    auto pfn = frames_.alloc();
    if (!pfn) return std::nullopt;
    pool_[pfn->value] = PoolFrame{static_cast<uint8_t>(cls), 0, static_cast<uint32_t>(partial.size())};
    partial.push_back(pfn->value);
    peak_frames_ = std::max<uint64_t>(peak_frames_, pool_.size());
  }
  uint64_t pfn = partial.back();
  PoolFrame& f = pool_.at(pfn);
  unsigned slot = static_cast<unsigned>(__builtin_ctz(~uint32_t{f.used}));
  f.used |= static_cast<uint16_t>(1u << slot);
  if (f.used == full_mask(cls)) partial.pop_back();
  bytes_ += segment_bytes(cls);
  return (pfn << kPageShift) + slot * segment_bytes(cls);
}

bool SegmentPool::holds(uint64_t addr, unsigned cls) const {
  auto it = pool_.find(addr >> kPageShift);
  if (it == pool_.end() || it->second.cls != cls || (addr & (segment_bytes(cls) - 1))) return false;
  return it->second.used & (1u << ((addr & (kPageSize - 1)) / segment_bytes(cls)));
}

void SegmentPool::free(uint64_t addr, unsigned cls) {
  uint64_t pfn = addr >> kPageShift;
  PoolFrame& f = pool_.at(pfn);
  auto& partial = partial_[cls];
  bool was_full = f.used == full_mask(cls);
  f.used &= static_cast<uint16_t>(~(1u << ((addr & (kPageSize - 1)) / segment_bytes(cls))));
  bytes_ -= segment_bytes(cls);
  if (f.used == 0) {
    if (!was_full) {  // swap-remove it from the partial list
      uint64_t last = partial.back();
      partial[f.partial] = last;
      pool_.at(last).partial = f.partial;
      partial.pop_back();
    }
    pool_.erase(pfn);
    frames_.put(Pfn{pfn});
  } else if (was_full) {
    f.partial = static_cast<uint32_t>(partial.size());
    partial.push_back(pfn);
  }
}

// ------------------------------------------------------------------ Overlays

Overlays::Overlays(Kernel& k, const OverlayParams& p)
    : k_(k), p_(p), pool_(k.frames_), line_copy_(k.cost_.page_copy / static_cast<uint32_t>(kLinesPerPage)) {
  if (p.omt_cache_entries % 4)
    throw InputError("kernel.cow.overlay.omt_cache_entries: " + std::to_string(p.omt_cache_entries) +
                     " is not a multiple of 4 (the OMT cache is 4-way set associative)");
  omt_tags_.assign(p.omt_cache_entries, ~uint64_t{0});
  omt_stamps_.assign(p.omt_cache_entries, 0);
}

Cycles Overlays::omt_access(const AddressSpace& mm, uint64_t vpn) {
  const uint64_t key = omt_key(mm, vpn);
  const size_t base = omt_set(key);
  ++omt_stamp_;
  size_t victim = base;
  for (size_t w = base; w < base + 4; ++w) {
    if (omt_tags_[w] == key) {
      omt_stamps_[w] = omt_stamp_;
      ++omt_hits_;
      return Cycles{p_.omt_hit};
    }
    if (omt_stamps_[w] < omt_stamps_[victim]) victim = w;
  }
  omt_tags_[victim] = key;
  omt_stamps_[victim] = omt_stamp_;
  ++omt_misses_;
  return Cycles{p_.omt_miss};
}

void Overlays::omt_forget(const AddressSpace& mm, uint64_t vpn) {
  const uint64_t key = omt_key(mm, vpn);
  const size_t base = omt_set(key);
  for (size_t w = base; w < base + 4; ++w)
    if (omt_tags_[w] == key) {
      omt_tags_[w] = ~uint64_t{0};
      omt_stamps_[w] = 0;
    }
}

FaultOutcome Overlays::write_fault(Kernel::VmFault& vmf, Pfn) {
  if (!vmf.mm.overlays) vmf.mm.overlays = std::make_shared<OverlayTable>(*this);
  OverlayTable& t = *vmf.mm.overlays;
  const uint64_t vpn = vmf.page >> kPageShift;
  if (!t.find(vpn)) {  // else: write-protected again (mprotect) while it had an overlay
    t.insert(vpn);
    ++created_;
    vmf.c.add(Step::kHandler, p_.create);
  }
  // An upgrade of the entry: no flush (as wp_page_reuse). Not dirty: the shared page is not
  // written; the overlay's lines are.
  *vmf.pte |= pte_bits::kWritable | pte_bits::kAccessed;
  vmf.c.add(Step::kPteUpdate, k_.cost_.pte_update);
  return FaultOutcome::kCowCopy;
}

FaultResult Overlays::access(Process& p, VirtAddr va, bool write, unsigned core, Cycles now) {
  FaultResult r;
  r.resolved = true;
  AddressSpace& mm = *p.mm;
  const uint64_t vpn = va.value >> kPageShift;
  Overlay* o = mm.overlays->find(vpn);
  if (!o) return r;
  ++lookups_;
  uint64_t cycles = p_.lookup;
  const uint64_t bit = uint64_t{1} << ((va.value >> 6) & (kLinesPerPage - 1));
  if (o->lines & bit) {  // the line is read from (or written in) the overlay
    ++line_accesses_;
    cycles += omt_access(mm, vpn).value;
  } else if (write) {  // overlay-on-write
    const uint64_t n = static_cast<uint64_t>(__builtin_popcountll(o->lines)) + 1;
    if (n > p_.threshold) {
      Cost c;
      c.set_start(now.value + cycles);
      if (!convert(p, mm, *o, core, c)) {
        r = k_.kill(p, "killed: out of memory (overlay conversion)", c, now + Cycles{cycles});
        r.cycles = r.cycles + Cycles{cycles};
        return r;
      }
      conversion_cycles_ += c.total().value;
      cycles += c.total().value;
    } else {
      cycles += omt_access(mm, vpn).value + p_.line_write;
      const unsigned cls = segment_class(n);
      if (o->lines == 0 || cls > o->cls) {  // a first or larger segment
        auto seg = pool_.alloc(cls);
        if (!seg) {
          Cost c;
          r = k_.kill(p, "killed: out of memory (overlay segment)", c, now + Cycles{cycles});
          r.cycles = r.cycles + Cycles{cycles};
          return r;
        }
        if (o->lines) {
          ++segment_moves_;
          cycles += (n - 1) * line_copy_;
          pool_.free(o->segment, o->cls);
        }
        o->segment = *seg;
        o->cls = static_cast<uint8_t>(cls);
      }
      o->lines |= bit;
      ++lines_written_;
      p.bytes_copied += kLineSize;
      peak_bytes_ = std::max(peak_bytes_, pool_.bytes());
    }
  }
  access_cycles_ += cycles;
  r.cycles = Cycles{cycles};
  return r;
}

bool Overlays::convert(Process& p, AddressSpace& mm, Overlay& o, unsigned core, Cost& c) {
  const uint64_t page = o.vpn << kPageShift;
  uint64_t* pte = k_.tables_.leaf(mm.root, VirtAddr{page}, false);
  const Pfn shared = Pte::from_raw(*pte).pfn();
  // An OS-handled event, costed like the CoW fault it replaces.
  c.add(Step::kEntry, k_.cost_.exception_entry);
  c.add(Step::kHandler, k_.cost_.fault_base);
  if (k_.exclusive_to(mm, shared, page)) {  // nobody else maps the page any more: merge in place
    c.add(Step::kCopy, static_cast<uint64_t>(__builtin_popcountll(o.lines)) * line_copy_);
    k_.frames_.info(k_.frames_.head_of(shared)).flags |= frame_flags::kAnonExclusive;
    *pte |= pte_bits::kWritable | pte_bits::kAccessed | pte_bits::kDirty;
    c.add(Step::kPteUpdate, k_.cost_.pte_update);
    c.add(Step::kReturn, k_.cost_.exception_return);
    ++conversions_;
    ++in_place_;
    p.bytes_copied += static_cast<uint64_t>(__builtin_popcountll(o.lines)) * kLineSize;
    if (o.lines) pool_.free(o.segment, o.cls);
    omt_forget(mm, o.vpn);
    mm.overlays->erase(o.vpn);
    return true;
  }
  auto fresh = k_.alloc_copy_target(p, shared);  // RowClone FPM placement too, as a CoW copy's
  if (!fresh) return false;
  FrameInfo& fi = k_.frames_.info(*fresh);
  fi.flags = frame_flags::kAnon | frame_flags::kAnonExclusive;
  fi.mapcount = 1;
  k_.charge_page_alloc(core, c);
  k_.copy_engine_->copy(shared, *fresh, kPageSize, core, c);
  c.add(Step::kCopy, static_cast<uint64_t>(__builtin_popcountll(o.lines)) * line_copy_);  // the overlay's lines on top
  c.add(Step::kRmap, k_.cost_.cow_replace);
  k_.unref_page(shared, false);
  *pte = (*pte & ~pte_bits::kFrameMask) | frame_address(*fresh).value | pte_bits::kWritable | pte_bits::kAccessed |
         pte_bits::kDirty;
  c.add(Step::kPteUpdate, k_.cost_.pte_update);
  k_.flush_tlb_mm_range(mm, page, page + kPageSize, core, c);
  c.add(Step::kReturn, k_.cost_.exception_return);
  Kernel::count_copy(p);
  ++conversions_;
  if (o.lines) pool_.free(o.segment, o.cls);
  omt_forget(mm, o.vpn);
  mm.overlays->erase(o.vpn);
  return true;
}

void Overlays::drop(AddressSpace& mm, uint64_t va) {
  const uint64_t vpn = va >> kPageShift;
  Overlay* o = mm.overlays->find(vpn);
  if (!o) return;
  if (o->lines) pool_.free(o->segment, o->cls);
  omt_forget(mm, vpn);
  mm.overlays->erase(vpn);
  ++dropped_;
}

bool Overlays::merge_all(Process& p, unsigned core, Cost& c) {
  AddressSpace& mm = *p.mm;
  if (!mm.overlays || !mm.overlays->size()) return true;
  std::vector<uint64_t> vpns;
  mm.overlays->for_each([&](const Overlay& o) { vpns.push_back(o.vpn); });
  for (uint64_t vpn : vpns) {
    Cost one;
    one.set_start(c.now());
    if (!convert(p, mm, *mm.overlays->find(vpn), core, one)) return false;
    // Inside fork: no exception of its own.
    c.add(Step::kPageAlloc, one.step(Step::kPageAlloc));
    c.add(Step::kCopy, one.step(Step::kCopy));
    c.add(Step::kRmap, one.step(Step::kRmap));
    c.add(Step::kPteUpdate, one.step(Step::kPteUpdate));
    c.add(Step::kFlush, one.step(Step::kFlush));
    c.add(Step::kIpi, one.step(Step::kIpi));
    c.add(Step::kDramWait, one.step(Step::kDramWait));
    c.add(Step::kLockWait, one.step(Step::kLockWait));
    ++fork_conversions_;
  }
  return true;
}

uint64_t Overlays::bytes(const AddressSpace& mm, uint64_t start, uint64_t end) const {
  uint64_t b = 0;
  if (!mm.overlays) return 0;
  mm.overlays->for_each([&](const Overlay& o) {
    uint64_t a = o.vpn << kPageShift;
    if (o.lines && a >= start && a < end) b += segment_bytes(o.cls);
  });
  return b;
}

void Overlays::report(StatSink& s) const {
  StatSink::Scope o(s, "overlay");
  s.counter("created", created_, "overlays", "Write faults that gave a shared page an overlay instead of a copy");
  s.counter("lines_written", lines_written_, "lines", "Overlay-on-write: lines added to overlays");
  s.counter("conversions", conversions_, "overlays",
            "Overlays turned into private 4 KiB copies (past kernel.cow.overlay.threshold, or at fork)");
  s.counter("in_place", in_place_, "overlays",
            "Of those, merged into the page itself because no other process mapped it any more (no copy)");
  s.counter("fork_conversions", fork_conversions_, "overlays", "Of those, at fork (the parent's overlays)");
  s.counter("dropped", dropped_, "overlays", "Overlays freed with their page (munmap, MADV_DONTNEED, exit, exec)");
  s.counter("segment_moves", segment_moves_, "moves", "Overlays moved to a larger segment as they grew");
  s.counter("lookups", lookups_, "accesses", "Accesses to pages that have an overlay (each pays kernel.cow.overlay.lookup)");
  s.counter("line_accesses", line_accesses_, "accesses", "Of those, to lines held in the overlay (an OMT access each)");
  s.counter("omt_hits", omt_hits_, "lookups", "OMT cache hits (accesses to overlay lines and overlay-on-writes)");
  s.counter("omt_misses", omt_misses_, "lookups", "OMT cache misses");
  s.counter("access_cycles", access_cycles_, "cycles",
            "Cycles the cores spent on overlays outside faults: lookups, OMT accesses, overlay-on-writes, conversions");
  s.counter("conversion_cycles", conversion_cycles_, "cycles", "Of those, in conversions past the threshold");
  s.gauge("bytes", pool_.bytes(), "bytes", "Overlay storage (segment bytes) in use at the end of the run");
  s.gauge("bytes_peak", peak_bytes_, "bytes", "Most overlay storage in use at any time");
  s.gauge("pool_frames_peak", pool_.peak_frames(), "frames", "Most 4 KiB frames holding overlay segments at any time");
}

}  // namespace cowsim
