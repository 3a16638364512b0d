// Writes a run's results under --out DIR: stats.json, stats.txt, config.json and
// smaps/<label>/<pid>.smaps. Everything is written to a staging folder first and moved into
// place only when complete, stats.json last: a folder holding stats.json holds one run's
// complete results, whatever happened to the process that wrote them (docs/reliability.md).
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

// `--histograms PATH`: every latency histogram's non-empty bins as CSV. A PATH ending in .csv is
// one file (columns histogram,unit,lower,upper,count); any other PATH is a folder with one
// <histogram path>.csv (columns lower,upper,count) per histogram. Bins are [lower, upper).
void write_histograms(const std::string& path, const RunResult& r);

}  // namespace cowsim
