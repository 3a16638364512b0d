// cowsim with a corruption seeded into its model, for 686_invariant_exit_test.py:
//   cowsim-corrupting KIND COWSIM_ARGS...
// runs cowsim's own CLI (platform/cli/main.cpp's sc_main: the same subcommands, exception
// handling, exit codes and outputs; only main() is this file's) after installing, through
// set_system_observer(), a corruption of the kind KIND names:
//   none            nothing: the run must equal cowsim's;
//   free-frame-ref  when the last process has exited (the kernel module's after-call hook),
//                   the most recently freed frame gets reference count 1 while it stays on the
//                   free list, as if a reference had been taken behind the allocator's back.
// The tool says on stderr which frame it corrupted, so the test can expect the checker's
// message exactly. It is a test tool: the shipped cowsim has no such option.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <systemc>

#include "platform/simulation.h"
#include "platform/system.h"

int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  if (argc < 2 || (std::strcmp(argv[1], "none") != 0 && std::strcmp(argv[1], "free-frame-ref") != 0)) {
    std::fprintf(stderr, "usage: cowsim-corrupting none|free-frame-ref COWSIM_ARGS...\n");
    return 2;
  }
  if (std::strcmp(argv[1], "free-frame-ref") == 0)
    cowsim::set_system_observer([](cowsim::System& system) {
      system.kernel_module().set_after_call([&system](const char* what, uint32_t pid) {
        if (std::strcmp(what, "exit") != 0 || system.kernel().any_alive()) return;
        auto& frames = const_cast<cowsim::FrameAllocator&>(system.kernel().frames());
        cowsim::Pfn f = *frames.alloc();  // the most recently freed frame (LIFO)
        frames.put(f);
        frames.info(f).refcount = 1;
        std::fprintf(stderr, "cowsim-corrupting: free frame 0x%llx now has reference count 1 (after exit by pid %u)\n",
                     static_cast<unsigned long long>(f.value), pid);
      });
    });
  // argv without KIND: sc_main sees exactly what cowsim's would.
  for (int i = 1; i + 1 < argc; ++i) argv[i] = argv[i + 1];
  argv[argc - 1] = nullptr;
  return sc_core::sc_elab_and_sim(argc - 1, argv);
}
