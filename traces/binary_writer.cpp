// Writer for the binary encoding: slots are assembled in a 1 MiB buffer and written in blocks.
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "traces/binary_format.h"
#include "traces/writers.h"

namespace cowsim::trace {
namespace {

using namespace binary;

constexpr Code kSingleCode[] = {kRead, kWrite, kFetch};
constexpr Code kRangeCode[] = {kReadRange, kWriteRange, kFetchRange};

Code code_for(const Record& r) {
  switch (r.op) {
    case Op::kMmap: return kMmap;
    case Op::kMunmap: return kMunmap;
    case Op::kMprotect: return kMprotect;
    case Op::kMadvise: return kMadvise;
    case Op::kRead:
    case Op::kWrite:
    case Op::kFetch: {
      const auto i = static_cast<size_t>(r.op) - static_cast<size_t>(Op::kRead);
      return r.is_range() ? kRangeCode[i] : kSingleCode[i];
    }
    case Op::kCompute: return kCompute;
    case Op::kFork: return kFork;
    case Op::kVfork: return kVfork;
    case Op::kExec: return kExec;
    case Op::kExit: return kExit;
    case Op::kWait: return kWait;
    case Op::kCpu: return kCpu;
    case Op::kPost: return kPost;
    case Op::kAwait: return kAwait;
    case Op::kSnapshot: return kSnapshot;
    case Op::kSpanBegin: return kSpanBegin;
    case Op::kSpanEnd: return kSpanEnd;
    case Op::kRoiBegin: return kRoiBegin;
    case Op::kRoiEnd: return kRoiEnd;
    case Op::kCount: break;
  }
  throw std::logic_error("binary writer: no op code for this op");
}

class BinaryWriter : public RecordWriter {
 public:
  static constexpr size_t kFlushSize = size_t{1} << 20;

  explicit BinaryWriter(std::ostream& out) : out_(out) {
    buf_.reserve(kFlushSize + 2 * kSlotSize + kMaxNameLength + kSlotSize);
    buf_.append(kMagic, sizeof kMagic);
    char v[8];
    store<uint32_t>(v, kVersion);
    store<uint32_t>(v + 4, 0);  // flags
    buf_.append(v, sizeof v);
  }

  void write(const Record& r, const NameTable& names) override {
    if (finished_) throw std::logic_error("BinaryWriter::write after finish");
    check_writable(r, names);
    const Code code = code_for(r);
    Slot s{code, 0, 0, r.pid, 0};
    uint64_t y = 0, z = 0;
    bool two = true;
    switch (r.op) {
      case Op::kMmap:
        s.a = r.prot;
        s.b = r.flags;
        s.x = r.addr;
        y = r.len;
        z = r.name == kNoName ? kNoString : string_id(r.name, names);
        break;
      case Op::kMunmap:
      case Op::kMprotect:
      case Op::kMadvise:
        if (r.op == Op::kMprotect) s.a = r.prot;
        if (r.op == Op::kMadvise) s.a = advice_code(r.advice);
        s.x = r.addr;
        y = r.len;
        break;
      case Op::kRead:
      case Op::kWrite:
      case Op::kFetch:
        s.b = static_cast<uint16_t>(r.size);
        s.x = r.addr;
        two = r.is_range();
        y = r.len;
        z = r.stride;
        break;
      case Op::kPost:
      case Op::kAwait:
      case Op::kSnapshot:
      case Op::kRoiBegin:
      case Op::kRoiEnd:
        s.x = string_id(r.name, names);
        two = false;
        break;
      case Op::kSpanBegin:
        s.a = r.flags;
        s.x = string_id(r.name, names);
        y = r.addr;
        break;
      case Op::kSpanEnd:
        s.x = string_id(r.name, names);
        two = false;
        break;
      case Op::kExec:
      case Op::kExit:
        two = false;
        break;
      default:  // compute, fork, vfork, wait, cpu
        s.x = r.addr;
        two = false;
        break;
    }
    append(s);
    if (two) {
      char slot[kSlotSize];
      store<uint64_t>(slot, y);
      store<uint64_t>(slot + 8, z);
      buf_.append(slot, kSlotSize);
    }
    if (buf_.size() >= kFlushSize) flush();
  }

  void finish() override {
    if (finished_) return;
    finished_ = true;
    append(Slot{kEnd, 0, 0, 0, 0});
    flush();
    out_.flush();
    if (!out_) throw InputError("cannot write trace: output error");
  }

 private:
  void append(const Slot& s) {
    char slot[kSlotSize];
    store_slot(slot, s);
    buf_.append(slot, kSlotSize);
  }

  // The file's id for a name, defining it (in order 0, 1, 2, ...) on first use.
  uint64_t string_id(uint32_t name, const NameTable& names) {
    if (name >= file_id_.size()) file_id_.resize(name + size_t{1}, kUndefined);
    if (file_id_[name] == kUndefined) {
      const std::string& text = names[name];
      file_id_[name] = next_id_++;
      append(Slot{kString, 0, static_cast<uint16_t>(text.size()), file_id_[name], 0});
      buf_.append(text);
      buf_.append((kSlotSize - text.size() % kSlotSize) % kSlotSize, '\0');
    }
    return file_id_[name];
  }

  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    if (!out_) throw InputError("cannot write trace: output error");
  }

  static constexpr uint32_t kUndefined = UINT32_MAX;
  std::ostream& out_;
  std::string buf_;
  std::vector<uint32_t> file_id_;  // NameTable id -> file string id
  uint32_t next_id_ = 0;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<RecordWriter> make_binary_writer(std::ostream& out) {
  return std::make_unique<BinaryWriter>(out);
}

}  // namespace cowsim::trace
