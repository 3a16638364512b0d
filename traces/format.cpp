// format_record and the canonical spellings it is made of.
#include "traces/format.h"

#include <cstdio>

#include "traces/trace_io.h"

namespace cowsim::trace {

std::string format_hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string format_length(uint64_t v) {
  static constexpr char kSuffix[] = {'T', 'G', 'M', 'K'};
  if (v != 0) {
    for (int i = 0; i < 4; ++i) {
      const unsigned shift = 10 * (4 - i);
      if ((v & ((uint64_t{1} << shift) - 1)) == 0) return std::to_string(v >> shift) + kSuffix[i];
    }
  }
  return std::to_string(v);
}

namespace {

// Names index the caller's table; an id it does not hold is shown, not dereferenced.
std::string name_text(uint32_t id, const NameTable& names) {
  if (id < names.size()) return names[id];
  return id == kNoName ? "<none>" : "<name #" + std::to_string(id) + ">";
}

}  // namespace

std::string format_flags(const Record& r, const NameTable& names) {
  std::string s = (r.flags & kMapShared) ? "shared," : "private,";
  if (r.flags & kMapFile) return s + "file=" + name_text(r.name, names);
  return s + ((r.flags & kMapHuge1G) ? "anon,huge1g" : "anon");
}

std::string field_text(const Record& r, Field f, const NameTable& names) {
  switch (f) {
    case Field::kPid: return std::to_string(r.pid);
    case Field::kAddr:
      switch (r.op) {
        case Op::kFork: case Op::kVfork: case Op::kWait: case Op::kCpu: case Op::kCompute:
          return std::to_string(r.addr);
        case Op::kSpanBegin:
          return (r.flags == kArriveAfter ? "+" : "") + std::to_string(r.addr);
        default:
          return format_hex(r.addr);
      }
    case Field::kLen: return (r.is_access() ? "+" : "") + format_length(r.len);
    case Field::kStride: return "/" + format_length(r.stride);
    case Field::kSize: return format_length(r.size);
    case Field::kProt: {
      const std::string p = prot_name(r.prot);
      return p == "?" ? format_hex(r.prot) : p;
    }
    case Field::kFlags:
      if (r.op == Op::kSpanBegin) return std::to_string(r.flags);
      return format_flags(r, names);
    case Field::kAdvice:
      return r.advice < Advice::kCount ? advice_name(r.advice)
                                       : std::to_string(static_cast<unsigned>(r.advice));
    case Field::kName: return name_text(r.name, names);
  }
  return "?";
}

std::string format_record(const Record& r, const NameTable& names) {
  std::string s = std::to_string(r.pid);
  s += ' ';
  s += r.op == Op::kSpanBegin && r.flags == kSpanWindow ? "span window" : op_name(r.op);
  auto add = [&s](const std::string& field) {
    s += ' ';
    s += field;
  };
  switch (r.op) {
    case Op::kMmap:
      add(format_hex(r.addr));
      add(format_length(r.len));
      add(prot_name(r.prot));
      add(format_flags(r, names));
      break;
    case Op::kMunmap:
      add(format_hex(r.addr));
      add(format_length(r.len));
      break;
    case Op::kMprotect:
      add(format_hex(r.addr));
      add(format_length(r.len));
      add(prot_name(r.prot));
      break;
    case Op::kMadvise:
      add(format_hex(r.addr));
      add(format_length(r.len));
      add(advice_name(r.advice));
      break;
    case Op::kRead:
    case Op::kWrite:
    case Op::kFetch:
      add(format_hex(r.addr));
      if (r.is_range()) {
        add("+" + format_length(r.len));
        if (r.stride != kDefaultStride) add("/" + format_length(r.stride));
      }
      if (r.size != kDefaultAccessSize) add(format_length(r.size));
      break;
    case Op::kCompute:
    case Op::kFork:
    case Op::kVfork:
    case Op::kWait:
    case Op::kCpu:
      add(std::to_string(r.addr));
      break;
    case Op::kPost:
    case Op::kAwait:
    case Op::kSnapshot:
    case Op::kRoiBegin:
    case Op::kRoiEnd:
      add(name_text(r.name, names));
      break;
    case Op::kSpanBegin:
      add(name_text(r.name, names));
      if (r.flags == kArriveAt) add("at " + std::to_string(r.addr));
      if (r.flags == kArriveAfter) add("at +" + std::to_string(r.addr));
      break;
    case Op::kSpanEnd:
      add(name_text(r.name, names));
      break;
    case Op::kExec:
    case Op::kExit:
    case Op::kCount:
      break;
  }
  return s;
}

std::string printable(std::string_view token) {
  constexpr size_t kMaxShown = 64;
  std::string s;
  for (size_t i = 0; i < token.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      s += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    }
  }
  if (token.size() > kMaxShown) s += "...";
  return s;
}

}  // namespace cowsim::trace
