#include "platform/invariants.h"

#include <stdexcept>
#include <string>
#include <unordered_map>

#include "models/kernel/mm_internal.h"
#include "models/kernel/overlay.h"
#include "platform/system.h"

namespace cowsim {

using mm_detail::hex;
namespace ff = frame_flags;

namespace {
constexpr uint64_t kGiantFrames = uint64_t{1} << (kGiantPageShift - kPageShift);
uint64_t entry_span(unsigned level) { return uint64_t{1} << (kPageShift + 9 * (level - 1)); }
const char* entry_name(unsigned level) {
  static const char* names[] = {"", "PTE", "PMD", "PUD", "PML4E", "PML5E"};
  return level <= 5 ? names[level] : "entry";
}
const char* psc_name(unsigned level) {
  static const char* names[] = {"", "", "PDE", "PDPTE", "PML4E", "PML5E"};
  return level <= 5 ? names[level] : "?";
}
const char* page_size_text(PageSize s) {
  return s == PageSize::k4K ? "4 KiB" : s == PageSize::k2M ? "2 MiB" : "1 GiB";
}
}  // namespace

InvariantChecker::InvariantChecker(const Kernel& kernel, const PhysicalMemory& mem, std::vector<const TlbHierarchy*> tlbs,
                                   std::vector<const Walker*> walkers, std::string when)
    : k_(kernel), mem_(mem), tlbs_(std::move(tlbs)), walkers_(std::move(walkers)), when_(std::move(when)) {}

void InvariantChecker::fail(const std::string& what) const {
  throw std::logic_error("invariant violated (" + when_ + "): " + what);
}

std::vector<InvariantChecker::Space> InvariantChecker::spaces() const {
  std::vector<Space> out;
  for (const auto& p : k_.procs_) {
    if (!p->alive() || !p->mm) continue;
    bool seen = false;
    for (const Space& s : out) seen |= s.mm == p->mm.get();  // a vfork child shares its parent's
    if (!seen) out.push_back({p->mm.get(), p->pid});
  }
  return out;
}

InvariantChecker::Expect& InvariantChecker::expect(uint64_t pfn) {
  uint64_t c = pfn >> kChunkShift;
  if (c >= chunks_.size()) chunks_.resize(c + 1);
  if (chunks_[c].empty()) chunks_[c].resize(size_t{1} << kChunkShift);
  return chunks_[c][pfn & ((uint64_t{1} << kChunkShift) - 1)];
}

const InvariantChecker::Expect* InvariantChecker::find_expect(uint64_t pfn) const {
  uint64_t c = pfn >> kChunkShift;
  if (c >= chunks_.size() || chunks_[c].empty()) return nullptr;
  return &chunks_[c][pfn & ((uint64_t{1} << kChunkShift) - 1)];
}

// ---------------------------------------------------------------- 1. frame accounting

void InvariantChecker::check_frame_accounting() {
  const FrameAllocator& fa = k_.frames_;
  auto on_free_list = [&](const std::vector<Pfn>& list, const char* which) {
    for (Pfn p : list)
      if (fa.info(p).refcount)
        fail("frame " + hex(p.value) + " is on the " + which + " free list but has reference count " +
             std::to_string(fa.info(p).refcount) + ", expected 0");
  };
  on_free_list(fa.free_, "4 KiB");
  on_free_list(fa.free_huge_, "2 MiB");
  on_free_list(fa.free_giant_, "1 GiB");
  // Frames 0 (never handed out), 1 (the zero page) and 512..1023 (the huge zero page) are
  // reserved by the allocator's constructor and not counted in use.
  uint64_t referenced = 0, reserved = 0;
  for (uint64_t f = 0; f < fa.next_unused_;) {
    if (f == 0 || f == fa.zero_page().value) {
      ++reserved, ++f;
      continue;
    }
    if (f == fa.huge_zero_page().value) {
      reserved += 512, f += 512;
      continue;
    }
    const FrameInfo& i = fa.info(Pfn{f});
    if ((i.flags & ff::kGiant) && i.refcount) {
      referenced += kGiantFrames, f += kGiantFrames;
    } else if ((i.flags & ff::kHead) && i.refcount) {
      referenced += 512, f += 512;
    } else {
      referenced += i.refcount ? 1 : 0, ++f;
    }
  }
  // Blocks alloc_exact carved for same_subarray (none otherwise): frames not yet handed out are
  // free; in a block still above the bump pointer, those handed out are not in the unused region.
  int64_t carved_adjust = 0;
  for (const auto& [head, left] : fa.carved_) {
    if (head < fa.next_unused_) {
      carved_adjust += static_cast<int64_t>(left.count());
      continue;
    }
    carved_adjust -= static_cast<int64_t>(512 - left.count());
    for (uint64_t j = 0; j < 512; ++j)
      if (!left.test(j) && fa.info(Pfn{head + j}).refcount) ++referenced;
  }
  if (referenced != fa.in_use_)
    fail("the frame allocator counts " + std::to_string(fa.in_use_) + " frame(s) in use, but " +
         std::to_string(referenced) + " frame(s) hold a reference");
  uint64_t free = fa.free_.size() + 512 * fa.free_huge_.size() + kGiantFrames * fa.free_giant_.size() +
                  static_cast<uint64_t>(static_cast<int64_t>(fa.frames_ - fa.next_unused_) + carved_adjust);
  if (reserved + fa.in_use_ + free != fa.frames_)
    fail("frames in use (" + std::to_string(fa.in_use_) + ") + free (" + std::to_string(free) + ") + reserved (" +
         std::to_string(reserved) + ") = " + std::to_string(reserved + fa.in_use_ + free) + ", expected the " +
         std::to_string(fa.frames_) + " frames of physical memory");
}

// ---------------------------------------------------------------- 2, 3, 6. mappings

void InvariantChecker::walk(const Space& s, Pfn table, unsigned level, uint64_t base) {
  const FrameAllocator& fa = k_.frames_;
  const PhysicalMemory::TablePage& t = *mem_.table(table);
  for (unsigned i = 0; i < 512; ++i) {
    uint64_t e = t[i];
    if (!e) continue;
    uint64_t va = base + i * entry_span(level);
    if (level > 1 && !(e & pte_bits::kHuge)) {
      if (!(e & pte_bits::kPresent)) continue;
      Pfn child = Pte::from_raw(e).pfn();
      if (child.value >= visited_.size() || !mem_.has_table(child) || !(fa.info(child).flags & ff::kTable))
        fail("pid " + std::to_string(s.pid) + ": the " + entry_name(level) + " for " + hex(va) + " points to frame " +
             hex(child.value) + ", which is not a page-table page");
      Expect& x = expect(child.value);
      ++x.ref, ++x.table;
      if (!visited_[child.value]) {  // a table shared by several address spaces is walked once
        visited_[child.value] = true;
        ++tables_reached_;
        walk(s, child, level - 1, va);
      } else if (level == 2) {
        count_sharer(child);
      }
    } else if (e & pte_bits::kMapped) {
      leaf(s, va, e, level);
    }
  }
}

void InvariantChecker::count_sharer(Pfn pte_table) {
  const PhysicalMemory::TablePage& t = *mem_.table(pte_table);
  for (uint64_t e : t) {
    if (!(e & pte_bits::kMapped)) continue;
    Pfn pfn = Pte::from_raw(e).pfn();
    if (pfn != k_.frames_.zero_page() && pfn.value < k_.frames_.total()) ++expect(pfn.value).shared;
  }
}

void InvariantChecker::leaf(const Space& s, uint64_t va, uint64_t e, unsigned level) {
  const FrameAllocator& fa = k_.frames_;
  Pfn pfn = Pte::from_raw(e).pfn();
  auto where = [&] {
    return "pid " + std::to_string(s.pid) + ": the " + std::string(level == 1 ? "PTE" : level == 2 ? "huge PMD" : "huge PUD") +
           " for " + hex(va) + " maps frame " + hex(pfn.value);
  };
  if (pfn.value >= fa.total()) fail(where() + ", beyond physical memory (" + std::to_string(fa.total()) + " frames)");
  if (level == 1 && pfn == fa.zero_page()) return;       // the zero page: no counts
  if (level == 2 && pfn == fa.huge_zero_page()) return;  // nor the huge zero page
  Pfn head = level == 1 ? fa.head_of(pfn) : pfn;
  const FrameInfo& h = fa.info(head);
  if (h.refcount == 0) fail(where() + ", which is free (reference count 0)");
  if (h.flags & ff::kTable) fail(where() + ", which is a page-table page");
  if (level == 2 && !(h.flags & ff::kHead)) fail(where() + ", which is not the head of a 2 MiB folio");
  if (level == 3 && !(h.flags & ff::kGiant)) fail(where() + ", which is not a 1 GiB page");
  if (level != 3 && (h.flags & ff::kGiant)) fail(where() + ", the head of a 1 GiB page");
  Expect& x = expect(head.value);
  ++x.ref, ++x.leaf;
  if (level == 2) ++x.entire;
  else ++expect(pfn.value).map;
}

std::string InvariantChecker::first_mapping(uint64_t pfn) const {
  std::string found;
  for (const Space& s : spaces()) {
    auto search = [&](auto& self, Pfn table, unsigned level, uint64_t base) -> void {
      const PhysicalMemory::TablePage* t = mem_.table(table);
      if (!t) return;
      for (unsigned i = 0; i < 512 && found.empty(); ++i) {
        uint64_t e = (*t)[i], va = base + i * entry_span(level);
        if (level > 1 && !(e & pte_bits::kHuge)) {
          if (e & pte_bits::kPresent) self(self, Pte::from_raw(e).pfn(), level - 1, va);
          continue;
        }
        if (!(e & pte_bits::kMapped)) continue;
        uint64_t f = Pte::from_raw(e).pfn().value, frames = entry_span(level) >> kPageShift;
        if (pfn >= f && pfn < f + frames)
          found = "first mapping: pid " + std::to_string(s.pid) + " at " + hex(va + ((pfn - f) << kPageShift)) + " (" +
                  (level == 1 ? "PTE" : level == 2 ? "huge PMD" : "huge PUD") + ")";
      }
    };
    search(search, s.mm->root, k_.levels_, 0);
    if (!found.empty()) return found;
  }
  return "no page table maps it";
}

void InvariantChecker::compare(uint64_t pfn, const FrameInfo& f, const Expect* x) const {
  Expect none;
  if (!x) x = &none;
  if (f.refcount != x->ref)
    fail("frame " + hex(pfn) + ": reference count " + std::to_string(f.refcount) + ", expected " + std::to_string(x->ref) +
         " (" + std::to_string(x->leaf) + " PTE/PMD/PUD mapping(s), " + std::to_string(x->cache) + " page-cache, " +
         std::to_string(x->table) + " page-table, " +
         (x->overlay ? std::to_string(x->overlay) + " overlay storage, " : std::string()) +
         std::to_string(x->ref - x->leaf - x->cache - x->table - x->overlay) + " pinned); " + first_mapping(pfn));
  if (f.mapcount != x->map)
    fail("frame " + hex(pfn) + ": map count " + std::to_string(f.mapcount) + ", expected " + std::to_string(x->map) +
         " (the PTEs" + ((f.flags & ff::kGiant) ? "/PUDs" : "") + " mapping it); " + first_mapping(pfn));
  if (f.entire != x->entire)
    fail("frame " + hex(pfn) + ": whole-folio map count " + std::to_string(f.entire) + ", expected " +
         std::to_string(x->entire) + " (the huge PMDs mapping it); " + first_mapping(pfn));
  if (f.shared != x->shared)
    fail("frame " + hex(pfn) + ": mapped by " + std::to_string(f.shared) + " more address space(s) through shared " +
         "page tables, expected " + std::to_string(x->shared) + "; " + first_mapping(pfn));
}

void InvariantChecker::check_mappings() {
  const FrameAllocator& fa = k_.frames_;
  chunks_.clear();
  visited_.assign(fa.next_unused_, false);  // tables are frames handed out: below next_unused_
  tables_reached_ = 0;
  // The allocator's pins: frame 0, the zero page and the huge zero page hold one reference each.
  for (Pfn p : {Pfn{0}, fa.zero_page(), fa.huge_zero_page()}) ++expect(p.value).ref;
  auto own_table = [&](const Space& s, Pfn t, const char* what) {
    if (t.value >= visited_.size() || !mem_.has_table(t) || !(fa.info(t).flags & ff::kTable))
      fail("pid " + std::to_string(s.pid) + ": its " + what + " frame " + hex(t.value) + " is not a page-table page");
    Expect& x = expect(t.value);
    ++x.ref, ++x.table;
    if (visited_[t.value]) return false;
    visited_[t.value] = true;
    ++tables_reached_;
    return true;
  };
  for (const Space& s : spaces()) {
    if (own_table(s, s.mm->root, "page-table root")) walk(s, s.mm->root, k_.levels_, 0);
    for (Pfn t : s.mm->deposited) own_table(s, t, "deposited page-table");
  }
  for (const auto& [key, pfn] : k_.page_cache_) {
    Expect& x = expect(pfn.value);
    ++x.ref, ++x.cache;
  }
  // Overlay storage (kernel.cow.granularity=line): the pool holds one reference on each of its
  // frames, and every overlay of a live address space sits in an allocated segment of its
  // class, their sizes adding up to the pool's bytes.
  overlay_bytes_ = 0;
  if (const Overlays* ov = k_.overlays()) {
    ov->pool().for_each_frame([&](Pfn p) {
      Expect& x = expect(p.value);
      ++x.ref, ++x.overlay;
    });
    uint64_t bytes = 0;
    for (const Space& s : spaces()) {
      if (!s.mm->overlays) continue;
      s.mm->overlays->for_each([&](const Overlay& o) {
        if (!o.lines) return;
        if (!ov->pool().holds(o.segment, o.cls))
          fail("pid " + std::to_string(s.pid) + ": the overlay of " + hex(o.vpn << kPageShift) + " has its lines at " +
               hex(o.segment) + ", which is not an allocated " + std::to_string(segment_bytes(o.cls)) + "-byte segment");
        bytes += segment_bytes(o.cls);
      });
    }
    if (bytes != ov->pool().bytes())
      fail("the live address spaces' overlays hold " + std::to_string(bytes) + " bytes of segments, but the overlay "
           "pool counts " + std::to_string(ov->pool().bytes()));
    overlay_bytes_ = bytes;
  }
  // 6: every page-table page is some live address space's table or deposit.
  if (mem_.tables_in_use() != tables_reached_) {
    std::string which;
    for (uint64_t f = 0; f < fa.total() && which.empty(); ++f)  // only on failure: may be long
      if (mem_.has_table(Pfn{f}) && (f >= visited_.size() || !visited_[f])) which = "; frame " + hex(f) + " is one";
    fail(std::to_string(mem_.tables_in_use()) + " page-table page(s) allocated, but the live address spaces reach or "
         "deposited only " + std::to_string(tables_reached_) + which);
  }
  // 2: the metadata of every frame ever handed out against what was counted.
  for (uint64_t f = 0; f < fa.next_unused_;) {
    const FrameInfo& i = fa.info(Pfn{f});
    if ((i.flags & ff::kGiant) && i.refcount) {  // one head stands for the whole 1 GiB page
      compare(f, i, find_expect(f));
      f += kGiantFrames;
    } else if (i.flags & ff::kHead) {
      compare(f, i, find_expect(f));
      for (uint64_t s = 1; s < 512; ++s) {
        const FrameInfo& t = fa.info(Pfn{f + s});
        if (!(t.flags & ff::kTail)) fail("frame " + hex(f + s) + " inside the 2 MiB folio at " + hex(f) + " is not marked a tail");
        compare(f + s, t, find_expect(f + s));  // a tail's references are its head's
      }
      f += 512;
    } else {
      compare(f, i, find_expect(f));
      ++f;
    }
  }
  mappings_done_ = true;
}

// ---------------------------------------------------------------- 4. smaps

void InvariantChecker::check_smaps() {
  if (!mappings_done_) check_mappings();
  const FrameAllocator& fa = k_.frames_;
  std::vector<Space> live = spaces();
  uint64_t rss = 0, pss = 0, hugetlb = 0;
  for (const Space& s : live) {
    SmapsRollup r = k_.rollup(*k_.by_pid_.at(s.pid));
    if (r.shared_clean + r.shared_dirty + r.private_clean + r.private_dirty != r.rss)
      fail("pid " + std::to_string(s.pid) + ": smaps Shared_Clean + Shared_Dirty + Private_Clean + Private_Dirty = " +
           std::to_string(r.shared_clean + r.shared_dirty + r.private_clean + r.private_dirty) + " bytes, Rss " +
           std::to_string(r.rss));
    rss += r.rss;
    pss += r.pss_bytes_x4096;
    hugetlb += r.shared_hugetlb + r.private_hugetlb;
  }
  // Each 4 KiB frame mapped m times (its PTEs plus its folio's huge PMDs) is m pages of Rss
  // and m shares of floor(2^24 / m) of Pss (smaps keeps Pss in units of 2^-12 bytes).
  uint64_t want_rss = 0, want_pss = 0, want_hugetlb = 0, frames = 0, mappings = 0;
  for (uint64_t c = 0; c < chunks_.size(); ++c) {
    if (chunks_[c].empty()) continue;
    for (uint64_t j = 0; j < chunks_[c].size(); ++j) {
      uint64_t f = (c << kChunkShift) + j;
      const Expect& x = chunks_[c][j];
      const FrameInfo& i = fa.info(Pfn{f});
      if (i.flags & ff::kGiant) {
        want_hugetlb += x.map * kGiantPageSize;
        continue;
      }
      uint64_t m = x.map + x.shared;
      if (i.flags & ff::kTail) {
        const Expect* h = find_expect(fa.head_of(Pfn{f}).value);
        m += h ? h->entire : 0;
      } else if (i.flags & ff::kHead) {
        m += x.entire;
      }
      if (!m || (i.flags & ff::kZero)) continue;
      ++frames, mappings += m;
      want_rss += m * kPageSize;
      want_pss += m * ((kPageSize << 12) / m);
    }
  }
  // Overlay segments count fully in their writer's Rss and Pss (docs/kernel-model.md).
  want_rss += overlay_bytes_;
  want_pss += overlay_bytes_ << 12;
  std::string spaces_text = " summed over " + std::to_string(live.size()) + " live address space(s)";
  std::string overlays_text = overlay_bytes_ ? " + " + std::to_string(overlay_bytes_) + " bytes of overlays" : "";
  if (rss != want_rss)
    fail("smaps Rss" + spaces_text + " is " + std::to_string(rss) + " bytes, but their page tables hold " +
         std::to_string(mappings) + " 4 KiB page mapping(s)" + overlays_text + " = " + std::to_string(want_rss) + " bytes");
  if (pss != want_pss)
    fail("smaps Pss" + spaces_text + " is " + std::to_string(pss) + " / 4096 bytes, but the " + std::to_string(frames) +
         " frame(s) mapped" + overlays_text + " give " + std::to_string(want_pss) + " / 4096 bytes (" +
         std::to_string(frames) + " x 4096 bytes less the rounding of pages shared m ways, each m x floor(2^24 / m))");
  if (hugetlb != want_hugetlb)
    fail("smaps Shared_Hugetlb + Private_Hugetlb" + spaces_text + " is " + std::to_string(hugetlb) +
         " bytes, but their page tables hold " + std::to_string(want_hugetlb / kGiantPageSize) + " 1 GiB mapping(s)");
}

// ---------------------------------------------------------------- 5. TLBs

InvariantChecker::Leaf InvariantChecker::resolve(const AddressSpace& mm, uint64_t va) const {
  Leaf l;
  Pfn t = mm.root;
  for (unsigned level = k_.levels_; level >= 1; --level) {
    const PhysicalMemory::TablePage* table = mem_.table(t);
    if (!table) return l;
    uint64_t e = (*table)[table_index(VirtAddr{va}, level)];
    l.writable &= (e & pte_bits::kWritable) != 0;
    l.user &= (e & pte_bits::kUser) != 0;
    l.no_execute |= (e & pte_bits::kNoExecute) != 0;
    if (level > 1 && !(e & pte_bits::kHuge)) {
      if (!(e & pte_bits::kPresent)) return l;
      t = Pte::from_raw(e).pfn();
      continue;
    }
    l.mapped = e & pte_bits::kMapped;
    l.present = e & pte_bits::kPresent;
    l.level = level;
    l.frame = Pfn{Pte::from_raw(e).pfn().value + ((va & (entry_span(level) - 1)) >> kPageShift)};
    return l;
  }
  return l;
}

uint64_t InvariantChecker::entry_at(const AddressSpace& mm, uint64_t va, unsigned target) const {
  Pfn t = mm.root;
  for (unsigned level = k_.levels_;; --level) {
    const PhysicalMemory::TablePage* table = mem_.table(t);
    if (!table) return 0;
    uint64_t e = (*table)[table_index(VirtAddr{va}, level)];
    if (level == target) return e;
    if (!(e & pte_bits::kPresent) || (e & pte_bits::kHuge)) return 0;
    t = Pte::from_raw(e).pfn();
  }
}

// Whose translations a core's entries tagged `pcid` are: without PCIDs, the address space
// loaded on the core; with them, the newest address space given that PCID (an older one's
// entries were flushed when its PCID was reused). Entries of an address space no live process
// uses are skipped: no process can reach them, and the next CR3 load or PCID reuse drops them.
const InvariantChecker::Space* InvariantChecker::owner(unsigned core, uint16_t pcid, const std::vector<Space>& live) const {
  uint32_t id;
  if (!k_.pcid_) {
    if (pcid != 0 || core >= k_.cores_.size()) return nullptr;
    id = k_.cores_[core].mm;
  } else {
    uint32_t last = k_.next_mm_id_ - 1;
    if (pcid == 0 || pcid > last) return nullptr;
    id = pcid + (last - pcid) / 4095 * 4095;
  }
  for (const Space& s : live)
    if (s.mm->id == id) return &s;
  return nullptr;
}

void InvariantChecker::check_tlbs() {
  std::vector<Space> live = spaces();
  for (size_t core = 0; core < tlbs_.size(); ++core) {
    if (!tlbs_[core]) continue;
    const TlbHierarchy& h = *tlbs_[core];
    for (const auto& named : {std::pair{"L1 ITLB", &h.l1i()}, {"L1 DTLB", &h.l1d()}, {"STLB", &h.stlb()}}) {
      const char* name = named.first;  // not a structured binding: C++17 lambdas cannot capture those
      for (const Tlb& bank : named.second->banks())
        bank.for_each_entry([&](const TlbEntry& e) {
          uint64_t va = Tlb::address_of(e).value;
          uint16_t pcid = Tlb::pcid_of(e);
          const Space* s = owner(static_cast<unsigned>(core), pcid, live);
          if (!s) return;
          uint64_t end = va + (uint64_t{1} << page_shift(e.size));
          for (uint64_t a = va; a < end;) {
            Leaf l = resolve(*s->mm, a);
            std::string what = "core " + std::to_string(core) + " " + name + " entry for " + hex(va) + " (" +
                               page_size_text(e.size) + ", pcid " + std::to_string(pcid) + ") translates " + hex(a) +
                               " to frame " + hex(e.frame_of(VirtAddr{a}).value) + ", but pid " + std::to_string(s->pid);
            if (!l.present) fail(what + " no longer maps it (a stale translation survived a shootdown)");
            if (l.frame != e.frame_of(VirtAddr{a}))
              fail(what + "'s page tables map it to frame " + hex(l.frame.value) + " (a stale translation survived a shootdown)");
            if (e.writable && !l.writable) fail(what + "'s page tables write-protect it, and the entry is writable");
            if (e.user && !l.user) fail(what + "'s page tables make it supervisor-only, and the entry allows user access");
            if (!e.no_execute && l.no_execute) fail(what + "'s page tables make it no-execute, and the entry allows fetches");
            uint64_t span = entry_span(l.level);
            a = (a & ~(span - 1)) + span;
          }
        });
    }
    if (core >= walkers_.size() || !walkers_[core]) continue;
    const Walker& w = *walkers_[core];
    for (unsigned level = 2; level <= w.levels(); ++level)
      w.psc(level).for_each_entry([&](VirtAddr va, uint16_t pcid, const PscEntry& pe) {
        const Space* s = owner(static_cast<unsigned>(core), pcid, live);
        if (!s) return;
        uint64_t e = entry_at(*s->mm, va.value, level);
        if ((e & pte_bits::kPresent) && !(e & pte_bits::kHuge) && Pte::from_raw(e).pfn() == pe.table) return;
        fail("core " + std::to_string(core) + " paging-structure cache (" + psc_name(level) + ") entry for " +
             hex(va.value) + " (pcid " + std::to_string(pcid) + ") points to table " + hex(pe.table.value) + ", but pid " +
             std::to_string(s->pid) + "'s " + entry_name(level) + " there " +
             (!(e & pte_bits::kPresent) ? std::string("is not present")
              : (e & pte_bits::kHuge)   ? std::string("is a huge leaf")
                                        : "points to table " + hex(Pte::from_raw(e).pfn().value)) +
             " (a stale translation survived a shootdown)");
      });
  }
}

void InvariantChecker::check_all() {
  check_frame_accounting();
  check_mappings();
  check_smaps();
  check_tlbs();
  check_scheduler();
}

// ---------------------------------------------------------------- 7. scheduler counts

void InvariantChecker::check_scheduler() {
  std::vector<uint32_t> load(k_.cores_.size(), 0);
  std::unordered_map<const Process*, unsigned> queued_on;  // runnable process -> queue entries
  uint64_t alive = 0;
  for (const auto& p : k_.procs_) {
    if (p->state == TaskState::kRunnable || p->state == TaskState::kRunning) ++load.at(p->core);
    if (p->alive()) ++alive;
  }
  for (size_t c = 0; c < k_.cores_.size(); ++c) {
    uint32_t live = 0;
    for (const Process* p : k_.cores_[c].runqueue) {
      if (p->state == TaskState::kExited) continue;
      if (p->state != TaskState::kRunnable || p->core != c)
        fail("pid " + std::to_string(p->pid) + " is in core " + std::to_string(c) +
             "'s run queue but is not runnable on that core");
      if (++queued_on[p] > 1) fail("pid " + std::to_string(p->pid) + " is queued twice");
      ++live;
    }
    if (live != k_.cores_[c].queued)
      fail("core " + std::to_string(c) + " counts " + std::to_string(k_.cores_[c].queued) +
           " queued processes, its run queue holds " + std::to_string(live));
    if (load[c] != k_.cores_[c].load)
      fail("core " + std::to_string(c) + " counts a load of " + std::to_string(k_.cores_[c].load) + ", expected " +
           std::to_string(load[c]) + " runnable or running processes");
  }
  for (const auto& p : k_.procs_)
    if (p->state == TaskState::kRunnable && !queued_on.count(p.get()))
      fail("pid " + std::to_string(p->pid) + " is runnable but in no run queue");
  if (alive != k_.alive_)
    fail("the kernel counts " + std::to_string(k_.alive_) + " live processes, expected " + std::to_string(alive));
}

void check_invariants(const System& system, const std::string& when) {
  std::vector<const TlbHierarchy*> tlbs;
  std::vector<const Walker*> walkers;
  for (const auto& t : system.tlbs()) tlbs.push_back(&t->logic());
  for (const auto& w : system.walkers()) walkers.push_back(&w->logic());
  InvariantChecker(system.kernel(), system.physical_memory(), std::move(tlbs), std::move(walkers), when).check_all();
}

void check_tables_freed(const Kernel& kernel, const PhysicalMemory& mem) {
  for (const auto& p : kernel.processes())
    if (p->alive()) return;  // live processes hold tables; nothing to say
  if (mem.tables_in_use() != 0)
    throw std::logic_error("invariant violated: " + std::to_string(mem.tables_in_use()) +
                           " page-table page(s) still allocated after every process exited (an exited "
                           "process's page tables were not all freed)");
}

}  // namespace cowsim
