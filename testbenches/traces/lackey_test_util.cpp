#include "testbenches/traces/lackey_test_util.h"

#include "testbenches/traces/trace_test_util.h"
#include "traces/trace_io.h"

namespace cowsim::lackey::test {

std::string header(unsigned pid, unsigned parent) {
  const std::string p = "==" + std::to_string(pid) + "== ";
  return p + "Lackey, an example Valgrind tool\n" + p + "Copyright (C) 2002-2017, and GNU GPL'd, by Nicholas Nethercote.\n" +
         p + "Using Valgrind-3.19.0 and LibVEX; rerun with -h for copyright info\n" + p + "Command: ./t\n" + p +
         "Parent PID: " + std::to_string(parent) + "\n" + p + "\n";
}

std::string footer(unsigned pid) {
  const std::string p = "==" + std::to_string(pid) + "== ";
  return p + "\n" + p + "Counted 1 call to main()\n" + p + "\n" + p + "Exit code:       0\n";
}

std::vector<std::string> trace_lines(const std::string& path, bool with_compute) {
  trace::NameTable names;
  std::vector<std::string> lines;
  for (const auto& r : trace::test::read_all(path, names))
    if (with_compute || r.op != trace::Op::kCompute) lines.push_back(trace::format_record(r, names));
  return lines;
}

Imported import_dir(const std::string& dir, const ImportOptions& options, bool with_compute) {
  trace::test::ScratchDir out;
  Imported im;
  const std::string path = out.path("out.cwt");
  im.report = import_logs(dir, path, options);
  im.lines = trace_lines(path, with_compute);
  return im;
}

std::vector<std::string> Imported::of(unsigned pid) const {
  const std::string prefix = std::to_string(pid) + " ";
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.rfind(prefix, 0) == 0) out.push_back(l.substr(prefix.size()));
  return out;
}

}  // namespace cowsim::lackey::test
