// Reader for the binary encoding (.cwb).
#pragma once

#include <memory>

#include "traces/byte_source.h"
#include "traces/trace_io.h"

namespace cowsim::trace {

// Checks the 16-byte header at once, so a foreign file fails here.
std::unique_ptr<RecordStream> make_binary_reader(std::unique_ptr<ByteSource> src, NameTable& names);

}  // namespace cowsim::trace
