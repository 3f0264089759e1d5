/* jspi.h — the crossings between jspi.c and its JS half (jspi.js), read
 * by js/crossings.mjs like host/host.h's tables; the contract is in
 * jspi.c. The suspending imports are wrapped in WebAssembly.Suspending. */
#ifndef WA_BACKEND_JSPI_H
#define WA_BACKEND_JSPI_H

#include <stdint.h>

struct wa__task;

#define WA_JSPI_SUSPENDING_IMPORTS(X)                                                   \
  X(void, wa__jspi_start, (struct wa__task * t))                                       \
  X(void, wa__jspi_resume, (struct wa__task * t))                                      \
  X(void, wa__jspi_suspend, (struct wa__task * t))
#define WA_JSPI_IMPORTS(X)                                                              \
  X(void, wa__jspi_park, (struct wa__task * t))                                        \
  X(void, wa__jspi_done, (struct wa__task * t))                                        \
  X(void, wa__jspi_forget, (struct wa__task * t))
#define WA_JSPI_EXPORTS(X)                                                              \
  X(void, wa__jspi_task_entry, (struct wa__task * t))                                  \
  X(void, wa__jspi_defer_next, (int on))                                               \
  X(int, wa__jspi_resumed, (struct wa__task * t))                                      \
  X(uint32_t *, wa__jspi_trapped, (struct wa__task * t, uintptr_t sp))

#define WA__JSPI_PROTO(ret, name, params) ret name params;
WA_JSPI_SUSPENDING_IMPORTS(WA__JSPI_PROTO)
WA_JSPI_IMPORTS(WA__JSPI_PROTO)
WA_JSPI_EXPORTS(WA__JSPI_PROTO)
#undef WA__JSPI_PROTO

#endif /* WA_BACKEND_JSPI_H */
