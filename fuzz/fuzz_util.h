// Shared by the libFuzzer harnesses (docs/reliability.md). Each harness turns the fuzzer's
// bytes into one input kind and feeds it to the code that reads that kind. A bad input may
// end only in cowsim::InputError (what the CLI reports with exit 2); any other exception,
// a crash or a sanitizer report is a bug and stops the fuzzer.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "models/common/error.h"

namespace cowsim::fuzz {

// A folder of this process's own under /tmp (readers open files by path, so inputs go to disk).
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string d = "/tmp/cowsim-fuzz-" + std::to_string(getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

// Runs f; InputError is the accepted outcome of a bad input, anything else aborts.
template <class F>
void expect_only_input_errors(F&& f) {
  try {
    f();
  } catch (const InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: not an InputError: %s\n", e.what());
    std::abort();
  }
}

// An invariant the harness checks on an accepted input.
#define FUZZ_CHECK(cond, msg)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "fuzz: check failed: %s: %s\n", #cond, (msg));     \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

}  // namespace cowsim::fuzz
