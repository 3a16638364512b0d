// Writes a run's results under --out DIR: stats.json, stats.txt, config.json and
// smaps/<label>/<pid>.smaps. Everything is written to a staging folder first and moved into
// place only when complete, stats.json last: a folder holding stats.json holds one run's
// complete results, whatever happened to the process that wrote them (docs/reliability.md).
#pragma once

#include <string>

#include "platform/simulation.h"

namespace cowsim {

void write_outputs(const std::string& dir, const RunResult& r);

}  // namespace cowsim
