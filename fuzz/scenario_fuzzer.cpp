// Fuzzes the built-in scenarios' parameters: the first input line names a scenario, each
// further line is a --param K=V assignment. A scenario that accepts its parameters must then
// generate a stream the trace validation accepts; at most kMaxRecords records are read (a
// scenario streams its records lazily, so this bounds the work whatever the parameters say).
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "platform/scenarios/scenario.h"
#include "platform/sim_config.h"
#include "platform/trace_plan.h"

namespace {
constexpr uint64_t kMaxRecords = 20000;

// A stream cut after kMaxRecords records.
class Capped final : public cowsim::trace::RecordStream {
 public:
  explicit Capped(std::unique_ptr<cowsim::trace::RecordStream> s) : s_(std::move(s)) {}
  bool next(cowsim::trace::Record& r) override { return n_++ < kMaxRecords && s_->next(r); }
  std::string where() const override { return s_->where(); }
  bool cut() const { return n_ > kMaxRecords; }

 private:
  std::unique_ptr<cowsim::trace::RecordStream> s_;
  uint64_t n_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cowsim;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string name;
  std::vector<std::string> params;
  bool first = true;
  while (!in.empty() && params.size() < 16) {
    size_t nl = in.find('\n');
    std::string line(in.substr(0, nl));
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (first) name = line;
    else params.push_back(line);
    first = false;
  }
  static const SimConfig cfg = load_config({});
  trace::NameTable names;
  std::unique_ptr<Scenario> s;
  fuzz::expect_only_input_errors([&] { s = make_scenario(name, params); });
  if (!s) return 0;
  // Opening may reject parameters that cannot work together (an InputError); a stream that
  // opened must pass the same validation a trace file does, as far as it is read.
  fuzz::expect_only_input_errors([&] {
    StreamOpener open = [&] { return std::make_unique<Capped>(s->open(names, ScenarioContext::of(cfg))); };
    plan_trace(open, cfg.cores);
  });
  return 0;
}
