// The two RecordWriter implementations (make_writer picks one) and their shared check.
#pragma once

#include <iosfwd>
#include <memory>

#include "traces/trace_io.h"

namespace cowsim::trace {

std::unique_ptr<RecordWriter> make_text_writer(std::ostream& out);
std::unique_ptr<RecordWriter> make_binary_writer(std::ostream& out);

// Throws InputError unless r is a record the readers accept, with its names in `names`:
// a writer must never produce a file that cannot be read back.
void check_writable(const Record& r, const NameTable& names);

}  // namespace cowsim::trace
