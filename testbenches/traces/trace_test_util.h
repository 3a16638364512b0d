// Helpers shared by the trace tests: scratch files and reading whole traces.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "traces/record.h"
#include "traces/trace_io.h"

namespace cowsim::trace {
// Lets GoogleTest print records in failure messages: every field, by name.
void PrintTo(const Record& r, std::ostream* os);
}  // namespace cowsim::trace

namespace cowsim::trace::test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  // Writes `bytes` to name and returns the full path.
  std::string write(const std::string& name, const std::string& bytes) const;

 private:
  std::string dir_;
};

std::string read_file(const std::string& path);
bool file_exists(const std::string& path);

std::vector<Record> read_all(const std::string& path, NameTable& names);

// Writes records with the given encoding into a string.
std::string encode(const std::vector<Record>& records, const NameTable& names, Encoding e);

// The message of the InputError that f throws; fails the test (returning "") if it throws
// nothing or something else.
template <class F>
std::string input_error(F&& f);

// Parses a text trace body given as a string; the header line is added.
std::vector<Record> parse_text(const std::string& body, NameTable& names);

std::string example_dir();
std::vector<std::string> example_traces();  // every traces/examples/*.cwt, sorted

}  // namespace cowsim::trace::test

#include <gtest/gtest.h>

#include "models/common/error.h"

template <class F>
std::string cowsim::trace::test::input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected InputError, nothing was thrown";
  return "";
}
