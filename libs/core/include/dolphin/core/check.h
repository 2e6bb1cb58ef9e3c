// Assertion macros (Envoy's policy, see docs/STYLE notes):
//   DOLPHIN_CHECK(cond)  - always on; an error that should not happen after startup: abort.
//   DOLPHIN_DCHECK(cond) - debug builds only; internal invariants.
#pragma once

namespace dolphin::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr);
}  // namespace dolphin::internal

#define DOLPHIN_CHECK(cond)                                                   \
  do {                                                                        \
    if (!(cond)) ::dolphin::internal::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (false)

#ifdef NDEBUG
#define DOLPHIN_DCHECK(cond) \
  do {                       \
  } while (false)
#else
#define DOLPHIN_DCHECK(cond) DOLPHIN_CHECK(cond)
#endif
