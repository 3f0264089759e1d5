/* jspi.h — the crossings between jspi.c and its JS half (jspi.js), read
 * by js/cli/crossings.mjs like src/host.h's tables; the contract is in
 * jspi.c. The suspending import is wrapped in WebAssembly.Suspending.
 * Slots name a task's context to JS (its resume resolver's index); resume
 * is a slot + 1, or 0; start is a new task for a new carrier, or NULL. */
#ifndef WA_BACKEND_JSPI_H
#define WA_BACKEND_JSPI_H

#include <stdint.h>

struct wa__task;

#define WA_JSPI_SUSPENDING_IMPORTS(X)                                                   \
  X(void, wa__jspi_suspend, (uint32_t slot, uint32_t resume, struct wa__task * start)) \
  X(struct wa__task *, wa__jspi_idle, (void))
#define WA_JSPI_IMPORTS(X)                                                              \
  X(void, wa__jspi_park, (uint32_t slot))                                              \
  X(void, wa__jspi_go, (uint32_t resume, struct wa__task * start))                     \
  X(void, wa__jspi_end_carrier, (void))                                                 \
  X(void, wa__jspi_forget, (uint32_t slot))                                            \
  X(void, wa__jspi_trim, (uint32_t keep))
#define WA_JSPI_EXPORTS(X)                                                              \
  X(void, wa__jspi_carrier, (struct wa__task * t))                                     \
  X(void, wa__jspi_defer_next, (int on))                                               \
  X(void, wa__jspi_leave, (void))                                                      \
  X(struct wa__task *, wa__jspi_parked, (void))                                        \
  X(int, wa__jspi_resumed, (struct wa__task * t, uintptr_t sp))                        \
  X(void, wa__jspi_blame, (void))                                                      \
  X(void, wa__jspi_exited, (void))                                                     \
  X(uint32_t *, wa__jspi_host_step, (void))                                            \
  X(uint32_t *, wa__jspi_trapped, (uintptr_t sp))

#define WA__JSPI_PROTO(ret, name, params) ret name params;
WA_JSPI_SUSPENDING_IMPORTS(WA__JSPI_PROTO)
WA_JSPI_IMPORTS(WA__JSPI_PROTO)
WA_JSPI_EXPORTS(WA__JSPI_PROTO)
#undef WA__JSPI_PROTO

#endif /* WA_BACKEND_JSPI_H */
