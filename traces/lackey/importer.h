// `cowsim import lackey DIR`: the per-process logs Valgrind's Lackey tool writes, as
//   valgrind --tool=lackey --trace-mem=yes --trace-syscalls=yes --log-file=DIR/trace.%p PROG ARGS
// become one multi-process cowsim trace (docs/real-traces.md).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "traces/lackey/translator.h"
#include "traces/trace_io.h"

namespace cowsim::lackey {

struct ImportReport {
  std::vector<ProcessReport> processes;  // in output order: each parent before its children
  LineProblems problems;                 // unknown and malformed lines
  std::vector<std::string> warnings;     // children without a log, ...
  uint64_t preexisting_ranges = 0, preexisting_pages = 0;  // mapped at an image's start
  uint64_t records = 0;

  // What `cowsim import` prints: per-process counts and what was made up or dropped...
  void print_summary(std::ostream& out) const;
  // ...and, on stderr even with --quiet, the unknown lines and warnings.
  void print_problems(std::ostream& err) const;
};

// Reads every log in `dir` (each regular file, except hidden ones and .cwt/.cwb/.tmp files)
// and writes the trace through `writer` (finish() included). Throws InputError naming the
// file and line for a log that is not Lackey's, is truncated, or is inconsistent with the
// others; nothing is written then, as every log is read once before the first record.
ImportReport import_logs(const std::string& dir, trace::RecordWriter& writer, trace::NameTable& names,
                         const ImportOptions& options);

// The same into the file `out` (encoding by its extension), through out + ".tmp", renamed
// on success and removed on failure.
ImportReport import_logs(const std::string& dir, const std::string& out, const ImportOptions& options);

}  // namespace cowsim::lackey
