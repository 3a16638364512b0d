// `cowsim import lackey DIR -o OUT` and `cowsim capture [-o OUT] -- PROGRAM ARGS`: real
// programs as traces, through Valgrind's Lackey tool (docs/real-traces.md).
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include <boost/program_options.hpp>

#include "models/common/error.h"
#include "platform/cli/commands.h"
#include "traces/lackey/importer.h"

extern char** environ;

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace cowsim::cli {

namespace {

void add_import_options(po::options_description& o) {
  o.add_options()("fetches", "import instruction fetches as x records (default: count them into compute records)")(
      "quiet,q", "print only problems");
}

lackey::ImportReport import_and_report(const std::string& dir, const std::string& out, const po::variables_map& vm) {
  lackey::ImportOptions opt;
  opt.fetches = vm.count("fetches") > 0;
  lackey::ImportReport rep = lackey::import_logs(dir, out, opt);
  rep.print_problems(std::cerr);
  if (!vm.count("quiet")) {
    rep.print_summary(std::cout);
    std::cout << "wrote " << out << "\n";
  }
  return rep;
}

// The full path of `name` on PATH, or "" if it is not there.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// Runs argv (argv[0] a full path) with this process's stdio; its exit status as waitpid reports it.
int run_program(const std::vector<std::string>& argv) {
  std::vector<char*> cargs;
  for (const auto& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
  cargs.push_back(nullptr);
  pid_t pid;
  int err = posix_spawn(&pid, cargs[0], nullptr, nullptr, cargs.data(), environ);
  if (err != 0) throw InputError(argv[0] + ": cannot run: " + std::strerror(err));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw InputError(argv[0] + ": waitpid: " + std::strerror(errno));
  return status;
}

// A folder that is removed, with the logs in it, when the capture ends either way.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cowsim-capture-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw InputError(pattern + ": cannot create: " + std::strerror(errno));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

int import(const Args& args) {
  po::options_description o("import options");
  o.add_options()("format", po::value<std::string>()->required(), "log format: lackey")(
      "dir", po::value<std::string>()->required(), "folder of Valgrind Lackey logs, one per process")(
      "out,output,o", po::value<std::string>()->required(), "trace to write (.cwt or .cwb); --output is an alias");
  add_import_options(o);
  po::positional_options_description pos;
  pos.add("format", 1).add("dir", 1);
  po::variables_map vm;
  if (parse(args,
                    "cowsim import lackey DIR -o OUT.cwb|OUT.cwt [--fetches] [--quiet]\n"
                    "  DIR holds the logs of: valgrind --tool=lackey --trace-mem=yes --trace-syscalls=yes "
                    "--log-file=DIR/trace.%p PROGRAM ARGS",
                    o, vm, &pos))
    return 0;
  const std::string format = vm["format"].as<std::string>();
  if (format != "lackey") throw InputError("unknown log format '" + format + "' (cowsim imports: lackey)");
  import_and_report(vm["dir"].as<std::string>(), vm["out"].as<std::string>(), vm);
  return 0;
}

int capture(const Args& args) {
  const auto dashes = std::find(args.begin(), args.end(), "--");
  Args own(args.begin(), dashes);
  std::vector<std::string> program(dashes == args.end() ? dashes : dashes + 1, args.end());
  po::options_description o("capture options");
  o.add_options()("out,output,o", po::value<std::string>(), "trace to write (.cwt or .cwb); default PROGRAM.cwb; --output is an alias")(
      "keep-logs", po::value<std::string>(), "write the Valgrind logs to this new folder and keep them");
  add_import_options(o);
  po::variables_map vm;
  if (parse(own, "cowsim capture [-o OUT.cwb|OUT.cwt] [--keep-logs DIR] [--fetches] [--quiet] -- PROGRAM [ARGS...]",
                    o, vm))
    return 0;
  if (program.empty()) throw InputError("no program to capture (usage: cowsim capture [-o OUT] -- PROGRAM [ARGS...])");
  const std::string out = vm.count("out") ? vm["out"].as<std::string>()
                                             : fs::path(program[0]).filename().string() + ".cwb";
  trace::encoding_for_path(out);  // a bad name fails before the program runs
  const std::string valgrind = find_on_path("valgrind");
  if (valgrind.empty())
    throw InputError("valgrind is not installed (not found on PATH); install it with apt-get install valgrind "
                     "(scripts/install-deps.sh does)");

  std::unique_ptr<TempDir> temp;
  std::string dir;
  if (vm.count("keep-logs")) {
    dir = vm["keep-logs"].as<std::string>();
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
      throw InputError(dir + ": not empty; --keep-logs wants a new folder, so that logs of other runs do not mix in");
    fs::create_directories(dir, ec);
    if (ec) throw InputError(dir + ": cannot create: " + ec.message());
  } else {
    temp = std::make_unique<TempDir>();
    dir = temp->path();
  }
  std::vector<std::string> argv = {valgrind, "--tool=lackey", "--trace-mem=yes", "--trace-syscalls=yes",
                                   "--log-file=" + dir + "/trace.%p"};
  argv.insert(argv.end(), program.begin(), program.end());
  const int status = run_program(argv);
  if (fs::is_empty(dir))
    throw InputError("valgrind wrote no log (" +
                     (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + std::to_string(WTERMSIG(status))) +
                     "): could it start " + program[0] + "?");
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    std::cerr << "note: " << program[0] << " exited with code " << WEXITSTATUS(status) << "\n";
  else if (WIFSIGNALED(status))
    std::cerr << "note: " << program[0] << " was killed by signal " << WTERMSIG(status) << "\n";
  import_and_report(dir, out, vm);
  if (!temp && !vm.count("quiet")) std::cout << "logs kept in " << dir << "/\n";
  return 0;
}

}  // namespace cowsim::cli
