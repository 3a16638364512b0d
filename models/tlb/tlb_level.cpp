#include "models/tlb/tlb_level.h"

#include "models/common/error.h"

namespace cowsim {

TlbLevel::TlbLevel(std::string name, const TlbLevelParams& p, uint64_t seed) : name_(std::move(name)), latency_(p.latency) {
  uint8_t seen = 0;
  for (auto [bank_name, bank] : {std::pair{"a", &p.a}, {"b", &p.b}, {"c", &p.c}}) {
    if (bank->sizes == SizeSet::kNone) continue;
    uint8_t mask = size_set_mask(bank->sizes);
    if (mask & seen)
      throw InputError("tlb." + name_ + "." + bank_name + ": a page size is already held by another bank of this level");
    seen |= mask;
    for (unsigned size = 0; size < 3; ++size)
      if (mask & (1u << size)) probes_[probe_count_++] = {static_cast<uint8_t>(banks_.size()), static_cast<PageSize>(size)};
    banks_.emplace_back(name_ + "." + bank_name, *bank, seed + banks_.size());
    bank_names_.push_back(bank_name);
  }
}

void TlbLevel::fill(VirtAddr va, uint16_t pcid, const Translation& t) {
  for (int s = static_cast<int>(size_of_shift(t.page_shift)); s >= 0; --s) {
    PageSize size = static_cast<PageSize>(s);
    for (auto& b : banks_)
      if (b.holds(size)) {
        if (page_shift(size) != t.page_shift) ++splintered_;
        b.fill(va, size, pcid, t);
        return;
      }
  }
}

void TlbLevel::report(StatSink& s) const {
  s.counter("hits", hits(), "lookups", "Lookups that hit in this level");
  s.counter("misses", misses_, "lookups", "Lookups that missed in this level");
  s.counter("splintered", splintered_, "fills", "Translations stored as a smaller page than they map (no bank for their size)");
  for (size_t i = 0; i < banks_.size(); ++i) {
    StatSink::Scope b(s, bank_names_[i]);
    banks_[i].report(s);
  }
}

}  // namespace cowsim
