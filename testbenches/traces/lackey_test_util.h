// Helpers for the Lackey importer tests: logs written as Valgrind 3.19 writes them, and the
// imported trace read back as canonical text lines.
#pragma once

#include <string>
#include <vector>

#include "traces/lackey/importer.h"

namespace cowsim::lackey::test {

// Valgrind's header for process `pid` whose parent is `parent`, and its closing lines.
std::string header(unsigned pid, unsigned parent);
std::string footer(unsigned pid);

// The result of importing a folder: the report and the records as canonical text lines
// ("7 w 0x1000"), compute records left out unless `with_compute`.
struct Imported {
  ImportReport report;
  std::vector<std::string> lines;
  std::vector<std::string> of(unsigned pid) const;  // one process's lines, without the pid
};
Imported import_dir(const std::string& dir, const ImportOptions& options = {}, bool with_compute = false);

// Reads a trace file as canonical lines (compute records left out unless asked).
std::vector<std::string> trace_lines(const std::string& path, bool with_compute = false);

}  // namespace cowsim::lackey::test
