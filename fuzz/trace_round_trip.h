// The trace harnesses' oracle: whatever a reader accepts, both writers must accept, and
// reading their output back must give the same records (docs/trace-format.md promises that
// text and binary hold exactly the same traces).
#pragma once

#include <sstream>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "traces/byte_source.h"
#include "traces/trace_io.h"

namespace cowsim::fuzz {

// At most this many records per input are kept for the round trip (inputs are small anyway).
constexpr size_t kMaxRoundTripRecords = 4096;

inline void read_and_round_trip(const std::string& path) {
  trace::NameTable names;
  std::vector<trace::Record> records;
  expect_only_input_errors([&] {
    auto s = trace::open_trace(path, names);
    trace::Record r;
    while (s->next(r)) {
      if (records.size() < kMaxRoundTripRecords) records.push_back(r);
      (void)trace::format_record(r, names);
      (void)s->where();
    }
  });
  if (records.empty()) return;
  for (auto enc : {trace::Encoding::kText, trace::Encoding::kBinary}) {
    std::ostringstream out;
    try {
      auto w = trace::make_writer(out, enc);
      for (const auto& r : records) w->write(r, names);
      w->finish();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz: writer rejected a record the reader accepted: %s\n", e.what());
      std::abort();
    }
    const std::string copy = scratch_dir() + (enc == trace::Encoding::kText ? "/copy.cwt" : "/copy.cwb");
    const std::string bytes = out.str();
    write_file(copy, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    auto s = trace::open_trace(copy, names);  // an InputError here is a bug: let it escape
    trace::Record r;
    size_t i = 0;
    while (s->next(r)) {
      FUZZ_CHECK(i < records.size(), "more records read back than written");
      FUZZ_CHECK(r == records[i], "a record changed in a round trip");
      ++i;
    }
    FUZZ_CHECK(i == records.size(), "fewer records read back than written");
  }
}

}  // namespace cowsim::fuzz
