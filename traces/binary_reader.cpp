// Decoder for the binary encoding: slots are decoded in place from the ByteSource buffer
// (refilled a megabyte at a time), with no allocation per record. Error paths are kept out
// of line (cold) so the per-record path stays a few loads, compares and stores.
#include "traces/binary_reader.h"

#include <array>
#include <string_view>
#include <vector>

#include "models/common/error.h"
#include "traces/binary_format.h"
#include "traces/format.h"
#include "traces/validate.h"

#define COWSIM_COLD __attribute__((cold, noinline))
#define COWSIM_LIKELY(x) __builtin_expect(!!(x), 1)

namespace cowsim::trace {
namespace {

using namespace binary;

// Op code -> spec, or nullptr for codes that are not records (string, end, undefined).
const std::array<const OpSpec*, 256>& spec_by_code() {
  static const std::array<const OpSpec*, 256> table = [] {
    std::array<const OpSpec*, 256> t{};
    for (const OpSpec& s : kOpSpecs) t[s.code] = &s;
    return t;
  }();
  return table;
}

class BinaryReader : public RecordStream {
 public:
  BinaryReader(std::unique_ptr<ByteSource> src, NameTable& names)
      : src_(std::move(src)), names_(names), specs_(spec_by_code()) {
    read_header();
  }

  bool next(Record& r) override {
    for (;;) {
      size_t avail = src_->available();
      if (avail < 2 * kSlotSize) avail = src_->fill(2 * kSlotSize);
      if (avail < kSlotSize || ended_) {
        end_of_data(avail);
        return false;
      }
      const char* p = src_->data();
      const Slot s = load_slot(p);
      const OpSpec* spec = specs_[s.op];
      if (spec == nullptr) {
        non_record(s);
        continue;
      }
      // Fast path: a valid single access, by far the most common record.
      if (COWSIM_LIKELY(fast_access(*spec, s, r))) {
        last_ = src_->offset();
        src_->consume(kSlotSize);
        return true;
      }
      decode(*spec, s, p, avail, r);
      return true;
    }
  }

  // The fast path's records only, from bytes already buffered: no read, no error.
  bool peek(Record& r) override {
    if (ended_ || src_->available() < kSlotSize) return false;
    const Slot s = load_slot(src_->data());
    const OpSpec* spec = specs_[s.op];
    return spec != nullptr && fast_access(*spec, s, r);
  }

  std::string where() const override { return at(last_); }

 private:
  // A valid single access (next()'s fast path, and all peek() decodes): the record, or false.
  bool fast_access(const OpSpec& spec, const Slot& s, Record& r) const {
    if (spec.slots != 1 || !(spec.uses & kUseB) || !fast_access_ok(s)) return false;
    r = Record{};
    r.op = spec.op;
    r.pid = s.pid;
    r.size = s.b;
    r.addr = s.x;
    return true;
  }
  static bool fast_access_ok(const Slot& s) {
    return s.a == 0 && single_access_ok(s.pid, s.b, s.x);
  }

  std::string at(uint64_t offset) const { return src_->path() + ": byte " + std::to_string(offset); }

  [[noreturn]] COWSIM_COLD void fail(uint64_t offset, const std::string& what) const {
    throw InputError(at(offset) + ": " + what);
  }

  // Called with fewer than 16 bytes left or after the end record: returns at a clean end.
  COWSIM_COLD void end_of_data(size_t avail) const {
    if (ended_) {
      if (avail == 0) return;
      fail(src_->offset(), "data after the end-of-trace record");
    }
    if (avail == 0) fail(src_->offset(), "file ends without the end-of-trace record (truncated?)");
    fail(src_->offset(), "truncated record: the file ends inside a 16-byte slot");
  }

  void read_header() {
    const size_t got = src_->fill(kHeaderSize);
    if (got < sizeof kMagic || std::memcmp(src_->data(), kMagic, sizeof kMagic) != 0)
      fail(0, "not a cowsim binary trace (bad magic; expected \\x89CWB\\r\\n\\x1a\\n)");
    if (got < kHeaderSize) fail(sizeof kMagic, "truncated header: the file ends inside it");
    const auto version = load<uint32_t>(src_->data() + 8);
    const auto flags = load<uint32_t>(src_->data() + 12);
    if (version != kVersion)
      fail(8, "unsupported binary trace version " + std::to_string(version) +
                  " (this cowsim reads version 1)");
    if (flags != 0) fail(12, "reserved header flags are nonzero (" + format_hex(flags) + ")");
    src_->consume(kHeaderSize);
  }

  // A slot that is not a record: a string definition, the end record, or garbage.
  COWSIM_COLD void non_record(const Slot& s) {
    if (s.op == kString) return read_string(s);
    if (s.op == kEnd) {
      if (s.a != 0 || s.b != 0 || s.pid != 0 || s.x != 0)
        fail(src_->offset(), "reserved fields of the end-of-trace record are nonzero");
      ended_ = true;  // anything after it is an error; nothing is the end
      src_->consume(kSlotSize);
      return;
    }
    fail(src_->offset(), "unknown op code " + format_hex(s.op));
  }

  void read_string(const Slot& s) {
    const uint64_t offset = src_->offset();
    if (s.a != 0 || s.x != 0) fail(offset, "reserved fields of a string definition are nonzero");
    if (s.pid != strings_.size())
      fail(offset, "string id " + std::to_string(s.pid) + " out of order (expected " +
                       std::to_string(strings_.size()) + ")");
    // Checked before the bytes are looked at: a length never sizes an allocation.
    if (s.b < 1 || s.b > kMaxNameLength)
      fail(offset, "string length " + std::to_string(s.b) + " out of range 1..1024");
    const size_t padded = (s.b + kSlotSize - 1) / kSlotSize * kSlotSize;
    if (src_->fill(kSlotSize + padded) < kSlotSize + padded)
      fail(offset, "truncated record: the file ends inside the bytes of string " +
                       std::to_string(s.pid));
    const std::string_view text(src_->data() + kSlotSize, s.b);
    if (const char* rule = check_name(text))
      fail(offset, std::string(rule) + ", got '" + printable(text) + "'");
    for (size_t i = s.b; i < padded; ++i)
      if (src_->data()[kSlotSize + i] != 0)
        fail(offset + kSlotSize + i / kSlotSize * kSlotSize, "string padding bytes are nonzero");
    strings_.push_back(names_.intern(text));
    src_->consume(kSlotSize + padded);
  }

  // File string ids are defined in order 0, 1, 2, ...; each maps to a NameTable id.
  uint32_t string_id(uint64_t file_id) const {
    if (file_id >= strings_.size())
      fail(src_->offset(), "string " + std::to_string(file_id) + " used before its definition");
    return strings_[file_id];
  }

  COWSIM_COLD void fail_reserved(const OpSpec& spec, bool second_slot) const {
    fail(src_->offset() + (second_slot ? kSlotSize : 0),
         std::string("reserved fields of a ") + op_name(spec.op) + (spec.range ? " range" : "") +
             " record are nonzero");
  }

  COWSIM_COLD void fail_problem(const Problem& p, const Record& r) const {
    fail(src_->offset(), std::string(p.rule) + ", got " + field_text(r, p.field, names_));
  }

  void decode(const OpSpec& spec, const Slot& s, const char* p, size_t avail, Record& r) {
    uint64_t y = 0, z = 0;
    if (spec.slots == 2) {
      if (avail < 2 * kSlotSize)
        fail(src_->offset(), std::string("truncated record: the file ends inside a 32-byte ") +
                                 op_name(spec.op) + " record");
      y = load<uint64_t>(p + 16);
      z = load<uint64_t>(p + 24);
    }
    if ((!(spec.uses & kUseA) && s.a != 0) || (!(spec.uses & kUseB) && s.b != 0) ||
        (!(spec.uses & kUseX) && s.x != 0))
      fail_reserved(spec, false);
    if ((!(spec.uses & kUseY) && y != 0) || (!(spec.uses & kUseZ) && z != 0))
      fail_reserved(spec, true);

    r = Record{};
    r.op = spec.op;
    r.pid = s.pid;
    switch (spec.op) {
      case Op::kMmap:
        if (s.b & ~kMapFlagsAll) fail(src_->offset(), "unknown mmap flags " + format_hex(s.b));
        r.prot = s.a;
        r.flags = static_cast<uint8_t>(s.b);
        r.addr = s.x;
        r.len = y;
        if (z != kNoString) r.name = string_id(z);
        break;
      case Op::kMunmap:
      case Op::kMprotect:
      case Op::kMadvise:
        if (spec.op == Op::kMprotect) r.prot = s.a;
        if (spec.op == Op::kMadvise) {
          if (s.a >= std::size(kAdviceByCode))
            fail(src_->offset(), "unknown madvise advice code " + format_hex(s.a));
          r.advice = kAdviceByCode[s.a];
        }
        r.addr = s.x;
        r.len = y;
        break;
      case Op::kRead:
      case Op::kWrite:
      case Op::kFetch:
        r.size = s.b;
        r.addr = s.x;
        if (spec.range) {
          if (y == 0) fail(src_->offset(), "range length must be > 0, got +0");
          r.len = y;
          r.stride = z;
        }
        break;
      case Op::kPost:
      case Op::kAwait:
      case Op::kSnapshot:
      case Op::kRoiBegin:
      case Op::kRoiEnd:
        r.name = string_id(s.x);
        break;
      case Op::kSpanBegin:
        r.flags = s.a;
        r.name = string_id(s.x);
        r.addr = y;
        break;
      case Op::kSpanEnd:
        r.name = string_id(s.x);
        break;
      default:  // compute, fork, vfork, wait, cpu; exec and exit use no field
        r.addr = s.x;
        break;
    }
    if (auto problem = check_record(r)) fail_problem(*problem, r);
    last_ = src_->offset();
    src_->consume(spec.slots * kSlotSize);
  }

  std::unique_ptr<ByteSource> src_;
  NameTable& names_;
  const std::array<const OpSpec*, 256>& specs_;
  std::vector<uint32_t> strings_;  // file string id -> NameTable id
  uint64_t last_ = 0;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<RecordStream> make_binary_reader(std::unique_ptr<ByteSource> src, NameTable& names) {
  return std::make_unique<BinaryReader>(std::move(src), names);
}

}  // namespace cowsim::trace
