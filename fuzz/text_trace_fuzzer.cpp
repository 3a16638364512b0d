// Fuzzes the text trace reader (.cwt) with the round-trip oracle of trace_round_trip.h.
#include "fuzz/trace_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = cowsim::fuzz::scratch_dir() + "/input.cwt";
  cowsim::fuzz::write_file(path, data, size);
  cowsim::fuzz::read_and_round_trip(path);
  return 0;
}
