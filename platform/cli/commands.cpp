#include "platform/cli/commands.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>

#include "models/common/error.h"
#include "platform/outputs.h"
#include "platform/run_lock.h"
#include "platform/progress.h"
#include "platform/scenarios/scenario.h"
#include "platform/sim_config.h"
#include "platform/simulation.h"
#include "platform/timeseries.h"
#include "traces/trace_io.h"

namespace po = boost::program_options;

namespace cowsim::cli {

bool parse(const Args& args, const std::string& usage, po::options_description& opts, po::variables_map& vm,
           const po::positional_options_description* pos) {
  opts.add_options()("help,h", "describe this command");
  po::command_line_parser p(args);
  p.options(opts);
  if (pos) p.positional(*pos);
  po::store(p.run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: " << usage << "\n\n" << opts;
    return true;
  }
  po::notify(vm);
  return false;
}

namespace {

// Text for a Markdown table cell: a `|` would end the cell ("lru|plru|random").
std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

void add_config_options(po::options_description& o) {
  o.add_options()("preset", po::value<std::string>(), "configuration preset (cowsim presets lists them)")(
      "config", po::value<std::string>(), "JSON configuration file; may name a preset with \"extends\"")(
      "set", po::value<std::vector<std::string>>()->composing(), "override one parameter: KEY=VALUE (repeatable)");
}

ConfigSources config_sources(const po::variables_map& vm) {
  ConfigSources src;
  if (vm.count("preset")) src.preset = vm["preset"].as<std::string>();
  if (vm.count("config")) src.file = vm["config"].as<std::string>();
  if (vm.count("set")) src.overrides = vm["set"].as<std::vector<std::string>>();
  return src;
}

std::vector<std::string> strings(const po::variables_map& vm, const char* key) {
  return vm.count(key) ? vm[key].as<std::vector<std::string>>() : std::vector<std::string>{};
}

// A count or size option with K/M/G/T suffixes (powers of 1024), e.g. --max-accesses 10G.
uint64_t size_option(const po::variables_map& vm, const char* key, uint64_t fallback) {
  if (!vm.count(key)) return fallback;
  const std::string& text = vm[key].as<std::string>();
  uint64_t v;
  if (!parse_size(text, v) || v == 0)
    throw InputError(std::string("--") + key + ": '" + text + "' is not a positive number (K/M/G/T suffixes allowed)");
  return v;
}

}  // namespace

int run(const Args& args) {
  po::options_description o("run options");
  o.add_options()("trace", po::value<std::string>(), "trace file (.cwt text or .cwb binary)")(
      "scenario", po::value<std::string>(), "built-in scenario instead of a trace (cowsim scenarios lists them)")(
      "param", po::value<std::vector<std::string>>()->composing(), "scenario parameter: K=V (repeatable)")(
      "out,o", po::value<std::string>()->default_value("cowsim-out"),
      "folder for stats.json, stats.txt, config.json, smaps/; a non-empty folder must hold an earlier run's results")(
      "strict", "make a failing system call (EINVAL, ENOMEM, ...) a fatal error")(
      "check", "check the memory model's invariants after every system call, fork and exit, not only at the end (slower; docs/reliability.md)")(
      "vcd", po::value<std::string>(), "also write a waveform of every core (state, pid, fault, shootdown) to FILE")(
      "sample-interval", po::value<std::string>(),
      "also write timeseries.csv: memory and counts per DURATION of simulated time (10us, 1ms, or cycles)")(
      "histograms", po::value<std::string>(), "also write every latency histogram's bins as CSV: FILE.csv, or a folder")(
      "warmup-records", po::value<std::string>(), "statistics start after the first N records of the trace (file order)")(
      "warmup-accesses", po::value<std::string>(), "statistics start after the first N memory accesses (file order, ranges expanded)")(
      "quiet,q", "print nothing on success (and no progress line)")(
      "max-accesses", po::value<std::string>(), "refuse a run of more memory accesses than this (ranges expanded; K/M/G suffixes)")(
      "max-host-memory", po::value<std::string>(), "refuse or stop a run that needs more host memory (bytes, K/M/G suffixes; default: available memory)");
  add_config_options(o);
  po::positional_options_description pos;
  pos.add("trace", 1);
  po::variables_map vm;
  if (parse(args, "cowsim run [TRACE | --scenario NAME [--param K=V]...] [--preset NAME | --config FILE] "
                  "[--set KEY=VALUE]... [-o|--out DIR]",
            o, vm, &pos))
    return 0;
  if (vm.count("trace") && vm.count("scenario")) throw InputError("give a trace or --scenario, not both");
  if (vm.count("param") && !vm.count("scenario") && vm.count("trace"))
    throw InputError("--param sets scenario parameters; it needs --scenario");

  // Refused before simulating: a long run must not fail at the end over its output folder.
  const std::string out = vm["out"].as<std::string>();
  OutputFolder folder = check_output_folder(out);
  RunLock lock(out);  // before anything runs: a second run into the same folder fails now
  nlohmann::json effective;
  SimConfig cfg = load_config(config_sources(vm), &effective);
  cfg.limits.max_accesses = size_option(vm, "max-accesses", cfg.limits.max_accesses);
  cfg.limits.max_host_memory = size_option(vm, "max-host-memory", cfg.limits.max_host_memory);
  trace::NameTable names;
  TraceSource src = vm.count("trace")
                        ? trace_file_source(vm["trace"].as<std::string>(), names)
                        : scenario_source(vm.count("scenario") ? vm["scenario"].as<std::string>() : kDefaultScenario,
                                          strings(vm, "param"), names, cfg);
  RunOptions ro;
  if (vm.count("sample-interval"))
    ro.sample_interval = parse_duration(vm["sample-interval"].as<std::string>(), cfg.core.frequency_mhz, "--sample-interval");
  ro.progress = progress_wanted(vm.count("quiet") > 0);
  ro.check = vm.count("check") > 0;
  ro.warmup_records = size_option(vm, "warmup-records", 0);
  ro.warmup_accesses = size_option(vm, "warmup-accesses", 0);
  RunResult r = simulate(cfg, effective, src, names, vm.count("strict") > 0,
                         vm.count("vcd") ? vm["vcd"].as<std::string>() : "", ro);
  if (folder == OutputFolder::kEarlierRun && !vm.count("quiet"))
    std::cerr << "cowsim run: replacing the results of an earlier run in " << out << "/\n";
  write_outputs(out, r);
  if (vm.count("histograms")) write_histograms(vm["histograms"].as<std::string>(), r);
  if (!vm.count("quiet")) std::cout << summarize(r, src.label) << "results in " << out << "/\n";
  return 0;
}

int gen(const Args& args) {
  po::options_description o("gen options");
  o.add_options()("name", po::value<std::string>()->required(), "scenario name")(
      "param", po::value<std::vector<std::string>>()->composing(), "scenario parameter: K=V (repeatable)")(
      "out,output,o", po::value<std::string>()->required(), "trace to write (.cwt or .cwb); --output is an alias")(
      "seed", po::value<uint64_t>(), "seed of the scenario's random choices (default: the configuration's seed)");
  add_config_options(o);  // the core clock turns time parameters into compute records
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (parse(args, "cowsim gen NAME [--param K=V]... [--seed N] [--preset NAME | --config FILE] [--set KEY=VALUE]... -o FILE",
            o, vm, &pos))
    return 0;
  std::string path = vm["out"].as<std::string>();
  trace::Encoding enc = trace::encoding_for_path(path);
  SimConfig cfg = load_config(config_sources(vm));
  if (vm.count("seed")) cfg.seed = vm["seed"].as<uint64_t>();
  trace::NameTable names;
  auto scenario = make_scenario(vm["name"].as<std::string>(), strings(vm, "param"));
  // Streamed straight into the writer: a 40 GiB scenario is written without holding its trace.
  auto stream = scenario->open(names, ScenarioContext::of(cfg));
  std::string tmp = path + ".tmp";
  try {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) throw InputError(path + ": cannot write");
    auto w = trace::make_writer(f, enc);
    trace::Record r;
    while (stream->next(r)) w->write(r, names);
    w->finish();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::filesystem::rename(tmp, path);
  return 0;
}

int scenarios(const Args& args) {
  po::options_description o("scenarios options");
  o.add_options()("markdown", "print Markdown parameter tables (docs/scenarios.md is made from them)");
  po::variables_map vm;
  if (parse(args, "cowsim scenarios [--markdown]", o, vm)) return 0;
  bool md = vm.count("markdown");
  for (auto& s : all_scenarios()) {
    bool dflt = std::string(s->name()) == kDefaultScenario;
    ParamRegistry r;
    s->declare(r);
    if (md) {
      std::cout << "### `" << s->name() << "`" << (dflt ? " (default)" : "") << "\n\n" << s->description() << ".\n\n"
                << "| parameter | default | unit | valid values | description |\n|---|---|---|---|---|\n";
      for (const auto& p : r.params()) {
        std::cout << "| `" << p.path << "` | " << p.get().dump() << " | " << p.unit << " | " << md_cell(p.range)
                  << " | " << md_cell(p.description) << " |\n";
      }
      std::cout << "\n";
      continue;
    }
    std::cout << s->name() << (dflt ? " (default)" : "") << "\n    " << s->description() << "\n";
    for (const auto& p : r.params())
      std::cout << "    --param " << p.path << "=" << p.get().dump() << "  " << p.description
                << (p.unit.empty() ? "" : " (" + p.unit + ")") << "\n";
  }
  return 0;
}

int presets(const Args& args) {
  po::options_description o("presets options");
  po::variables_map vm;
  if (parse(args, "cowsim presets", o, vm)) return 0;
  for (const auto& p : cowsim::presets())
    std::printf("%-14s %s%s\n", p.name.c_str(), p.description.c_str(),
                p.extends.empty() ? "" : (" [extends " + p.extends + "]").c_str());
  return 0;
}

int params(const Args& args) {
  po::options_description o("params options");
  o.add_options()("markdown", "print a Markdown table (docs/configuration.md is made from it)");
  add_config_options(o);
  po::variables_map vm;
  if (parse(args, "cowsim params [--markdown] [--preset NAME | --config FILE] [--set K=V]...", o, vm)) return 0;
  SimConfig cfg = load_config(config_sources(vm));
  ParamRegistry r;
  cfg.declare(r);
  bool md = vm.count("markdown");
  if (md) std::cout << "| parameter | default | unit | valid values | description |\n|---|---|---|---|---|\n";
  for (const auto& p : r.params()) {
    std::string value = p.get().dump();
    if (md)
      std::cout << "| `" << p.path << "` | " << value << " | " << p.unit << " | " << md_cell(p.range) << " | "
                << md_cell(p.description) << " |\n";
    else
      std::cout << p.path << " = " << value << (p.unit.empty() ? "" : " " + p.unit) << "  # " << p.description << "\n";
  }
  return 0;
}

int trace(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: cowsim trace convert IN OUT | cowsim trace dump IN | cowsim trace stat IN\n";
    return args.empty() ? 2 : 0;
  }
  const std::string& sub = args[0];
  if (sub == "convert" && args.size() == 3) {
    trace::convert_trace(args[1], args[2]);
    return 0;
  }
  if (sub == "dump" && args.size() == 2) {
    trace::dump_trace(args[1], std::cout);
    return 0;
  }
  if (sub == "stat" && args.size() == 2) {
    trace::stat_trace(args[1], std::cout);
    return 0;
  }
  throw InputError("usage: cowsim trace convert IN OUT | cowsim trace dump IN | cowsim trace stat IN");
}

}  // namespace cowsim::cli
