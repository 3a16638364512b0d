#include "models/memory/cache.h"

#include "models/common/error.h"

namespace cowsim {

const char* source_name(Source s) {
  switch (s) {
    case Source::kData: return "data";
    case Source::kPageWalk: return "page_walk";
    case Source::kKernel: return "kernel";
  }
  return "?";
}

namespace {

bool power_of_two(uint64_t x) { return x && !(x & (x - 1)); }

unsigned log2_exact(uint64_t x) {
  unsigned s = 0;
  while ((uint64_t{1} << s) < x) ++s;
  return s;
}

}  // namespace

Cache::Cache(std::string name, const CacheLevelParams& p, uint64_t seed)
    : name_(std::move(name)), ways_(p.ways), latency_(p.latency) {
  const std::string where = "memory." + name_ + ": ";
  if (!power_of_two(p.line))
    throw InputError(where + "line (" + std::to_string(p.line) + " bytes) must be a power of two");
  if (p.ways == 0) throw InputError(where + "ways must be at least 1");
  const uint64_t set_bytes = uint64_t{p.ways} * p.line;
  if (p.size == 0 || p.size % set_bytes != 0)
    throw InputError(where + "size (" + std::to_string(p.size) + " bytes) must be a multiple of ways x line (" +
                     std::to_string(p.ways) + " x " + std::to_string(p.line) + " = " + std::to_string(set_bytes) +
                     " bytes)");
  const uint64_t sets = p.size / set_bytes;
  if (!power_of_two(sets) || sets > (uint64_t{1} << 31))
    throw InputError(where + "size / (ways x line) = " + std::to_string(sets) + " sets; must be a power of two");
  sets_ = static_cast<uint32_t>(sets);
  set_mask_ = sets_ - 1;
  line_shift_ = log2_exact(p.line);
  tags_.assign(size_t{sets_} * ways_, kInvalid);
  dirty_.assign(size_t{sets_} * ways_, 0);
  try {
    policy_ = make_replacement(p.policy, sets_, ways_, seed);
  } catch (const InputError& e) {
    throw InputError(where + e.what());
  }
}

Cache::Victim Cache::fill(PhysAddr pa, bool dirty) {
  const uint64_t line = pa.value >> line_shift_;
  const uint32_t set = static_cast<uint32_t>(line & set_mask_);
  const size_t base = size_t{set} * ways_;
  uint64_t* t = &tags_[base];
  Victim v;
  uint32_t way = kNoWay;
  for (uint32_t w = 0; w < ways_ && way == kNoWay; ++w)
    if (t[w] == line) way = w;
  if (way != kNoWay) {  // already present: refresh
    dirty_[base + way] |= dirty;
    policy_->touch(set, way);
    return v;
  }
  for (uint32_t w = 0; w < ways_ && way == kNoWay; ++w)
    if (t[w] == kInvalid) way = w;
  if (way == kNoWay) {
    way = policy_->victim(set);
    v = {true, dirty_[base + way] != 0, t[way]};
    ++evictions_;
    if (v.dirty) ++dirty_evictions_;
  }
  t[way] = line;
  dirty_[base + way] = dirty;
  policy_->touch(set, way);
  ++fills_;
  return v;
}

bool Cache::absorb_writeback(uint64_t line) {
  uint32_t w = find(line);
  if (w == kNoWay) return false;
  dirty_[size_t{static_cast<uint32_t>(line & set_mask_)} * ways_ + w] = 1;
  return true;
}

uint64_t Cache::hits() const { return hits_[0] + hits_[1] + hits_[2]; }
uint64_t Cache::misses() const { return misses_[0] + misses_[1] + misses_[2]; }

void Cache::report(StatSink& s) const {
  s.counter("hits", hits(), "accesses", "Accesses that hit in this level");
  s.counter("misses", misses(), "accesses", "Accesses that reached this level and missed");
  s.counter("fills", fills_, "lines", "Lines installed after a miss here");
  s.counter("evictions", evictions_, "lines", "Valid lines replaced by a fill");
  s.counter("dirty_evictions", dirty_evictions_, "lines",
            "Evicted lines that were dirty (written back to the next level that holds them, or DRAM)");
  for (size_t i = 0; i < kSourceCount; ++i) {
    StatSink::Scope sc(s, source_name(static_cast<Source>(i)));
    s.counter("hits", hits_[i], "accesses", "Hits by accesses from this source (data, page walk, kernel)");
    s.counter("misses", misses_[i], "accesses", "Misses by accesses from this source (data, page walk, kernel)");
  }
}

}  // namespace cowsim
