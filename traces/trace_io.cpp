// Encoding detection: by extension for outputs, by content for inputs.
#include "traces/trace_io.h"

#include <cstring>

#include "models/common/error.h"
#include "traces/binary_format.h"
#include "traces/binary_reader.h"
#include "traces/byte_source.h"
#include "traces/text_reader.h"

namespace cowsim::trace {
namespace {

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

Encoding encoding_for_path(const std::string& path) {
  if (ends_with(path, ".cwb")) return Encoding::kBinary;
  if (ends_with(path, ".cwt")) return Encoding::kText;
  throw InputError(path + ": unknown trace file extension (expected .cwt for text or .cwb for binary)");
}

std::unique_ptr<RecordStream> open_trace(const std::string& path, NameTable& names) {
  auto src = std::make_unique<ByteSource>(path);
  const size_t got = src->fill(sizeof binary::kMagic);
  // A text trace starts with '#', whitespace or its header, never with the magic's 0x89, so
  // a leading 0x89 is a binary trace, possibly mangled by a text-mode transfer; a .cwb
  // without the magic is reported as a bad binary file rather than as bad text.
  const bool binary = (got > 0 && src->data()[0] == binary::kMagic[0]) || ends_with(path, ".cwb");
  if (binary) return make_binary_reader(std::move(src), names);
  return make_text_reader(std::move(src), names);
}

}  // namespace cowsim::trace
