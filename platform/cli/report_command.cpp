// `cowsim report DIR -o FILE`: the HTML report is made by scripts/cowsim_report.py with
// Debian's python3-matplotlib; this command finds the script next to the binary and runs it.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "platform/cli/commands.h"

namespace cowsim::cli {

namespace fs = std::filesystem;

int report(const Args& args) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates = {self.parent_path() / "cowsim_report.py",
                                      self.parent_path() / ".." / "share" / "cowsim" / "cowsim_report.py"};
  fs::path script;
  for (const auto& c : candidates)
    if (fs::exists(c, ec)) {
      script = c;
      break;
    }
  if (script.empty())
    throw InputError("cannot find cowsim_report.py next to " + self.string() + " (or in ../share/cowsim)");
  // Debian's interpreter has python3-matplotlib; COWSIM_PYTHON chooses another.
  const char* env = std::getenv("COWSIM_PYTHON");
  std::string python = env && *env ? env : "/usr/bin/python3";
  std::vector<std::string> argv_s = {python, script.string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(python.c_str(), argv.data());
  throw InputError("cannot run " + python + " (install python3-matplotlib: scripts/install-deps.sh)");
}

}  // namespace cowsim::cli
