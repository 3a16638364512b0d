// Writes a run's results under --out DIR: stats.json, stats.txt, config.json and
// smaps/<label>/<pid>.smaps. Everything is written to a staging folder first and moved into
// place only when complete, so a failed run never leaves files that look like results.
#pragma once

#include <string>

#include "platform/simulation.h"

namespace cowsim {

// What --out DIR holds before a run. A non-empty folder is reused only if an earlier run wrote
// it (it holds stats.json and config.json, or only a staging folder left by a failed run);
// any other non-empty folder, or a file, is an InputError: results never land among a user's
// own files.
enum class OutputFolder { kNew, kEmpty, kEarlierRun };
OutputFolder check_output_folder(const std::string& dir);

void write_outputs(const std::string& dir, const RunResult& r);

}  // namespace cowsim
