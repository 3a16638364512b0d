#include "traces/lackey/log_reader.h"

#include <cstring>

#include "models/common/error.h"
#include "traces/format.h"
#include "traces/lackey/log_line.h"

namespace cowsim::lackey {

bool LogReader::next(std::string_view& line, bool& terminated) {
  for (;;) {
    const size_t n = src_.available();
    const char* d = src_.data();
    if (const void* nl = std::memchr(d, '\n', n)) {
      const size_t len = static_cast<const char*>(nl) - d;
      line = std::string_view(d, len);
      src_.consume(len + 1);
      terminated = true;
      ++line_;
      return true;
    }
    if (n >= trace::ByteSource::kBlockSize)
      throw InputError(src_.path() + ":" + std::to_string(line_ + 1) + ": line longer than 1 MiB: not a Lackey log");
    if (src_.fill(n + 1) > n) continue;
    if (n == 0) return false;  // end of file
    line = std::string_view(src_.data(), n);
    src_.consume(n);
    terminated = false;
    ++line_;
    return true;
  }
}

LogHeader read_header(const std::string& path) {
  LogReader in(path);
  LogHeader h;
  std::string_view text;
  bool terminated;
  bool lackey = false;
  while (in.next(text, terminated)) {
    LogLine l = parse_line(text);
    const std::string where = path + ":" + std::to_string(in.line_number());
    if (l.kind != LineKind::kCommentary) {
      if (in.line_number() == 1)
        throw InputError(where + ": not a Valgrind log (it starts with '" + trace::printable(text) + "')");
      break;  // the header is over
    }
    if (in.line_number() == 1) {
      h.pid = l.vg_pid;
      if (l.text.find("Lackey") != 0)
        throw InputError(where + ": not a Lackey log (Valgrind tool: '" + trace::printable(l.text) +
                         "'); capture with --tool=lackey --trace-mem=yes --trace-syscalls=yes");
      lackey = true;
    }
    if (l.vg_pid != h.pid) break;
    if (l.text.rfind("Command: ", 0) == 0) h.command = std::string(l.text.substr(9));
    if (l.text.rfind("Parent PID: ", 0) == 0) {
      uint64_t p;
      if (!parse_arg(l.text.substr(12), p) || p > UINT32_MAX)
        throw InputError(where + ": bad Parent PID '" + trace::printable(l.text.substr(12)) + "'");
      h.parent = static_cast<uint32_t>(p);
    }
    if (in.line_number() > 16) break;
  }
  if (!lackey) throw InputError(path + ": empty file: not a Valgrind log");
  if (h.pid == 0 || h.pid > (uint32_t{1} << 31) - 1)
    throw InputError(path + ":1: pid " + std::to_string(h.pid) + " in the Valgrind header is not 1..2147483647");
  return h;
}

}  // namespace cowsim::lackey
