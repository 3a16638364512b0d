#include "models/memory/cache.h"

#include <stdexcept>

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

size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

}  // namespace

Cache::Cache(std::string name, const CacheLevelParams& p, uint64_t seed, uint64_t memory_bytes)
    : name_(std::move(name)), ways_(p.ways), latency_(p.latency),
      tree_(p.policy == ReplacementKind::kTreePlru && p.ways <= 64 ? p.ways : 0) {
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
  try {
    check_replacement(p.policy, p.ways);
  } catch (const InputError& e) {
    throw InputError(where + e.what());
  }
  sets_ = static_cast<uint32_t>(sets);
  set_mask_ = sets_ - 1;
  line_shift_ = log2_exact(p.line);
  set_bits_ = log2_exact(sets_);

  // The set's block: dirty bits, count of valid ways, tags, replacement state.
  const uint64_t top_tag = memory_bytes ? (memory_bytes - 1) >> (line_shift_ + set_bits_) : 0;
  wide_ = top_tag >= kNarrowInvalid;
  const size_t tag_bytes = wide_ ? 8 : 4;
  if (p.policy == ReplacementKind::kLru && ways_ <= 128) mode_ = Mode::kRanks;
  else if (p.policy == ReplacementKind::kTreePlru && ways_ <= 64) mode_ = Mode::kPlruWord;
  else mode_ = Mode::kPolicy;
  const size_t dirty_bytes = (ways_ + 7) / 8;
  count_at_ = ways_ <= 255 ? dirty_bytes : align_up(dirty_bytes, 4);
  tags_at_ = align_up(count_at_ + (ways_ <= 255 ? 1 : 4), tag_bytes);
  size_t end = tags_at_ + ways_ * tag_bytes;
  if (mode_ == Mode::kRanks) {
    policy_at_ = end;
    end += align_up(ways_, 8);  // ranks are aged eight at a time
  } else if (mode_ == Mode::kPlruWord) {
    policy_at_ = align_up(end, 8);
    end = policy_at_ + 8;
  }
  stride_ = sizeof(HostLine);
  while (stride_ < end) stride_ *= 2;
  stride_shift_ = log2_exact(stride_);
  // One spare host line at the end: the last set's tag compare may read a little past it.
  storage_.assign((size_t{sets_} << stride_shift_) / sizeof(HostLine) + 1, HostLine{});
  for (uint32_t set = 0; set < sets_; ++set)
    for (uint32_t w = 0; w < ways_; ++w) set_tag(block(set), w, wide_ ? kWideInvalid : kNarrowInvalid);
  if (mode_ == Mode::kPolicy) policy_ = make_replacement(p.policy, sets_, ways_, seed);
}

uint32_t Cache::victim(uint32_t set, const uint8_t* s) {
  switch (mode_) {
    case Mode::kRanks: {
      // A full set's ranks are 0 .. ways-1, each once: the least recent way has the last.
      // Eight at a time: the lowest zero byte of rank ^ (ways-1) is found exactly (padding
      // bytes come after every way).
      const uint8_t* r = s + policy_at_;
      const uint64_t last = 0x0101010101010101ull * (ways_ - 1);
      for (uint32_t w = 0; w < ways_; w += 8) {
        uint64_t x;
        std::memcpy(&x, r + w, 8);
        x ^= last;
        const uint64_t zero = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
        if (zero) {
          const uint32_t way = w + static_cast<uint32_t>(__builtin_ctzll(zero)) / 8;
          if (way < ways_) return way;
          break;
        }
      }
      break;
    }
    case Mode::kPlruWord: {
      uint64_t word;
      std::memcpy(&word, s + policy_at_, 8);
      return tree_.victim(word);
    }
    case Mode::kPolicy: return policy_->victim(set);
  }
  throw std::logic_error("memory." + name_ + ": LRU ranks of set " + std::to_string(set) + " are inconsistent");
}

void Cache::beyond_memory(uint64_t line) const {
  throw std::logic_error("memory." + name_ + ": access to physical address " + std::to_string(line << line_shift_) +
                         ", beyond the simulated physical memory");
}

Cache::Victim Cache::fill(PhysAddr pa, bool dirty) {
  recent_line_ = UINT64_MAX;
  const uint64_t line = pa.value >> line_shift_;
  const uint32_t set = static_cast<uint32_t>(line & set_mask_);
  uint8_t* s = block(set);
  const uint32_t way = find_in(s, line);
  if (way == kNoWay) return fill_missing(pa, dirty);
  if (dirty) s[way >> 3] |= static_cast<uint8_t>(1u << (way & 7));  // already present: refresh
  touch(set, s, way);
  return Victim{};
}

Cache::Victim Cache::fill_missing(PhysAddr pa, bool dirty) {
  const uint64_t line = pa.value >> line_shift_;
  const uint32_t set = static_cast<uint32_t>(line & set_mask_);
  const uint64_t tag = line >> set_bits_;
  if (!wide_ && tag >= kNarrowInvalid) beyond_memory(line);
  uint8_t* s = block(set);
  Victim v;
  uint32_t way = count(s);
  if (way < ways_) {
    set_count(s, way + 1);
    if (mode_ == Mode::kRanks) s[policy_at_ + way] = static_cast<uint8_t>(way);  // older than none: all valid ways age
  } else {
    way = victim(set, s);
    const uint64_t old = tag_at(s, way);
    if (old != (wide_ ? kWideInvalid : uint64_t{kNarrowInvalid})) {  // not a way emptied by invalidate()
      v = {true, (s[way >> 3] >> (way & 7) & 1) != 0, old << set_bits_ | set};
      ++evictions_;
      if (v.dirty) ++dirty_evictions_;
    }
  }
  set_tag(s, way, tag);
  const uint8_t bit = static_cast<uint8_t>(1u << (way & 7));
  s[way >> 3] = dirty ? s[way >> 3] | bit : s[way >> 3] & ~bit;
  touch(set, s, way);
  // The filled line is now its set's most recent way (and the last touch): the next lookup
  // of it, typically the very next access, is a repeated hit (recent_line_).
  recent_line_ = line;
  recent_dirty_ = static_cast<size_t>(s - block(0)) + (way >> 3);
  recent_bit_ = bit;
  ++fills_;
  return v;
}

bool Cache::absorb_writeback(uint64_t line) {
  uint8_t* s = block(static_cast<uint32_t>(line & set_mask_));
  const uint32_t w = find_in(s, line);
  if (w == kNoWay) return false;
  s[w >> 3] |= static_cast<uint8_t>(1u << (w & 7));
  return true;
}

bool Cache::clean(PhysAddr pa) {
  const uint64_t line = pa.value >> line_shift_;
  uint8_t* s = block(static_cast<uint32_t>(line & set_mask_));
  const uint32_t w = find_in(s, line);
  if (w == kNoWay) return false;
  const uint8_t bit = static_cast<uint8_t>(1u << (w & 7));
  const bool dirty = (s[w >> 3] & bit) != 0;
  s[w >> 3] &= static_cast<uint8_t>(~bit);
  return dirty;
}

bool Cache::invalidate(PhysAddr pa) {
  recent_line_ = UINT64_MAX;
  const uint64_t line = pa.value >> line_shift_;
  uint8_t* s = block(static_cast<uint32_t>(line & set_mask_));
  const uint32_t w = find_in(s, line);
  if (w == kNoWay) return false;
  s[w >> 3] &= static_cast<uint8_t>(~(1u << (w & 7)));
  set_tag(s, w, wide_ ? kWideInvalid : kNarrowInvalid);
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
