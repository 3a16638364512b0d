// Fuzzes the configuration loader: presets, --config JSON files and --set overrides. Input
// lines: the first names a preset (empty: none); each "--set K=V" line is an override; a
// line "--json" makes the rest of the input the --config file. Oracle: a configuration that
// loads is also accepted when its effective dump is given back as a --config file, and
// gives the same effective configuration (the dump is complete and re-readable).
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "platform/sim_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cowsim;
  static const std::string file = fuzz::scratch_dir() + "/config.json";
  static const std::string again = fuzz::scratch_dir() + "/effective.json";
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ConfigSources src;
  bool first = true;
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (first) {
      src.preset = std::string(line);
      first = false;
    } else if (line.substr(0, 6) == "--set ") {
      src.overrides.emplace_back(line.substr(6));
    } else if (line == "--json") {
      fuzz::write_file(file, reinterpret_cast<const uint8_t*>(in.data()), in.size());
      src.file = file;
      break;
    }
  }
  nlohmann::json effective;
  bool ok = false;
  fuzz::expect_only_input_errors([&] {
    load_config(src, &effective);
    ok = true;
  });
  if (!ok) return 0;
  const std::string dump = effective.dump();
  fuzz::write_file(again, reinterpret_cast<const uint8_t*>(dump.data()), dump.size());
  ConfigSources round;
  round.file = again;
  nlohmann::json second;
  load_config(round, &second);  // an InputError here is a bug: let it escape
  FUZZ_CHECK(second == effective, "the effective configuration does not load back to itself");
  return 0;
}
