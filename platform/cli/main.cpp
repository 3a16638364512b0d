// cowsim: a cycle-level model of x86-64 memory-management hardware and the Linux fault
// handler, for timing fork and copy-on-write. `cowsim --help` lists the subcommands.
#include <cstdlib>
#include <iostream>

#include <boost/program_options/errors.hpp>
#include <systemc>

#include "models/common/error.h"
#include "platform/cli/commands.h"

namespace {

const char* kUsage = R"(usage: cowsim <command> [options]

commands:
  run [TRACE] [--scenario NAME] ...   simulate a trace or a built-in scenario; statistics into -o DIR
  gen NAME [--param K=V]... -o FILE    write a built-in scenario as a trace (.cwt or .cwb)
  scenarios                            list the built-in scenarios and their parameters
  presets                              list the configuration presets
  params [--markdown]                  list every configuration parameter with default and unit
  trace convert IN OUT                 convert a trace between text (.cwt) and binary (.cwb)
  trace dump IN                        print any trace as canonical text
  trace stat IN                        count records per process and operation
  bench [--size tiny|full] [-o FILE]   time the standard workloads (docs/performance.md)
  import lackey DIR -o FILE            turn Valgrind Lackey logs of a real program into a trace
  capture [-o FILE] -- PROGRAM ARGS    run a program under Valgrind and import it (docs/real-traces.md)
  report DIR [-o FILE]                 an HTML report with plots of a run or sweep folder (docs/reports.md)
  sweep SPEC --out DIR [--jobs N]      run a parameter sweep into DIR/results.sqlite (docs/sweeps.md)
  results DIR --csv FILE [--keys ..]   one CSV row per sweep point
  compare RUN_DIR... [--keys ..]       headline statistics side by side, ratio to the first

options:
  --help, -h                           this list; `cowsim <command> --help` describes a command's options
  --version                            the version, trace format and SystemC release

Every command names its output -o/--out (--output is an alias). Sizes anywhere (parameters,
--set, --param, traces) are like 4096, 0x1000, 64K, 8GB, 1.5GiB: K/M/G/T are powers of 1024.
Exit codes: 0 success, 2 bad input or usage, 1 internal error.
)";

}  // namespace

int sc_main(int argc, char* argv[]) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "cowsim 0.1.0 (trace format 1, SystemC " << sc_core::sc_release() << ")\n";
    return 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  try {
    if (cmd == "run") return cowsim::cli::run(args);
    if (cmd == "gen") return cowsim::cli::gen(args);
    if (cmd == "scenarios") return cowsim::cli::scenarios(args);
    if (cmd == "presets") return cowsim::cli::presets(args);
    if (cmd == "params") return cowsim::cli::params(args);
    if (cmd == "trace") return cowsim::cli::trace(args);
    if (cmd == "bench") return cowsim::cli::bench(args);
    if (cmd == "import") return cowsim::cli::import(args);
    if (cmd == "capture") return cowsim::cli::capture(args);
    if (cmd == "report") return cowsim::cli::report(args);
    if (cmd == "sweep") return cowsim::cli::sweep_cmd(args);
    if (cmd == "results") return cowsim::cli::results(args);
    if (cmd == "compare") return cowsim::cli::compare(args);
    std::cerr << "cowsim: unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const cowsim::InputError& e) {
    std::cerr << "cowsim " << cmd << ": " << e.what() << "\n";
    return 2;
  } catch (const boost::program_options::error& e) {
    std::cerr << "cowsim " << cmd << ": " << e.what() << " (see cowsim " << cmd << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cowsim " << cmd << ": internal error: " << e.what() << "\n";
    return 1;
  }
}

#ifndef COWSIM_NO_MAIN  // a test tool with its own main() (testbenches/platform/686_corrupting_cowsim.cpp)
// libsystemc's own main() prints the SystemC banner before calling sc_main; this one silences
// it first (users asked cowsim a question, not SystemC's copyright) and then does the same.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
#endif
