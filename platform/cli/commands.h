// The `cowsim` subcommands. Each takes its own arguments (after the subcommand name) and
// returns the process exit code; errors are thrown (InputError: exit code 2).
#pragma once

#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/variables_map.hpp>

namespace cowsim::cli {

using Args = std::vector<std::string>;

// Parses a command's `args` against `opts` (adding --help); true if --help was asked (and
// the usage printed). Every command parses its options this way.
bool parse(const Args& args, const std::string& usage, boost::program_options::options_description& opts,
           boost::program_options::variables_map& vm,
           const boost::program_options::positional_options_description* pos = nullptr);

int run(const Args& args);
int gen(const Args& args);
int scenarios(const Args& args);
int presets(const Args& args);
int params(const Args& args);
int trace(const Args& args);
int bench(const Args& args);  // bench_command.cpp
int import(const Args& args);   // import_command.cpp
int capture(const Args& args);  // import_command.cpp
int report(const Args& args);   // report_command.cpp
int sweep_cmd(const Args& args);  // sweep_command.cpp
int results(const Args& args);    // sweep_command.cpp
int compare(const Args& args);    // sweep_command.cpp

}  // namespace cowsim::cli
