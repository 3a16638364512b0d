// The `cowsim` subcommands. Each takes its own arguments (after the subcommand name) and
// returns the process exit code; errors are thrown (InputError: exit code 2).
#pragma once

#include <string>
#include <vector>

namespace cowsim::cli {

using Args = std::vector<std::string>;

int run(const Args& args);
int gen(const Args& args);
int scenarios(const Args& args);
int presets(const Args& args);
int params(const Args& args);
int trace(const Args& args);
int bench(const Args& args);  // bench_command.cpp
int import(const Args& args);   // import_command.cpp
int capture(const Args& args);  // import_command.cpp

}  // namespace cowsim::cli
