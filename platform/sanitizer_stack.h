// AddressSanitizer bookkeeping that SystemC leaves stale (nothing at all in other builds).
#pragma once

namespace cowsim {

// SystemC announces its coroutine stacks to AddressSanitizer when it switches between them,
// but not the switch back to the main stack when an SC_THREAD returns (every core's thread
// does, at the end of its trace). ASan then keeps the finished thread's stack, freed with the
// thread, as the main thread's, and LeakSanitizer scans that range at exit: it misses the real
// stack's pointers, and it crashes ("Tracer caught signal 11") when part of the range has been
// mapped again by the time. Called after sc_start() returns, this announces the main stack.
void reannounce_main_stack();

}  // namespace cowsim
