// Reader for the text encoding (.cwt).
#pragma once

#include <memory>

#include "traces/byte_source.h"
#include "traces/trace_io.h"

namespace cowsim::trace {

// Checks the header line at once, so a file that is not a trace fails here.
std::unique_ptr<RecordStream> make_text_reader(std::unique_ptr<ByteSource> src, NameTable& names);

}  // namespace cowsim::trace
