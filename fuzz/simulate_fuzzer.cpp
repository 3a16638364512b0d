// Runs a tiny simulation of every text trace that parses and validates (TinyMachine: the
// model's logic without SystemC), so the kernel model and the hardware meet arbitrary record
// sequences, not only well-formed programs. Bounded: traces of more than kMaxRecords records
// or kMaxAccesses accesses are only validated, memory is 16 MiB (the smallest allowed), and a
// run stops after kMaxTurns scheduling turns. The trace may end in a deadlock; the machine
// must neither crash nor throw anything but InputError.
#include "fuzz/fuzz_util.h"
#include "fuzz/tiny_machine.h"
#include "traces/trace_io.h"

namespace {
constexpr uint64_t kMaxRecords = 512, kMaxAccesses = uint64_t{1} << 14, kMaxTurns = 4096;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cowsim;
  static const std::string path = fuzz::scratch_dir() + "/sim.cwt";
  // Two cores so `cpu` records and shootdowns happen; PCIDs when the first byte is odd.
  static const SimConfig plain = load_config({"", "", {"cores=2", "memory.size=16M"}});
  static const SimConfig pcid = load_config({"", "", {"cores=2", "memory.size=16M", "tlb.pcid=true"}});
  fuzz::write_file(path, data, size);
  trace::NameTable names;
  StreamOpener open = [&] { return trace::open_trace(path, names); };
  TracePlan plan;
  bool ok = false;
  fuzz::expect_only_input_errors([&] {
    plan = plan_trace(open, 2);
    ok = !plan.roots.empty();
  });
  if (ok && std::getenv("COWSIM_FUZZ_VERBOSE") && (plan.records > kMaxRecords || plan.accesses > kMaxAccesses))
    std::fprintf(stderr, "  too large to simulate\n");
  if (!ok || plan.records > kMaxRecords || plan.accesses > kMaxAccesses) return 0;
  fuzz::expect_only_input_errors([&] {
    fuzz::TinyMachine m(size && (data[0] & 1) ? pcid : plain, names);
    const bool done = m.run(open, plan, kMaxTurns);
    if (std::getenv("COWSIM_FUZZ_VERBOSE"))
      std::fprintf(stderr, "  %llu records, %llu accesses, %s, %llu frames in use\n", (unsigned long long)plan.records,
                   (unsigned long long)plan.accesses, done ? "all exited" : "stopped (deadlock or turn limit)",
                   (unsigned long long)m.kernel().frames_in_use());
  });
  return 0;
}
