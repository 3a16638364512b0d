#include "platform/sanitizer_stack.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COWSIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define COWSIM_ASAN 1
#endif

#ifdef COWSIM_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace cowsim {

void reannounce_main_stack() {
#ifdef COWSIM_ASAN
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* bottom = nullptr;
  size_t size = 0;
  const bool known = pthread_attr_getstack(&attr, &bottom, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!known) return;
  // A switch "to" the stack we are already on: ASan records it as the current one.
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, bottom, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

}  // namespace cowsim
