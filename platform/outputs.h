// Writes a run's results under --out DIR: stats.json, stats.txt, config.json and
// smaps/<label>/<pid>.smaps. Everything is written to a staging folder first and moved into
// place only when complete, so a failed run never leaves files that look like results.
#pragma once

#include <string>

#include "platform/simulation.h"

namespace cowsim {

void write_outputs(const std::string& dir, const RunResult& r);

// `--histograms PATH`: every latency histogram's non-empty bins as CSV. A PATH ending in .csv is
// one file (columns histogram,unit,lower,upper,count); any other PATH is a folder with one
// <histogram path>.csv (columns lower,upper,count) per histogram. Bins are [lower, upper).
void write_histograms(const std::string& path, const RunResult& r);

}  // namespace cowsim
