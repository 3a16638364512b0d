// Fuzzes the Valgrind Lackey importer (log reader and translator). The input holds up to
// four logs separated by lines "%%"; each becomes a file of an import folder. Whatever the
// importer accepts must be a trace the text reader accepts (its output is checked by reading
// it back), and a trace ending in the end record (finish() ran).
#include <filesystem>
#include <sstream>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "traces/lackey/importer.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cowsim;
  static const std::string dir = fuzz::scratch_dir() + "/lackey";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  lackey::ImportOptions options;
  options.fetches = !in.empty() && (in[0] & 1);  // Lackey's header begins "==": even
  int n = 0;
  while (n < 4) {
    size_t cut = in.find("\n%%\n");
    std::string_view part = in.substr(0, cut == std::string_view::npos ? in.size() : cut + 1);
    fuzz::write_file(dir + "/trace." + std::to_string(100 + n), reinterpret_cast<const uint8_t*>(part.data()),
                     part.size());
    ++n;
    if (cut == std::string_view::npos) break;
    in.remove_prefix(cut + 4);
  }
  std::ostringstream out;
  trace::NameTable names;
  bool ok = false;
  fuzz::expect_only_input_errors([&] {
    auto w = trace::make_writer(out, trace::Encoding::kText);
    lackey::import_logs(dir, *w, names, options);
    ok = true;
  });
  if (!ok) return 0;
  const std::string path = fuzz::scratch_dir() + "/imported.cwt";
  const std::string text = out.str();
  fuzz::write_file(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  trace::NameTable again;
  auto s = trace::open_trace(path, again);  // an InputError here is a bug: let it escape
  trace::Record r;
  while (s->next(r)) {
  }
  return 0;
}
