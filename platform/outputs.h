// Writes a run's results under --out DIR: stats.json, stats.txt, config.json and
// smaps/<label>/<pid>.smaps. Everything is written to a staging folder first and moved into
// place only when complete, so a failed run never leaves files that look like results.
#pragma once

#include <string>

#include "platform/simulation.h"

namespace cowsim {

void write_outputs(const std::string& dir, const RunResult& r);

}  // namespace cowsim
