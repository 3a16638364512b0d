// Errors that reach the user. InputError means the user's input (trace, configuration,
// command line) is wrong: the CLI prints it and exits with code 2. Anything else is a bug in
// cowsim (exit code 1).
#pragma once

#include <stdexcept>
#include <string>

namespace cowsim {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace cowsim
