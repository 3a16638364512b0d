// Lines of one Lackey log, read in large blocks (logs run to hundreds of MB), and the
// header Valgrind writes at the top of every log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "traces/byte_source.h"

namespace cowsim::lackey {

class LogReader {
 public:
  explicit LogReader(const std::string& path) : src_(path) {}
  // The next line without its newline; false at the end of the file. `terminated` is false
  // for a last line that ends without a newline (a log cut off mid-line). The view is valid
  // until the next call.
  bool next(std::string_view& line, bool& terminated);
  uint64_t line_number() const { return line_; }

 private:
  trace::ByteSource src_;
  uint64_t line_ = 0;
};

struct LogHeader {
  uint32_t pid = 0;     // from the ==PID== prefix
  uint32_t parent = 0;  // "Parent PID:"; 0 if absent
  std::string command;  // "Command:"
};

// Reads the header of the log at `path`; InputError if it is not a Lackey log.
LogHeader read_header(const std::string& path);

}  // namespace cowsim::lackey
