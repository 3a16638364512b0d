// Writer for the text encoding: the header, then one canonical line per record.
#include <ostream>
#include <stdexcept>

#include "models/common/error.h"
#include "traces/writers.h"

namespace cowsim::trace {
namespace {

class TextWriter : public RecordWriter {
 public:
  explicit TextWriter(std::ostream& out) : out_(out) { out_ << "cowsim-trace 1\n"; }

  void write(const Record& r, const NameTable& names) override {
    if (finished_) throw std::logic_error("TextWriter::write after finish");
    check_writable(r, names);
    line_ = format_record(r, names);
    line_ += '\n';
    out_ << line_;
  }

  void finish() override {
    finished_ = true;
    out_.flush();
    if (!out_) throw InputError("cannot write trace: output error");
  }

 private:
  std::ostream& out_;
  std::string line_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<RecordWriter> make_text_writer(std::ostream& out) {
  return std::make_unique<TextWriter>(out);
}

}  // namespace cowsim::trace
