// Parser for the text encoding. Syntax is checked here; the semantic rules come from
// validate.h so the binary reader applies exactly the same ones.
#include "traces/text_reader.h"

#include <cstring>

#include "models/common/error.h"
#include "traces/format.h"
#include "traces/text_syntax.h"
#include "traces/validate.h"

namespace cowsim::trace {
namespace {

struct OpSyntax {
  const char* name;
  Op op;
  const char* operands;  // for usage messages; each "<...>" is one required field
};

constexpr OpSyntax kOps[] = {
    {"mmap", Op::kMmap, "<addr> <len> <prot> <flags>"},
    {"munmap", Op::kMunmap, "<addr> <len>"},
    {"mprotect", Op::kMprotect, "<addr> <len> <prot>"},
    {"madvise", Op::kMadvise, "<addr> <len> <advice>"},
    {"r", Op::kRead, "<addr> [<size>]  or  <addr> +<len> [/<stride>] [<size>]"},
    {"w", Op::kWrite, "<addr> [<size>]  or  <addr> +<len> [/<stride>] [<size>]"},
    {"x", Op::kFetch, "<addr> [<size>]  or  <addr> +<len> [/<stride>] [<size>]"},
    {"compute", Op::kCompute, "<n>"},
    {"fork", Op::kFork, "<child-pid>"},
    {"vfork", Op::kVfork, "<child-pid>"},
    {"exec", Op::kExec, ""},
    {"exit", Op::kExit, ""},
    {"wait", Op::kWait, "<child-pid>"},
    {"cpu", Op::kCpu, "<core>"},
    {"post", Op::kPost, "<name>"},
    {"await", Op::kAwait, "<name>"},
    {"snapshot", Op::kSnapshot, "<name>"},
    {"roi", Op::kRoiBegin, "<begin|end> <name>"},  // kRoiEnd when the first operand is `end`
};

constexpr const char* kAdviceNames[] = {"dontfork", "dofork", "wipeonfork", "keeponfork",
                                        "hugepage", "nohugepage", "dontneed"};
static_assert(std::size(kAdviceNames) == static_cast<size_t>(Advice::kCount));

class TextReader : public RecordStream {
 public:
  TextReader(std::unique_ptr<ByteSource> src, NameTable& names)
      : src_(std::move(src)), names_(names) {
    read_header();
  }

  bool next(Record& r) override {
    std::string_view line;
    while (next_line(line)) {
      n_ = tokenize(line, tok_);
      if (n_ == 0) continue;
      parse(r);
      return true;
    }
    return false;
  }

  std::string where() const override { return src_->path() + ":" + std::to_string(line_); }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(where() + ": " + what); }

  static std::string quote(std::string_view token) { return "'" + printable(token) + "'"; }

  // The next line without its newline; the view lives until the next call.
  bool next_line(std::string_view& line) {
    size_t scanned = 0;  // bytes already known to hold no newline
    for (;;) {
      const char* p = src_->data();
      const size_t avail = src_->available();
      const void* nl = std::memchr(p + scanned, '\n', avail - scanned);
      if (nl != nullptr) {
        const size_t len = static_cast<size_t>(static_cast<const char*>(nl) - p);
        line = std::string_view(p, len);
        src_->consume(len + 1);
        ++line_;
        return true;
      }
      if (avail == ByteSource::kBlockSize) {
        ++line_;
        fail("line longer than 1 MiB");
      }
      if (src_->fill(avail + 1) == avail) {  // end of file; fill may have moved the bytes
        if (avail == 0) return false;
        line = std::string_view(src_->data(), avail);
        src_->consume(avail);
        ++line_;
        return true;
      }
      scanned = avail;
    }
  }

  void read_header() {
    std::string_view line;
    while (next_line(line)) {
      n_ = tokenize(line, tok_);
      if (n_ == 0) continue;
      if (tok_[0] != "cowsim-trace")
        fail("not a cowsim trace: expected the header 'cowsim-trace 1' first, found " + quote(tok_[0]));
      if (n_ < 2) fail("header " + quote(tok_[0]) + " lacks the version (expected 'cowsim-trace 1')");
      if (tok_[1] != "1")
        fail("unsupported trace version " + quote(tok_[1]) + " (this cowsim reads version 1)");
      if (n_ > 2) fail("extra field " + quote(tok_[2]) + " after the header 'cowsim-trace 1'");
      return;
    }
    if (line_ == 0) line_ = 1;
    fail("empty trace: missing the header 'cowsim-trace 1'");
  }

  // `shown` is the whole token, `digits` the number in it (after a '+' or '/').
  uint64_t number(std::string_view shown, std::string_view digits, bool suffix,
                  const char* field) const {
    uint64_t v = 0;
    switch (parse_number(digits, suffix, v)) {
      case NumberStatus::kOk:
        return v;
      case NumberStatus::kTooLarge:
        fail("number " + quote(shown) + " for " + field + " does not fit in 64 bits");
      case NumberStatus::kNotWhole:
        fail("number " + quote(shown) + " for " + field + " is not a whole number");
      case NumberStatus::kBad:
        break;
    }
    fail(std::string("bad number ") + quote(shown) + " for " + field +
         (suffix ? " (decimal like 4096, 64K, 8GB or 1.5GiB, or 0x hex)" : " (decimal or 0x hex)"));
  }

  // Checks the field count against the op's usage: tokens 2..n_-1 are its operands.
  void expect_operands(const OpSyntax& s, size_t min, size_t max) const {
    const size_t have = n_ - 2;
    const std::string usage = std::string(" (usage: <pid> ") + s.name + (*s.operands ? " " : "") +
                              s.operands + ")";
    if (have < min) {
      // Name the first missing operand.
      std::string_view ops(s.operands);
      for (size_t k = 0; k < have; ++k) ops = ops.substr(ops.find('>') + 2);
      fail(quote(tok_[1]) + " is missing " + std::string(ops.substr(0, ops.find('>') + 1)) + usage);
    }
    if (have > max) fail("extra field " + quote(tok_[2 + max]) + " after " + quote(tok_[1]) + usage);
  }

  uint8_t prot(size_t i) const {
    static constexpr std::pair<const char*, uint8_t> kProts[] = {
        {"none", kProtNone}, {"r", kProtRead}, {"rw", kProtRead | kProtWrite},
        {"rx", kProtRead | kProtExec}, {"rwx", kProtRead | kProtWrite | kProtExec}};
    for (const auto& [name, bits] : kProts)
      if (tok_[i] == name) return bits;
    fail("bad prot " + quote(tok_[i]) + " (expected none, r, rw, rx or rwx)");
  }

  uint32_t name(std::string_view token, std::string_view shown) const {
    if (const char* rule = check_name(token)) fail(std::string(rule) + ", got " + quote(shown));
    return names_.intern(token);
  }

  void flags(size_t i, Record& r) const {
    const std::string_view t = tok_[i];
    const size_t comma = t.find(',');
    const std::string_view sharing = t.substr(0, comma);
    const std::string_view backing = comma == std::string_view::npos ? "" : t.substr(comma + 1);
    if (sharing == "private") {
      r.flags = kMapPrivate;
    } else if (sharing == "shared") {
      r.flags = kMapShared;
    } else {
      fail("bad mmap flags " + quote(t) + " (expected private or shared, then ,anon, ,anon,huge1g or ,file=<name>)");
    }
    if (backing == "anon") return;
    if (backing == "anon,huge1g") {
      r.flags |= kMapHuge1G;
      return;
    }
    if (backing.substr(0, 5) != "file=")
      fail("bad mmap flags " + quote(t) + " (expected private or shared, then ,anon, ,anon,huge1g or ,file=<name>)");
    r.flags |= kMapFile;
    r.name = name(backing.substr(5), t);
  }

  Advice advice(size_t i) const {
    for (size_t k = 0; k < std::size(kAdviceNames); ++k)
      if (tok_[i] == kAdviceNames[k]) return static_cast<Advice>(k);
    fail("unknown madvise advice " + quote(tok_[i]) +
         " (expected dontfork, dofork, wipeonfork, keeponfork, hugepage, nohugepage or dontneed)");
  }

  // <addr> [<size>]  or  <addr> +<len> [/<stride>] [<size>]
  void access(const OpSyntax& s, Record& r) {
    expect_operands(s, 1, 4);
    r.addr = number(tok_[2], tok_[2], false, "<addr>");
    field_tok_[static_cast<size_t>(Field::kAddr)] = tok_[2];
    size_t i = 3;
    if (i < n_ && tok_[i][0] == '+') {
      field_tok_[static_cast<size_t>(Field::kLen)] = tok_[i];
      r.len = number(tok_[i], tok_[i].substr(1), true, "+<len>");
      if (r.len == 0) fail("range length must be > 0, got " + quote(tok_[i]));
      ++i;
      if (i < n_ && tok_[i][0] == '/') {
        field_tok_[static_cast<size_t>(Field::kStride)] = tok_[i];
        r.stride = number(tok_[i], tok_[i].substr(1), true, "/<stride>");
        ++i;
      }
    } else if (i < n_ && tok_[i][0] == '/') {
      fail("stride " + quote(tok_[i]) + " without a range: write <addr> +<len> /<stride>");
    }
    if (i < n_) {
      const uint64_t size = number(tok_[i], tok_[i], true, "<size>");
      if (const char* rule = check_size(size)) fail(std::string(rule) + ", got " + quote(tok_[i]));
      r.size = static_cast<uint32_t>(size);
      field_tok_[static_cast<size_t>(Field::kSize)] = tok_[i];
      ++i;
    }
    if (i < n_) fail("extra field " + quote(tok_[i]) + " after " + quote(tok_[1]) +
                     " (usage: <pid> " + s.name + " " + s.operands + ")");
  }

  // <pid> span begin <name> [at <ns> | at +<ns>]  |  span window <name>  |  span end <name>
  void span(Record& r) {
    static constexpr const char* kUsage =
        " (usage: <pid> span begin <name> [at <ns>|at +<ns>], <pid> span window <name> or <pid> span end <name>)";
    if (n_ < 3) fail("'span' is missing begin, window or end" + std::string(kUsage));
    const std::string_view kind = tok_[2];
    if (kind != "begin" && kind != "end" && kind != "window")
      fail("unknown span record " + quote(kind) + " (expected begin, window or end)" + kUsage);
    if (n_ < 4) fail("'span " + std::string(kind) + "' is missing <name>" + kUsage);
    r.name = name(tok_[3], tok_[3]);
    field_tok_[static_cast<size_t>(Field::kName)] = tok_[3];
    const size_t max = kind == "begin" ? 6 : 4;
    if (n_ > max) fail("extra field " + quote(tok_[max]) + " after 'span " + std::string(kind) + "'" + kUsage);
    if (kind == "end") {
      r.op = Op::kSpanEnd;
    } else {
      r.op = Op::kSpanBegin;
      r.flags = kind == "window" ? kSpanWindow : kArriveNow;
      if (n_ > 4) {
        if (tok_[4] != "at") fail("expected 'at' before the arrival time, got " + quote(tok_[4]) + kUsage);
        if (n_ < 6) fail("'span begin' is missing the arrival time after 'at'" + std::string(kUsage));
        std::string_view t = tok_[5];
        r.flags = kArriveAt;
        if (!t.empty() && t[0] == '+') {
          r.flags = kArriveAfter;
          t.remove_prefix(1);
        }
        r.addr = number(tok_[5], t, false, "<ns>");
        field_tok_[static_cast<size_t>(Field::kAddr)] = tok_[5];
      }
    }
    if (auto p = check_record(r)) {
      std::string_view t = field_tok_[static_cast<size_t>(p->field)];
      fail(std::string(p->rule) + ", got " +
           (t.empty() ? "'" + field_text(r, p->field, names_) + "'" : quote(t)));
    }
  }

  void parse(Record& r) {
    r = Record{};
    field_tok_ = {};
    if (tok_[0] == "cowsim-trace") fail("the header 'cowsim-trace 1' may appear only once, first");
    const uint64_t pid = number(tok_[0], tok_[0], false, "<pid>");
    if (const char* rule = check_pid(pid)) fail(std::string(rule) + ", got " + quote(tok_[0]));
    r.pid = static_cast<uint32_t>(pid);
    field_tok_[static_cast<size_t>(Field::kPid)] = tok_[0];
    if (n_ < 2) fail("missing op after " + quote(tok_[0]) + " (expected '<pid> <op> ...')");
    if (tok_[1] == "span") return span(r);
    const OpSyntax* s = nullptr;
    for (const auto& candidate : kOps)
      if (tok_[1] == candidate.name) s = &candidate;
    if (s == nullptr) fail("unknown op " + quote(tok_[1]));
    r.op = s->op;

    auto addr_len = [&] {
      r.addr = number(tok_[2], tok_[2], false, "<addr>");
      r.len = number(tok_[3], tok_[3], true, "<len>");
      field_tok_[static_cast<size_t>(Field::kAddr)] = tok_[2];
      field_tok_[static_cast<size_t>(Field::kLen)] = tok_[3];
    };
    switch (s->op) {
      case Op::kMmap:
        expect_operands(*s, 4, 4);
        addr_len();
        r.prot = prot(4);
        flags(5, r);
        field_tok_[static_cast<size_t>(Field::kProt)] = tok_[4];
        field_tok_[static_cast<size_t>(Field::kFlags)] = tok_[5];
        field_tok_[static_cast<size_t>(Field::kName)] = tok_[5];
        break;
      case Op::kMunmap:
        expect_operands(*s, 2, 2);
        addr_len();
        break;
      case Op::kMprotect:
        expect_operands(*s, 3, 3);
        addr_len();
        r.prot = prot(4);
        field_tok_[static_cast<size_t>(Field::kProt)] = tok_[4];
        break;
      case Op::kMadvise:
        expect_operands(*s, 3, 3);
        addr_len();
        r.advice = advice(4);
        field_tok_[static_cast<size_t>(Field::kAdvice)] = tok_[4];
        break;
      case Op::kRead:
      case Op::kWrite:
      case Op::kFetch:
        access(*s, r);
        break;
      case Op::kCompute:
        expect_operands(*s, 1, 1);
        r.addr = number(tok_[2], tok_[2], true, "<n>");
        break;
      case Op::kFork:
      case Op::kVfork:
      case Op::kWait:
        expect_operands(*s, 1, 1);
        r.addr = number(tok_[2], tok_[2], false, "<child-pid>");
        field_tok_[static_cast<size_t>(Field::kAddr)] = tok_[2];
        break;
      case Op::kCpu:
        expect_operands(*s, 1, 1);
        r.addr = number(tok_[2], tok_[2], false, "<core>");
        field_tok_[static_cast<size_t>(Field::kAddr)] = tok_[2];
        break;
      case Op::kPost:
      case Op::kAwait:
      case Op::kSnapshot:
        expect_operands(*s, 1, 1);
        r.name = name(tok_[2], tok_[2]);
        field_tok_[static_cast<size_t>(Field::kName)] = tok_[2];
        break;
      case Op::kRoiBegin:
      case Op::kRoiEnd:
        expect_operands(*s, 2, 2);
        if (tok_[2] == "end") r.op = Op::kRoiEnd;
        else if (tok_[2] != "begin") fail("bad roi mark " + quote(tok_[2]) + " (usage: <pid> roi begin|end <name>)");
        r.name = name(tok_[3], tok_[3]);
        field_tok_[static_cast<size_t>(Field::kName)] = tok_[3];
        break;
      case Op::kExec:
      case Op::kExit:
        expect_operands(*s, 0, 0);
        break;
      case Op::kSpanBegin:  // parsed by span()
      case Op::kSpanEnd:
      case Op::kCount:
        break;
    }
    if (auto p = check_record(r)) {
      std::string_view t = field_tok_[static_cast<size_t>(p->field)];
      fail(std::string(p->rule) + ", got " +
           (t.empty() ? "'" + field_text(r, p->field, names_) + "'" : quote(t)));
    }
  }

  std::unique_ptr<ByteSource> src_;
  NameTable& names_;
  uint64_t line_ = 0;
  Tokens tok_;
  size_t n_ = 0;
  std::array<std::string_view, 9> field_tok_;  // token of each Field in the current line
};

}  // namespace

std::unique_ptr<RecordStream> make_text_reader(std::unique_ptr<ByteSource> src, NameTable& names) {
  return std::make_unique<TextReader>(std::move(src), names);
}

}  // namespace cowsim::trace
