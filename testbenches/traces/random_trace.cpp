#include "testbenches/traces/random_trace.h"

#include <algorithm>

namespace cowsim::trace::test {
namespace {

constexpr uint64_t kLimit = uint64_t{1} << 56;
constexpr char kNameChars[] = "ABCXYZabcxyz0189._/:@+-";

struct Gen {
  std::mt19937_64& rng;
  NameTable& names;

  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng() % n; }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }

  // Lengths that hit the suffix forms and the odd values between them.
  uint64_t length(uint64_t max) {
    uint64_t v;
    switch (below(4)) {
      case 0: v = between(1, 5000); break;
      case 1: v = between(1, 64) << (10 * between(1, 4)); break;  // exact K/M/G/T
      case 2: v = rng() >> between(8, 63); break;
      default: v = between(1, 16) << between(0, 50); break;
    }
    return std::clamp<uint64_t>(v, 1, max);
  }

  uint32_t pid() {
    switch (below(4)) {
      case 0: return 1;
      case 1: return static_cast<uint32_t>((uint64_t{1} << 31) - 1);
      default: return static_cast<uint32_t>(between(1, 100));
    }
  }

  uint32_t name() {
    if (chance(50) && names.size() > 0) return static_cast<uint32_t>(below(names.size()));
    size_t len = chance(5) ? kMaxNameLength : between(1, 24);
    std::string s;
    for (size_t i = 0; i < len; ++i) s += kNameChars[below(sizeof kNameChars - 1)];
    return names.intern(s);
  }

  uint8_t prot() {
    static constexpr uint8_t kProts[] = {0, 1, 3, 5, 7};
    return kProts[below(5)];
  }

  // An extent [addr, addr+len) inside user space.
  void extent(Record& r) {
    r.len = length(kLimit);
    r.addr = chance(10) ? kLimit - r.len : below(kLimit - r.len + 1);
  }

  Record record() {
    Record r;
    r.pid = pid();
    r.op = static_cast<Op>(below(static_cast<uint64_t>(Op::kCount)));
    switch (r.op) {
      case Op::kMmap:
        extent(r);
        r.prot = prot();
        r.flags = static_cast<uint8_t>(below(4));
        if (r.flags & kMapFile) r.name = name();
        else if (below(4) == 0) r.flags |= kMapHuge1G;
        break;
      case Op::kMunmap:
        extent(r);
        break;
      case Op::kMprotect:
        extent(r);
        r.prot = prot();
        break;
      case Op::kMadvise:
        extent(r);
        r.advice = static_cast<Advice>(below(static_cast<uint64_t>(Advice::kCount)));
        break;
      case Op::kRead:
      case Op::kWrite:
      case Op::kFetch: {
        r.size = chance(50) ? kDefaultAccessSize : static_cast<uint32_t>(between(1, kMaxAccessSize));
        if (chance(40)) {  // single access
          r.addr = below(kLimit - r.size + 1);
          break;
        }
        r.stride = chance(50) ? kDefaultStride : length(uint64_t{1} << 32);
        r.len = length(kLimit - kMaxAccessSize);
        const uint64_t last = (r.accesses() - 1) * r.stride;  // offset of the last access
        const uint64_t span = std::max(r.len, last + r.size);
        r.addr = chance(10) ? kLimit - span : below(kLimit - span + 1);
        break;
      }
      case Op::kCompute:
        r.addr = chance(20) ? UINT64_MAX : rng() >> below(64);
        break;
      case Op::kFork:
      case Op::kVfork:
      case Op::kWait:
        do r.addr = between(1, 200); while (r.addr == r.pid);
        break;
      case Op::kCpu:
        r.addr = below(4096);
        break;
      case Op::kPost:
      case Op::kAwait:
      case Op::kSnapshot:
      case Op::kRoiBegin:
      case Op::kRoiEnd:
        r.name = name();
        break;
      case Op::kSpanBegin:
        r.name = name();
        r.flags = static_cast<uint8_t>(below(4));  // now, at, after, window
        if (r.flags == kArriveAt || r.flags == kArriveAfter) r.addr = below(kMaxSpanTime + 1);
        break;
      case Op::kSpanEnd:
        r.name = name();
        break;
      default:
        break;
    }
    return r;
  }
};

std::string hex(uint64_t v, bool upper) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  std::string s;
  do {
    s.insert(s.begin(), (upper ? kUpper : kLower)[v & 15]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

struct Speller {
  std::mt19937_64& rng;

  bool chance(int percent) { return rng() % 100 < static_cast<uint64_t>(percent); }

  // Decimal, hex (either case, maybe leading zeros) or, where allowed, any exact suffix.
  std::string number(uint64_t v, bool suffix) {
    const int pick = static_cast<int>(rng() % 3);
    if (pick == 1) return hex(v, chance(30)).insert(2, chance(10) ? "00" : "");
    if (pick == 2 && suffix && v != 0) {
      std::vector<std::pair<unsigned, char>> fits;
      for (auto [shift, c] : {std::pair{10u, 'K'}, {20u, 'M'}, {30u, 'G'}, {40u, 'T'}})
        if ((v & ((uint64_t{1} << shift) - 1)) == 0) fits.emplace_back(shift, c);
      if (!fits.empty()) {
        auto [shift, c] = fits[rng() % fits.size()];
        return std::to_string(v >> shift) + c;
      }
    }
    return (chance(5) ? "0" : "") + std::to_string(v);
  }

  std::string space() {
    static const char* kSpaces[] = {" ", "  ", "\t", " \t "};
    return kSpaces[rng() % 4];
  }
};

}  // namespace

std::vector<Record> random_records(std::mt19937_64& rng, size_t count, NameTable& names) {
  Gen gen{rng, names};
  std::vector<Record> records;
  for (size_t i = 0; i < count; ++i) records.push_back(gen.record());
  return records;
}

std::string random_spelling(std::mt19937_64& rng, const std::vector<Record>& records,
                            const NameTable& names) {
  static const char* kProt[] = {"none", "r", "?", "rw", "?", "rx", "?", "rwx"};
  static const char* kAdvice[] = {"dontfork", "dofork", "wipeonfork", "keeponfork",
                                  "hugepage", "nohugepage", "dontneed"};
  Speller sp{rng};
  std::string text = sp.chance(50) ? "# random trace\n\n" : "";
  text += "cowsim-trace" + sp.space() + "1\n";
  for (const Record& r : records) {
    if (sp.chance(10)) text += sp.chance(50) ? "\n" : "# a comment line\n";
    const bool window = r.op == Op::kSpanBegin && r.flags == kSpanWindow;
    // Two-word ops ("span begin", "roi end") may be spelt with any blank run between the words.
    std::string op = window ? "span window" : op_name(r.op);
    if (const auto blank = op.find(' '); blank != std::string::npos) op.replace(blank, 1, sp.space());
    std::string line = (sp.chance(10) ? sp.space() : "") + sp.number(r.pid, false) + sp.space() + op;
    auto add = [&](const std::string& field) { line += sp.space() + field; };
    switch (r.op) {
      case Op::kMmap:
      case Op::kMunmap:
      case Op::kMprotect:
      case Op::kMadvise:
        add(sp.number(r.addr, false));
        add(sp.number(r.len, true));
        if (r.op == Op::kMmap || r.op == Op::kMprotect) add(kProt[r.prot]);
        if (r.op == Op::kMadvise) add(kAdvice[static_cast<int>(r.advice)]);
        if (r.op == Op::kMmap)
          add(std::string(r.flags & kMapShared ? "shared," : "private,") +
              (r.flags & kMapFile ? "file=" + names[r.name] : (r.flags & kMapHuge1G) ? "anon,huge1g" : "anon"));
        break;
      case Op::kRead:
      case Op::kWrite:
      case Op::kFetch:
        add(sp.number(r.addr, false));
        if (r.is_range()) {
          add("+" + sp.number(r.len, true));
          if (r.stride != kDefaultStride || sp.chance(20)) add("/" + sp.number(r.stride, true));
        }
        if (r.size != kDefaultAccessSize || sp.chance(20)) add(sp.number(r.size, true));
        break;
      case Op::kCompute:
        add(sp.number(r.addr, true));
        break;
      case Op::kFork:
      case Op::kVfork:
      case Op::kWait:
      case Op::kCpu:
        add(sp.number(r.addr, false));
        break;
      case Op::kPost:
      case Op::kAwait:
      case Op::kSnapshot:
      case Op::kRoiBegin:
      case Op::kRoiEnd:
        add(names[r.name]);
        break;
      case Op::kSpanBegin:
        add(names[r.name]);
        if (r.flags == kArriveAt) add("at" + sp.space() + sp.number(r.addr, false));
        if (r.flags == kArriveAfter) add("at" + sp.space() + "+" + sp.number(r.addr, false));
        break;
      case Op::kSpanEnd:
        add(names[r.name]);
        break;
      default:
        break;
    }
    if (sp.chance(10)) line += sp.space();
    if (sp.chance(10)) line += "# trailing";
    text += line + (sp.chance(5) ? "\r\n" : "\n");
  }
  return text;
}

}  // namespace cowsim::trace::test
