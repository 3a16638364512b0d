// A host prefetch that survives optimisation. __builtin_prefetch has no effect the compiler
// can see, so a function made only of prefetches (and the loads that find their addresses)
// is found side-effect free and its calls are deleted (GCC's pure/const analysis did so to
// Walker::prefetch). The empty volatile asm taking the address keeps the hint.
#pragma once

namespace cowsim {

inline void host_prefetch(const void* p) {
  __builtin_prefetch(p);
  asm volatile("" : : "r"(p));
}

}  // namespace cowsim
