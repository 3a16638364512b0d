// Reading, writing and converting cowsim traces (docs/trace-format.md). Every problem with a
// trace file is reported as cowsim::InputError naming the file and the line or byte.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "traces/record.h"

namespace cowsim::trace {

enum class Encoding { kText, kBinary };

// By extension: .cwb -> binary, .cwt -> text; anything else is an InputError.
Encoding encoding_for_path(const std::string& path);

// Records of one trace file, in file order.
class RecordStream {
 public:
  virtual ~RecordStream() = default;
  virtual bool next(Record& r) = 0;       // false at end of trace; throws InputError on bad input
  virtual std::string where() const = 0;  // "FILE:LINE" (text) or "FILE: byte N" (binary) of the last record
  // The record next() would return, without consuming it, if the stream can tell cheaply and
  // without side effects; false otherwise (then nothing is known). A hint for host prefetches
  // (Executor): a stream that never answers is correct, only slower.
  virtual bool peek(Record& r) { return false; }
};

// Opens a trace, detecting the encoding from its first bytes (binary magic, else text; a
// .cwb file without the magic is rejected as not a binary trace). Names are interned in
// `names`, which must outlive the stream.
std::unique_ptr<RecordStream> open_trace(const std::string& path, NameTable& names);

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Throws InputError if r is not a valid record (the readers would reject the output).
  virtual void write(const Record& r, const NameTable& names) = 0;
  virtual void finish() = 0;  // writes the trailer and flushes; throws InputError on I/O error
};

// The text writer writes the header line first, the binary writer the 16-byte header.
// Writing stops being valid after finish(); a writer destroyed unfinished leaves a binary
// trace without its end record, which readers reject as truncated.
std::unique_ptr<RecordWriter> make_writer(std::ostream& out, Encoding e);

// The canonical text line of r, without newline.
std::string format_record(const Record& r, const NameTable& names);

// The `cowsim trace` subcommands.
// Converts `in` to `out` (encoding by out's extension) through out + ".tmp", renamed on
// success and removed on failure, so a bad input never leaves a partial output.
void convert_trace(const std::string& in, const std::string& out);
void dump_trace(const std::string& in, std::ostream& out);  // canonical text, header included
// Per-process counts of each op, records and accesses (ranges expanded), with a total row.
void stat_trace(const std::string& in, std::ostream& out);

}  // namespace cowsim::trace
