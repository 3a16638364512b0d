#include "traces/writers.h"

#include "models/common/error.h"
#include "traces/format.h"
#include "traces/validate.h"

namespace cowsim::trace {

namespace {

bool uses_name(const Record& r) {
  return (r.op == Op::kMmap && (r.flags & kMapFile)) || r.op == Op::kPost || r.op == Op::kAwait ||
         r.op == Op::kSnapshot || r.op == Op::kSpanBegin || r.op == Op::kSpanEnd || r.op == Op::kRoiBegin ||
         r.op == Op::kRoiEnd;
}

}  // namespace

void check_writable(const Record& r, const NameTable& names) {
  std::string what;
  if (auto p = check_record(r)) {
    what = std::string(p->rule) + ", got " + field_text(r, p->field, names);
  } else if (uses_name(r)) {
    if (r.name >= names.size()) {
      what = "name id " + std::to_string(r.name) + " is not in the name table";
    } else if (const char* rule = check_name(names[r.name])) {
      what = std::string(rule) + ", got '" + printable(names[r.name]) + "'";
    }
  }
  if (!what.empty())
    throw InputError("cannot write invalid " + std::string(op_name(r.op)) + " record: " + what);
}

std::unique_ptr<RecordWriter> make_writer(std::ostream& out, Encoding e) {
  return e == Encoding::kBinary ? make_binary_writer(out) : make_text_writer(out);
}

}  // namespace cowsim::trace
